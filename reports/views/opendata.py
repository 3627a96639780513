"""Open data: the data dictionary with every published year's files, and the all-years CSV."""

from django.core.paginator import Paginator
from django.http import HttpResponse
from django.shortcuts import render
from django.utils.cache import get_conditional_response, patch_cache_control
from django.utils.http import http_date
from django.views.decorators.http import require_safe

from reports.site import opendata
from reports.table import DATA_COLUMNS, POLICY_COLUMNS

# Published years listed on a page of the open data page: across the country there are tens of
# thousands, far too many for one page (each is a table row with three links).
YEARS_PER_PAGE = 100


@require_safe
def data_dictionary(request):
    """What each CSV column means, the licence, and the files of every published year.

    The published years are listed a page at a time, oldest first; a city's few years fit on one
    page, which then has no page links. Two queries whatever the number of years: the count and
    the page's publications with their offices. As on the front page (Paginator.get_page), a
    page number past the end shows the last page, and one that is not a number the first.
    """
    paginator = Paginator(opendata.current_publication_queryset(), YEARS_PER_PAGE)
    page = paginator.get_page(request.GET.get("page"))
    context = {
        "columns": DATA_COLUMNS,
        "policy_columns": POLICY_COLUMNS,
        "page": page,
        "page_numbers": paginator.get_elided_page_range(page.number, on_each_side=2, on_ends=1),
    }
    return render(request, "reports/data_dictionary.html", context)


@require_safe
def all_years_csv(request):
    """Every published year's rows in one CSV; 304 when the client already has these publications."""
    publications = opendata.current_publication_list()
    etag = opendata.publications_etag(publications)
    last_modified = max((p.published_at for p in publications), default=None)
    timestamp = int(last_modified.timestamp()) if last_modified else None
    response = get_conditional_response(request, etag=etag, last_modified=timestamp)
    if response is None:
        exporter = opendata.AllYearsCsvExporter()
        response = HttpResponse(
            exporter.render(opendata.published_tables(publications)),
            content_type=exporter.content_type,
        )
        response["Content-Disposition"] = (
            f'attachment; filename="{exporter.filename(publications)}"'
        )
    response["ETag"] = etag
    if timestamp is not None:
        response["Last-Modified"] = http_date(timestamp)
    # A new publication changes the file at any time: caches keep it but ask each time (cheap: 304).
    patch_cache_control(response, public=True, no_cache=True)
    return response
