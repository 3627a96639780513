"""The outbox: every e-mail the application sends is stored first and sent by a background task.

A workflow step that has committed must never fail, nor wait, because of mail: the relay may be
down, may accept a connection and never answer, or may refuse a header. So a step only stores its
messages here (mail_queue, after the commit); a task (wardservice.tasks.deliver_mail) sends each
one with EMAIL_TIMEOUT and records the outcome. A failed attempt is retried after RETRY_DELAYS
by `manage.py recover` (every 5 minutes); when the attempts run out the message is 失敗, and
総務課 see it on the page 「送信できなかった通知」, where they can send it again (mail_retry).

Every failure is logged at ERROR with the recipient, the subject and the error.
"""

import logging
import smtplib
from dataclasses import dataclass, field
from datetime import timedelta

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.mail import EmailMessage
from django.core.validators import validate_email
from django.db.models import F, Q
from django.utils import timezone

from wardservice.models import MailKind, MailStatus, OutgoingMail
from wardservice.text import as_one_line, remove_refused

logger = logging.getLogger(__name__)

# The waits before the 2nd, 3rd, … attempt: about four and a half hours in all, which rides out a
# relay being restarted or a network cut; then the message is 失敗 and shown to 総務課.
RETRY_DELAYS = (timedelta(minutes=5), timedelta(minutes=15), timedelta(hours=1), timedelta(hours=3))
MAX_ATTEMPTS = len(RETRY_DELAYS) + 1
# 送信中 for longer than this: the process sending it died (the send itself ends by EMAIL_TIMEOUT).
SENDING_STALE_AFTER = timedelta(minutes=15)
# Queued but not run for this long: the task is taken as lost and queued again.
QUEUED_STALE_AFTER = timedelta(minutes=30)
ERROR_CHARS = 1000


@dataclass(frozen=True)
class Message:
    to: str
    subject: str
    body: str


# --- Queueing ------------------------------------------------------------------------------------


def mail_queue(messages, *, kind: MailKind, office=None) -> list[OutgoingMail]:
    """Store the messages (送信待ち) and queue a send task for each.

    Headers are made one line (a department name with a line break must not break the subject).
    A message to an address that is not one is stored as 失敗 at once: no attempt would help.
    Within a transaction the task rows of the database backend commit with the messages; a
    workflow step calls this from transaction.on_commit, once the step itself is committed.
    """
    mails = [_stored(message, kind=kind, office=office) for message in messages]
    _enqueue([mail.pk for mail in mails if mail.status == MailStatus.PENDING])
    return mails


def _stored(message: Message, *, kind, office) -> OutgoingMail:
    mail = OutgoingMail(
        office=office, kind=kind, to=as_one_line(message.to)[:254],
        subject=as_one_line(message.subject)[:500], body=remove_refused(message.body),
    )
    try:
        validate_email(message.to)
    except ValidationError:
        mail.status, mail.last_error = MailStatus.FAILED, "宛先のメールアドレスが正しくありません / not an e-mail address"
        logger.error("Mail to %r (%s) not sent: not an e-mail address", message.to, mail.subject)
    mail.save()
    return mail


def mail_record_unbuilt(*, kind: MailKind, office, what: str, error: BaseException):
    """A message that could not even be written (its text or recipients failed): kept as 失敗 so
    that 総務課 see that someone was not told. Best effort: a failure here is only logged."""
    try:
        OutgoingMail.objects.create(
            office=office, kind=kind, to="", subject=as_one_line(what)[:500], body="",
            status=MailStatus.FAILED, last_error=_describe(error),
        )
    except Exception:
        logger.error("Could not record the unwritten mail %r", what, exc_info=True)


def _enqueue(mail_ids):
    """Queue a send task per message. A message whose task cannot be queued stays 送信待ち, and
    `manage.py recover` queues it later."""
    from wardservice.tasks import deliver_mail  # the task module imports this one

    for mail_id in mail_ids:
        try:
            OutgoingMail.objects.filter(pk=mail_id).update(queued_at=timezone.now())
            deliver_mail.enqueue(mail_id)
        except Exception:
            logger.error("Mail %s could not be queued for sending; recover will queue it again",
                         mail_id, exc_info=True)


# --- Sending -------------------------------------------------------------------------------------


def mail_deliver(mail_id: int) -> OutgoingMail | None:
    """Send one message if it is 送信待ち and due, and record the outcome; None when it was not
    (already sent, taken by another task, or not due yet). Mail errors never escape."""
    now = timezone.now()
    claimed = OutgoingMail.objects.filter(
        pk=mail_id, status=MailStatus.PENDING, next_attempt_at__lte=now
    ).update(status=MailStatus.SENDING, claimed_at=now, attempts=F("attempts") + 1)
    if not claimed:
        return None
    mail = OutgoingMail.objects.get(pk=mail_id)
    try:
        # The SMTP backend gives up after EMAIL_TIMEOUT seconds without an answer.
        EmailMessage(mail.subject, mail.body, settings.DEFAULT_FROM_EMAIL, [mail.to]).send()
    except Exception as error:
        _record_failure(mail, error)
        return mail
    mail.status, mail.sent_at, mail.claimed_at = MailStatus.SENT, timezone.now(), None
    mail.save(update_fields=["status", "sent_at", "claimed_at"])
    return mail


def _record_failure(mail, error):
    mail.last_error = _describe(error)
    mail.claimed_at = None
    if _permanent(error) or mail.attempts >= MAX_ATTEMPTS:
        mail.status = MailStatus.FAILED
        logger.error(
            "Mail %s to %s (%s) not delivered after %s attempt(s), given up: %s",
            mail.pk, mail.to, mail.subject, mail.attempts, mail.last_error,
        )
    else:
        mail.status = MailStatus.PENDING
        mail.next_attempt_at = timezone.now() + RETRY_DELAYS[mail.attempts - 1]
        logger.error(
            "Mail %s to %s (%s) not delivered (attempt %s of %s), next attempt at %s: %s",
            mail.pk, mail.to, mail.subject, mail.attempts, MAX_ATTEMPTS,
            timezone.localtime(mail.next_attempt_at).isoformat(timespec="seconds"), mail.last_error,
        )
    mail.save(update_fields=["status", "last_error", "claimed_at", "next_attempt_at"])


def _permanent(error) -> bool:
    """Errors that another attempt would only repeat: a message that cannot be written (a header
    with a line break, a malformed address) or one the relay refuses for good (5xx)."""
    if isinstance(error, ValueError | TypeError):
        return True
    if isinstance(error, smtplib.SMTPRecipientsRefused):
        return all(code >= 500 for code, _message in error.recipients.values())
    return isinstance(error, smtplib.SMTPResponseException) and error.smtp_code >= 500


def _describe(error) -> str:
    """One line, within the policy of stored text, whatever the error's message holds."""
    return as_one_line(f"{type(error).__name__}: {error}")[:ERROR_CHARS]


# --- 総務課: what was not delivered, and sending it again -----------------------------------------


def _undelivered(office):
    return OutgoingMail.objects.filter(office=office).filter(
        Q(status=MailStatus.FAILED) | (Q(status=MailStatus.PENDING) & ~Q(last_error=""))
    )


def undelivered_mail(*, office, limit=100):
    """The office's messages that failed, or failed at least once and wait for the next attempt,
    newest first."""
    return _undelivered(office).order_by("-created_at", "-pk")[:limit]


def undelivered_mail_count(*, office) -> int:
    return _undelivered(office).count()


def mail_retry(*, mail) -> bool:
    """送信し直す: a failed or waiting message is due again at once, with its attempts counted
    anew. False when it was sent or is being sent meanwhile, or was never written (no recipient)."""
    retried = OutgoingMail.objects.filter(
        pk=mail.pk, status__in=(MailStatus.FAILED, MailStatus.PENDING)
    ).exclude(to="").update(status=MailStatus.PENDING, attempts=0, next_attempt_at=timezone.now())
    if retried:
        _enqueue([mail.pk])
    return bool(retried)


# --- Recovery (manage.py recover) ----------------------------------------------------------------


@dataclass
class MailRecovery:
    requeued: list = field(default_factory=list)  # due for another attempt, queued again
    abandoned: list = field(default_factory=list)  # 送信中 by a process that died


def mails_recover(*, dry_run=False) -> MailRecovery:
    """Queue again every message due for another attempt whose task is not waiting already, and
    take back messages left 送信中 by a process that died. Safe to run at any time: a message is
    sent by whichever task claims it first, and only while it is due."""
    now = timezone.now()
    recovery = MailRecovery()
    stale = OutgoingMail.objects.filter(status=MailStatus.SENDING, claimed_at__lt=now - SENDING_STALE_AFTER)
    for mail in stale:
        recovery.abandoned.append(mail)
        if not dry_run:
            _record_failure(mail, RuntimeError("送信中に処理が停止しました / the sending process stopped"))
    due = OutgoingMail.objects.filter(status=MailStatus.PENDING, next_attempt_at__lte=now).filter(
        Q(queued_at__isnull=True)
        | Q(queued_at__lt=F("next_attempt_at"))
        | Q(queued_at__lt=now - QUEUED_STALE_AFTER)
    )
    recovery.requeued = list(due.order_by("next_attempt_at", "pk"))
    if not dry_run:
        _enqueue([mail.pk for mail in recovery.requeued])
    return recovery


# --- Housekeeping ------------------------------------------------------------------------------


def mails_prune(*, before, dry_run=False) -> int:
    """Remove messages sent, or given up (失敗), before `before`; return how many."""
    old = OutgoingMail.objects.filter(
        Q(status=MailStatus.SENT, sent_at__lt=before) | Q(status=MailStatus.FAILED, created_at__lt=before)
    )
    return old.count() if dry_run else old.delete()[0]
