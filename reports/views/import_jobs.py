"""A confirmed データ import running in the background: its progress, then what came of it.

The page polls status.json (static/js/publish-progress.js, as 公表's progress page does) and
reloads once the job has finished, to show the numbers written or the problems that stopped it.
Approvers of the office see every import of the office's years (year.manage); a viewer gets a
403, anyone else a 404, as on the upload page.
"""

from django.contrib.auth.decorators import login_required
from django.http import JsonResponse
from django.shortcuts import get_object_or_404, render
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

from reports.models import ImportJob
from reports.views.imports import PREVIEW_PROBLEMS, import_context, import_office, success_message


def _job(request, office, year, pk):
    office_obj = import_office(request, office, year)
    queryset = ImportJob.objects.select_related("owner").defer("data")
    return office_obj, get_object_or_404(queryset, office=office_obj, year=year, pk=pk)


@login_required
@require_GET
def progress(request, office, year, pk):
    """The job's progress while it runs; its numbers or its problems once it has finished."""
    office_obj, job = _job(request, office, year, pk)
    context = import_context(
        office_obj,
        year,
        job=job,
        stale=job.is_stale(),
        problems=job.problems[:PREVIEW_PROBLEMS],
        more_problems=max(0, job.problem_count - PREVIEW_PROBLEMS),
        message=success_message(job.filename, year, job.summary) if job.summary else "",
    )
    return render(request, "staff/import_job.html", context)


@never_cache
@login_required
@require_GET
def status(request, office, year, pk):
    """The job's state as JSON, polled by its page."""
    _, job = _job(request, office, year, pk)
    return JsonResponse(
        {
            "status": job.status,
            "status_label": job.get_status_display()
            + (f" ({job.step})" if job.step and not job.is_finished else ""),
            "progress": job.progress,
            "finished": job.is_finished,
        }
    )
