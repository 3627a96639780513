"""import_table with arbitrary text in every text field of a row: stored exactly, or refused by row.

One CSV row for a new department, written the way the CSV export writes (UTF-8 with BOM, CR LF,
an apostrophe before text a spreadsheet could take for a formula). Whatever the text, the import
either stores exactly what the file says (line breaks as the application keeps them, and the
名前-like fields 部署名 and 区分 trimmed) or stops with a CommandError naming the row. Each example
runs in a transaction that is rolled back, so every one starts from the same empty office.
"""

import csv
import io

import pytest
from django.core.management import CommandError, call_command
from django.db import connection, transaction
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from departments.models import Department
from goals.models import (
    MAX_ACHIEVEMENT,
    MAX_ACTIONS,
    MAX_DONE,
    MAX_OBJECTIVE,
    MAX_OMITTED_REASON,
    Category,
    Goal,
)
from reports.exporters.spreadsheet import FORMULA_STARTS, neutralise_formula
from reports.table import DATA_COLUMNS, TAG_SEPARATOR
from tests.factories import OfficeFactory

COLUMNS = [column.name for column in DATA_COLUMNS]
TAGS = ("共通", "電話", "対面対応")
CODE = "990"
YEAR = 2020
YEAR_LABEL = "令和2年度"


def texts(limit):
    """Any text: plain, formula-looking, control characters, and around the field's limit."""
    return st.one_of(
        st.text(),
        st.builds(
            lambda start, rest: start + rest,
            st.sampled_from([*FORMULA_STARTS, "'", "''", "※", "※省略", " ", "\r\n"]),
            st.text(),
        ),
        st.text(alphabet=st.characters(max_codepoint=0x9F), max_size=20),
        st.text(min_size=max(limit - 3, 0), max_size=limit + 3),
    )


TAG_TEXT = st.one_of(
    st.sampled_from(TAGS),
    st.lists(st.sampled_from(TAGS), min_size=1, max_size=3).map(TAG_SEPARATOR.join),
    st.lists(st.sampled_from([*TAGS, " 共通 ", "", "新しい区分"]), max_size=3).map(
        TAG_SEPARATOR.join
    ),
    texts(32),
)
ROW = st.fixed_dictionaries(
    {
        "部署名": texts(50),
        "区分": TAG_TEXT,
        "目標": texts(MAX_OBJECTIVE),
        "具体的な取組内容": texts(MAX_ACTIONS),
        "実施結果": texts(MAX_DONE),
        "目標の達成度": texts(MAX_ACHIEVEMENT),
        "省略の理由": st.one_of(st.just(""), texts(MAX_OMITTED_REASON)),
    }
)


@pytest.fixture
def office(db):
    office = OfficeFactory(name="試験区役所", slug="fuzz", municipality_code="999999")
    for order, name in enumerate(TAGS):
        Category.objects.create(office=office, name=name, sort_order=order)
    return office


def csv_bytes(office, fields) -> bytes:
    row = {
        "年度": str(YEAR),
        "年度(和暦)": YEAR_LABEL,
        "市区町村コード": office.municipality_code,
        "区役所": office.name,
        "部署コード": CODE,
        "目標番号": "1",
        "達成度評価": "",
        **fields,
    }
    buffer = io.StringIO()
    csv.writer(buffer, lineterminator="\r\n").writerows(
        [COLUMNS, [neutralise_formula(row[name]) for name in COLUMNS]]
    )
    return buffer.getvalue().encode("utf-8-sig")


def as_stored(text: str) -> str:
    return text.replace("\r\n", "\n").replace("\r", "\n")


def expected_tags(text: str) -> set:
    names = [part.strip() for part in as_stored(text).strip().split(TAG_SEPARATOR)]
    return {name for name in names if name} if as_stored(text).strip() else set()


@settings(
    max_examples=30,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(fields=ROW, create_tags=st.booleans())
def test_every_text_field_is_imported_exactly_or_refused_by_row(
    office, tmp_path, fields, create_tags
):
    if connection.vendor == "postgresql":  # PostgreSQL text cannot hold NUL at all
        fields = {name: value.replace("\x00", "") for name, value in fields.items()}
    path = tmp_path / "table.csv"
    path.write_bytes(csv_bytes(office, fields))
    with transaction.atomic():
        try:
            call_command(
                "import_table",
                str(path),
                office=office.slug,
                year=YEAR,
                create_tags=create_tags,
                stdout=io.StringIO(),
            )
        except CommandError as error:
            assert "行目" in str(error), str(error)
            assert not Goal.objects.filter(sheet__fiscal_year__office=office).exists()
            assert not Department.objects.filter(office=office, code=CODE).exists()
        else:
            goal = Goal.objects.get(sheet__fiscal_year__office=office)
            assert goal.sheet.department.code == CODE
            assert goal.sheet.department.name == as_stored(fields["部署名"]).strip()
            assert {c.name for c in goal.categories.all()} == expected_tags(fields["区分"])
            assert goal.objective == as_stored(fields["目標"])
            assert goal.actions == as_stored(fields["具体的な取組内容"])
            done, achievement = as_stored(fields["実施結果"]), as_stored(fields["目標の達成度"])
            result = getattr(goal, "result", None)
            stored = (
                (result.done, result.achievement, result.omitted_reason)
                if result is not None
                else ("", "", "")
            )
            omitted = as_stored(fields["省略の理由"]).strip()
            if omitted:
                # Omitted only where 省略の理由 says so; then the result columns were empty.
                assert (done.strip(), achievement.strip(), stored) == ("", "", ("", "", omitted))
            else:
                # A result worded like an omission (「※省略…」) is still a result.
                assert stored == (done, achievement, "")
        transaction.set_rollback(True)
