"""Open data: the data dictionary with every published year's files, and the all-years CSV."""

from django.http import HttpResponse
from django.shortcuts import render
from django.utils.cache import get_conditional_response, patch_cache_control
from django.utils.http import http_date
from django.views.decorators.http import require_safe

from reports import opendata
from reports.table import DATA_COLUMNS


@require_safe
def data_dictionary(request):
    """What each CSV column means, the licence, and the files of every published year."""
    return render(
        request,
        "reports/data_dictionary.html",
        {"columns": DATA_COLUMNS, "publications": opendata.current_publication_list()},
    )


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
