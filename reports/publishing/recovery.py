"""Recovery of 公表 left unfinished by a worker or a web process that died.

Two ways a version gets stuck, and what brings it back:

- RENDERING, but not moved for Publication.STALE_AFTER: the worker that claimed it died (a
  killed process, a lost machine). It goes back through publication_retry(), which queues it
  again from the same frozen table; the new attempt removes what the dead one stored.
- PENDING, but no task in the queue that will render it: the task row was lost, or the process
  died between committing the version and queueing its task. Its task is queued again.

When the worker starts (worker_starting: the recovery run just before the deployment's only
worker starts), no worker holds anything: every version RENDERING, and every PENDING one whose
task a worker had taken, is queued again at once, without waiting for STALE_AFTER.

Queueing twice is harmless: the task renders a version only while it is PENDING, and claiming it
is done under a row lock, so a second task finds it taken and does nothing. Running the recovery
again therefore changes nothing until a version gets stuck anew. FAILED versions are reported but
left alone: they failed with an error someone should read before pressing 再試行.
"""

import logging
from dataclasses import dataclass
from enum import Enum

from django.db import transaction
from django.utils import timezone
from django_tasks import TaskResultStatus
from django_tasks_db.backend import DatabaseBackend
from django_tasks_db.models import DBTaskResult

from reports.models import Publication, PublicationStatus
from reports.publishing.services import PublishingError, enqueue_render_on_commit, publication_retry
from reports.tasks import render_publication

logger = logging.getLogger(__name__)


class Action(Enum):
    RETRY = "retry"  # back to PENDING through publication_retry, and queued
    ENQUEUE = "enqueue"  # still PENDING: only its task is queued again
    WAITING = "waiting"  # queued long ago and no worker took it: nothing to do here
    FAILED = "failed"  # needs someone to read the error and press 再試行
    SKIPPED = "skipped"  # it moved on while the recovery looked at it


@dataclass(frozen=True)
class Recovery:
    """What the recovery does (or, in a dry run, would do) about one unfinished version."""

    publication: Publication
    action: Action
    reason: str  # Japanese, for the operator

    @property
    def changes_something(self):
        return self.action in (Action.RETRY, Action.ENQUEUE)


class WorkerLost(Exception):
    """Recorded on a task row whose worker died while running it."""


def publications_recover(*, dry_run=False, worker_starting=False) -> list[Recovery]:
    """Queue again every version whose rendering was lost; return what was (or would be) done.

    With dry_run nothing is written. Safe to run at any time and any number of times, also while
    workers are running — except with worker_starting, which is only for the moment no worker is
    running (before the only worker starts).
    """
    recoveries = publications_to_recover(worker_starting=worker_starting)
    if dry_run:
        return recoveries
    done = []
    for recovery in recoveries:
        if recovery.changes_something:
            recovery = _apply(recovery, worker_starting=worker_starting)
        _log(recovery)
        done.append(recovery)
    return done


def publications_to_recover(*, worker_starting=False) -> list[Recovery]:
    """Every unfinished version that is stuck, with what recovery would do about it. Reads only."""
    queue = _Queue.read()
    unfinished = (
        Publication.objects.filter(
            status__in=(PublicationStatus.PENDING, PublicationStatus.RENDERING, PublicationStatus.FAILED)
        )
        .select_related("fiscal_year__office")
        .defer("table")
        .order_by("requested_at", "pk")
    )
    now = timezone.now()
    recoveries = (_diagnose(publication, queue, now, worker_starting) for publication in unfinished)
    return [recovery for recovery in recoveries if recovery is not None]


def _diagnose(publication, queue, now, worker_starting=False) -> Recovery | None:
    idle = _minutes(now - publication.updated_at)
    if publication.status == PublicationStatus.FAILED:
        return Recovery(publication, Action.FAILED, "ファイル作成に失敗しています。エラーを確認して再試行してください")
    if publication.status == PublicationStatus.RENDERING:
        if worker_starting:
            return Recovery(
                publication,
                Action.RETRY,
                f"作成中のまま作成処理が停止しています (最終更新から{idle}分、ワーカーの起動時に作り直します)",
            )
        if not publication.is_stale(now):
            return None  # a worker is on it
        return Recovery(
            publication, Action.RETRY, f"作成中のまま{idle}分間進んでいません (作成処理が停止したとみられます)"
        )
    # PENDING
    if publication.pk in queue.ready:
        if publication.is_stale(now):
            return Recovery(
                publication,
                Action.WAITING,
                f"{idle}分前から作成待ちです。db_worker が動いているか確認してください",
            )
        return None
    if publication.pk in queue.running and worker_starting:
        return Recovery(
            publication, Action.ENQUEUE, "作成処理を受け取ったワーカーが停止しています (ワーカーの起動時に予約し直します)"
        )
    if publication.pk in queue.running and not publication.is_stale(now):
        return None  # a worker has just taken its task
    if publication.is_stale(now):
        return Recovery(publication, Action.RETRY, f"公表待ちのまま{idle}分間、作成処理が始まっていません")
    return Recovery(publication, Action.ENQUEUE, "公表待ちですが、作成処理の予約がありません")


def _minutes(delta):
    return max(int(delta.total_seconds() // 60), 0)


def _apply(recovery: Recovery, *, worker_starting=False) -> Recovery:
    publication = recovery.publication
    try:
        if recovery.action == Action.RETRY:
            # Read before the retry queues a new task, which a worker may take at once.
            lost = _Queue.running_tasks(publication.pk)
            publication_retry(publication=publication, by=None, worker_lost=worker_starting)
            _Queue.fail(lost)
        else:
            lost = _Queue.running_tasks(publication.pk) if worker_starting else []
            _enqueue_if_pending(publication)
            _Queue.fail(lost)
    except PublishingError as error:
        # It moved on meanwhile (a worker took it, or someone pressed 再試行): nothing to do.
        return Recovery(publication, Action.SKIPPED, f"状態が変わったため何もしませんでした ({error})")
    # A backend that runs tasks at once has rendered it already.
    publication.refresh_from_db(fields=["status", "progress", "attempt", "updated_at"])
    return recovery


def _enqueue_if_pending(publication):
    with transaction.atomic():
        current = Publication.objects.select_for_update().defer("table").get(pk=publication.pk)
        if current.status != PublicationStatus.PENDING:
            raise PublishingError(f"第{current.version}版は{current.get_status_display()}です。")
        enqueue_render_on_commit(current)  # once the check above is committed


def _log(recovery):
    level = logging.INFO if recovery.changes_something else logging.WARNING
    logger.log(
        level, "Publication %s (%s): %s — %s",
        recovery.publication.pk, recovery.publication, recovery.action.value, recovery.reason,
    )


@dataclass(frozen=True)
class _Queue:
    """Publication ids with a task waiting (READY) or taken (RUNNING) in the task backend's queue.

    Only the database backend keeps a queue that another process can see. With any other backend
    (the immediate one of development and tests runs a task as it is queued) nothing is ever
    waiting, so a PENDING version has no task that will render it.
    """

    ready: frozenset = frozenset()
    running: frozenset = frozenset()

    @classmethod
    def read(cls):
        rows = _unfinished_tasks()
        if rows is None:
            return cls()
        ready, running = set(), set()
        for status, args_kwargs in rows.values_list("status", "args_kwargs"):
            publication_id = _publication_id(args_kwargs)
            if publication_id is not None:
                (ready if status == TaskResultStatus.READY else running).add(publication_id)
        return cls(frozenset(ready), frozenset(running))

    @staticmethod
    def running_tasks(publication_id) -> list:
        """The task rows of the version that a worker took (and, the version being stale, lost)."""
        rows = _unfinished_tasks()
        if rows is None:
            return []
        return [
            row
            for row in rows.filter(status=TaskResultStatus.RUNNING)
            if _publication_id(row.args_kwargs) == publication_id
        ]

    @staticmethod
    def fail(rows):
        """Mark the task rows of a dead worker as failed, so that the queue tells the truth."""
        for row in rows:
            row.set_failed(WorkerLost("作成処理が停止したため、公表処理の復旧で再試行しました。"))


def _unfinished_tasks():
    """The render tasks not yet finished, or None when the backend keeps no queue to look at."""
    backend = render_publication.get_backend()
    if not isinstance(backend, DatabaseBackend):
        return None
    return DBTaskResult.objects.filter(
        backend_name=backend.alias,
        task_path=render_publication.module_path,
        status__in=(TaskResultStatus.READY, TaskResultStatus.RUNNING),
    )


def _publication_id(args_kwargs):
    """The publication a render task was queued for: render_publication.enqueue(publication_id)."""
    args = (args_kwargs or {}).get("args") or []
    kwargs = (args_kwargs or {}).get("kwargs") or {}
    value = args[0] if args else kwargs.get("publication_id")
    return value if isinstance(value, int) else None
