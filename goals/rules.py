"""The workflow's rule book: for each step, why it cannot be taken now, or None when it can.

The services raise GoalsError with these answers, evaluated on the locked, fresh row; the pages
ask the same functions which buttons to offer and what to say about a step that is refused. A
rule changes here, once (STYLE move 11).

Who may act on a department at all (editor, approver, viewer) is decided by
departments.permissions before a step is reached; a rule here that depends on the person takes
them as `by`.
"""

from goals.models import MAX_GOALS_PER_SHEET, EventAction, Phase, SheetStatus

# A sheet in these statuses is with its department, which may still change it.
EDITABLE_STATUSES = (SheetStatus.NOT_STARTED, SheetStatus.DRAFT, SheetStatus.RETURNED)
SUBMITTABLE_STATUSES = (SheetStatus.DRAFT, SheetStatus.RETURNED)

# 差戻し and 承認取消 say why (the form and the service ask in the same words).
RETURN_REASON_REQUIRED = "差戻しの理由を入力してください。"
REOPEN_REASON_REQUIRED = "承認を取り消す理由を入力してください。"

OWN_SUBMISSION = "自分が提出したシートは承認できません。別の承認者に承認を依頼してください。"
OWN_CONTENT = "このシートの内容を入力した人や取り込んだ人は、承認できません。別の承認者に承認を依頼してください。"

# The events the approval rules read: who submitted, who changed the content, and the approvals
# (a 取込 from a published table counts as one) after which earlier changes have been vetted.
AUTHORSHIP_ACTIONS = (EventAction.SUBMIT, EventAction.SAVE, EventAction.APPROVE, EventAction.IMPORT)


def accepts_entries(sheet, phase) -> bool:
    """Whether the sheet's 目標設定 or 実績報告 takes entries: the ward's phase is open, or this
    sheet's phase alone is open for correction (訂正: opens_correction) until approved again."""
    return sheet.fiscal_year.is_open(phase) or sheet.correction == Phase(phase)


def _phase_closed(sheet, phase) -> str | None:
    """目標設定 or 実績報告 is not taking entries for this sheet."""
    if not accepts_entries(sheet, phase):
        return f"{Phase(phase).label}の受付は終了しています。"
    return None


def opens_correction(sheet, phase) -> bool:
    """A 差戻し or 承認取消 taken while the ward's phase is closed opens that phase of this sheet
    alone for correction (GoalSheet.correction): its department, or 総務課 for it, corrects and
    submits it, and another approver's 承認 closes it again. The other sheets stay closed. (A
    sheet sent back before the ward closes the phase stays open the same way: fiscal_year_set_phase.)"""
    return not sheet.fiscal_year.is_open(phase)


def correction_note(sheet, phase) -> str:
    """What a 差戻し or 承認取消 of a closed phase does, said on its confirm page ("" while open)."""
    if not opens_correction(sheet, phase):
        return ""
    label = Phase(phase).label
    return (
        f"{label}の受付は区役所全体では終了しています。この操作をすると、{sheet.department.name}の"
        f"{label}だけが訂正のために開きます (ほかの部署のシートは開きません)。部署の担当者、または総務課が"
        "代理入力で内容を直して提出し、別の承認者が承認すると、再び閉じます。"
        "公表済みの表は、その後に訂正版を公表するまで変わりません。"
    )


def takes_entries(fiscal_year) -> bool:
    """Whether the year is being worked on (目標設定 or 実績報告 open). Content imported into such a
    year is a department's like any other and is reviewed; a closed year holds a published record."""
    return fiscal_year.plan_open or fiscal_year.result_open


# --- 編集 ---------------------------------------------------------------------------------------


def edit_plan_refusal(sheet) -> str | None:
    """Saving the goals: while 目標設定 takes entries (the ward's, or this sheet's 訂正) and the
    goals are still with the department."""
    if closed := _phase_closed(sheet, Phase.PLAN):
        return closed
    if sheet.plan_status not in EDITABLE_STATUSES:
        return f"このシートは「{sheet.get_plan_status_display()}」のため編集できません。"
    return None


def edit_results_refusal(sheet) -> str | None:
    """Saving the results: while 実績報告 takes entries (as for the goals), once the goals are
    approved, until submitted."""
    if closed := _phase_closed(sheet, Phase.RESULT):
        return closed
    if sheet.plan_status != SheetStatus.APPROVED:
        return "目標が承認されるまで、実績は入力できません。"
    if sheet.result_status not in EDITABLE_STATUSES:
        return f"このシートの実績は「{sheet.get_result_status_display()}」のため編集できません。"
    return None


def imported_results_refusal(sheet) -> str | None:
    """Results from a table import: into a sheet whose 実績報告 takes entries (its goals approved)
    and holds nothing yet; a department's own draft is never written over."""
    if refusal := edit_results_refusal(sheet):
        return refusal
    if sheet.result_status != SheetStatus.NOT_STARTED:
        return f"実績が既に入力されています (「{sheet.get_result_status_display()}」)。"
    return None


def edit_refusal(sheet, phase) -> str | None:
    """Saving the goals (目標設定) or the results (実績報告)."""
    return edit_plan_refusal(sheet) if Phase(phase) == Phase.PLAN else edit_results_refusal(sheet)


def writing_phase(sheet) -> Phase:
    """The phase the department writes now: 実績報告 once the goals are approved and it takes entries."""
    if sheet.plan_status == SheetStatus.APPROVED and accepts_entries(sheet, Phase.RESULT):
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
    return _phase_closed(sheet, phase) or _incomplete(sheet, phase, goals)


NO_GOALS = "目標が1件もありません。目標を入力してから提出してください。"
NO_RESULTS = "実施結果が1件も入力されていません。実施結果 (または省略の理由) を入力してから提出してください。"


def nothing_to_submit(phase, *, goals: int, results: int = 0) -> str | None:
    """提出 of nothing: a plan without a goal, or results without a single 実施結果 (or omission).

    Asked of the sheet as stored (submit_refusal), and by the goals and results forms of what
    they are about to save before 保存して提出: pressing it on an untouched form saves nothing.
    """
    if not goals:
        return NO_GOALS
    if Phase(phase) == Phase.RESULT and not results:
        return NO_RESULTS
    return None


def has_result(*, done: str, is_omitted: bool) -> bool:
    """A goal's result counts as written: its 実施結果, or its omission (with the reason)."""
    return bool(is_omitted or done.strip())


def _incomplete(sheet, phase, goals):
    goals = list(sheet.goals.select_related("result") if goals is None else goals)
    written = [goal for goal in goals if _has_result(goal)]
    if empty := nothing_to_submit(phase, goals=len(goals), results=len(written)):
        return empty
    if Phase(phase) == Phase.RESULT and len(written) < len(goals):
        numbers = "・".join(f"目標{goal.number}" for goal in goals if goal not in written)
        return f"{numbers}の実施結果が未入力です。入力するか、省略の理由を記入してください。"
    return None


def _has_result(goal):
    result = getattr(goal, "result", None)
    return result is not None and has_result(done=result.done, is_omitted=result.is_omitted)


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


def approvers_who_may_approve(sheet, phase, approvers, *, events=None) -> list:
    """Those of `approvers` (the office's) whom approve_refusal lets approve the submitted phase."""
    events = _phase_events(sheet, phase, events)
    return [person for person in approvers if approve_refusal(sheet, phase, by=person, events=events) is None]


NO_OTHER_APPROVER = (
    "この区役所には、このシートを承認できる承認者がほかにいません。"
    "総務課の承認者が「職員の管理」で2人目の承認者を登録するか、情報システム担当に登録を依頼してください。"
)


def who_may_approve(names) -> str:
    """Said where 承認 is refused to its writer or submitter: who can approve instead, by name."""
    if not names:
        return NO_OTHER_APPROVER
    return f"このシートを承認できるのは、{'、'.join(f'{name} さん' for name in names)}です。"


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
        return "承認されていないシートの承認は取り消せません。"
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


# --- 年度の設定 -----------------------------------------------------------------------------------

MAX_GOALS_RANGE = f"目標数の上限は1〜{MAX_GOALS_PER_SHEET}の整数で入力してください。"
# Departments named in a refusal; the rest are counted.
NAMED_SHEETS = 5


def max_goals_refusal(max_goals, *, sheets_over) -> str | None:
    """目標数の上限: 1 to MAX_GOALS_PER_SHEET, and never below a goal a sheet already has.

    Lowering it must leave every goal where the form, the workbook and the imports can still
    reach it: an approved or published goal is never hidden, and a draft still saves. Raising it
    changes nothing already written. `sheets_over`: the year's sheets with a goal numbered past
    `max_goals`, as (department name, highest goal number, plan status), most goals first.
    """
    if not 1 <= max_goals <= MAX_GOALS_PER_SHEET:
        return MAX_GOALS_RANGE
    if not sheets_over:
        return None
    named = [
        f"{name} (目標{highest}まで・{SheetStatus(status).label})"
        for name, highest, status in sheets_over[:NAMED_SHEETS]
    ]
    more = len(sheets_over) - len(named)
    listed = "、".join(named) + (f" ほか{more}部署" if more else "")
    refusal = (
        f"目標数の上限を{max_goals}件にはできません。次の部署のシートに目標{max_goals + 1}以降があります: {listed}。"
        f"上限を下げるには、先にこれらのシートの目標を目標{max_goals}までにしてください。"
    )
    if any(status == SheetStatus.APPROVED for _name, _highest, status in sheets_over):
        refusal += "承認済みのシートは、承認を取り消してから部署が直します。"
    return refusal


# --- 最初の年度 -----------------------------------------------------------------------------------


def first_year_refusal(*, has_year: bool, departments: int) -> str | None:
    """Why an office's first year cannot be opened now (None when it can): it has a year already,
    from which the next is opened, or no active department that writes goals, to give a sheet."""
    if has_year:
        return "この区役所には既に年度があります。次の年度は、最新の年度から開始してください。"
    if not departments:
        return (
            "目標シートを作成する有効な部署がありません。"
            "先に「部署と区分の取込」で部署を登録してください。"
        )
    return None
