"""E-mail to the people a workflow step concerns. Sent after the transaction commits."""

from django.conf import settings
from django.core.mail import send_mass_mail
from django.urls import reverse

from departments.models import Membership, Role
from departments.people import person_name
from goals.models import EventAction


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
    """Tell the people concerned what happened to the sheet."""
    sheet = event.sheet
    to = recipients(sheet, event.action)
    if not to:
        return 0
    subject = f"[{sheet.fiscal_year.label}] {sheet.department} の{event.get_phase_display()}が{event.get_action_display()}されました"
    lines = [
        f"{sheet.fiscal_year.office} {sheet.fiscal_year.full_label}",
        f"部署: {sheet.department}",
        f"段階: {event.get_phase_display()}",
        f"操作: {event.get_action_display()} ({person_name(event.actor)})",
    ]
    if event.comment:
        lines += ["", "コメント:", event.comment]
    lines += ["", f"シート: {sheet_url(sheet)}"]
    return send_mass_mail([(subject, "\n".join(lines), settings.DEFAULT_FROM_EMAIL, [address]) for address in to])
