"""Tests for the Excel and CSV exports: every file is read back and compared with the table."""

import csv
import io
from pathlib import Path

import openpyxl
import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from hypothesis import given, settings
from hypothesis import strategies as st

from goals.models import FiscalYear, Goal, PolicyPrinciple, RatingLevel
from reports.exporters import EXPORTERS
from reports.exporters.spreadsheet import FORMULA_STARTS, neutralise_formula, restore_formula
from reports.exporters.xlsx import (
    MAX_ROW_HEIGHT,
    MAX_TEXT_WIDTH,
    TEXT_WIDTH,
    display_width,
    estimate_lines,
    fit_width,
    row_height,
    xlsx_text,
)
from reports.models import PublicationKind
from reports.table import (
    DATA_COLUMNS,
    PublicTable,
    TableDepartment,
    TableGoal,
    TableResult,
    build_table,
    clean_text,
)
from tests.factories import (
    CategoryFactory,
    DepartmentFactory,
    FiscalYearFactory,
    GoalFactory,
    GoalSheetFactory,
    OfficeFactory,
    ResultFactory,
)

SEED = Path(__file__).resolve().parents[2] / "fixtures" / "seeds" / "nakahara-2020.txt"
OMITTED = "※新型コロナウイルス感染症対応状況を踏まえ、総括を省略とします"
HEADER = [column.name for column in DATA_COLUMNS]
COLUMN = {name: index for index, name in enumerate(HEADER)}
TEXT_COLUMNS = ("目標", "具体的な取組内容", "実施結果", "目標の達成度")

# Text people could paste into a goal. Each goes into every text field of one goal.
BAD_TEXTS = [
    "<script>alert(1)</script>",
    "&amp; \"quotes\" 'apos'",
    "長" * 999 + "。",
    "制御\x0b文字\x00が\x1fある",
    "=1+1",
    "+81",
    "-3",
    "@SUM(A1)",
    "\tTAB",
    "\r先頭の復帰",
    "絵文字😀",
    "𠮷野家と髙島屋",
    '=HYPERLINK("http://example.com","詳細")',
    "'=1+1",
]


# Reading the files back


def read_csv(data: bytes) -> list[list[str]]:
    return list(csv.reader(io.StringIO(data.decode("utf-8-sig"), newline="")))


def read_xlsx(data: bytes):
    return openpyxl.load_workbook(io.BytesIO(data))


def data_sheet_rows(workbook) -> list[list]:
    """The データ sheet's values, an empty cell as "" (as the CSV has it)."""
    return [
        ["" if value is None else value for value in row]
        for row in workbook["データ"].iter_rows(values_only=True)
    ]


def header_row_of(sheet) -> int:
    return next(
        row
        for row in range(1, sheet.max_row + 1)
        if sheet.cell(row=row, column=1).value == "部署名"
    )


def department_ranges(sheet):
    """The merged 部署名 cells below the column header."""
    header = header_row_of(sheet)
    return sorted(
        (
            r
            for r in sheet.merged_cells.ranges
            if r.min_col == r.max_col == 1 and r.min_row > header
        ),
        key=lambda r: r.min_row,
    )


def render(identifier, table) -> bytes:
    return EXPORTERS[identifier].render(table)


# Tables


@pytest.fixture
def seed_table(seed_year):
    return build_table(seed_year, PublicationKind.RESULT)


@pytest.fixture
def seed_goals(seed_year):
    """The stored goals of the seed, in published order, read without the table code."""
    return list(
        Goal.objects.filter(sheet__fiscal_year=seed_year)
        .select_related("sheet__department", "result")
        .order_by("sheet__department__sort_order", "sheet__department__code", "number")
    )


def small_table(**goal_fields) -> PublicTable:
    """A one-goal table built in memory, for what does not need the database."""
    result = TableResult(
        done=goal_fields.pop("done", "実施しました。"),
        achievement=goal_fields.pop("achievement", ""),
        rating=goal_fields.pop("rating", ""),
        omitted_reason="",
    )
    goal = TableGoal(
        **{
            "number": 1,
            "categories": ("対応",),
            "objective": "目標です。",
            "actions": "",
            **goal_fields,
        },
        result=result,
    )
    return PublicTable(
        office_name="第1区役所",
        office_slug="ward1",
        municipality_name="架空市第1区",
        municipality_code="999991",
        year=2021,
        kind=PublicationKind.RESULT,
        policy=("方針です。",),
        departments=(TableDepartment(code="001", name="試験課", goals=(goal,)),),
        has_rating=False,
    )


def make_year(office, *, departments, goals_per_department=3, year=2021):
    """A year of approved sheets, each goal with a tag, a result and a rating."""
    fiscal_year = FiscalYearFactory(office=office, year=year)
    PolicyPrinciple.objects.create(
        fiscal_year=fiscal_year, number=1, text="公平・公正に対応します。"
    )
    rating = RatingLevel.objects.create(fiscal_year=fiscal_year, order=1, label="達成")
    category = CategoryFactory(office=office, name="対応")
    for _ in range(departments):
        sheet = GoalSheetFactory(
            fiscal_year=fiscal_year, plan_status="approved", result_status="approved"
        )
        for number in range(1, goals_per_department + 1):
            goal = GoalFactory(sheet=sheet, number=number)
            goal.categories.add(category)
            ResultFactory(goal=goal, rating=rating, achievement="達成できました。")
    return fiscal_year


# The registry


def test_both_formats_are_registered():
    assert EXPORTERS["csv"].content_type == "text/csv; charset=utf-8"
    assert (
        EXPORTERS["xlsx"].content_type
        == "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    )
    assert (EXPORTERS["csv"].label, EXPORTERS["xlsx"].label) == ("CSV", "Excel")


def test_filenames(seed_table):
    assert EXPORTERS["xlsx"].filename(seed_table) == "table-nakahara-2020-result.xlsx"
    assert EXPORTERS["csv"].filename(seed_table) == "table-nakahara-2020-result.csv"


# CSV of the 2020 table


def test_csv_is_utf8_with_bom_and_crlf(seed_table):
    data = render("csv", seed_table)
    assert data.startswith(b"\xef\xbb\xbf")
    assert data.endswith(b"\r\n")
    rows = read_csv(data)
    assert rows[0] == HEADER
    assert len(rows) == 1 + 50
    assert all(len(row) == len(HEADER) for row in rows)


def test_csv_has_every_goal_and_result_in_order(seed_table, seed_goals):
    rows = read_csv(render("csv", seed_table))[1:]
    assert len(rows) == len(seed_goals) == 50
    for row, goal in zip(rows, seed_goals, strict=True):
        result = goal.result
        assert row[COLUMN["部署名"]] == goal.sheet.department.name
        assert row[COLUMN["目標番号"]] == str(goal.number)
        assert row[COLUMN["目標"]] == goal.objective
        assert row[COLUMN["具体的な取組内容"]] == goal.actions
        assert row[COLUMN["実施結果"]] == (
            result.omitted_reason if result.is_omitted else result.done
        )
        assert row[COLUMN["目標の達成度"]] == result.achievement


def test_csv_identifies_the_year_and_office(seed_table):
    for row in read_csv(render("csv", seed_table))[1:]:
        assert row[:4] == ["2020", "令和2年度", "141330", "中原区役所"]


def test_csv_keeps_literal_text_of_the_seed(seed_table):
    seed = SEED.read_text(encoding="utf-8")
    rows = read_csv(render("csv", seed_table))[1:]
    by_department = {}
    for row in rows:
        by_department.setdefault(row[COLUMN["部署名"]].split(" ")[-1], []).append(row)

    assert seed.count(OMITTED) == 3
    assert [row[COLUMN["実施結果"]] for row in by_department["衛生課"]] == [OMITTED] * 3
    assert [row[COLUMN["区分"]] for row in by_department["区民課"]] == ["", "", ""]
    assert by_department["地域ケア推進課"][0][COLUMN["区分"]] == "電話・対面"
    assert (
        "「市長への手紙」の過去4年間の内容や傾向等について企画調整会議に報告する"
        in by_department["企画課"][1][COLUMN["実施結果"]]
    )
    assert "「市長への手紙」の過去4年間の内容や傾向等について企画調整会議に報告する" in seed


def test_csv_quotes_commas_quotes_and_newlines():
    tricky = '一行目, "引用" です\n二行目'
    data = render("csv", small_table(objective=tricky))
    assert '"一行目, ""引用"" です\n二行目"'.encode() in data
    assert read_csv(data)[1][COLUMN["目標"]] == tricky


# Excel of the 2020 table


def test_xlsx_data_sheet_is_the_csv_rows(seed_table):
    workbook = read_xlsx(render("xlsx", seed_table))
    csv_rows = read_csv(render("csv", seed_table))
    xlsx_rows = data_sheet_rows(workbook)
    assert xlsx_rows[0] == HEADER
    assert [[str(value) for value in row] for row in xlsx_rows] == [
        [restore_formula(value) for value in row] for row in csv_rows
    ]
    for row in xlsx_rows[1:]:
        assert isinstance(row[COLUMN["年度"]], int)
        assert isinstance(row[COLUMN["目標番号"]], int)
        assert isinstance(row[COLUMN["市区町村コード"]], str)  # "141330" as text, like "003"


def test_xlsx_data_sheet_is_plain_and_filterable(seed_table):
    sheet = read_xlsx(render("xlsx", seed_table))["データ"]
    assert not sheet.merged_cells.ranges
    assert sheet.auto_filter.ref == "A1:M51"
    assert sheet.freeze_panes == "A2"
    assert all(cell.font.bold for cell in sheet[1])
    assert all(6 <= sheet.column_dimensions[cell.column_letter].width <= 50 for cell in sheet[1])


def test_xlsx_layout_sheet_merges_each_department(seed_table):
    sheet = read_xlsx(render("xlsx", seed_table))["公表用"]
    ranges = department_ranges(sheet)
    assert len(ranges) == 17
    names = [sheet.cell(row=r.min_row, column=1).value for r in ranges]
    assert names == [department.name for department in seed_table.departments]
    assert [r.max_row - r.min_row + 1 for r in ranges] == [3] * 16 + [2]


def test_xlsx_layout_sheet_has_every_goal_paragraph_in_order(seed_table, seed_goals):
    sheet = read_xlsx(render("xlsx", seed_table))["公表用"]
    first = header_row_of(sheet) + 1
    for row, goal in enumerate(seed_goals, first):
        cell = sheet.cell(row=row, column=3)
        lines = cell.value.split("\n")
        paragraphs = [p for p in (goal.objective + "\n" + goal.actions).split("\n") if p.strip()]
        tags = "・".join(
            c.name for c in sorted(goal.categories.all(), key=lambda c: (c.sort_order, c.name))
        )
        assert lines == ([tags] if tags else []) + paragraphs
        assert sheet.cell(row=row, column=2).value == goal.number
        assert cell.alignment.wrap_text and cell.alignment.vertical == "top"
    assert sheet.cell(row=first + len(seed_goals), column=3).value is None


def test_xlsx_layout_sheet_prints_results_and_omitted_reasons(seed_table, seed_goals):
    sheet = read_xlsx(render("xlsx", seed_table))["公表用"]
    first = header_row_of(sheet) + 1
    assert sheet.cell(row=first - 1, column=4).value == "実施結果及び目標の達成度"
    for row, goal in enumerate(seed_goals, first):
        text = sheet.cell(row=row, column=4).value
        if goal.result.is_omitted:
            assert text == OMITTED
        else:
            assert text.split("\n")[0] == goal.result.done.split("\n")[0]


def test_xlsx_layout_sheet_prints_a4_landscape_with_the_header_on_every_page(seed_table):
    workbook = read_xlsx(render("xlsx", seed_table))
    sheet = workbook["公表用"]
    header = header_row_of(sheet)
    assert sheet.cell(row=1, column=1).value == "令和2年度 中原区役所サービス向上目標"
    assert sheet.cell(row=3, column=1).value.startswith("① 全体の奉仕者としての自覚")
    assert sheet.page_setup.orientation == "landscape"
    assert int(sheet.page_setup.paperSize) == int(sheet.PAPERSIZE_A4) == 9
    assert (int(sheet.page_setup.fitToWidth), int(sheet.page_setup.fitToHeight)) == (1, 0)
    assert sheet.sheet_properties.pageSetUpPr.fitToPage
    assert sheet.print_title_rows == f"${header}:${header}"
    assert sheet.freeze_panes == f"A{header + 1}"
    assert f"B{header}:C{header}" in {str(r) for r in sheet.merged_cells.ranges}
    assert workbook.properties.title == "令和2年度 中原区役所サービス向上目標"
    assert workbook.properties.creator == "中原区役所"


def test_xlsx_row_heights_grow_with_the_text(seed_table):
    sheet = read_xlsx(render("xlsx", seed_table))["公表用"]
    first = header_row_of(sheet) + 1
    for row in range(first, first + 50):
        texts = [sheet.cell(row=row, column=column).value or "" for column in (3, 4)]
        needed = max(
            row_height(estimate_lines(text, sheet.column_dimensions[letter].width))
            for text, letter in zip(texts, "CD", strict=True)
        )
        assert sheet.row_dimensions[row].height >= needed


def test_xlsx_plan_table_has_no_result_column(seed_year):
    table = build_table(seed_year, PublicationKind.PLAN)
    workbook = read_xlsx(render("xlsx", table))
    sheet = workbook["公表用"]
    assert sheet.max_column == 3
    assert "実施結果及び目標の達成度" not in {
        cell.value for row in sheet.iter_rows() for cell in row
    }
    assert len(department_ranges(sheet)) == 17
    assert {row[COLUMN["実施結果"]] for row in data_sheet_rows(workbook)[1:]} == {""}


# Text that must not break the files nor run in a spreadsheet


@pytest.fixture
def bad_year(db):
    office = OfficeFactory()
    fiscal_year = FiscalYearFactory(office=office)
    department = DepartmentFactory(office=office, name='=HYPERLINK("http://example.com")')
    sheet = GoalSheetFactory(
        fiscal_year=fiscal_year,
        department=department,
        plan_status="approved",
        result_status="approved",
    )
    for number, text in enumerate(BAD_TEXTS, 1):
        if connection.vendor == "postgresql":  # PostgreSQL text cannot hold NUL at all
            text = text.replace("\x00", "")
        goal = GoalFactory(sheet=sheet, number=number, objective=text, actions=text)
        ResultFactory(goal=goal, done=text, achievement=text)
    return fiscal_year


def test_bad_text_is_stored_as_text_in_xlsx(bad_year):
    workbook = read_xlsx(render("xlsx", build_table(bad_year, PublicationKind.RESULT)))
    rows = list(workbook["データ"].iter_rows(min_row=2))
    assert len(rows) == len(BAD_TEXTS)
    for row, text in zip(rows, BAD_TEXTS, strict=True):
        for name in (*TEXT_COLUMNS, "部署名"):
            cell = row[COLUMN[name]]
            assert cell.data_type == "s"
            assert cell.quotePrefix
        for name in TEXT_COLUMNS:
            assert row[COLUMN[name]].value == clean_text(text)
    layout = workbook["公表用"]
    cells = [cell for row in layout.iter_rows() for cell in row if isinstance(cell.value, str)]
    assert all(cell.data_type == "s" for cell in cells)
    assert "=1+1" in {cell.value.split("\n")[0] for cell in cells}


def test_bad_text_is_neutralised_in_csv(bad_year):
    rows = read_csv(render("csv", build_table(bad_year, PublicationKind.RESULT)))[1:]
    assert len(rows) == len(BAD_TEXTS)
    for row, text in zip(rows, BAD_TEXTS, strict=True):
        expected = clean_text(text)
        for name in TEXT_COLUMNS:
            value = row[COLUMN[name]]
            if expected.startswith((*FORMULA_STARTS, "'")):
                assert value == "'" + expected
            else:
                assert value == expected
            assert restore_formula(value) == expected
        assert not row[COLUMN["部署名"]].startswith("=")


def test_control_characters_never_break_xlsx():
    table = small_table(objective="見出し\x00\x08\x0b\x0c\x1f\ufffe\ud800本文", done="\x7f=SUM(A1)")
    sheet = read_xlsx(render("xlsx", table))["データ"]
    assert sheet.cell(row=2, column=COLUMN["目標"] + 1).value == "見出し本文"
    assert sheet.cell(row=2, column=COLUMN["実施結果"] + 1).data_type == "s"


@settings(max_examples=40, deadline=None)
@given(st.text(max_size=60))
def test_any_text_exports(text):
    text = clean_text(text)
    table = small_table(objective=text or "目標", actions=text, done=text)
    csv_row = read_csv(render("csv", table))[1]
    assert restore_formula(csv_row[COLUMN["具体的な取組内容"]]) == text
    row = list(read_xlsx(render("xlsx", table))["データ"].iter_rows(min_row=2, values_only=True))[0]
    assert (row[COLUMN["具体的な取組内容"]] or "") == xlsx_text(text)


# The formula guard


@pytest.mark.parametrize(
    ("text", "neutral"),
    [
        ("=1+1", "'=1+1"),
        ("+81", "'+81"),
        ("-3", "'-3"),
        ("@SUM(A1)", "'@SUM(A1)"),
        ("\tTAB", "'\tTAB"),
        ("\r\n", "'\r\n"),
        ("'=1", "''=1"),
        ("'quoted'", "''quoted'"),
        ("通常の文", "通常の文"),
        ("1-2", "1-2"),
        ("", ""),
    ],
)
def test_neutralise_formula(text, neutral):
    assert neutralise_formula(text) == neutral
    assert restore_formula(neutral) == text


@given(st.text())
def test_restore_undoes_neutralise(text):
    assert restore_formula(neutralise_formula(text)) == text
    assert not neutralise_formula(text).startswith(FORMULA_STARTS)


# Sizing the laid-out sheet


def test_display_width_counts_full_width_characters_twice():
    assert display_width("") == 0
    assert display_width("abc") == 3
    assert display_width("区役所") == 6
    assert display_width("①※") == 4
    assert display_width("😀𠮷") == 4


def test_estimate_lines():
    assert estimate_lines("", 60) == 1
    assert estimate_lines("あ" * 29, 60) == 1  # 58 units: the column less its margin
    assert estimate_lines("あ" * 30, 60) == 2
    assert estimate_lines("一\n二\n\n四", 60) == 4
    assert estimate_lines("a" * 100 + "\n" + "あ" * 100, 52) == 2 + 4


def test_row_height():
    assert row_height(1) == 23
    assert row_height(4) == 68
    assert row_height(10, font_size=14) == pytest.approx(10 * 21 + 8)
    assert row_height(1000) == MAX_ROW_HEIGHT


def test_fit_width_widens_only_for_text_too_long_for_one_row():
    assert fit_width(["短い文"]) == TEXT_WIDTH
    assert fit_width([]) == TEXT_WIDTH
    widened = fit_width(["長" * 1000])
    assert TEXT_WIDTH < widened <= MAX_TEXT_WIDTH
    assert row_height(estimate_lines("長" * 1000, widened)) < MAX_ROW_HEIGHT
    assert fit_width(["長" * 100_000]) == MAX_TEXT_WIDTH


# Queries


def build_and_export(fiscal_year):
    """What publishing a year does: the table, then each spreadsheet format."""
    table = build_table(fiscal_year, PublicationKind.RESULT)
    for identifier in ("csv", "xlsx"):
        EXPORTERS[identifier].render(table)
    return table


def test_query_count_does_not_grow_with_the_table(db, django_assert_num_queries):
    # Fetched afresh, as a view would: nothing cached on the instances from their creation.
    small = FiscalYear.objects.get(pk=make_year(OfficeFactory(), departments=2).pk)
    large = FiscalYear.objects.get(pk=make_year(OfficeFactory(), departments=20).pk)
    with CaptureQueriesContext(connection) as queries:
        assert build_and_export(small).goal_count == 6
    with django_assert_num_queries(len(queries)):
        assert build_and_export(large).goal_count == 60
