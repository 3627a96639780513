"""E-mail to the people a workflow step concerns, put in the outbox (wardservice.mail) after the
step's transaction commits and sent from there by a background task."""

import logging

from django.conf import settings
from django.urls import reverse

from departments.models import Membership, Role
from departments.people import person_name
from goals.models import EventAction
from wardservice.mail import Message, mail_queue, mail_record_unbuilt
from wardservice.models import MailKind

logger = logging.getLogger(__name__)


def sheet_url(sheet):
    path = reverse(
        "goals:sheet",
        kwargs={"office": sheet.fiscal_year.office.slug, "year": sheet.fiscal_year.year, "code": sheet.department.code},
    )
    return settings.SITE_URL.rstrip("/") + path


def recipients(sheet, action):
    """Approvers of the office for a submission; the department's editors for a decision."""
    if action == EventAction.SUBMIT:
        members = Membership.objects.filter(department__office=sheet.fiscal_year.office, role=Role.APPROVER)
    else:
        members = Membership.objects.filter(department=sheet.department, role=Role.EDITOR)
    emails = members.exclude(user__email="").filter(user__is_active=True).values_list("user__email", flat=True)
    return sorted(set(emails))


def sheet_event(event):
    """Tell the people concerned what happened to the sheet; return how many messages were queued.

    Runs after the step has committed, so nothing here may fail it: an error in writing or
    queueing the messages is logged, and kept in the outbox as 失敗 where it can be.
    """
    office = None
    try:
        office = event.sheet.fiscal_year.office
        return len(mail_queue(sheet_event_messages(event), kind=MailKind.NOTIFICATION, office=office))
    except Exception as error:
        logger.error("Notification of review event %s could not be queued", event.pk, exc_info=True)
        what = f"{event.get_phase_display()}の{event.get_action_display()}の通知 (シート {event.sheet_id})"
        mail_record_unbuilt(kind=MailKind.NOTIFICATION, office=office, what=what, error=error)
        return 0


# What happened, in the passive the department reads it in: "…の目標設定が差し戻されました".
HAPPENED = {
    EventAction.SUBMIT: "{what}が提出されました",
    EventAction.APPROVE: "{what}が承認されました",
    EventAction.RETURN: "{what}が差し戻されました",
    EventAction.REOPEN: "{what}の承認が取り消されました",
}


def sheet_event_messages(event) -> list[Message]:
    sheet = event.sheet
    what = f"{sheet.department}の{event.get_phase_display()}"
    happened = HAPPENED.get(event.action, "{what}: {action}").format(what=what, action=event.get_action_display())
    subject = f"[{sheet.fiscal_year.label}] {happened}"
    lines = [
        f"{sheet.fiscal_year.office} {sheet.fiscal_year.full_label}",
        f"部署: {sheet.department}",
        f"段階: {event.get_phase_display()}",
        f"操作: {event.get_action_display()} ({person_name(event.actor)})",
    ]
    if event.comment:
        lines += ["", "コメント:", event.comment]
    lines += ["", f"シート: {sheet_url(sheet)}"]
    body = "\n".join(lines)
    return [Message(to=address, subject=subject, body=body) for address in recipients(sheet, event.action)]
