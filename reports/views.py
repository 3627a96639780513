"""Public pages: the front page, a year's table and its downloads."""

from django.http import Http404, HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_safe

from reports.exporters import get_exporter
from reports.selectors import complete_kind, public_fiscal_year, public_offices
from reports.table import DATA_COLUMNS, build_table


@require_safe
def home(request):
    """The public front page: offices and their fiscal years."""
    return render(request, "reports/home.html", {"offices": public_offices()})


def _public_table(office, year):
    fiscal_year = public_fiscal_year(office_slug=office, year=year)
    kind = complete_kind(fiscal_year) if fiscal_year else None
    if kind is None:
        raise Http404("この年度の表は公表されていません。")
    return build_table(fiscal_year, kind)


@require_safe
def year_table(request, office, year):
    """The year's table as the accessible HTML page."""
    return render(request, "reports/year.html", {"table": _public_table(office, year)})


@require_safe
def download(request, office, year, fmt):
    """The year's table as a file (PDF, XLSX or CSV)."""
    table = _public_table(office, year)
    exporter = get_exporter(fmt)
    response = HttpResponse(exporter.render(table), content_type=exporter.content_type)
    response["Content-Disposition"] = f'attachment; filename="{exporter.filename(table)}"'
    return response


@require_safe
def data_dictionary(request):
    """What each CSV column means, and the licence the data is published under."""
    return render(request, "reports/data_dictionary.html", {"columns": DATA_COLUMNS})
