"""「訂正する」 on a year's public page, for the office's approvers (総務課) only.

The public page is the file stored at 公表 and is served to everyone byte for byte
(reports.views.public). An approver who is logged in and finds a mistake there gets the same page
with one more section under its title: each department with a link that starts its correction
(承認取消 of the published phase, which opens that sheet alone: goals.rules.opens_correction).
That copy is theirs only (private, never stored by a cache); nobody else's page changes, and
anonymous visitors cost no query at all.
"""

from django.http import HttpResponse
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils.cache import add_never_cache_headers, patch_vary_headers

from departments.permissions import get_access
from goals import rules
from goals.models import GoalSheet, Phase, SheetStatus
from reports.models import PublicationKind

# The panel goes right after the page's title (every stored page has exactly one h1).
AFTER = b"</h1>"


def staff_page(request, stored, furigana=None):
    """The stored year page with the approver's 「訂正する」 section, or None for anyone else
    (and for a page without a title to put it under): then the stored file is served as is.
    `furigana` (reports.furigana.serving.YearPage): the page as the approver chose it to be read."""
    if stored is None or not request.user.is_authenticated:
        return None
    publication = stored.publication
    fiscal_year = publication.fiscal_year
    if not get_access(request).has("sheet.review", office=fiscal_year.office):
        return None
    if furigana is not None:
        page = furigana.content()
    else:
        with stored.file.open("rb") as handle:
            page = handle.read()
    at = page.find(AFTER)
    if at < 0:
        return None
    phase = Phase.RESULT if publication.kind == PublicationKind.RESULT else Phase.PLAN
    panel = render_to_string(
        "reports/_staff_corrections.html",
        {"fiscal_year": fiscal_year, "phase": phase, "rows": _rows(fiscal_year, phase)},
        request=request,
    ).encode()
    at += len(AFTER)
    response = HttpResponse(page[:at] + panel + page[at:], content_type="text/html; charset=utf-8")
    add_never_cache_headers(response)  # private, no-store: this copy is the approver's alone
    patch_vary_headers(response, ["Cookie"])
    if furigana is not None:
        furigana.remember(request, response)
    return response


def _rows(fiscal_year, phase):
    """(department, where its correction starts, what the link says) for each sheet of the year."""
    sheets = (
        GoalSheet.objects.filter(fiscal_year=fiscal_year)
        .select_related("department", "fiscal_year__office")
        .order_by("department__sort_order", "department__code")
    )
    rows = []
    for sheet in sheets:
        kwargs = {"office": fiscal_year.office.slug, "year": fiscal_year.year, "code": sheet.department.code}
        if rules.reopen_refusal(sheet, phase) is None:
            url = reverse("goals:reopen", kwargs={**kwargs, "phase": phase})
            rows.append((sheet.department, url, "訂正する"))
        else:
            status = SheetStatus(sheet.status_for(phase)).label
            label = "訂正中" if sheet.correction else status
            rows.append((sheet.department, reverse("goals:sheet", kwargs=kwargs), f"シートを見る ({label})"))
    return rows
