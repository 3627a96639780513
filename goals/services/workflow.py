"""The review workflow: 提出, 承認, 差戻し and 承認取消, for the plan and for the results.

Each step locks the sheet, checks the state it starts from, changes it, writes a ReviewEvent with
the sheet's content at that moment, and tells the people concerned by e-mail once committed.
"""

from django.db import transaction

from goals import notifications
from goals.models import EventAction, Phase, ReviewEvent, SheetStatus
from goals.selectors import sheet_content
from goals.services.editing import check_version, lock_sheet
from goals.services.errors import GoalsError

_STATUS_FIELD = {Phase.PLAN: "plan_status", Phase.RESULT: "result_status"}


def _status(sheet, phase):
    return getattr(sheet, _STATUS_FIELD[phase])


def _transition(sheet, phase, status, *, action, by, comment=""):
    setattr(sheet, _STATUS_FIELD[phase], status)
    sheet.version += 1
    sheet.save(update_fields=[_STATUS_FIELD[phase], "version", "updated_at"])
    event = ReviewEvent.objects.create(
        sheet=sheet, phase=phase, action=action, actor=by, comment=comment, snapshot=sheet_content(sheet)
    )
    transaction.on_commit(lambda: notifications.sheet_event(event))
    return event


def last_submitter(sheet, phase):
    """Who submitted the sheet's current version for this phase, or None."""
    event = sheet.events.filter(phase=phase, action=EventAction.SUBMIT).order_by("-created_at", "-pk").first()
    return event.actor if event else None


@transaction.atomic
def sheet_submit(*, sheet, phase, by, expected_version=None):
    """提出: a draft or returned sheet goes to 総務課. A second click on the same version is refused."""
    sheet = lock_sheet(sheet.pk)
    if _status(sheet, phase) == SheetStatus.SUBMITTED:
        raise GoalsError("このシートは既に提出されています。")
    check_version(sheet, expected_version)
    if _status(sheet, phase) not in (SheetStatus.DRAFT, SheetStatus.RETURNED):
        raise GoalsError(f"「{SheetStatus(_status(sheet, phase)).label}」のシートは提出できません。")
    _check_phase_open(sheet.fiscal_year, phase)
    _check_complete(sheet, phase)
    return _transition(sheet, phase, SheetStatus.SUBMITTED, action=EventAction.SUBMIT, by=by)


def _check_phase_open(fiscal_year, phase):
    is_open = fiscal_year.plan_open if phase == Phase.PLAN else fiscal_year.result_open
    if not is_open:
        raise GoalsError(f"{Phase(phase).label}の受付は終了しています。")


def _check_complete(sheet, phase):
    goals = list(sheet.goals.select_related("result"))
    if not goals:
        raise GoalsError("目標が1件もありません。目標を入力してから提出してください。")
    if phase == Phase.RESULT:
        missing = [g.number for g in goals if not _has_result(g)]
        if missing:
            numbers = "・".join(f"目標{n}" for n in missing)
            raise GoalsError(f"{numbers}の実施結果が未入力です。入力するか、省略の理由を記入してください。")


def _has_result(goal):
    result = getattr(goal, "result", None)
    return result is not None and (result.is_omitted or result.done.strip())


@transaction.atomic
def sheet_approve(*, sheet, phase, by):
    """承認: only a submitted sheet, and never by the person who submitted it."""
    sheet = lock_sheet(sheet.pk)
    if _status(sheet, phase) != SheetStatus.SUBMITTED:
        raise GoalsError("提出されていないシートは承認できません。")
    if last_submitter(sheet, phase) == by:
        raise GoalsError("自分が提出したシートは承認できません。別の承認者に承認を依頼してください。")
    return _transition(sheet, phase, SheetStatus.APPROVED, action=EventAction.APPROVE, by=by)


@transaction.atomic
def sheet_return(*, sheet, phase, by, comment):
    """差戻し: a submitted sheet goes back to the department with a comment saying what to change."""
    comment = (comment or "").strip()
    if not comment:
        raise GoalsError("差戻しの理由 (コメント) を入力してください。")
    sheet = lock_sheet(sheet.pk)
    if _status(sheet, phase) != SheetStatus.SUBMITTED:
        raise GoalsError("提出されていないシートは差し戻せません。")
    return _transition(sheet, phase, SheetStatus.RETURNED, action=EventAction.RETURN, by=by, comment=comment)


@transaction.atomic
def sheet_reopen(*, sheet, phase, by, reason):
    """承認取消: an approved sheet is returned for correction, with the reason recorded."""
    reason = (reason or "").strip()
    if not reason:
        raise GoalsError("承認を取り消す理由を入力してください。")
    sheet = lock_sheet(sheet.pk)
    if _status(sheet, phase) != SheetStatus.APPROVED:
        raise GoalsError("承認済みでないシートの承認は取り消せません。")
    if phase == Phase.PLAN and sheet.result_status != SheetStatus.NOT_STARTED:
        raise GoalsError("実績の入力が始まっているため、目標の承認は取り消せません。")
    return _transition(sheet, phase, SheetStatus.RETURNED, action=EventAction.REOPEN, by=by, comment=reason)
