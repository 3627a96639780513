"""The health check behind /healthz, for the city's monitoring.

Each check answers a status and, when it fails, a short reason (Japanese); nothing else, so the
answer can be public. The installation is healthy when the database answers, the task queue has
no task waiting longer than HEALTH_QUEUE_MAX_AGE_MINUTES, a worker ran the heartbeat task
(queued by `manage.py recover` every 5 minutes) within HEALTH_WORKER_MAX_AGE_MINUTES, no
publication has stayed 作成中 without moving for longer than the publishing page waits before it
calls it stopped (Publication.STALLED_AFTER), and MEDIA_ROOT and PDF_PARTS_DIR can be written.
Mail that could not be delivered is reported as a warning: the application still works, but
someone was not told.
"""

import logging
import tempfile
from datetime import timedelta
from pathlib import Path

from django.conf import settings
from django.db import connections
from django.db.models import Min, Q
from django.utils import timezone
from django_tasks import DEFAULT_TASK_QUEUE_NAME, task_backends
from django_tasks_db.backend import DatabaseBackend
from django_tasks_db.models import DBTaskResult

from reports.models import Publication, PublicationStatus
from wardservice.models import MailStatus, OutgoingMail, WorkerHeartbeat

logger = logging.getLogger(__name__)

OK, FAIL, WARN, SKIPPED = "ok", "fail", "warn", "skipped"
MAIL_WINDOW = timedelta(days=1)


def heartbeat_request() -> bool:
    """Queue the heartbeat task unless one is waiting already (a worker that is away would
    otherwise find a pile of them); True when one was queued."""
    from wardservice.tasks import worker_heartbeat  # the task module imports the models

    backend = _queue_backend()
    if backend is not None and DBTaskResult.objects.ready().filter(
        backend_name=backend.alias, task_path=worker_heartbeat.module_path
    ).exists():
        return False
    worker_heartbeat.enqueue(DEFAULT_TASK_QUEUE_NAME)
    return True


def health() -> dict:
    """{"status": "ok" | "fail", "checks": {name: {"status": …, …}}}; "fail" if any check fails."""
    now = timezone.now()
    checks = {"database": _database()}
    if checks["database"]["status"] == OK:
        checks["queue"] = _queue(now)
        checks["worker"] = _worker(now)
        checks["publishing"] = _publishing(now)
        checks["mail"] = _mail(now)
    else:
        checks.update(dict.fromkeys(("queue", "worker", "publishing", "mail"), {"status": SKIPPED}))
    checks["storage"] = _storage()
    status = FAIL if any(check["status"] == FAIL for check in checks.values()) else OK
    if status == FAIL:
        failing = {name: check.get("reason", "") for name, check in checks.items() if check["status"] == FAIL}
        logger.warning("Health check failed: %s", failing)
    return {"status": status, "checks": checks}


def _fail(reason, **details):
    return {"status": FAIL, "reason": reason, **details}


def _database():
    try:
        WorkerHeartbeat.objects.exists()  # a table of ours: also says the migrations were applied
    except Exception as error:
        logger.error("Health check: database unavailable: %s", error)
        connections["default"].close()  # the next request tries a new connection
        return _fail("データベースに接続できません")
    return {"status": OK}


def _queue_backend():
    backend = task_backends["default"]
    return backend if isinstance(backend, DatabaseBackend) else None


def _queue(now):
    """The age of the oldest task that is ready to run and not taken by a worker."""
    backend = _queue_backend()
    if backend is None:
        return {"status": OK, "note": "tasks run at once (no queue)"}
    oldest = (
        DBTaskResult.objects.ready().filter(backend_name=backend.alias)
        .aggregate(oldest=Min("enqueued_at"))["oldest"]
    )
    age = int((now - oldest).total_seconds()) if oldest else 0
    limit = settings.HEALTH_QUEUE_MAX_AGE_MINUTES
    if age > limit * 60:
        return _fail(f"{age // 60}分前から実行を待っている処理があります (上限 {limit}分)", oldest_ready_seconds=age)
    return {"status": OK, "oldest_ready_seconds": age}


def _worker(now):
    """How long since a worker last ran the heartbeat task."""
    if _queue_backend() is None:
        return {"status": OK, "note": "tasks run at once (no worker)"}
    beat = WorkerHeartbeat.objects.filter(queue=DEFAULT_TASK_QUEUE_NAME).first()
    limit = settings.HEALTH_WORKER_MAX_AGE_MINUTES
    if beat is None:
        return _fail("ワーカー (db_worker) の応答がまだありません")
    age = max(int((now - beat.beat_at).total_seconds()), 0)
    if age > limit * 60:
        return _fail(f"ワーカー (db_worker) の応答が{age // 60}分ありません (上限 {limit}分)", heartbeat_age_seconds=age)
    return {"status": OK, "heartbeat_age_seconds": age}


def _publishing(now):
    """Publications 作成中 whose progress has not moved for Publication.STALLED_AFTER: the
    publishing page shows them as stopped and offers 再試行; a monitor hears of it too."""
    rendering = Publication.objects.filter(status=PublicationStatus.RENDERING)
    oldest = rendering.aggregate(oldest=Min("updated_at"))["oldest"]
    still = max(int((now - oldest).total_seconds()), 0) if oldest else 0
    limit = Publication.stalled_after_minutes()
    if oldest is not None and now - oldest > Publication.STALLED_AFTER:
        stalled = rendering.filter(updated_at__lt=now - Publication.STALLED_AFTER).count()
        return _fail(
            f"作成中のまま{still // 60}分進んでいない公表が{stalled}件あります (上限 {limit}分)",
            stalled=stalled, oldest_unmoved_seconds=still,
        )
    return {"status": OK, "stalled": 0, "oldest_unmoved_seconds": still}


def _mail(now):
    """Messages given up on in the last day, and those waiting for another attempt after an error."""
    undelivered = OutgoingMail.objects.filter(
        Q(status=MailStatus.FAILED, created_at__gte=now - MAIL_WINDOW)
        | (Q(status=MailStatus.PENDING) & ~Q(last_error=""))
    ).count()
    if undelivered:
        return {"status": WARN, "reason": f"送信できていない通知メールが{undelivered}件あります", "undelivered": undelivered}
    return {"status": OK, "undelivered": 0}


def _storage():
    """MEDIA_ROOT (the published files) and PDF_PARTS_DIR (the parts cache) take a new file."""
    problems = [name for name, path in (("MEDIA_ROOT", settings.MEDIA_ROOT), ("PDF_PARTS_DIR", settings.PDF_PARTS_DIR))
                if not _writable(Path(path))]
    if problems:
        return _fail(f"{'・'.join(problems)} に書き込めません")
    return {"status": OK}


def _writable(folder: Path) -> bool:
    try:
        folder.mkdir(parents=True, exist_ok=True)
        with tempfile.NamedTemporaryFile(dir=folder, prefix=".healthz-"):
            return True
    except OSError as error:
        logger.error("Health check: cannot write in %s: %s", folder, error)
        return False
