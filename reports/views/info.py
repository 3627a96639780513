"""Public pages about the publication: a year's statistics and the accessibility statement."""

from django.http import Http404
from django.shortcuts import render
from django.views.decorators.http import require_safe

from reports.selectors import public_fiscal_year
from reports.site import stats
from reports.site.accessibility import load_results


@require_safe
def year_stats(request, office, year):
    """A published year's goals per 区分 and results per 評価, as charts and tables.

    Only what the publication says: how each department kept its deadlines is internal, for the
    office's approvers (reports.views.submissions)."""
    fiscal_year = public_fiscal_year(office_slug=office, year=year)
    publication = stats.current_publication_of(fiscal_year) if fiscal_year else None
    if publication is None:
        raise Http404("この年度の表は公表されていません。")
    year_stats = stats.year_statistics(fiscal_year, publication)
    return render(
        request,
        "reports/stats.html",
        {"stats": year_stats, "charts": stats.year_charts(year_stats), "fiscal_year": fiscal_year},
    )


@require_safe
def accessibility(request):
    """ウェブアクセシビリティ方針: the target, the scope, how it is tested, and the latest results."""
    return render(request, "reports/accessibility.html", {"results": load_results()})
