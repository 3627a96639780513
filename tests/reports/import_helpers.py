"""Shared steps of the 取込 page tests: the seed as a CSV of another year, URLs, row counts."""

import csv
import io

from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from departments.models import Department
from goals.models import Category, FiscalYear, Goal, GoalSheet, Result
from goals.wareki import fiscal_year_label
from reports.exporters import EXPORTERS
from reports.models import PendingUpload, PublicationKind
from reports.table import DATA_COLUMNS, build_table

COLUMNS = [column.name for column in DATA_COLUMNS]
YEAR, YEAR_LABEL = COLUMNS.index("年度"), COLUMNS.index("年度(和暦)")


def seed_csv(seed_year, year=2019) -> bytes:
    """The seed's CSV export with 年度 and 年度(和暦) rewritten to another year."""
    data = EXPORTERS["csv"].render(build_table(seed_year, PublicationKind.RESULT))
    rows = list(csv.reader(io.StringIO(data.decode("utf-8-sig"), newline="")))
    for row in rows[1:]:
        row[YEAR], row[YEAR_LABEL] = str(year), fiscal_year_label(year)
    buffer = io.StringIO()
    csv.writer(buffer, lineterminator="\r\n").writerows(rows)
    return buffer.getvalue().encode("utf-8-sig")


def url(name, office="nakahara", year=2019):
    return reverse(f"publishing:{name}", kwargs={"office": office, "year": year})


def counts():
    return (
        FiscalYear.objects.count(),
        Department.objects.count(),
        GoalSheet.objects.count(),
        Goal.objects.count(),
    )


def all_counts():
    """Rows of every model an upload page could write, pending uploads included."""
    return {
        model.__name__: model.objects.count()
        for model in (
            FiscalYear,
            Department,
            Category,
            GoalSheet,
            Goal,
            Result,
            GoalSheet.history.model,
            Goal.history.model,
            PendingUpload,
        )
    }


def post_file(client, name, data, filename, **extra):
    return client.post(
        url(name, **extra.pop("at", {})), {"file": SimpleUploadedFile(filename, data), **extra}
    )
