"""確定 of a データ (CSV/Excel) import, run in the background with its progress, like 公表.

import_job_start() turns a previewed upload into an ImportJob and queues it (reports.tasks); a
worker runs import_job_run(): the whole import_table, all or nothing, moving the job's progress
as rows are checked and sheets written, and keeping what came of it — the numbers, or the
problems (nothing written then). The staff page polls the job (its status.json) and shows the
outcome. Development and tests run the task at once (ImmediateBackend), so there the job has
finished when import_job_start() returns.

While the sheets are written the import is one transaction: the progress it records meanwhile
is seen once it commits; the page shows the step (書込) until then.
"""

import logging

from django.db import transaction
from django.utils import timezone

from reports.imports.table import CHECKING, TableImportError, import_table
from reports.models import ImportJob, ImportStatus
from wardservice.text import remove_refused

logger = logging.getLogger(__name__)

# The share of the progress bar each step ends at: checking is quick, writing is most of the work.
QUEUED, CHECKED, WRITTEN = 2, 30, 100
MAX_ERROR_LENGTH = 2000


def import_job_start(*, pending, by) -> ImportJob:
    """Queue the import of a previewed upload (reports.imports.uploads.PendingUpload) by `by`."""
    # Imported here: the task module imports this one.
    from reports.tasks import run_table_import

    options = pending.options
    job = ImportJob.objects.create(
        office=pending.office,
        year=pending.year,
        owner=by,
        filename=pending.filename,
        kind=options["kind"],
        data=pending.data,
        options={
            "create_tags": bool(options.get("create_tags")),
            "policy": options.get("policy") or "",
        },
        progress=QUEUED,
    )
    # The job is committed (or commits with the queued task, on the database backend) before a
    # worker can look for it.
    run_table_import.enqueue(job.pk)
    job.refresh_from_db()
    return job


def import_job_run(job_id) -> ImportJob | None:
    """Run a queued import: the work of the background task. Does nothing unless it is waiting."""
    job = _claim(job_id)
    if job is None:
        return None
    try:
        summary = import_table(
            file=bytes(job.data),
            kind=job.kind,
            office=job.office,
            year=job.year,
            create_tags=job.options.get("create_tags", False),
            policy=job.options.get("policy") or None,
            by=job.owner,
            progress=lambda step, done, total: _progress(job, step, done, total),
        )
    except TableImportError as error:
        problems = problem_rows(error)
        return _finish(
            job,
            ImportStatus.FAILED,
            problems=problems[: ImportJob.MAX_PROBLEMS],
            problem_count=len(problems),
        )
    except Exception as error:
        logger.exception("Import job %s failed", job.pk)
        _finish(
            job, ImportStatus.FAILED, error=remove_refused(f"{type(error).__name__}: {error}")[:MAX_ERROR_LENGTH]
        )
        raise
    return _finish(job, ImportStatus.DONE, summary=summary.counts())


@transaction.atomic
def _claim(job_id):
    job = (
        ImportJob.objects.select_for_update()
        .select_related("office", "owner")
        .filter(pk=job_id)
        .first()
    )
    if job is None or job.status != ImportStatus.PENDING:
        logger.info("Import job %s is not waiting to be run; nothing to do", job_id)
        return None
    job.status = ImportStatus.RUNNING
    job.started_at = timezone.now()
    job.save(update_fields=["status", "started_at", "updated_at"])
    return job


def _progress(job, step, done, total):
    start, end = (QUEUED, CHECKED) if step == CHECKING else (CHECKED, WRITTEN)
    share = done / total if total else 1
    # 100 % is the finished job's, not the last batch's.
    progress = min(start + int((end - start) * share), WRITTEN - 1)
    ImportJob.objects.filter(pk=job.pk).update(
        step=step, progress=progress, updated_at=timezone.now()
    )


def problem_rows(error) -> list[dict]:
    """A refused import's problems as the pages list them: where (row), column and message."""
    problems = getattr(error, "problems", None)
    if problems is None:
        return [{"row": "", "column": "", "message": str(error)}]
    return [
        {
            "row": problem.place if problem.row or problem.sheet else "ファイル全体",
            "column": problem.column,
            "message": problem.message,
        }
        for problem in problems
    ]


def _finish(job, status, **outcome):
    """The outcome recorded, the file let go (it was kept only to be run)."""
    if status == ImportStatus.DONE:
        outcome["progress"] = WRITTEN
    now = timezone.now()
    ImportJob.objects.filter(pk=job.pk).update(
        status=status, finished_at=now, updated_at=now, data=b"", **outcome
    )
    job.refresh_from_db()
    return job
