"""Background tasks of the installation itself (django-tasks; reports.tasks has the rendering)."""

from django.utils import timezone
from django_tasks import DEFAULT_TASK_QUEUE_NAME, task

from wardservice.mail import mail_deliver
from wardservice.models import WorkerHeartbeat


@task()
def deliver_mail(mail_id: int) -> None:
    """Send one message of the outbox (see wardservice.mail)."""
    mail_deliver(mail_id)


@task(takes_context=True)
def worker_heartbeat(context, queue: str = DEFAULT_TASK_QUEUE_NAME) -> None:
    """Record that a worker of this queue is taking tasks (read by the health check)."""
    worker = (context.task_result.worker_ids or [""])[-1][:64]
    WorkerHeartbeat.objects.update_or_create(
        queue=queue, defaults={"worker": worker, "beat_at": timezone.now()}
    )
