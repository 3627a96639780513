"""代理入力 and 訂正 (a sheet reopened alone after the ward closed its phase).

総務課's approvers write and submit for any department of their office through the same forms;
every save and 提出 by someone who is not the department's editor is recorded as 代理入力 at that
moment and shown as 「代理入力: 氏名」; the writer never approves it, another approver does, and
with no other approver the pages say so and how to get one. A 承認取消 (or 差戻し) taken while
the ward's phase is closed opens that sheet's phase alone until it is approved again.

The whole path through a browser, from the public page to the corrected version, is in
tests/browser/test_correction_path.py; the persona × state walk in tests/goals/test_rules.py.
"""

import html

import pytest
from django.contrib.messages import get_messages
from django.urls import reverse

from departments.models import Role
from goals import rules
from goals.models import EventAction, Phase, ReviewEvent, SheetStatus
from goals.services import (
    GoalInput,
    GoalsError,
    fiscal_year_set_phase,
    sheet_approve,
    sheet_reopen,
    sheet_return,
    sheet_save_plan,
    sheet_submit,
)
from tests.factories import DepartmentFactory, FiscalYearFactory, GoalSheetFactory, MembershipFactory, UserFactory
from tests.personas import client_for

GOALS = [GoalInput(number=1, objective="窓口で用件を伺い、担当へご案内します。")]
FIXED = [GoalInput(number=1, objective="窓口で用件を伺い、担当の窓口へご案内します。")]


class Office:
    """A small office: 総務課 with two approvers, and a department nobody edits (as 13 of 17 in 中原区)."""

    def __init__(self, *, approvers=2):
        self.year = FiscalYearFactory(plan_open=True)
        office = self.year.office
        self.soumu = DepartmentFactory(office=office, name="総務部 総務課")
        self.department = DepartmentFactory(office=office, name="市民部 窓口課")
        names = [("承認", "花子"), ("審査", "次郎")][:approvers]
        self.approvers = [self._person(self.soumu, Role.APPROVER, *name) for name in names]
        self.sheet = GoalSheetFactory(fiscal_year=self.year, department=self.department)
        self.other = GoalSheetFactory(fiscal_year=self.year, department=DepartmentFactory(office=office))

    def _person(self, department, role, last_name, first_name):
        user = UserFactory(last_name=last_name, first_name=first_name)
        MembershipFactory(user=user, department=department, role=role)
        return user

    def editor(self):
        return self._person(self.department, Role.EDITOR, "窓口", "担当")

    def url(self, name, sheet=None, **kwargs):
        sheet = sheet or self.sheet
        fy = sheet.fiscal_year
        return reverse(name, kwargs={"office": fy.office.slug, "year": fy.year, "code": sheet.department.code, **kwargs})

    def fresh(self, sheet=None):
        sheet = sheet or self.sheet
        sheet.refresh_from_db()
        return sheet


@pytest.fixture
def ward(db):
    return Office()


def text(response):
    return html.unescape(response.content.decode())


def message(response):
    return " ".join(m.message for m in get_messages(response.wsgi_request))


def plan_post(sheet, objective, action="save"):
    return {
        "version": sheet.version,
        "action": action,
        "goals-TOTAL_FORMS": 1,
        "goals-INITIAL_FORMS": sheet.goals.count(),
        "goals-0-number": 1,
        "goals-0-objective": objective,
    }


def events(sheet, action):
    return list(ReviewEvent.objects.filter(sheet=sheet, action=action).order_by("created_at", "pk"))


def submitted_by_proxy(ward):
    """The department's goals written and submitted by the first approver for it."""
    proxy = ward.approvers[0]
    sheet = sheet_save_plan(sheet=ward.sheet, goals=GOALS, expected_version=ward.sheet.version, by=proxy)
    sheet_submit(sheet=sheet, phase=Phase.PLAN, by=proxy)
    return ward.fresh()


# --- 代理入力 through the services ------------------------------------------------------------


@pytest.mark.anydb
def test_a_proxy_save_and_submit_are_recorded_as_such_and_approved_by_the_other_approver(ward):
    proxy, other = ward.approvers
    sheet = submitted_by_proxy(ward)
    [save], [submit] = events(sheet, EventAction.SAVE), events(sheet, EventAction.SUBMIT)
    assert (save.actor, save.on_behalf, submit.actor, submit.on_behalf) == (proxy, True, proxy, True)

    with pytest.raises(GoalsError, match=rules.OWN_SUBMISSION):
        sheet_approve(sheet=sheet, phase=Phase.PLAN, by=proxy)
    assert rules.approvers_who_may_approve(sheet, Phase.PLAN, ward.approvers) == [other]
    sheet_approve(sheet=sheet, phase=Phase.PLAN, by=other)
    assert ward.fresh().plan_status == SheetStatus.APPROVED
    assert not events(sheet, EventAction.APPROVE)[0].on_behalf


@pytest.mark.anydb
def test_the_record_keeps_who_was_an_editor_at_that_moment(ward):
    """Recorded with the step, never recomputed: the approver who later becomes the department's
    editor still wrote the first save for it; the editor's own saves are nobody's proxy."""
    proxy = ward.approvers[0]
    sheet = sheet_save_plan(sheet=ward.sheet, goals=GOALS, expected_version=ward.sheet.version, by=proxy)
    MembershipFactory(user=proxy, department=ward.department, role=Role.EDITOR)
    editor = ward.editor()
    sheet = sheet_save_plan(sheet=sheet, goals=FIXED, expected_version=sheet.version, by=proxy)
    sheet = sheet_save_plan(sheet=sheet, goals=GOALS, expected_version=sheet.version, by=editor)
    assert [(e.actor, e.on_behalf) for e in events(sheet, EventAction.SAVE)] == [
        (proxy, True), (proxy, False), (editor, False)
    ]


@pytest.mark.anydb
def test_a_writer_who_only_saved_is_refused_and_the_submitting_editor_too(ward):
    """The other approver typed the content (代理入力); the department's editor submitted it: only
    the first approver, who did neither, approves."""
    first, writer = ward.approvers
    editor = ward.editor()
    sheet = sheet_save_plan(sheet=ward.sheet, goals=GOALS, expected_version=ward.sheet.version, by=writer)
    sheet_submit(sheet=sheet, phase=Phase.PLAN, by=editor)
    sheet = ward.fresh()
    assert not events(sheet, EventAction.SUBMIT)[0].on_behalf
    with pytest.raises(GoalsError, match=rules.OWN_CONTENT):
        sheet_approve(sheet=sheet, phase=Phase.PLAN, by=writer)
    assert rules.approvers_who_may_approve(sheet, Phase.PLAN, ward.approvers) == [first]


# --- 代理入力 through the pages ---------------------------------------------------------------


def test_an_approver_fills_a_department_in_and_the_pages_say_who_wrote_it_and_who_approves(ward):
    proxy, other = ward.approvers
    client = client_for(proxy)
    assert client.get(ward.url("goals:plan_edit")).status_code == 200
    response = client.post(ward.url("goals:plan_edit"), plan_post(ward.sheet, GOALS[0].objective, "submit"))
    assert response.status_code == 302
    assert message(response) == "保存して提出しました (代理入力)。このシートを承認できるのは、審査 次郎 さんです。"
    sheet = ward.fresh()
    assert sheet.plan_status == SheetStatus.SUBMITTED

    page = text(client.get(ward.url("goals:sheet")))
    assert page.count("代理入力: 承認 花子") == 3  # the last 提出 above, then the timeline's 保存 and 提出
    assert "このシートを承認できるのは、審査 次郎 さんです。" in page
    dashboard = text(client.get(reverse("goals:dashboard", kwargs={"office": sheet.fiscal_year.office.slug, "year": 2021})))
    assert "代理入力: 承認 花子" in dashboard and rules.OWN_SUBMISSION in dashboard
    confirm = text(client.get(ward.url("goals:approve", phase="plan")))
    assert f"承認できません:</strong> {rules.OWN_SUBMISSION}" in confirm
    assert "このシートを承認できるのは、審査 次郎 さんです。" in confirm
    assert "代理入力: 承認 花子" in confirm  # the 提出者 and the record

    reviewer = client_for(other)
    confirm = text(reviewer.get(ward.url("goals:approve", phase="plan")))
    assert "承認する</button>" in confirm and "承認できるのは" not in confirm
    response = reviewer.post(ward.url("goals:approve", phase="plan"), {"version": sheet.version})
    assert response.status_code == 302
    assert ward.fresh().plan_status == SheetStatus.APPROVED


def test_with_one_approver_the_pages_say_nobody_else_may_approve_and_how_to_get_one(db):
    ward = Office(approvers=1)
    sheet = submitted_by_proxy(ward)
    client = client_for(ward.approvers[0])
    for page in (ward.url("goals:sheet"), ward.url("goals:approve", phase="plan")):
        assert rules.NO_OTHER_APPROVER in text(client.get(page))
    sheet_approve_refused = rules.approve_refusal(sheet, Phase.PLAN, by=ward.approvers[0])
    assert sheet_approve_refused == rules.OWN_SUBMISSION


def test_the_changes_page_names_the_proxy_who_wrote_after_a_return(ward):
    proxy, other = ward.approvers
    sheet = submitted_by_proxy(ward)
    sheet_return(sheet=sheet, phase=Phase.PLAN, by=other, comment="目標1の表現を改めてください。")
    sheet = ward.fresh()
    sheet_save_plan(sheet=sheet, goals=FIXED, expected_version=sheet.version, by=proxy)
    page = text(client_for(other).get(ward.url("goals:changes", phase="plan")))
    assert "保存 (フォーム) — 代理入力: 承認 花子" in page


# --- 訂正: one sheet reopened while the ward's phase is closed ---------------------------------


def approved_and_closed(ward):
    """The department's goals approved (written by the first approver, approved by the second),
    another department's sheet still a draft, and then 目標設定 closed for the whole ward."""
    sheet = submitted_by_proxy(ward)
    sheet_approve(sheet=sheet, phase=Phase.PLAN, by=ward.approvers[1])
    sheet_save_plan(sheet=ward.other, goals=GOALS, expected_version=ward.other.version, by=ward.approvers[0])
    fiscal_year_set_phase(fiscal_year=ward.year, phase=Phase.PLAN, is_open=False)
    return ward.fresh()


@pytest.mark.anydb
def test_a_reopen_in_a_closed_phase_opens_that_sheet_alone_until_it_is_approved_again(ward):
    proxy, other = ward.approvers
    sheet = approved_and_closed(ward)
    closed = "目標設定の受付は終了しています。"
    assert rules.edit_plan_refusal(sheet) == closed

    sheet_reopen(sheet=sheet, phase=Phase.PLAN, by=proxy, reason="目標1に誤字がありました。")
    sheet, draft = ward.fresh(), ward.fresh(ward.other)
    assert (sheet.correction, sheet.plan_status, sheet.fiscal_year.plan_open) == (Phase.PLAN, SheetStatus.RETURNED, False)
    assert rules.edit_plan_refusal(sheet) is None
    assert rules.edit_plan_refusal(draft) == closed  # the other departments stay closed
    assert rules.submit_refusal(draft, Phase.PLAN) == closed

    sheet = sheet_save_plan(sheet=sheet, goals=FIXED, expected_version=sheet.version, by=proxy)
    sheet_submit(sheet=sheet, phase=Phase.PLAN, by=proxy)
    sheet_approve(sheet=ward.fresh(), phase=Phase.PLAN, by=other)
    sheet = ward.fresh()
    assert (sheet.correction, sheet.plan_status) == ("", SheetStatus.APPROVED)
    assert rules.edit_plan_refusal(sheet) == closed


@pytest.mark.anydb
def test_a_sheet_sent_back_when_the_ward_closes_the_phase_stays_open_for_its_correction(ward):
    sheet = submitted_by_proxy(ward)
    sheet_return(sheet=sheet, phase=Phase.PLAN, by=ward.approvers[1], comment="数値目標を入れてください。")
    assert ward.fresh().correction == ""  # the phase is open: nothing to open
    fiscal_year_set_phase(fiscal_year=ward.year, phase=Phase.PLAN, is_open=False)
    sheet, untouched = ward.fresh(), ward.fresh(ward.other)
    assert (sheet.correction, rules.edit_plan_refusal(sheet)) == (Phase.PLAN, None)
    assert (untouched.correction, rules.edit_plan_refusal(untouched)) == ("", "目標設定の受付は終了しています。")


def test_the_reopen_page_warns_and_leads_to_the_edit_form_then_to_publishing(ward):
    proxy, other = ward.approvers
    sheet = approved_and_closed(ward)
    client = client_for(proxy)
    reopen = ward.url("goals:reopen", phase="plan")
    page = text(client.get(reopen))
    assert rules.correction_note(sheet, Phase.PLAN) in page
    assert "目標設定の受付は終了しています" in page and "承認を取り消して代理入力で直す" in page

    response = client.post(reopen, {"version": sheet.version, "reason": "目標1に誤字がありました。", "then": "edit"})
    assert response["Location"] == ward.url("goals:plan_edit")
    assert "訂正受付中です" in text(client.get(ward.url("goals:sheet")))
    sheet = ward.fresh()
    response = client.post(ward.url("goals:plan_edit"), plan_post(sheet, FIXED[0].objective, "submit"))
    assert response.status_code == 302 and ward.fresh().plan_status == SheetStatus.SUBMITTED

    response = client_for(other).post(ward.url("goals:approve", phase="plan"), {"version": ward.fresh().version})
    fy = sheet.fiscal_year
    assert response["Location"] == reverse("publishing:publish", kwargs={"office": fy.office.slug, "year": fy.year, "kind": "plan"})
    assert "訂正を承認しました" in message(response)
    assert ward.fresh().correction == ""


def test_a_reopen_in_an_open_phase_says_nothing_of_a_correction(ward):
    sheet = submitted_by_proxy(ward)
    sheet_approve(sheet=sheet, phase=Phase.PLAN, by=ward.approvers[1])
    page = text(client_for(ward.approvers[1]).get(ward.url("goals:reopen", phase="plan")))
    assert "承認を取り消す" in page and "correction-note" not in page
