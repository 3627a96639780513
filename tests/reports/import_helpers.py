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


def synthetic_csv(departments, year=2019, *, goals=3, first_code=100000, office=("141330", "中原区役所")) -> bytes:
    """A データ CSV of `departments` new departments with `goals` goals each (short text, no tags)."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow(COLUMNS)
    for n in range(departments):
        for number in range(1, goals + 1):
            row = dict.fromkeys(COLUMNS, "")
            row.update(
                {
                    "年度": str(year),
                    "年度(和暦)": fiscal_year_label(year),
                    "市区町村コード": office[0],
                    "区役所": office[1],
                    "部署コード": str(first_code + n),
                    "部署名": f"試験部 第{first_code + n}課",
                    "目標番号": str(number),
                    "目標": f"窓口での案内を分かりやすくします ({number})。",
                    "実施結果": "案内表示を改めました。",
                    "目標の達成度": "概ね達成しました。",
                }
            )
            writer.writerow([row[column] for column in COLUMNS])
    return buffer.getvalue().encode("utf-8-sig")
