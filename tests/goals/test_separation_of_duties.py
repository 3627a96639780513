"""Nobody approves content they wrote (DESIGN §1): every save records its author and channel, and
承認 is refused to anyone who saved the phase's content since it was last approved.

Here through the goals form; the Excel workbook and the table import are in
tests/reports/test_authorship_channels.py, and the sheet page's buttons for every persona and
state in tests/goals/test_rules.py.
"""

import html
import re

import pytest
from django.urls import reverse

from departments.models import Role
from goals import rules
from goals.models import EventAction, EventChannel, GoalSheet, ReviewEvent, SheetStatus
from goals.services import (
    GoalInput,
    fiscal_year_open_next,
    sheet_approve,
    sheet_reopen,
    sheet_return,
    sheet_save_plan,
    sheet_submit,
)
from tests.factories import MembershipFactory
from tests.personas import KUMIN, SOUMU, client_for, member, seed_department

VERSION = re.compile(r'name="version" value="(\d+)"')


@pytest.fixture
def plan_year(seed_year):
    return fiscal_year_open_next(previous=seed_year)


@pytest.fixture
def sheet(plan_year):
    return plan_year.sheets.get(department__name=KUMIN)


@pytest.fixture
def clerk(people):
    """A 総務課 approver who is also an editor of 区民課 (typing for it, or moved in from it)."""
    user = member(SOUMU, Role.APPROVER, last_name="総務", first_name="代筆")
    MembershipFactory(user=user, department=seed_department(KUMIN), role=Role.EDITOR)
    return user


def url(name, sheet, **kwargs):
    fy = sheet.fiscal_year
    return reverse(name, kwargs={"office": fy.office.slug, "year": fy.year, "code": sheet.department.code, **kwargs})


def dashboard_url(sheet):
    return reverse("goals:dashboard", kwargs={"office": sheet.fiscal_year.office.slug, "year": sheet.fiscal_year.year})


def text(response):
    return html.unescape(response.content.decode())


def typed_on_the_goals_page(client, sheet, objective):
    sheet.refresh_from_db()
    response = client.post(
        url("goals:plan_edit", sheet),
        {
            "version": sheet.version,
            "action": "save",
            "goals-TOTAL_FORMS": 3,
            "goals-INITIAL_FORMS": sheet.goals.count(),
            "goals-0-number": 1,
            "goals-0-objective": objective,
            "goals-1-number": 2,
            "goals-2-number": 3,
        },
    )
    assert response.status_code == 302, text(response)


def submitted_on_the_page(client, sheet):
    sheet.refresh_from_db()
    response = client.post(url("goals:submit", sheet, phase="plan"), {"version": sheet.version})
    assert response.status_code == 302
    sheet.refresh_from_db()
    assert sheet.plan_status == SheetStatus.SUBMITTED


def assert_cannot_approve(client, sheet, refusal):
    """No 承認 offered on the sheet page or the dashboard, the reason said beside the buttons, the
    confirm page says it, and a POST with the page's version is refused: nothing changes."""
    approve = url("goals:approve", sheet, phase="plan")
    page = text(client.get(url("goals:sheet", sheet)))
    assert f'href="{approve}"' not in page and refusal in page
    dashboard = text(client.get(dashboard_url(sheet)))
    assert f'href="{approve}"' not in dashboard and refusal in dashboard
    confirm = text(client.get(approve))
    assert f"承認できません:</strong> {refusal}" in confirm and "承認する</button>" not in confirm
    sheet.refresh_from_db()
    response = client.post(approve, {"version": sheet.version})
    assert refusal in text(response)
    sheet.refresh_from_db()
    assert sheet.plan_status == SheetStatus.SUBMITTED


def approved_by(client, sheet):
    approve = url("goals:approve", sheet, phase="plan")
    version = int(VERSION.search(client.get(approve).content.decode()).group(1))
    assert client.post(approve, {"version": version}).status_code == 302
    sheet.refresh_from_db()
    assert sheet.plan_status == SheetStatus.APPROVED


def test_whoever_typed_the_goals_on_the_form_cannot_approve_them(sheet, clerk, people):
    typed_on_the_goals_page(client_for(clerk), sheet, "窓口での待ち時間を短くします。")
    submitted_on_the_page(client_for(people.kumin_editor), sheet)

    assert_cannot_approve(client_for(clerk), sheet, rules.OWN_CONTENT)

    timeline = text(client_for(people.approver2).get(url("goals:sheet", sheet)))
    assert re.search(r"保存 \(フォーム\)</strong>\s*<span class=\"timeline-actor\">総務 代筆</span>", timeline)
    approved_by(client_for(people.approver2), sheet)


def test_every_save_records_its_author_and_channel(sheet, clerk, people):
    typed_on_the_goals_page(client_for(clerk), sheet, "窓口での待ち時間を短くします。")
    typed_on_the_goals_page(client_for(people.kumin_editor), sheet, "窓口での待ち時間を10分以内にします。")
    saves = ReviewEvent.objects.filter(sheet=sheet, action=EventAction.SAVE).order_by("pk")
    assert list(saves.values_list("actor", "channel", "phase")) == [
        (clerk.pk, EventChannel.FORM, "plan"),
        (people.kumin_editor.pk, EventChannel.FORM, "plan"),
    ]
    sheet.refresh_from_db()
    latest = saves.last()
    assert latest.sheet_version == sheet.version
    assert latest.snapshot["goals"][0]["objective"] == "窓口での待ち時間を10分以内にします。"


def test_a_return_does_not_clear_what_was_written_before_it(sheet, clerk, people):
    """The clerk's text may still be in the sheet after a 差戻し: they still cannot approve it."""
    typed_on_the_goals_page(client_for(clerk), sheet, "窓口での待ち時間を短くします。")
    submitted_on_the_page(client_for(people.kumin_editor), sheet)
    sheet_return(sheet=sheet, phase="plan", by=people.approver2, comment="目標を数値で示してください。")
    sheet.refresh_from_db()
    sheet_save_plan(
        sheet=sheet,
        goals=[GoalInput(number=1, objective="窓口での待ち時間を短くします。"), GoalInput(number=2, objective="電話を3回以内に取ります。")],
        expected_version=sheet.version,
        by=people.kumin_editor,
    )
    submitted_on_the_page(client_for(people.kumin_editor), sheet)

    assert_cannot_approve(client_for(clerk), sheet, rules.OWN_CONTENT)


def test_content_someone_else_approved_no_longer_bars_its_author(sheet, clerk, people):
    """After another approver's 承認 and a 承認取消, the clerk may approve the department's revision."""
    typed_on_the_goals_page(client_for(clerk), sheet, "窓口での待ち時間を短くします。")
    submitted_on_the_page(client_for(people.kumin_editor), sheet)
    approved_by(client_for(people.approver2), sheet)
    sheet_reopen(sheet=sheet, phase="plan", by=people.approver2, reason="表現を直すため")
    typed_on_the_goals_page(client_for(people.kumin_editor), sheet, "窓口での待ち時間を10分以内にします。")
    submitted_on_the_page(client_for(people.kumin_editor), sheet)

    approved_by(client_for(clerk), sheet)


def test_returning_and_reopening_their_own_content_is_open_to_its_author(sheet, clerk, people):
    """差戻し and 承認取消 only send the sheet back: its author may take them."""
    typed_on_the_goals_page(client_for(clerk), sheet, "窓口での待ち時間を短くします。")
    submitted_on_the_page(client_for(people.kumin_editor), sheet)
    sheet = GoalSheet.objects.get(pk=sheet.pk)
    assert rules.return_refusal(sheet, "plan") is None
    sheet_return(sheet=sheet, phase="plan", by=clerk, comment="自分の入力に誤りがありました。")
    sheet_submit(sheet=sheet, phase="plan", by=people.kumin_editor)
    sheet_approve(sheet=sheet, phase="plan", by=people.approver2)
    sheet.refresh_from_db()
    assert rules.reopen_refusal(sheet, "plan") is None
