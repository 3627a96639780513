"""総務課's page of the notifications that could not be delivered, and sending one again.

The messages themselves live in the installation's outbox (wardservice.mail); this page shows an
office's approvers their office's messages.
"""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_POST, require_safe

from departments.models import Office
from departments.permissions import require
from wardservice.mail import MAX_ATTEMPTS, mail_retry, undelivered_mail
from wardservice.models import MailStatus, OutgoingMail


def _office(request, slug):
    """The office, for its approvers (403 for a viewer of the office, 404 for anyone else)."""
    office = Office.objects.filter(slug=slug).first()
    if office is None:
        raise Http404
    require(request, "sheet.review", office=office, visible_with="office.view")
    return office


@login_required
@require_safe
def undelivered(request, office):
    """送信できなかった通知: given up (失敗) or waiting for another attempt after an error."""
    office = _office(request, office)
    return render(
        request,
        "staff/undelivered_mail.html",
        {"office": office, "mails": undelivered_mail(office=office), "max_attempts": MAX_ATTEMPTS},
    )


@login_required
@require_POST
def retry(request, office, pk):
    """再送信: the message is sent again now (by the worker), its attempts counted anew."""
    office = _office(request, office)
    mail = get_object_or_404(OutgoingMail, office=office, pk=pk)
    if not mail_retry(mail=mail):
        whose = f"{mail.to} への通知" if mail.to else "宛先のない通知"
        messages.error(request, f"{whose}は再送信できません (送信済みか、送信中です)。")
    else:
        mail.refresh_from_db()
        if mail.status == MailStatus.SENT:
            messages.success(request, f"{mail.to} への通知を送信しました。")
        elif mail.last_error and mail.attempts:
            messages.error(request, f"{mail.to} への通知は今回も送信できませんでした: {mail.last_error}")
        else:
            messages.success(request, f"{mail.to} への通知の再送信を予約しました。まもなく送信されます。")
    return redirect("goals:undelivered_mail", office=office.slug)
