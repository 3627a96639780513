"""The workflow's rule book: for each step, why it cannot be taken now, or None when it can.

The services raise GoalsError with these answers, evaluated on the locked, fresh row; the pages
ask the same functions which buttons to offer and what to say about a step that is refused. A
rule changes here, once (STYLE move 11).

Who may act on a department at all (editor, approver, viewer) is decided by
departments.permissions before a step is reached; a rule here that depends on the person takes
them as `by`.
"""

from goals.models import EventAction, Phase, SheetStatus

# A sheet in these statuses is with its department, which may still change it.
EDITABLE_STATUSES = (SheetStatus.NOT_STARTED, SheetStatus.DRAFT, SheetStatus.RETURNED)
SUBMITTABLE_STATUSES = (SheetStatus.DRAFT, SheetStatus.RETURNED)

# 差戻し and 承認取消 say why (the form and the service ask in the same words).
RETURN_REASON_REQUIRED = "差戻しの理由を入力してください。"
REOPEN_REASON_REQUIRED = "承認を取り消す理由を入力してください。"

OWN_SUBMISSION = "自分が提出したシートは承認できません。別の承認者に承認を依頼してください。"
OWN_CONTENT = "このシートの内容を入力・取込した人は承認できません。別の承認者に承認を依頼してください。"

# The events the approval rules read: who submitted, who changed the content, and the approvals
# (a 取込 from a published table counts as one) after which earlier changes have been vetted.
AUTHORSHIP_ACTIONS = (EventAction.SUBMIT, EventAction.SAVE, EventAction.APPROVE, EventAction.IMPORT)


def _phase_closed(fiscal_year, phase) -> str | None:
    """目標設定 or 実績報告 is not taking entries."""
    if not fiscal_year.is_open(phase):
        return f"{Phase(phase).label}の受付は終了しています。"
    return None


def takes_entries(fiscal_year) -> bool:
    """Whether the year is being worked on (目標設定 or 実績報告 open). Content imported into such a
    year is a department's like any other and is reviewed; a closed year holds a published record."""
    return fiscal_year.plan_open or fiscal_year.result_open


# --- 編集 ---------------------------------------------------------------------------------------


def edit_plan_refusal(sheet) -> str | None:
    """Saving the goals: while 目標設定 is open and the goals are still with the department."""
    if closed := _phase_closed(sheet.fiscal_year, Phase.PLAN):
        return closed
    if sheet.plan_status not in EDITABLE_STATUSES:
        return f"このシートは「{sheet.get_plan_status_display()}」のため編集できません。"
    return None


def edit_results_refusal(sheet) -> str | None:
    """Saving the results: while 実績報告 is open, once the goals are approved, until submitted."""
    if closed := _phase_closed(sheet.fiscal_year, Phase.RESULT):
        return closed
    if sheet.plan_status != SheetStatus.APPROVED:
        return "目標が承認されるまで、実績は入力できません。"
    if sheet.result_status not in EDITABLE_STATUSES:
        return f"このシートの実績は「{sheet.get_result_status_display()}」のため編集できません。"
    return None


def edit_refusal(sheet, phase) -> str | None:
    """Saving the goals (目標設定) or the results (実績報告)."""
    return edit_plan_refusal(sheet) if Phase(phase) == Phase.PLAN else edit_results_refusal(sheet)


def writing_phase(sheet) -> Phase:
    """The phase the department writes now: 実績報告 once the goals are approved and it is open."""
    if sheet.plan_status == SheetStatus.APPROVED and sheet.fiscal_year.result_open:
        return Phase.RESULT
    return Phase.PLAN


def entry_workbook_refusal(sheet) -> str | None:
    """The Excel entry workbook is for the phase being written, and only while it can be saved."""
    return edit_refusal(sheet, writing_phase(sheet))


# --- 提出 ---------------------------------------------------------------------------------------


def already_submitted(sheet, phase) -> str | None:
    """A second 提出 (a double click): said before the page's version is looked at."""
    if sheet.status_for(phase) == SheetStatus.SUBMITTED:
        return "このシートは既に提出されています。"
    return None


def submit_refusal(sheet, phase, *, goals=None) -> str | None:
    """提出: a draft or returned sheet, in an open phase, with its goals (and results) written.

    `goals`: the sheet's goals with their results, when the caller has them; else they are read.
    """
    if submitted := already_submitted(sheet, phase):
        return submitted
    status = sheet.status_for(phase)
    if status not in SUBMITTABLE_STATUSES:
        return f"「{SheetStatus(status).label}」のシートは提出できません。"
    return _phase_closed(sheet.fiscal_year, phase) or _incomplete(sheet, phase, goals)


def _incomplete(sheet, phase, goals):
    goals = list(sheet.goals.select_related("result") if goals is None else goals)
    if not goals:
        return "目標が1件もありません。目標を入力してから提出してください。"
    if Phase(phase) == Phase.RESULT:
        missing = [goal.number for goal in goals if not _has_result(goal)]
        if missing:
            numbers = "・".join(f"目標{number}" for number in missing)
            return f"{numbers}の実施結果が未入力です。入力するか、省略の理由を記入してください。"
    return None


def _has_result(goal):
    result = getattr(goal, "result", None)
    return result is not None and bool(result.is_omitted or result.done.strip())


# --- 承認 / 差戻し / 承認取消 ----------------------------------------------------------------


def approve_refusal(sheet, phase, *, by, events=None) -> str | None:
    """承認: only a submitted sheet, never by the person who submitted it, and never by anyone who
    wrote any of the content being approved (content_authors), whatever the channel.

    `events`: the sheet's review events oldest first (at least the phase's AUTHORSHIP_ACTIONS),
    when the caller has them; else they are read.
    """
    if sheet.status_for(phase) != SheetStatus.SUBMITTED:
        return "提出されていないシートは承認できません。"
    events = _phase_events(sheet, phase, events)
    by_id = getattr(by, "pk", None)
    if _submitter_id(events) == by_id:
        return OWN_SUBMISSION
    if by_id in content_authors(events):
        return OWN_CONTENT
    return None


def content_authors(events) -> set:
    """The ids of everyone who saved the phase's content since it was last approved (or ever, if it
    never was), through the form, the Excel workbook or an import, for themselves or on a
    department's behalf.

    Content that someone else approved has been vetted: changes made before that approval do not
    bar their author from approving later ones. A 差戻し or 承認取消 does not reset anything: what
    was written before it may still be in the sheet. `events`: one phase's, oldest first.
    """
    authors = set()
    for event in events:
        if event.action in (EventAction.APPROVE, EventAction.IMPORT):
            authors.clear()
        elif event.action == EventAction.SAVE and event.actor_id is not None:
            authors.add(event.actor_id)
    return authors


def return_refusal(sheet, phase) -> str | None:
    """差戻し: only a submitted sheet. (The comment it needs is checked with the input.)

    Anyone who may review may return, the content's own authors too: a return makes nothing
    official, it only sends the sheet back to its department.
    """
    if sheet.status_for(phase) != SheetStatus.SUBMITTED:
        return "提出されていないシートは差し戻せません。"
    return None


def reopen_refusal(sheet, phase) -> str | None:
    """承認取消: an approved sheet; goals stay fixed once results are being written against them.

    Like 差戻し, open to the content's authors: it sends the sheet back, it approves nothing.
    """
    if sheet.status_for(phase) != SheetStatus.APPROVED:
        return "承認済みでないシートの承認は取り消せません。"
    if Phase(phase) == Phase.PLAN and sheet.result_status != SheetStatus.NOT_STARTED:
        return "実績の入力が始まっているため、目標の承認は取り消せません。"
    return None


def _phase_events(sheet, phase, events=None) -> list:
    """The phase's events the approval rules read, oldest first: from `events`, else from the database."""
    if events is None:
        return list(
            sheet.events.filter(phase=phase, action__in=AUTHORSHIP_ACTIONS)
            .only("phase", "action", "actor", "created_at")
            .order_by("created_at", "pk")
        )
    return [event for event in events if event.phase == phase]


def _submitter_id(events):
    """The id of the person who made the latest 提出 among one phase's events, or None."""
    submits = [event for event in events if event.action == EventAction.SUBMIT]
    return submits[-1].actor_id if submits else None
