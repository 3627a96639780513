"""The review workflow: 提出, 承認, 差戻し and 承認取消, for the plan and for the results.

Each step locks the sheet, asks the rule book (goals.rules) whether it may start from the fresh
row, changes it, writes a ReviewEvent with the sheet's content at that moment, and tells the
people concerned by e-mail once committed.

A review step carries the version of the sheet its page showed (`expected_version`): a sheet that
changed since (returned, revised and submitted again meanwhile) is refused with StaleSheetError,
so nobody approves, returns or reopens content they have not seen. The pages always send it;
callers without a page (commands, imports) pass None.
"""

from django.db import transaction

from departments.permissions import is_proxy
from goals import notifications, rules
from goals.models import EventAction, EventChannel, GoalSheet, Phase, ReviewEvent, SheetStatus
from goals.selectors import sheet_content
from goals.services.content import SheetData, sheet_fill_empty, sheet_write_approved
from goals.services.editing import ResultInput, check_version, lock_sheet, record_save, write_results
from goals.services.errors import GoalsError, refuse
from goals.validators import normalise_text, text_problem

STALE_REVIEW = (
    "このシートは、あなたが確認画面を開いた後に更新されました。入力内容は残してあります。"
    "現在の内容と変更点を確認してから、もう一度操作してください。"
)


def _transition(sheet, phase, status, *, action, by, comment="", channel=""):
    field = GoalSheet.status_field(phase)
    setattr(sheet, field, status)
    _set_correction(sheet, phase, status)
    sheet.version += 1
    sheet.save(update_fields=[field, "correction", "version", "updated_at"])
    event = ReviewEvent.objects.create(
        sheet=sheet,
        phase=phase,
        action=action,
        actor=by,
        comment=comment,
        channel=channel,
        # 代理入力: a 提出 by someone who is not the department's editor (as they are now).
        on_behalf=action == EventAction.SUBMIT and is_proxy(by, sheet.department),
        sheet_version=sheet.version,
        snapshot=sheet_content(sheet),
    )
    transaction.on_commit(lambda: notifications.sheet_event(event))
    return event


def _set_correction(sheet, phase, status):
    """Sent back while the ward's phase is closed: that phase of this sheet opens for correction
    (goals.rules.opens_correction). Approved: a correction of the phase is over."""
    if status == SheetStatus.RETURNED and rules.opens_correction(sheet, phase):
        sheet.correction = Phase(phase)
    elif status == SheetStatus.APPROVED and sheet.correction == phase:
        sheet.correction = ""


def _comment(text, label):
    """A review comment as stored (wardservice.text), refused with a message naming it."""
    problem = text_problem(text or "")
    if problem:
        raise GoalsError(f"{label}に{problem}")
    return normalise_text(text)


@transaction.atomic
def sheet_submit(*, sheet, phase, by, expected_version=None):
    """提出: a draft or returned sheet goes to 総務課. A second click on the same version is refused."""
    sheet = lock_sheet(sheet.pk)
    refuse(rules.already_submitted(sheet, phase))  # a double click hears this, not "stale page"
    check_version(sheet, expected_version)
    refuse(rules.submit_refusal(sheet, phase))
    return _transition(sheet, phase, SheetStatus.SUBMITTED, action=EventAction.SUBMIT, by=by)


def _reviewed(sheet, expected_version):
    """The sheet locked, refused when it changed since the reviewer's page showed it."""
    sheet = lock_sheet(sheet.pk)
    check_version(sheet, expected_version, STALE_REVIEW)
    return sheet


@transaction.atomic
def sheet_approve(*, sheet, phase, by, expected_version=None):
    """承認: only a submitted sheet, never by its submitter nor by anyone who wrote its content
    (代理入力 included). It closes a correction of the phase (訂正: _set_correction)."""
    sheet = _reviewed(sheet, expected_version)
    refuse(rules.approve_refusal(sheet, phase, by=by))
    return _transition(sheet, phase, SheetStatus.APPROVED, action=EventAction.APPROVE, by=by)


@transaction.atomic
def sheet_return(*, sheet, phase, by, comment, expected_version=None):
    """差戻し: a submitted sheet goes back to the department with a comment saying what to change."""
    comment = _comment(comment, "差戻しの理由")
    if not comment:
        raise GoalsError(rules.RETURN_REASON_REQUIRED)
    sheet = _reviewed(sheet, expected_version)
    refuse(rules.return_refusal(sheet, phase))
    return _transition(sheet, phase, SheetStatus.RETURNED, action=EventAction.RETURN, by=by, comment=comment)


@transaction.atomic
def sheet_reopen(*, sheet, phase, by, reason, expected_version=None):
    """承認取消: an approved sheet is returned for correction, with the reason recorded. In a phase
    the ward has closed, that phase of this sheet alone opens for it (訂正: _set_correction)."""
    reason = _comment(reason, "承認を取り消す理由")
    if not reason:
        raise GoalsError(rules.REOPEN_REASON_REQUIRED)
    sheet = _reviewed(sheet, expected_version)
    refuse(rules.reopen_refusal(sheet, phase))
    return _transition(sheet, phase, SheetStatus.RETURNED, action=EventAction.REOPEN, by=by, comment=reason)


# --- Content brought in by a table import ------------------------------------------------------

IMPORT_SUBMISSION = "取り込んだ内容を、部署に代わって提出しました。"


@transaction.atomic
def sheet_write_imported(*, sheet, data: SheetData, has_results: bool, by=None, comment=""):
    """Store a department's content from a table import into a sheet that holds nothing yet.

    A year that takes no entries (a past year brought in from its published table) gets it as
    approved, as it was published. A year being worked on gets it as the department's sheet
    submitted on its behalf by the importer (保存 and 提出, channel 取込): another approver
    reviews it, since the importer wrote it (goals.rules.approve_refusal).
    """
    if not rules.takes_entries(sheet.fiscal_year):
        return sheet_write_approved(sheet=sheet, data=data, has_results=has_results, by=by, comment=comment)
    sheet = lock_sheet(sheet.pk)
    sheet_fill_empty(sheet=sheet, data=data, has_results=has_results)
    sheet.plan_status = SheetStatus.DRAFT
    sheet.version += 1
    sheet.save(update_fields=["plan_status", "version", "updated_at"])
    for phase in [Phase.PLAN, Phase.RESULT] if has_results else [Phase.PLAN]:
        record_save(sheet, phase, by=by, channel=EventChannel.IMPORT, comment=comment)
    return _submit_imported(sheet, Phase.PLAN, by=by)


def _submit_imported(sheet, phase, *, by):
    """提出 on the department's behalf by the importer (channel 取込), after its 保存."""
    refuse(rules.submit_refusal(sheet, phase))
    _transition(
        sheet,
        phase,
        SheetStatus.SUBMITTED,
        action=EventAction.SUBMIT,
        by=by,
        comment=IMPORT_SUBMISSION,
        channel=EventChannel.IMPORT,
    )
    return sheet


@transaction.atomic
def sheet_write_imported_results(*, sheet, results: list[ResultInput], by=None, comment=""):
    """Store a department's results from a table import into a sheet whose goals are approved and
    whose 実績報告 takes entries and holds nothing yet: saved (channel 取込) and submitted on the
    department's behalf by the importer, as sheet_write_imported does a plan. Another approver
    reviews them (goals.rules.approve_refusal: the importer wrote them).
    """
    sheet = lock_sheet(sheet.pk)
    refuse(rules.imported_results_refusal(sheet))
    write_results(sheet, results)
    record_save(sheet, Phase.RESULT, by=by, channel=EventChannel.IMPORT, comment=comment)
    return _submit_imported(sheet, Phase.RESULT, by=by)
