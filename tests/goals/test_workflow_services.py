"""Every workflow step and every refused step, through the services the views call."""

import pytest
from django.core import mail

from goals.models import (
    Category,
    EventAction,
    EventChannel,
    FiscalYear,
    GoalSheet,
    Phase,
    RatingLevel,
    ReviewEvent,
    SheetStatus,
)
from goals.selectors import sheet_content
from goals.services import (
    GoalInput,
    GoalsError,
    ResultInput,
    StaleSheetError,
    fiscal_year_open_next,
    fiscal_year_set_phase,
    sheet_approve,
    sheet_reopen,
    sheet_return,
    sheet_save_plan,
    sheet_save_results,
    sheet_submit,
)
from tests.factories import CategoryFactory, OfficeFactory
from tests.personas import KIKAKU, SOUMU, member, seed_department


@pytest.fixture
def plan_year(seed_year):
    return fiscal_year_open_next(previous=seed_year)


@pytest.fixture
def people(people):
    """The personas, and an editor of 企画課, whose sheet the steps work on."""
    people.editor = member(KIKAKU, username="ed")
    return people


@pytest.fixture
def sheet(plan_year, people):
    return GoalSheet.objects.get(fiscal_year=plan_year, department=seed_department(KIKAKU))


def goals(plan_year, n=3):
    tag = plan_year.categories.order_by("sort_order").first()
    return [GoalInput(number=i, objective=f"目標その{i}を達成します。", actions="具体的には、\r\n毎週確認します。",
                      categories=(tag,)) for i in range(1, n + 1)]


def save(sheet, plan_year, by, n=3):
    return sheet_save_plan(sheet=sheet, goals=goals(plan_year, n), expected_version=sheet.version, by=by)


def refused(match, call, sheet):
    """The step raises with the message, and the sheet's content and version are unchanged."""
    sheet.refresh_from_db()
    before = (sheet_content(sheet), sheet.version, sheet.plan_status, sheet.result_status, ReviewEvent.objects.count())
    with pytest.raises(GoalsError, match=match):
        call()
    sheet.refresh_from_db()
    after = (sheet_content(sheet), sheet.version, sheet.plan_status, sheet.result_status, ReviewEvent.objects.count())
    assert after == before


# --- saving -----------------------------------------------------------------------------------

def test_save_plan_makes_a_draft_and_bumps_the_version(sheet, plan_year, people):
    saved = save(sheet, plan_year, people.editor)
    assert saved.plan_status == SheetStatus.DRAFT
    assert saved.version == sheet.version + 1
    content = sheet_content(saved)
    assert [g["number"] for g in content["goals"]] == [1, 2, 3]
    assert content["goals"][0]["actions"] == "具体的には、\n毎週確認します。"  # CRLF stored as LF


def test_save_plan_replaces_updates_and_removes_goals_with_history(sheet, plan_year, people):
    saved = save(sheet, plan_year, people.editor)
    changed = [GoalInput(number=1, objective="書き直した目標です。")]
    saved = sheet_save_plan(sheet=saved, goals=changed, expected_version=saved.version, by=people.editor)
    assert [(g["number"], g["objective"]) for g in sheet_content(saved)["goals"]] == [(1, "書き直した目標です。")]
    goal = saved.goals.get()
    assert goal.history.first().objective == "書き直した目標です。"
    assert goal.history.filter(objective="目標その1を達成します。").exists()
    assert goal.history.first().history_type == "~"


def test_stale_version_is_refused(sheet, plan_year, people):
    opened_at = sheet.version
    save(sheet, plan_year, people.editor)
    sheet.refresh_from_db()
    with pytest.raises(StaleSheetError, match="他の人が更新しました") as caught:
        sheet_save_plan(sheet=sheet, goals=goals(plan_year, 1), expected_version=opened_at, by=people.editor)
    assert caught.value.sheet.version == opened_at + 1
    assert len(sheet_content(sheet)["goals"]) == 3


def test_too_many_goals_duplicate_numbers_and_foreign_tags_are_refused(sheet, plan_year, people):
    by = people.editor
    refused("3件まで", lambda: sheet_save_plan(sheet=sheet, goals=goals(plan_year, 4),
                                              expected_version=sheet.version, by=by), sheet)
    dupes = [GoalInput(number=1, objective="a"), GoalInput(number=1, objective="b")]
    refused("重複", lambda: sheet_save_plan(sheet=sheet, goals=dupes, expected_version=sheet.version, by=by), sheet)
    foreign = CategoryFactory(office=OfficeFactory(), name="他区の区分")
    unused = Category.objects.create(office=plan_year.office, name="今年度は使わない区分")
    for tag in (foreign, unused):
        bad = [GoalInput(number=1, objective="a", categories=(tag,))]
        refused("使えない区分", lambda bad=bad: sheet_save_plan(sheet=sheet, goals=bad,
                                                           expected_version=sheet.version, by=by), sheet)


def test_control_characters_and_over_long_text_are_refused(sheet, plan_year, people):
    from django.core.exceptions import ValidationError

    for text in ("制御\x0b文字", "長" * 401):
        with pytest.raises(ValidationError):
            sheet_save_plan(sheet=sheet, goals=[GoalInput(number=1, objective=text)],
                            expected_version=sheet.version, by=people.editor)
        sheet.refresh_from_db()
        assert sheet.plan_status == SheetStatus.NOT_STARTED and not sheet.goals.exists()


def test_no_save_after_the_phase_closed_or_after_submission(sheet, plan_year, people):
    saved = save(sheet, plan_year, people.editor)
    sheet_submit(sheet=saved, phase=Phase.PLAN, by=people.editor)
    refused("提出済", lambda: save(sheet, plan_year, people.editor), sheet)
    fiscal_year_set_phase(fiscal_year=plan_year, phase=Phase.PLAN, is_open=False)
    other = GoalSheet.objects.filter(fiscal_year=plan_year).exclude(pk=sheet.pk).first()
    refused("受付は終了", lambda: save(other, plan_year, people.editor), other)


# --- submit, approve, return, reopen ---------------------------------------------------------

def test_submit_records_an_event_with_a_snapshot_and_mails_approvers(sheet, plan_year, people, django_capture_on_commit_callbacks):
    saved = save(sheet, plan_year, people.editor)
    with django_capture_on_commit_callbacks(execute=True):
        event = sheet_submit(sheet=saved, phase=Phase.PLAN, by=people.editor, expected_version=saved.version)
    sheet.refresh_from_db()
    assert sheet.plan_status == SheetStatus.SUBMITTED
    assert event.action == EventAction.SUBMIT and event.actor == people.editor
    assert len(event.snapshot["goals"]) == 3
    assert sorted(m.to[0] for m in mail.outbox) == sorted([people.approver.email, people.approver2.email])
    assert "提出" in mail.outbox[0].subject


def test_double_submit_submits_once(sheet, plan_year, people):
    saved = save(sheet, plan_year, people.editor)
    sheet_submit(sheet=saved, phase=Phase.PLAN, by=people.editor, expected_version=saved.version)
    refused("既に提出", lambda: sheet_submit(sheet=saved, phase=Phase.PLAN, by=people.editor,
                                            expected_version=saved.version), sheet)
    assert sheet.events.filter(action=EventAction.SUBMIT).count() == 1


def test_an_empty_sheet_cannot_be_submitted(sheet, people):
    refused("提出できません", lambda: sheet_submit(sheet=sheet, phase=Phase.PLAN, by=people.editor), sheet)
    sheet_save_plan(sheet=sheet, goals=[], expected_version=sheet.version, by=people.editor)
    refused("1件もありません", lambda: sheet_submit(sheet=sheet, phase=Phase.PLAN, by=people.editor), sheet)


def test_approve_and_mail_the_department(sheet, plan_year, people, django_capture_on_commit_callbacks):
    saved = save(sheet, plan_year, people.editor)
    sheet_submit(sheet=saved, phase=Phase.PLAN, by=people.editor)
    with django_capture_on_commit_callbacks(execute=True):
        sheet_approve(sheet=saved, phase=Phase.PLAN, by=people.approver)
    sheet.refresh_from_db()
    assert sheet.plan_status == SheetStatus.APPROVED
    assert [m.to for m in mail.outbox] == [["ed@example.jp"]]
    assert "承認" in mail.outbox[0].subject
    refused("承認済", lambda: save(sheet, plan_year, people.editor), sheet)


def test_only_submitted_sheets_are_approved_or_returned(sheet, plan_year, people):
    save(sheet, plan_year, people.editor)
    refused("提出されていない", lambda: sheet_approve(sheet=sheet, phase=Phase.PLAN, by=people.approver), sheet)
    refused("提出されていない", lambda: sheet_return(sheet=sheet, phase=Phase.PLAN, by=people.approver,
                                                    comment="x"), sheet)


def test_nobody_approves_what_they_submitted(plan_year, people):
    own = GoalSheet.objects.get(fiscal_year=plan_year, department=seed_department(SOUMU))
    approver = people.approver
    saved = save(own, plan_year, approver)
    sheet_submit(sheet=saved, phase=Phase.PLAN, by=approver)
    refused("自分が提出したシートは承認できません", lambda: sheet_approve(sheet=own, phase=Phase.PLAN, by=approver), own)
    sheet_approve(sheet=own, phase=Phase.PLAN, by=people.approver2)
    own.refresh_from_db()
    assert own.plan_status == SheetStatus.APPROVED


def test_return_needs_a_comment_then_resubmit(sheet, plan_year, people):
    saved = save(sheet, plan_year, people.editor)
    sheet_submit(sheet=saved, phase=Phase.PLAN, by=people.editor)
    refused("理由", lambda: sheet_return(sheet=sheet, phase=Phase.PLAN, by=people.approver, comment="  "), sheet)
    event = sheet_return(sheet=sheet, phase=Phase.PLAN, by=people.approver, comment="目標2をより具体的に。")
    sheet.refresh_from_db()
    assert sheet.plan_status == SheetStatus.RETURNED and event.comment == "目標2をより具体的に。"
    revised = sheet_save_plan(sheet=sheet, goals=goals(plan_year, 2), expected_version=sheet.version, by=people.editor)
    assert revised.plan_status == SheetStatus.RETURNED  # still 差戻し until 再提出
    sheet_submit(sheet=revised, phase=Phase.PLAN, by=people.editor)
    sheet.refresh_from_db()
    assert sheet.plan_status == SheetStatus.SUBMITTED
    actions = list(sheet.events.values_list("action", "actor", "channel"))
    saved_by_editor = (EventAction.SAVE, people.editor.pk, EventChannel.FORM)
    assert actions == [
        saved_by_editor,
        (EventAction.SUBMIT, people.editor.pk, ""),
        (EventAction.RETURN, people.approver.pk, ""),
        saved_by_editor,
        (EventAction.SUBMIT, people.editor.pk, ""),
    ]


def test_reopen_an_approved_plan_with_a_reason(sheet, plan_year, people):
    saved = save(sheet, plan_year, people.editor)
    sheet_submit(sheet=saved, phase=Phase.PLAN, by=people.editor)
    refused("承認されていない", lambda: sheet_reopen(sheet=sheet, phase=Phase.PLAN, by=people.approver,
                                                  reason="x"), sheet)
    sheet_approve(sheet=sheet, phase=Phase.PLAN, by=people.approver)
    refused("理由", lambda: sheet_reopen(sheet=sheet, phase=Phase.PLAN, by=people.approver, reason=""), sheet)
    sheet_reopen(sheet=sheet, phase=Phase.PLAN, by=people.approver, reason="組織改正のため修正")
    sheet.refresh_from_db()
    assert sheet.plan_status == SheetStatus.RETURNED
    assert sheet.events.last().action == EventAction.REOPEN


# --- results ----------------------------------------------------------------------------------

@pytest.fixture
def approved_plan(sheet, plan_year, people):
    saved = save(sheet, plan_year, people.editor)
    sheet_submit(sheet=saved, phase=Phase.PLAN, by=people.editor)
    sheet_approve(sheet=saved, phase=Phase.PLAN, by=people.approver)
    fiscal_year_set_phase(fiscal_year=plan_year, phase=Phase.PLAN, is_open=False)
    fiscal_year_set_phase(fiscal_year=plan_year, phase=Phase.RESULT, is_open=True)
    sheet.refresh_from_db()
    return sheet


def test_results_are_saved_submitted_and_approved(approved_plan, people):
    sheet = approved_plan
    results = [ResultInput(number=1, done="毎週確認しました。", achievement="概ね達成できました。"),
               ResultInput(number=2, omitted_reason="※総括を省略とします"),
               ResultInput(number=3, done="実施しました。")]
    saved = sheet_save_results(sheet=sheet, results=results, expected_version=sheet.version, by=people.editor)
    assert saved.result_status == SheetStatus.DRAFT
    sheet_submit(sheet=saved, phase=Phase.RESULT, by=people.editor)
    sheet_approve(sheet=saved, phase=Phase.RESULT, by=people.approver)
    sheet.refresh_from_db()
    assert sheet.result_status == SheetStatus.APPROVED
    content = sheet_content(sheet)["goals"]
    assert content[1]["result"]["is_omitted"] and content[1]["result"]["done"] == ""


def test_results_must_cover_every_goal_before_submission(approved_plan, people):
    sheet = approved_plan
    saved = sheet_save_results(sheet=sheet, results=[ResultInput(number=1, done="実施しました。")],
                               expected_version=sheet.version, by=people.editor)
    refused("目標2・目標3の実施結果が未入力", lambda: sheet_submit(sheet=saved, phase=Phase.RESULT, by=people.editor), sheet)


def test_results_wait_for_the_approved_plan_and_the_open_phase(sheet, plan_year, people):
    save(sheet, plan_year, people.editor)
    call = lambda: sheet_save_results(sheet=sheet, results=[], expected_version=None, by=people.editor)  # noqa: E731
    refused("受付は終了", call, sheet)
    fiscal_year_set_phase(fiscal_year=plan_year, phase=Phase.PLAN, is_open=False)
    fiscal_year_set_phase(fiscal_year=plan_year, phase=Phase.RESULT, is_open=True)
    refused("目標が承認されるまで", call, sheet)


def test_a_rating_of_another_year_is_refused(approved_plan, seed_year, people):
    foreign = RatingLevel.objects.create(fiscal_year=seed_year, order=1, label="達成")
    refused("達成度評価", lambda: sheet_save_results(
        sheet=approved_plan, results=[ResultInput(number=1, done="x", rating=foreign)],
        expected_version=approved_plan.version, by=people.editor), approved_plan)


def test_plan_approval_cannot_be_reopened_once_results_started(approved_plan, people):
    sheet_save_results(sheet=approved_plan, results=[ResultInput(number=1, done="x")],
                       expected_version=approved_plan.version, by=people.editor)
    refused("実績の入力が始まっている", lambda: sheet_reopen(sheet=approved_plan, phase=Phase.PLAN,
                                                         by=people.approver, reason="修正"), approved_plan)


# --- phases -----------------------------------------------------------------------------------

def test_result_phase_opens_only_after_the_plan_phase_closed(plan_year):
    with pytest.raises(GoalsError, match="目標設定の受付を終了してから"):
        fiscal_year_set_phase(fiscal_year=plan_year, phase=Phase.RESULT, is_open=True)
    fiscal_year_set_phase(fiscal_year=plan_year, phase=Phase.PLAN, is_open=False)
    fiscal_year_set_phase(fiscal_year=plan_year, phase=Phase.RESULT, is_open=True)
    with pytest.raises(GoalsError, match="目標設定を再開できません"):
        fiscal_year_set_phase(fiscal_year=plan_year, phase=Phase.PLAN, is_open=True)
    plan_year.refresh_from_db()
    assert not plan_year.plan_open and plan_year.result_open
    assert FiscalYear.objects.filter(pk=plan_year.pk, result_open=True).exists()
