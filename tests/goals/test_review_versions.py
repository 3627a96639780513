"""A review step carries the version of the sheet its page showed (DESIGN §1).

The sequence people run into, through the pages with two approvers: approver A opens the confirm
page; approver B returns the sheet (or reopens it); the department changes it and submits again;
A's POST from the page opened before is refused. The page then shows the content as it is now,
what changed since A saw it, and keeps what A typed; A's next POST, now at the new version, goes
through.
"""

import html
import re

import pytest
from django.urls import reverse

from goals.models import EventAction, GoalSheet, ReviewEvent, SheetStatus
from goals.services import GoalInput, fiscal_year_open_next, sheet_approve, sheet_save_plan, sheet_submit
from goals.services.workflow import STALE_REVIEW
from tests.personas import KUMIN, client_for

BEFORE = "窓口での案内を分かりやすくします。"
AFTER = "窓口での案内表示を大きくし、分かりやすくします。"
VERSION = re.compile(r'name="version" value="(\d+)"')


@pytest.fixture
def plan_year(seed_year):
    return fiscal_year_open_next(previous=seed_year)


@pytest.fixture
def submitted(plan_year, people):
    """区民課's sheet with one goal, submitted by its editor."""
    sheet = plan_year.sheets.get(department__name=KUMIN)
    sheet_save_plan(
        sheet=sheet, goals=[GoalInput(number=1, objective=BEFORE)], expected_version=sheet.version, by=people.kumin_editor
    )
    sheet_submit(sheet=sheet, phase="plan", by=people.kumin_editor)
    return GoalSheet.objects.get(pk=sheet.pk)


def review_url(step, sheet):
    fy = sheet.fiscal_year
    return reverse(
        f"goals:{step}",
        kwargs={"office": fy.office.slug, "year": fy.year, "code": sheet.department.code, "phase": "plan"},
    )


def sheet_url(name, sheet, **kwargs):
    fy = sheet.fiscal_year
    return reverse(name, kwargs={"office": fy.office.slug, "year": fy.year, "code": sheet.department.code, **kwargs})


def text(response):
    return html.unescape(response.content.decode())


def shown_version(response) -> int:
    """The version the confirm page's form carries."""
    assert response.status_code == 200
    return int(VERSION.search(response.content.decode()).group(1))


def open_page(client, step, sheet):
    return shown_version(client.get(review_url(step, sheet)))


def department_revises_and_resubmits(sheet, editor):
    """The editor changes goal 1 on the goals page and submits again, as the pages post it."""
    client = client_for(editor)
    sheet.refresh_from_db()
    form = {
        "version": sheet.version,
        "action": "submit",
        "goals-TOTAL_FORMS": 3,
        "goals-INITIAL_FORMS": 1,
        "goals-0-number": 1,
        "goals-0-objective": AFTER,
        "goals-1-number": 2,
        "goals-2-number": 3,
    }
    response = client.post(sheet_url("goals:plan_edit", sheet), form)
    assert response.status_code == 302, text(response)
    sheet.refresh_from_db()
    assert sheet.plan_status == SheetStatus.SUBMITTED


def b_takes(step, sheet, approver, data):
    client = client_for(approver)
    version = open_page(client, step, sheet)
    response = client.post(review_url(step, sheet), {**data, "version": version})
    assert response.status_code == 302, text(response)


def assert_shown_stale(response, *typed):
    """Refused: the message, the content now, what changed since (goals.diff), and the typed text kept."""
    assert response.status_code == 200
    page = text(response)
    assert STALE_REVIEW in page
    assert 'id="stale-notice"' in page
    assert '<ins><span class="visually-hidden">追加ここから、</span>' in page  # the change, marked
    assert AFTER in page  # the content as it is now
    for value in typed:
        assert value in page
    return page


def test_an_approval_from_a_page_opened_before_a_return_and_resubmission_is_refused(submitted, people):
    a = client_for(people.approver)
    seen = open_page(a, "approve", submitted)
    b_takes("return", submitted, people.approver2, {"comment": "目標をもっと具体的に書いてください。"})
    department_revises_and_resubmits(submitted, people.kumin_editor)

    response = a.post(review_url("approve", submitted), {"version": seen})

    assert_shown_stale(response)
    submitted.refresh_from_db()
    assert submitted.plan_status == SheetStatus.SUBMITTED
    assert not ReviewEvent.objects.filter(sheet=submitted, action=EventAction.APPROVE).exists()
    # Having been shown the new content, A approves it deliberately: the page carries its version.
    assert shown_version(response) == submitted.version
    again = a.post(review_url("approve", submitted), {"version": shown_version(response)})
    assert again.status_code == 302
    submitted.refresh_from_db()
    assert submitted.plan_status == SheetStatus.APPROVED


def test_a_return_from_a_page_opened_before_a_return_and_resubmission_is_refused(submitted, people):
    a = client_for(people.approver)
    seen = open_page(a, "return", submitted)
    b_takes("return", submitted, people.approver2, {"comment": "目標をもっと具体的に書いてください。"})
    department_revises_and_resubmits(submitted, people.kumin_editor)
    comment = "区分を付けてください。"

    response = a.post(review_url("return", submitted), {"comment": comment, "version": seen})

    assert_shown_stale(response, f"{comment}</textarea>")
    submitted.refresh_from_db()
    assert submitted.plan_status == SheetStatus.SUBMITTED
    assert ReviewEvent.objects.filter(sheet=submitted, action=EventAction.RETURN).count() == 1  # B's only


def test_a_reopen_from_a_page_opened_before_a_reopen_and_resubmission_is_refused(submitted, people):
    sheet_approve(sheet=submitted, phase="plan", by=people.approver2)
    submitted.refresh_from_db()
    a = client_for(people.approver)
    seen = open_page(a, "reopen", submitted)
    b_takes("reopen", submitted, people.approver2, {"reason": "目標の表現を直すため取り消します。"})
    department_revises_and_resubmits(submitted, people.kumin_editor)
    b_takes("approve", submitted, people.approver2, {})
    reason = "部署名の変更を反映するため"

    response = a.post(review_url("reopen", submitted), {"reason": reason, "version": seen})

    assert_shown_stale(response, f"{reason}</textarea>")
    submitted.refresh_from_db()
    assert submitted.plan_status == SheetStatus.APPROVED
    assert ReviewEvent.objects.filter(sheet=submitted, action=EventAction.REOPEN).count() == 1  # B's only


@pytest.mark.parametrize("step, data", [("approve", {}), ("return", {"comment": "理由"}), ("reopen", {"reason": "理由"})])
def test_a_review_post_without_the_version_is_refused(submitted, people, step, data):
    if step == "reopen":
        sheet_approve(sheet=submitted, phase="plan", by=people.approver2)
    submitted.refresh_from_db()
    before = (submitted.version, submitted.plan_status)

    response = client_for(people.approver).post(review_url(step, submitted), data)

    assert response.status_code == 200
    assert "画面の情報が不足しています。ページを読み込み直してください。" in text(response)
    submitted.refresh_from_db()
    assert (submitted.version, submitted.plan_status) == before
