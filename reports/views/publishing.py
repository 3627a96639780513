"""公表 for staff: the year's publishing page, 公表 itself, its progress and 再試行.

Approvers (year.manage) publish; viewers (office.view) see the same pages but every POST is a
403; anyone else gets a 404, as if the office did not exist. Thin views: the page shows what
publishing will do, a POST calls the service, a refusal (PublishingError) becomes a message.
"""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404, JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_POST

from departments.permissions import get_access
from goals.access import get_fiscal_year
from reports import selectors
from reports.models import Publication, PublicationKind
from reports.publishing.services import PublishingError, publication_request, publication_retry


def _year(request, office, year):
    """The year, for whoever may see the office's years (approvers and viewers; else 404)."""
    return get_fiscal_year(request, office, year, permission="office.view")


def _managed_year(request, office, year):
    """The year, for an approver; a viewer may see it but not act on it (403)."""
    fiscal_year = _year(request, office, year)
    if not _can_publish(request, fiscal_year):
        raise PermissionDenied
    return fiscal_year


def _can_publish(request, fiscal_year):
    return get_access(request).has("year.manage", office=fiscal_year.office)


def _publication(fiscal_year, version):
    queryset = fiscal_year.publications.select_related("published_by").defer("table")
    return get_object_or_404(queryset, version=version)


def _overview_url(fiscal_year):
    return reverse(
        "publishing:overview", kwargs={"office": fiscal_year.office.slug, "year": fiscal_year.year}
    )


def _progress_url(publication):
    fiscal_year = publication.fiscal_year
    return reverse(
        "publishing:progress",
        kwargs={"office": fiscal_year.office.slug, "year": fiscal_year.year, "version": publication.version},
    )


@login_required
@require_GET
def overview(request, office, year):
    """Both tables of the year: whether each can be published or what blocks it, and every version."""
    fiscal_year = _year(request, office, year)
    publications = selectors.year_publications(fiscal_year)
    readiness = [
        selectors.publication_readiness(fiscal_year, kind, publications) for kind in PublicationKind
    ]
    current = next(
        (p for p in publications if p.is_published and p.kind == PublicationKind.RESULT),
        next((p for p in publications if p.is_published), None),
    )
    return render(
        request,
        "staff/publish.html",
        {
            "fiscal_year": fiscal_year,
            "office": fiscal_year.office,
            "readiness": readiness,
            "publications": publications,
            "current": current,
            "can_publish": _can_publish(request, fiscal_year),
        },
    )


@login_required
@require_POST
def publish(request, office, year, kind):
    """公表: freeze the table of this kind as the next version and start rendering it."""
    fiscal_year = _managed_year(request, office, year)
    if kind not in PublicationKind.values:
        raise Http404
    try:
        publication = publication_request(
            fiscal_year=fiscal_year, kind=kind, by=request.user, note=request.POST.get("note", "")
        )
    except PublishingError as error:
        messages.error(request, str(error))
        return redirect(_overview_url(fiscal_year))
    messages.success(
        request,
        f"第{publication.version}版 ({publication.get_kind_display()}) の公表を受け付けました。",
    )
    return redirect(_progress_url(publication))


@login_required
@require_GET
def progress(request, office, year, version):
    """One version's state: the progress while it is rendered, its files once published."""
    fiscal_year = _year(request, office, year)
    publication = _publication(fiscal_year, version)
    return render(
        request,
        "staff/publish_progress.html",
        {
            "fiscal_year": fiscal_year,
            "office": fiscal_year.office,
            "publication": publication,
            "files": publication.files.order_by("format") if publication.is_published else [],
            "can_publish": _can_publish(request, fiscal_year),
            "stalled": publication.is_stalled(),
            "stalled_after_minutes": Publication.stalled_after_minutes(),
        },
    )


@never_cache
@login_required
@require_GET
def status(request, office, year, version):
    """The state of one version as JSON, polled by the progress page (static/js/publish-progress.js)."""
    fiscal_year = _year(request, office, year)
    publication = _publication(fiscal_year, version)
    return JsonResponse(
        {
            "status": publication.status,
            "status_label": publication.get_status_display(),
            "progress": publication.progress,
            "finished": publication.is_finished,
            # Rendering but not moved for Publication.STALLED_AFTER: the page offers 再試行.
            "stalled": publication.is_stalled(),
            "updated_at": timezone.localtime(publication.updated_at).strftime("%H:%M"),
        }
    )


@login_required
@require_POST
def retry(request, office, year, version):
    """再試行: render a failed version (or one whose worker was lost or has stopped) again."""
    fiscal_year = _managed_year(request, office, year)
    publication = _publication(fiscal_year, version)
    try:
        publication_retry(publication=publication, by=request.user)
    except PublishingError as error:
        messages.error(request, str(error))
    else:
        messages.success(request, f"第{publication.version}版の作成をやり直します。")
    return redirect(_progress_url(publication))
