"""Open data over every published year: the current publications and one CSV of all their rows.

The CSV is built from the frozen rows (PublishedGoal), never from the live sheets, so it holds
exactly what was published; it has the per-year CSV's layout and header (reports.table.data_rows)
and is written by the same exporter, so the two can never drift apart.
"""

import hashlib
from itertools import groupby, islice

from django.db.models.fields.json import KT

from goals.printed import TableDepartment, TableGoal, TableResult
from reports.exporters.csv import CsvExporter
from reports.models import Publication, PublicationKind, PublishedGoal
from reports.selectors import current_publications
from reports.table import DATA_COLUMNS, TAG_SEPARATOR, PublicTable, data_rows

# Part of the ETag: raise it when the file's layout changes, so caches fetch the new layout.
LAYOUT_REVISION = "1"

# What the rows need of the frozen table: the office as it was named when the year was published.
FROZEN_OFFICE_KEYS = ("office_name", "municipality_name", "municipality_code")


def current_publication_queryset():
    """Every year's current publication with its office, oldest year first, not yet evaluated.

    Without the frozen table (tens of kilobytes a year): the open data page and the all-years
    CSV's ETag need only the office, the year and the version. The order is total (an office's
    name is unique), so the open data page can show it a page at a time.
    """
    return (
        Publication.objects.filter(pk__in=current_publications())
        .select_related("fiscal_year__office")
        .defer("table")
        .order_by(
            "fiscal_year__year",
            "fiscal_year__office__municipality_code",
            "fiscal_year__office__name",
        )
    )


def current_publication_list() -> list[Publication]:
    """Every year's current publication (current_publication_queryset()) as a list. One query."""
    return list(current_publication_queryset())


def publications_etag(publications) -> str:
    """A strong ETag naming exactly which publications, in which versions, the file holds.

    Publications are immutable, so these ids and versions determine every byte of the file.
    """
    key = ";".join(f"{p.pk}:{p.kind}:{p.version}" for p in publications)
    digest = hashlib.sha256(f"{LAYOUT_REVISION}|{key}".encode()).hexdigest()
    return f'"{digest[:32]}"'


def published_tables(publications) -> list[PublicTable]:
    """Each publication's frozen rows as a PublicTable, in the order given. Two queries."""
    offices = frozen_offices(publications)
    goals = PublishedGoal.objects.filter(publication__in=publications).order_by(
        "publication", "position"
    )
    by_publication = {
        pk: list(rows) for pk, rows in groupby(goals, key=lambda goal: goal.publication_id)
    }
    return [
        table_from_published_goals(p, by_publication.get(p.pk, []), offices[p.pk])
        for p in publications
    ]


def frozen_offices(publications) -> dict[int, dict]:
    """Each publication's office as its frozen table names it, by publication id. One query.

    The database reads the names and code out of the table (FROZEN_OFFICE_KEYS, None where the
    table lacks one), so the rest of it, the bulk, never leaves the database.
    """
    rows = Publication.objects.filter(pk__in=[p.pk for p in publications]).values_list(
        "pk", *(KT(f"table__{key}") for key in FROZEN_OFFICE_KEYS)
    )
    return {pk: dict(zip(FROZEN_OFFICE_KEYS, values, strict=True)) for pk, *values in rows}


def table_from_published_goals(publication: Publication, goals, frozen_office: dict) -> PublicTable:
    """A publication as a PublicTable: its frozen rows (in table order) under its office.

    The office's names and code are those of `frozen_office` (frozen_offices()) where it has
    them, since an office may be renamed after a year was published.
    """
    fiscal_year = publication.fiscal_year
    office = fiscal_year.office
    with_results = publication.kind == PublicationKind.RESULT
    departments = tuple(
        TableDepartment(
            code=code, name=name, goals=tuple(_table_goal(goal, with_results) for goal in rows)
        )
        for (code, name), rows in groupby(
            goals, key=lambda goal: (goal.department_code, goal.department_name)
        )
    )
    return PublicTable(
        office_name=frozen_office.get("office_name") or office.name,
        office_slug=office.slug,
        municipality_name=frozen_office.get("municipality_name") or office.municipality_name,
        municipality_code=frozen_office.get("municipality_code") or office.municipality_code,
        year=fiscal_year.year,
        kind=publication.kind,
        policy=(),  # not part of the data rows
        departments=departments,
        has_rating=any(goal.rating for goal in goals),
    )


def _table_goal(goal: PublishedGoal, with_results: bool) -> TableGoal:
    result = TableResult(
        done=goal.done,
        achievement=goal.achievement,
        rating=goal.rating,
        omitted_reason=goal.omitted_reason,
    )
    return TableGoal(
        number=goal.number,
        categories=tuple(tag for tag in goal.categories.split(TAG_SEPARATOR) if tag),
        objective=goal.objective,
        actions=goal.actions,
        result=result if with_results else None,
    )


class AllYearsCsvExporter(CsvExporter):
    """The CSV of many tables: one header, then each table's rows in the order given.

    CsvExporter writes it (RFC 4180, UTF-8 with BOM, formula neutralised) through ListExporter's
    one row loop; only the rows differ: render() is given a sequence of tables, not one.
    """

    identifier = "csv-all"

    def rows(self, tables):
        yield [column.name for column in DATA_COLUMNS]
        for table in tables:
            yield from islice(data_rows(table), 1, None)  # without each table's own header

    def filename(self, tables) -> str:
        return "service-goals-all-years.csv"
