"""What the installation keeps about its own running: the e-mail it sends (an outbox, so that a
mail relay that is down or slow never fails a workflow step and nothing is lost silently) and the
task worker's heartbeat (for the health check)."""

from django.db import models
from django.db.models import Q
from django.utils import timezone

from wardservice.fields import LineField, PlainTextField


class MailStatus(models.TextChoices):
    PENDING = "pending", "送信待ち"
    SENDING = "sending", "送信中"
    SENT = "sent", "送信済"
    FAILED = "failed", "失敗"


class MailKind(models.TextChoices):
    NOTIFICATION = "notification", "通知"  # a workflow step (提出, 承認, 差戻し, 承認取消)
    REMINDER = "reminder", "締切の催促"


class OutgoingMail(models.Model):
    """One message to one recipient, sent by a background task (wardservice.mail).

    送信待ち → 送信中 (a task has claimed it) → 送信済, or back to 送信待ち with the error and the
    time of the next attempt, until the attempts run out: 失敗, shown to 総務課, who can send it
    again.
    """

    office = models.ForeignKey(
        "departments.Office", verbose_name="区役所", null=True, blank=True,
        on_delete=models.SET_NULL, related_name="+",
    )
    kind = models.CharField("種類", max_length=20, choices=MailKind.choices)
    to = LineField("宛先", max_length=254)
    subject = LineField("件名", max_length=500)
    body = PlainTextField("本文")
    status = models.CharField("状態", max_length=10, choices=MailStatus.choices, default=MailStatus.PENDING)
    attempts = models.PositiveSmallIntegerField("送信を試みた回数", default=0)
    last_error = LineField("最後のエラー", max_length=1000, blank=True)
    created_at = models.DateTimeField("作成", default=timezone.now)
    next_attempt_at = models.DateTimeField("次に送信する時刻", default=timezone.now)
    queued_at = models.DateTimeField("送信処理を予約した時刻", null=True, blank=True)
    claimed_at = models.DateTimeField("送信を始めた時刻", null=True, blank=True)
    sent_at = models.DateTimeField("送信した時刻", null=True, blank=True)

    class Meta:
        verbose_name = verbose_name_plural = "送信メール"
        ordering = ["-created_at", "-pk"]
        indexes = [
            models.Index(fields=["status", "next_attempt_at"], name="outgoingmail_due"),
            models.Index(fields=["office", "status", "created_at"], name="outgoingmail_office"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(status__in=MailStatus.values), name="outgoingmail_status_valid"
            ),
            models.CheckConstraint(
                condition=Q(status=MailStatus.SENT, sent_at__isnull=False)
                | (~Q(status=MailStatus.SENT) & Q(sent_at__isnull=True)),
                name="outgoingmail_sent_at_iff_sent",
            ),
        ]

    def __str__(self):
        return f"{self.to}: {self.subject}"

    @property
    def given_up(self):
        """失敗: no attempt is made any more unless someone presses 再送信."""
        return self.status == MailStatus.FAILED


class WorkerHeartbeat(models.Model):
    """When a task worker last ran the heartbeat task of a queue (wardservice.tasks), which
    `manage.py recover` queues every few minutes: the health check's sign that tasks are run."""

    queue = LineField("キュー", max_length=32, unique=True)
    worker = LineField("ワーカー", max_length=64, blank=True)
    beat_at = models.DateTimeField("最後の応答")

    class Meta:
        verbose_name = verbose_name_plural = "ワーカーの応答"
        ordering = ["queue"]

    def __str__(self):
        return f"{self.queue}: {self.beat_at:%Y-%m-%d %H:%M}"
