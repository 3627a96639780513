"""Prepared querysets for the public pages."""

from django.db.models import Count, Exists, OuterRef, Prefetch, Q

from departments.models import Office
from goals.models import FiscalYear, GoalSheet, SheetStatus
from reports.models import Publication, PublicationKind


def public_offices():
    """Every office with its fiscal years (newest first), each marked is_published. Two queries."""
    years = FiscalYear.objects.annotate(
        is_published=Exists(Publication.objects.filter(fiscal_year=OuterRef("pk")))
    ).order_by("-year")
    return Office.objects.order_by("municipality_code", "name").prefetch_related(
        Prefetch("fiscal_years", queryset=years, to_attr="years")
    )


def public_fiscal_year(*, office_slug, year):
    """The office's fiscal year, or None. One query."""
    return FiscalYear.objects.select_related("office").filter(office__slug=office_slug, year=year).first()


def complete_kind(fiscal_year):
    """The fullest table the year can show: RESULT when every sheet's results are approved,
    PLAN when every plan is, else None (nothing of a half-reviewed year is shown). One query."""
    counts = GoalSheet.objects.filter(fiscal_year=fiscal_year).aggregate(
        sheets=Count("pk"),
        plans=Count("pk", filter=Q(plan_status=SheetStatus.APPROVED)),
        results=Count("pk", filter=Q(result_status=SheetStatus.APPROVED)),
    )
    if not counts["sheets"]:
        return None
    if counts["results"] == counts["sheets"]:
        return PublicationKind.RESULT
    if counts["plans"] == counts["sheets"]:
        return PublicationKind.PLAN
    return None
