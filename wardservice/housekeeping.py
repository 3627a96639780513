"""Removing what piles up and nobody needs after a while (`manage.py housekeeping`, nightly).

Each step removes only rows or files older than its limit, so running it again at once removes
nothing more; with dry_run it only counts.
"""

from dataclasses import dataclass
from datetime import timedelta
from importlib import import_module

from axes.models import AccessAttempt, AccessFailureLog, AccessLog
from django.conf import settings
from django.contrib.sessions.models import Session
from django.utils import timezone
from django_tasks import TaskResultStatus
from django_tasks_db.models import DBTaskResult

from reports.exporters.pdf.parts import PartCache
from wardservice.mail import mails_prune

DB_SESSION_ENGINE = "django.contrib.sessions.backends.db"


@dataclass(frozen=True)
class Removed:
    what: str  # Japanese, as the command prints it
    count: int | None  # None: the step cannot count (a session store other than the database)


def housekeeping(*, days: int, pdf_parts_days: int, dry_run=False) -> list[Removed]:
    """Every step's outcome, in order. `days` applies to logs, task results and mail."""
    now = timezone.now()
    before = now - timedelta(days=days)
    return [
        Removed("期限切れのセッション", _sessions(now, dry_run)),
        Removed(f"{days}日より前のログイン記録 (django-axes)", _login_records(before, dry_run)),
        Removed(f"{days}日より前に終わったバックグラウンド処理の記録", _task_results(before, dry_run)),
        Removed(f"{days}日より前の送信済・失敗の通知メール", mails_prune(before=before, dry_run=dry_run)),
        Removed(
            f"{pdf_parts_days}日以上使われていない PDF の部品",
            PartCache().prune(unused_for=timedelta(days=pdf_parts_days), dry_run=dry_run),
        ),
    ]


def _sessions(now, dry_run):
    """What `manage.py clearsessions` does, counted."""
    if settings.SESSION_ENGINE != DB_SESSION_ENGINE:
        if not dry_run:
            import_module(settings.SESSION_ENGINE).SessionStore.clear_expired()
        return None
    expired = Session.objects.filter(expire_date__lt=now)
    return _remove(expired, dry_run)


def _login_records(before, dry_run):
    """Logins, failures and the failure counters that ended their cool-off long ago."""
    return sum(
        _remove(model.objects.filter(attempt_time__lt=before), dry_run)
        for model in (AccessLog, AccessFailureLog, AccessAttempt)
    )


def _task_results(before, dry_run):
    finished = DBTaskResult.objects.filter(
        status__in=(TaskResultStatus.SUCCESSFUL, TaskResultStatus.FAILED), finished_at__lt=before
    )
    return _remove(finished, dry_run)


def _remove(queryset, dry_run) -> int:
    count = queryset.count()
    if count and not dry_run:
        queryset.delete()
    return count
