"""How the office's departments kept the year's deadlines: for its approvers only.

Which department submitted late is internal information a ward does not publish, so it is here,
behind login, and not on the public statistics page (reports.views.info).
"""

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.shortcuts import render
from django.views.decorators.http import require_safe

from departments.permissions import get_access
from goals.access import get_fiscal_year
from goals.models import Phase
from reports.site import stats

APPROVERS_ONLY = "締切に対する提出状況の集計は、総務課の承認者だけが見られます。"


@login_required
@require_safe
def timeliness(request, office, year):
    """Per phase, how many departments first submitted by the deadline, after it, or not at all."""
    fiscal_year = get_fiscal_year(request, office, year, permission="office.view")
    if not get_access(request).has("year.manage", office=fiscal_year.office):
        raise PermissionDenied(APPROVERS_ONLY)
    counts = stats.submission_timeliness(fiscal_year, (Phase.PLAN, Phase.RESULT))
    context = {
        "fiscal_year": fiscal_year,
        "office": fiscal_year.office,
        "charts": stats.timeliness_charts(counts),
    }
    return render(request, "staff/timeliness.html", context)
