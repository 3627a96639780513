"""Prepared querysets for the public pages."""

from django.db.models import Exists, OuterRef, Prefetch

from departments.models import Office
from goals.models import FiscalYear
from reports.models import Publication


def public_offices():
    """Every office with its fiscal years (newest first), each marked is_published. Two queries."""
    years = FiscalYear.objects.annotate(
        is_published=Exists(Publication.objects.filter(fiscal_year=OuterRef("pk")))
    ).order_by("-year")
    return Office.objects.order_by("municipality_code", "name").prefetch_related(
        Prefetch("fiscal_years", queryset=years, to_attr="years")
    )
