"""Prepared querysets and result rows for the public search and the staff search.

The public search reads only the frozen rows of current publications (PublishedGoal); the staff
search reads the live sheets of every year, limited to what the person may see. Both match text
by the rules in reports.search.terms and run a constant number of queries per page.
"""

from dataclasses import dataclass
from itertools import groupby

from django.db import connection
from django.db.models import BooleanField, Exists, ExpressionWrapper, Min, OuterRef, Q
from django.urls import reverse

from departments.models import Role
from goals.models import Category, FiscalYear, Goal, SheetStatus
from goals.selectors import goal_tags
from goals.wareki import fiscal_year_full_label
from reports.models import Publication, PublicationKind, PublicationStatus, PublishedGoal
from reports.search.index import text_q
from reports.search.terms import Snippet, contains_q, snippet, tag_q
from reports.selectors import current_publications
from reports.table import TAG_SEPARATOR

def row_anchor(department_code: str, number: int) -> str:
    """The id of a goal's row in the year's table (templates/reports/_department_rows.html)."""
    return f"dept-{department_code}-goal-{number}"


# --- Public search ----------------------------------------------------------------------------


def current_published_goals():
    """The frozen rows the public may see: those of each year's current publication."""
    return PublishedGoal.objects.filter(publication__in=current_publications())


def public_search_choices() -> tuple[list[int], list[str]]:
    """The years (newest first) and the categories that occur in current publications. Three queries."""
    # A year with any published version has a current one: no need to find which.
    published = Publication.objects.filter(
        fiscal_year=OuterRef("pk"), status=PublicationStatus.PUBLISHED
    )
    years = (
        FiscalYear.objects.filter(Exists(published))
        .values_list("year", flat=True)
        .distinct()
        .order_by("-year")
    )
    tags = {
        tag for value in published_category_values() for tag in value.split(TAG_SEPARATOR) if tag
    }
    return list(years), ordered_tags(tags)


def published_category_values() -> list[str]:
    """Every distinct "・"-joined categories value of the current publications' rows. One query.

    A loose index scan over publishedgoal_categories: each step jumps to the next larger value,
    so a few dozen index probes stand in for reading every published row (a million of them
    with every municipality's years). Each value is then looked up in the current publications
    by a LIMIT 1 subquery, which the planner cannot turn into a join over every row (an EXISTS
    it can, and does). Plain SQL that SQLite and PostgreSQL both run.
    """
    quote = connection.ops.quote_name
    table, column = quote(PublishedGoal._meta.db_table), quote("categories")
    publication = quote("publication_id")
    current, params = current_publications().query.sql_with_params()
    sql = f"""
        WITH RECURSIVE found(value) AS (
            SELECT MIN({column}) FROM {table}
            UNION ALL
            SELECT (SELECT MIN({column}) FROM {table} WHERE {column} > found.value)
            FROM found WHERE found.value IS NOT NULL
        )
        SELECT found.value FROM found WHERE found.value IS NOT NULL AND (
            SELECT 1 FROM {table} g
            WHERE g.{column} = found.value AND g.{publication} IN ({current}) LIMIT 1
        ) = 1
    """
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return [value for (value,) in cursor.fetchall()]


def ordered_tags(tags) -> list[str]:
    """The tags in the offices' configured order (unknown ones after, by name). One query."""
    order = dict(
        Category.objects.filter(name__in=tags)
        .order_by()
        .values("name")
        .annotate(first=Min("sort_order"))
        .values_list("name", "first")
    )
    return sorted(tags, key=lambda tag: (tag not in order, order.get(tag, 0), tag))


# The public search's order: newest year first, then the offices as they are listed, each table
# in its own order (publication_id keeps a table's rows together for public_hit_groups). All are
# columns of the row, and the index publishedgoal_search_order (reports/migrations/0005) holds
# exactly this order: PostgreSQL can walk it and stop after a page of hits where a word is
# common, while the grams' GIN index (reports.search.index) finds the few rows of a rare word,
# which are then sorted.
PUBLIC_ORDER = ("-year", "municipality_code", "office_name", "publication_id", "position")


def search_published_goals(*, terms=(), year=None, category="", department=""):
    """Current published rows holding every term (in any written form) and matching the
    filters, in PUBLIC_ORDER."""
    goals = current_published_goals()
    if terms:
        goals = goals.filter(text_q(terms, connection))
    if year:
        goals = goals.filter(year=year)
    if category:
        goals = goals.filter(tag_q("categories", category))
    if department:
        goals = goals.filter(contains_q(("department_name",), department))
    return (
        goals.select_related("publication__fiscal_year__office")
        # The frozen table is large and never shown with a hit; nor is the search index.
        .defer("publication__table", "search_text", "search_grams")
        .order_by(*PUBLIC_ORDER)
    )


@dataclass(frozen=True)
class PublicHit:
    goal: PublishedGoal
    categories: list[str]
    snippet: Snippet | None
    url: str


@dataclass(frozen=True)
class HitGroup:
    """The hits of one page from one office's year, under one heading."""

    heading: str
    hits: list
    # Public groups only: which publication they come from, and its pages.
    kind_label: str = ""
    year_url: str = ""
    stats_url: str = ""


def public_hit_groups(goals, matcher) -> list[HitGroup]:
    """A page of published rows as hits grouped by office and year, each with its highlighted snippet."""
    groups = []
    for publication, rows in groupby(goals, key=lambda goal: goal.publication):
        fiscal_year = publication.fiscal_year
        year_url = reverse(
            "reports:year", kwargs={"office": fiscal_year.office.slug, "year": fiscal_year.year}
        )
        hits = [
            PublicHit(
                goal=goal,
                categories=[tag for tag in goal.categories.split(TAG_SEPARATOR) if tag],
                snippet=snippet(_published_texts(goal), matcher),
                url=f"{year_url}#{row_anchor(goal.department_code, goal.number)}",
            )
            for goal in rows
        ]
        groups.append(
            HitGroup(
                heading=f"{fiscal_year_full_label(fiscal_year.year)} {fiscal_year.office.name}",
                kind_label=publication.get_kind_display(),
                year_url=year_url,
                stats_url=reverse(
                    "reports:stats",
                    kwargs={"office": fiscal_year.office.slug, "year": fiscal_year.year},
                ),
                hits=hits,
            )
        )
    return groups


def _published_texts(goal):
    """(label, text) of a published row, in the order the table prints them."""
    return [
        ("目標", goal.objective),
        ("具体的な取組内容", goal.actions),
        ("実施結果", goal.omitted_reason or goal.done),
        ("目標の達成度", "" if goal.omitted_reason else goal.achievement),
    ]


# --- Staff search -----------------------------------------------------------------------------


@dataclass(frozen=True)
class StaffScope:
    """What one person may find: every sheet of some offices, their own departments' sheets, and
    the approved content of published years in the offices they belong to."""

    office_ids: frozenset  # offices where the person holds office.view (承認者・閲覧者)
    own_department_ids: frozenset  # departments where the person is an editor
    member_office_ids: frozenset

    @property
    def is_empty(self):
        return not self.member_office_ids

    def goals_q(self) -> Q:
        published = Publication.objects.filter(status=PublicationStatus.PUBLISHED).values(
            "fiscal_year"
        )
        return self._everything_q() | Q(
            sheet__fiscal_year__office__in=self.member_office_ids,
            sheet__fiscal_year__in=published,
            sheet__plan_status=SheetStatus.APPROVED,
        )

    def results_q(self) -> Q:
        published = Publication.objects.filter(
            status=PublicationStatus.PUBLISHED, kind=PublicationKind.RESULT
        ).values("fiscal_year")
        return self._everything_q() | Q(
            sheet__fiscal_year__office__in=self.member_office_ids,
            sheet__fiscal_year__in=published,
            sheet__result_status=SheetStatus.APPROVED,
        )

    def _everything_q(self) -> Q:
        return Q(sheet__fiscal_year__office__in=self.office_ids) | Q(
            sheet__department__in=self.own_department_ids
        )


def staff_scope(access) -> StaffScope:
    """The search scope of a person, from their memberships (already loaded: no query)."""
    offices = access.offices()
    return StaffScope(
        office_ids=frozenset(o.pk for o in offices if access.has("office.view", office=o)),
        own_department_ids=frozenset(
            m.department_id for m in access.memberships if m.role == Role.EDITOR
        ),
        member_office_ids=frozenset(o.pk for o in offices),
    )


def staff_search_choices(scope: StaffScope) -> tuple[list[int], list[str]]:
    """The years and the categories of the person's offices. Two queries."""
    years = (
        FiscalYear.objects.filter(office__in=scope.member_office_ids)
        .values_list("year", flat=True)
        .distinct()
        .order_by("-year")
    )
    names = (
        Category.objects.filter(office__in=scope.member_office_ids)
        .order_by("sort_order", "name")
        .values_list("name", flat=True)
    )
    return list(years), list(dict.fromkeys(names))


GOAL_TEXT_FIELDS = ("objective", "actions", "sheet__department__name")
RESULT_TEXT_FIELDS = ("result__done", "result__achievement", "result__omitted_reason")


def search_staff_goals(scope: StaffScope, *, terms=(), year=None, category="", department=""):
    """Live goals of any year and status the person may see, matching every term and the filters.

    A result's text is searched (and shown, see `result_visible`) only where the person may see
    it, so a match cannot reveal another department's unpublished result.
    """
    results_q = scope.results_q()
    goals = Goal.objects.filter(scope.goals_q())
    for term in terms:
        goals = goals.filter(
            contains_q(GOAL_TEXT_FIELDS, term)
            | Q(Exists(Category.objects.filter(contains_q(("name",), term), goals=OuterRef("pk"))))
            | (results_q & contains_q(RESULT_TEXT_FIELDS, term))
        )
    if year:
        goals = goals.filter(sheet__fiscal_year__year=year)
    if category:
        goals = goals.filter(Exists(Category.objects.filter(name=category, goals=OuterRef("pk"))))
    if department:
        goals = goals.filter(contains_q(("sheet__department__name",), department))
    return (
        goals.annotate(result_visible=ExpressionWrapper(results_q, output_field=BooleanField()))
        .select_related("sheet__department", "sheet__fiscal_year__office", "result__rating")
        .prefetch_related(goal_tags())
        .order_by(
            "-sheet__fiscal_year__year",
            "sheet__fiscal_year__office__municipality_code",
            "sheet__fiscal_year__office__name",
            "sheet__department__sort_order",
            "sheet__department__code",
            "number",
        )
    )


@dataclass(frozen=True)
class StaffHit:
    goal: Goal
    categories: list[str]
    plan_status: str
    result_status: str
    snippet: Snippet | None
    url: str


def staff_hit_groups(goals, matcher) -> list[HitGroup]:
    """A page of live goals as hits grouped by office and year, with statuses and snippets."""
    return [
        HitGroup(
            heading=f"{fiscal_year.full_label} {fiscal_year.office.name}",
            hits=[_staff_hit(goal, matcher) for goal in rows],
        )
        for fiscal_year, rows in groupby(goals, key=lambda goal: goal.sheet.fiscal_year)
    ]


def _staff_hit(goal, matcher) -> StaffHit:
    sheet = goal.sheet
    url = reverse(
        "goals:sheet",
        kwargs={
            "office": sheet.fiscal_year.office.slug,
            "year": sheet.fiscal_year.year,
            "code": sheet.department.code,
        },
    )
    return StaffHit(
        goal=goal,
        categories=[c.name for c in goal.ordered_categories()],
        plan_status=sheet.get_plan_status_display(),
        result_status=sheet.get_result_status_display(),
        snippet=snippet(_live_texts(goal), matcher),
        url=f"{url}#{row_anchor(sheet.department.code, goal.number)}",
    )


def _live_texts(goal):
    """(label, text) of a live goal; the result only where the person may see it."""
    texts = [("目標", goal.objective), ("具体的な取組内容", goal.actions)]
    result = getattr(goal, "result", None)
    if result is not None and goal.result_visible:
        omitted = result.omitted_reason if result.is_omitted else ""
        texts += [
            ("実施結果", omitted or result.done),
            ("目標の達成度", "" if omitted else result.achievement),
        ]
    return texts
