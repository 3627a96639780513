"""Prepared querysets for the public pages and the 公表 pages."""

from dataclasses import dataclass, field

from django.db.models import Case, Exists, F, OuterRef, Prefetch, Q, Value, When
from django.db.models.lookups import Exact

from departments.models import Office
from goals.models import FiscalYear, GoalSheet, SheetStatus
from reports.models import (
    Publication,
    PublicationFile,
    PublicationKind,
    PublicationStatus,
)
from reports.search.terms import all_terms_q


def _fullest_first(kind_field="kind"):
    """An ordering: the public sees the fullest table of a year, 目標と実績 once published, else 目標."""
    return Case(When(**{kind_field: PublicationKind.RESULT}, then=Value(0)), default=Value(1))


UNFINISHED = (PublicationStatus.PENDING, PublicationStatus.RENDERING, PublicationStatus.FAILED)

# What the front page's filter looks in: 中原区役所, 川崎市中原区, 141330.
OFFICE_SEARCH_FIELDS = ("name", "municipality_name", "municipality_code")


def public_offices(terms=()):
    """Offices for the front page, in the order of their codes, each with its published fiscal
    years (newest first) as `years`. Page it: counting and each page's offices are one query
    each, and the page's years one more, however many offices there are.

    `terms` (reports.search.terms.split_terms) keeps the offices whose name, municipality name or
    code holds every term. A year is listed once it has a PUBLISHED version; its `public_kind`
    is the kind the public sees (目標と実績 once published, else 目標). Years still being
    planned are not listed at all.
    """
    # Each year has at most one current publication: joining it lists each year once.
    years = (
        FiscalYear.objects.filter(publications__in=current_publications())
        .annotate(public_kind=F("publications__kind"))
        .order_by("-year")
    )
    offices = Office.objects.order_by("municipality_code", "name")
    if terms:
        offices = offices.filter(all_terms_q(OFFICE_SEARCH_FIELDS, terms))
    return offices.prefetch_related(Prefetch("fiscal_years", queryset=years, to_attr="years"))


def public_fiscal_year(*, office_slug, year):
    """The office's fiscal year, or None. One query."""
    return (
        FiscalYear.objects.select_related("office")
        .filter(office__slug=office_slug, year=year)
        .first()
    )


def current_publications():
    """Ids of the publication the public sees of each fiscal year, as a subquery (no query of its own).

    Only PUBLISHED versions count (never one that is pending, rendering or failed); of those the
    fullest kind wins (目標と実績 once one is published, else 目標), and of that kind the newest
    version. Use it as `publication__in=current_publications()`.

    Written as "no published version of the year outranks it" rather than "it is the first of
    the year's versions in that order": PostgreSQL runs the former as one anti-join, the latter
    as a subquery per publication, ten times slower with every municipality's years.
    """
    outranking = Publication.objects.filter(
        fiscal_year=OuterRef("fiscal_year"), status=PublicationStatus.PUBLISHED
    ).filter(
        Q(kind=OuterRef("kind"), version__gt=OuterRef("version"))
        | (Q(kind=PublicationKind.RESULT) & ~Q(Exact(OuterRef("kind"), PublicationKind.RESULT)))
    )
    return (
        Publication.objects.filter(~Exists(outranking), status=PublicationStatus.PUBLISHED)
        .order_by()
        .values("pk")
    )


# --- Stored files, as the public gets them --------------------------------------------------


def _published_files(*, office_slug, year, fmt):
    return (
        PublicationFile.objects.filter(
            format=fmt,
            publication__status=PublicationStatus.PUBLISHED,
            publication__fiscal_year__office__slug=office_slug,
            publication__fiscal_year__year=year,
        )
        # The office names the PDF (reports.views.public), in the same query; the version's
        # ふりがな (reports.furigana.serving) too, so that serving the page asks nothing more.
        .select_related("publication__fiscal_year__office", "publication__readings")
        # The frozen table can be large and is never needed to serve a file.
        .defer("publication__table")
    )


def current_file(*, office_slug, year, fmt):
    """The file in that format of the version the public sees of the year, or None. One query."""
    return (
        _published_files(office_slug=office_slug, year=year, fmt=fmt)
        .order_by(_fullest_first("publication__kind"), "-publication__version")
        .first()
    )


def version_file(*, office_slug, year, version, fmt):
    """The file in that format of one published version of the year, or None. One query."""
    return (
        _published_files(office_slug=office_slug, year=year, fmt=fmt)
        .filter(publication__version=version)
        .first()
    )


# --- The 公表 page ----------------------------------------------------------------------------


def year_publications(fiscal_year):
    """Every version of the year, newest first, without the frozen tables. One query."""
    return list(
        fiscal_year.publications.select_related("published_by").defer("table").order_by("-version")
    )


def unfinished_publication(fiscal_year, kind):
    """The year's version of this kind that is not finished (pending, rendering or failed), or None."""
    return (
        Publication.objects.filter(fiscal_year=fiscal_year, kind=kind)
        .exclude(status=PublicationStatus.PUBLISHED)
        .defer("table")
        .order_by("-version")
        .first()
    )


def published_versions_before(publication):
    """The PUBLISHED versions of the publication's year older than it, oldest first. One query."""
    return list(
        Publication.objects.filter(
            fiscal_year_id=publication.fiscal_year_id,
            status=PublicationStatus.PUBLISHED,
            version__lt=publication.version,
        )
        .defer("table")
        .order_by("version")
    )


@dataclass(frozen=True)
class Readiness:
    """Whether the year's table of one kind can be published now, and if not, why."""

    kind: str
    next_version: int
    # A version of this kind is already public: publishing again is a correction (訂正),
    # which needs a note saying what was corrected.
    is_correction: bool
    # Sheets of active departments not yet approved for the phase, in published order.
    unapproved: list = field(default_factory=list)
    # Every other reason, as sentences.
    problems: list = field(default_factory=list)

    @property
    def ok(self):
        return not self.unapproved and not self.problems

    @property
    def kind_label(self):
        return PublicationKind(self.kind).label

    @property
    def unapproved_statuses(self):
        """(sheet, its SheetStatus for this kind's phase) for each unapproved sheet."""
        return [(sheet, SheetStatus(sheet.status_for(self.kind))) for sheet in self.unapproved]

    def refusal(self) -> str:
        """Every reason as one message, for someone who tried anyway."""
        reasons = list(self.problems)
        if self.unapproved:
            names = "、".join(
                f"{sheet.department.name} ({status.label})" for sheet, status in self.unapproved_statuses
            )
            reasons.append(f"承認されていないシートがあります: {names}")
        return " ".join(reasons)


def publication_readiness(fiscal_year, kind, publications=None) -> Readiness:
    """What stands between the year and publishing its table of this kind. Three queries.

    Every sheet of an active department that writes goals must be approved for the phase (目標
    for a goals-only table, 実績 for the full one); a version left unfinished must be retried
    first; and once 目標と実績 is public a goals-only table would only hide the results.
    `publications` may pass year_publications() when the caller has it already.
    """
    kind = PublicationKind(kind)
    if publications is None:
        publications = year_publications(fiscal_year)
    problems = _publication_problems(kind, publications)
    unapproved = list(_unapproved_sheets(fiscal_year, kind))
    if not unapproved and not _approved_sheets(fiscal_year, kind).exists():
        problems.append("承認済みのシートが1件もありません。")
    return Readiness(
        kind=kind,
        next_version=max((p.version for p in publications), default=0) + 1,
        is_correction=any(p.kind == kind and p.is_published for p in publications),
        unapproved=unapproved,
        problems=problems,
    )


def _publication_problems(kind, publications):
    problems = []
    unfinished = [p for p in publications if p.status in UNFINISHED]
    if unfinished:
        p = unfinished[0]
        problems.append(
            f"前回の公表処理が完了していません (第{p.version}版 {p.get_kind_display()}: "
            f"{p.get_status_display()})。再試行して完了させてから公表してください。"
        )
    if kind == PublicationKind.PLAN and any(
        p.kind == PublicationKind.RESULT and p.is_published for p in publications
    ):
        problems.append("目標と実績の表を公表済みです。訂正は目標と実績の表で公表してください。")
    return problems


def _unapproved_sheets(fiscal_year, kind):
    return (
        GoalSheet.objects.filter(
            fiscal_year=fiscal_year, department__is_active=True, department__writes_goals=True
        )
        .exclude(**{GoalSheet.status_field(kind): SheetStatus.APPROVED})
        .select_related("department")
        .order_by("department__sort_order", "department__code")
    )


def _approved_sheets(fiscal_year, kind):
    return GoalSheet.objects.filter(
        fiscal_year=fiscal_year, **{GoalSheet.status_field(kind): SheetStatus.APPROVED}
    )
