"""公表 for staff: the year's publishing page, 公表 itself, its progress and 再試行.

Approvers (year.manage) publish; viewers (office.view) see the same pages but every POST is a
403; anyone else gets a 404, as if the office did not exist. Thin views: the page shows what
publishing will do, a POST calls the service, a refusal (PublishingError) becomes a message.

公表 itself is a confirmation page (reports.publishing.preview): the table as it will be frozen,
what a 訂正 changes, a preview PDF, and a form that publishes only with the explicit
confirmation and only the table the page showed.
"""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpResponse, JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from departments.permissions import get_access
from goals.access import get_fiscal_year
from goals.forms import ErrorLink, field_error_links
from reports import selectors
from reports.models import Publication, PublicationKind
from reports.publishing.forms import PublishForm
from reports.publishing.preview import WATERMARK, PreviewNotReady, preview_pdf, publication_preview
from reports.publishing.services import (
    STALE_PREVIEW,
    PublishingError,
    StalePreviewError,
    publication_request,
    publication_retry,
)
from reports.views.public import content_disposition


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


def _kind(kind):
    if kind not in PublicationKind.values:
        raise Http404
    return PublicationKind(kind)


def _publish_url(fiscal_year, kind):
    return reverse(
        "publishing:publish",
        kwargs={"office": fiscal_year.office.slug, "year": fiscal_year.year, "kind": kind},
    )


@login_required
@require_http_methods(["GET", "POST"])
def publish(request, office, year, kind):
    """公表: GET shows the table as it will be frozen and asks for the confirmation; POST freezes
    it as the next version and starts rendering — only when confirmed, and only the table shown.

    A refusal shows the page again, as it is now, with the 訂正内容 as typed and nothing published.
    """
    fiscal_year = _managed_year(request, office, year)
    kind = _kind(kind)
    preview = publication_preview(fiscal_year, kind)
    correction = preview.readiness.is_correction
    if request.method == "GET":
        form = PublishForm(initial={"fingerprint": preview.fingerprint}, correction=correction)
        return _confirm(request, fiscal_year, preview, form)
    if not preview.ok:  # nothing to confirm: why not, as the page shows it
        form = PublishForm(correction=correction)
        return _confirm(request, fiscal_year, preview, form, refused=preview.refusal)
    form = PublishForm(request.POST, correction=correction)
    form.is_valid()
    seen = form.cleaned_data.get("fingerprint")
    if seen and seen != preview.fingerprint:
        # Before anything else: the page asked about another table (or version) than this one.
        return _shown_again(request, fiscal_year, preview, StalePreviewError(STALE_PREVIEW))
    if form.errors:
        return _confirm(request, fiscal_year, preview, form)
    try:
        publication = publication_request(
            fiscal_year=fiscal_year,
            kind=kind,
            by=request.user,
            note=form.cleaned_data.get("note", ""),
            fingerprint=seen,
        )
    except PublishingError as error:
        return _shown_again(request, fiscal_year, preview, error)
    messages.success(
        request,
        f"第{publication.version}版 ({publication.get_kind_display()}) の公表を受け付けました。",
    )
    return redirect(_progress_url(publication))


def _shown_again(request, fiscal_year, preview, error):
    """The page as it is now after a refused 公表, the 訂正内容 as typed: to be confirmed afresh."""
    # Recomputed: the refusal may have come from a change made after `preview` was read.
    preview = publication_preview(fiscal_year, preview.readiness.kind)
    form = PublishForm(
        initial={"fingerprint": preview.fingerprint, "note": request.POST.get("note", "")},
        correction=preview.readiness.is_correction,
    )
    stale = isinstance(error, StalePreviewError)
    return _confirm(request, fiscal_year, preview, form, refused=str(error), stale=stale)


def _confirm(request, fiscal_year, preview, form, *, refused="", stale=False):
    links = []
    if refused:  # the stale notice is shown only with a table to confirm
        links.append(ErrorLink("stale-notice" if stale and preview.ok else "confirm-heading", refused))
    if form.is_bound:
        links += field_error_links(form, hidden_target="confirm-heading")
    kind = preview.readiness.kind
    return render(
        request,
        "staff/publish_confirm.html",
        {
            "fiscal_year": fiscal_year,
            "office": fiscal_year.office,
            "preview": preview,
            "readiness": preview.readiness,
            "table": preview.table,
            "changes": preview.changes,
            "form": form,
            "stale": stale,
            "error_links": links,
            "pdf_url": reverse(
                "publishing:preview_pdf",
                kwargs={"office": fiscal_year.office.slug, "year": fiscal_year.year, "kind": kind},
            )
            + f"?v={preview.fingerprint}",
        },
    )


@never_cache
@login_required
@require_GET
def publish_preview_pdf(request, office, year, kind):
    """The preview PDF: the table as 公表 would freeze it now, marked 「公表前のプレビュー」.

    For approvers only, made on request and never cached. With ?v= (the page's fingerprint) a
    table that changed since the page was shown is not rendered: the page is shown again.
    """
    fiscal_year = _managed_year(request, office, year)
    kind = _kind(kind)
    preview = publication_preview(fiscal_year, kind)
    if not preview.ok:
        messages.error(request, preview.refusal)
        return redirect(_publish_url(fiscal_year, kind))
    seen = request.GET.get("v")
    if seen and seen != preview.fingerprint:
        messages.warning(
            request,
            "確認のページを開いた後に、公表する表の内容が変わりました。現在の内容を確認してから、PDFを開き直してください。",
        )
        return redirect(_publish_url(fiscal_year, kind))
    table = preview.table
    try:
        data = preview_pdf(fiscal_year, table)
    except PreviewNotReady as waiting:
        messages.info(request, str(waiting))
        return redirect(_publish_url(fiscal_year, kind))
    response = HttpResponse(data, content_type="application/pdf")
    response["Content-Disposition"] = content_disposition(
        "inline",
        ascii_name=f"preview-{table.office_slug}-{table.year}-{table.kind}.pdf",
        name=f"{WATERMARK} {table.title}.pdf",
    )
    return response


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
