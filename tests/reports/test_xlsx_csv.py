"""Tests for the Excel and CSV exports: every file is read back and compared with the table."""

import csv
import dataclasses
import io
import re
import shutil
import subprocess
from collections import Counter
from pathlib import Path

import openpyxl
import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from hypothesis import given, settings
from hypothesis import strategies as st

from goals.models import FiscalYear, Goal, PolicyPrinciple, RatingLevel
from goals.printed import TableDepartment, TableGoal, TableResult, clean_text
from reports.exporters import EXPORTERS
from reports.exporters.spreadsheet import FORMULA_STARTS, neutralise_formula, restore_formula
from goals.models import MAX_ACHIEVEMENT, MAX_ACTIONS, MAX_DONE, MAX_OBJECTIVE
from reports.exporters.xlsx import (
    LINE_HEIGHT,
    MAX_LINES,
    MAX_ROW_HEIGHT,
    ROW_PADDING,
    display_width,
    estimate_lines,
    row_height,
    split_cell,
    xlsx_text,
)
from reports.models import PublicationKind
from reports.table import DATA_COLUMNS, POLICY_COLUMNS, PublicTable, build_table
from tests.factories import (
    CategoryFactory,
    DepartmentFactory,
    FiscalYearFactory,
    GoalFactory,
    GoalSheetFactory,
    OfficeFactory,
    ResultFactory,
)
from tests.reports.helpers import stored_in_sql

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


def small_table(*, policy=("方針です。",), **goal_fields) -> PublicTable:
    """A one-goal table built in memory, for what does not need the database."""
    result = TableResult(
        done=goal_fields.pop("done", "実施しました。"),
        achievement=goal_fields.pop("achievement", ""),
        rating=goal_fields.pop("rating", ""),
        omitted_reason=goal_fields.pop("omitted_reason", ""),
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
        policy=policy,
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
        assert row[COLUMN["実施結果"]] == result.done
        assert row[COLUMN["目標の達成度"]] == result.achievement
        assert row[COLUMN["省略の理由"]] == (result.omitted_reason if result.is_omitted else "")


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
    # An omitted result is a value of its own column, never inferred from the 実施結果 text.
    assert [row[COLUMN["省略の理由"]] for row in by_department["衛生課"]] == [OMITTED] * 3
    assert [row[COLUMN["実施結果"]] for row in by_department["衛生課"]] == [""] * 3
    assert [row[COLUMN["区分"]] for row in by_department["区民課"]] == ["", "", ""]
    assert by_department["地域ケア推進課"][0][COLUMN["区分"]] == "電話・対面"
    # The seed prints 「電話・対面対応」: the goal's own order, not the office's tag order.
    assert "<p>電話・対面対応</p>" in seed
    assert by_department["児童家庭課"][0][COLUMN["区分"]] == "電話・対面対応"
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
    assert sheet.auto_filter.ref == "A1:N51"
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
        objective = [p for p in goal.objective.split("\n") if p.strip()]
        actions = [p for p in goal.actions.split("\n") if p.strip()]
        tags = "・".join(c.name for c in goal.ordered_categories())
        # Headed as the seed heads them: 【目標】 before the objective, then 【具体的な取組内容】
        # on a line of its own where there are any.
        assert lines == (
            ([tags] if tags else [])
            + ["【目標】" + objective[0], *objective[1:]]
            + (["【具体的な取組内容】", *actions] if actions else [])
        )
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
            lines = text.split("\n")
            assert lines[:2] == ["・実施結果", goal.result.done.split("\n")[0]]
            if goal.result.achievement:
                at = lines.index("・目標の達成度")
                assert lines[at + 1 :] == goal.result.achievement.split("\n")


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
    department = DepartmentFactory(office=office, name='=HYPERLINK("mailto:kumin@example.com")')
    sheet = GoalSheetFactory(
        fiscal_year=fiscal_year,
        department=department,
        plan_status="approved",
        result_status="approved",
    )
    for number, text in enumerate(BAD_TEXTS, 1):
        if connection.vendor == "postgresql":  # PostgreSQL text cannot hold NUL at all
            text = text.replace("\x00", "")
        goal = GoalFactory(sheet=sheet, number=number)
        result = ResultFactory(goal=goal)
        # Past the model layer, as data stored before the text policy held (controls, length).
        stored_in_sql(goal, objective=text, actions=text)
        stored_in_sql(result, done=text, achievement=text)
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
    assert "=1+1" in {line for cell in cells for line in cell.value.split("\n")}


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


# Long goals: no row taller than Excel allows, nothing cut off, readable print


def _prose(length):
    sentence = "区民の皆様に分かりやすい説明を心がけ、窓口と電話の対応を改善しました。"
    return (sentence * (length // len(sentence) + 1))[:length]


def _lines(length):
    return "\n".join(["一行の短い段落です。"] * length)[:length]


# Goals within the form's limits (goals.models) whose rows need 578 to 1,313 points.
LONG_GOALS = {
    "prose at every limit": dict(
        objective=_prose(MAX_OBJECTIVE), actions=_prose(MAX_ACTIONS),
        done=_prose(MAX_DONE), achievement=_prose(MAX_ACHIEVEMENT),
    ),
    "one short line a paragraph": dict(
        objective=_lines(MAX_OBJECTIVE), actions=_lines(MAX_ACTIONS),
        done=_lines(MAX_DONE), achievement=_lines(MAX_ACHIEVEMENT),
    ),
    "no sentence end at all": dict(
        objective="あ" * MAX_OBJECTIVE, actions="い" * MAX_ACTIONS,
        done="う" * MAX_DONE, achievement="え" * MAX_ACHIEVEMENT,
    ),
}


def long_table() -> PublicTable:
    """The long goals of LONG_GOALS as one department's goals 1, 2, 3."""
    goals = tuple(
        TableGoal(
            number=number,
            categories=("電話", "対面対応"),
            objective=fields["objective"],
            actions=fields["actions"],
            result=TableResult(done=fields["done"], achievement=fields["achievement"]),
        )
        for number, fields in enumerate(LONG_GOALS.values(), 1)
    )
    department = TableDepartment(code="001", name="試験課", goals=goals)
    return dataclasses.replace(small_table(), departments=(department,))


def layout_rows(sheet):
    """(row, {column letter: text}) of every row below the column header."""
    first = header_row_of(sheet) + 1
    for row in range(first, sheet.max_row + 1):
        yield row, {
            letter: sheet[f"{letter}{row}"].value or "" for letter in "CD"
        }


def test_a_long_goal_runs_on_over_rows_no_taller_than_excel_allows():
    sheet = read_xlsx(render("xlsx", long_table()))["公表用"]
    for fields in LONG_GOALS.values():
        # In one row, each goal would need far more than Excel's tallest row.
        result = "\n".join(["・実施結果", fields["done"], "・目標の達成度", fields["achievement"]])
        assert estimate_lines(result, 60) * LINE_HEIGHT > 1.4 * MAX_ROW_HEIGHT
    rows = list(layout_rows(sheet))
    assert len(rows) > 3  # at least one goal runs on below its first row
    for row, texts in rows:
        assert sheet.row_dimensions[row].height <= MAX_ROW_HEIGHT
        for letter, text in texts.items():
            width = sheet.column_dimensions[letter].width
            # What the row needs, not what Excel would cut it to.
            assert estimate_lines(text, width) * LINE_HEIGHT + 2 * ROW_PADDING <= sheet.row_dimensions[row].height
    # Every character of every goal is on the sheet, in order.
    goal_text = re.sub(r"\s", "", "".join(texts["C"] for _, texts in rows))
    result_text = re.sub(r"\s", "", "".join(texts["D"] for _, texts in rows))
    for fields in LONG_GOALS.values():
        assert re.sub(r"\s", "", fields["objective"] + "【具体的な取組内容】" + fields["actions"]) in goal_text
        assert re.sub(r"\s", "", fields["done"] + "・目標の達成度" + fields["achievement"]) in result_text


def test_a_goal_running_on_keeps_its_number_and_department_beside_all_its_rows():
    sheet = read_xlsx(render("xlsx", long_table()))["公表用"]
    first = header_row_of(sheet) + 1
    (department,) = department_ranges(sheet)
    assert (department.min_row, department.max_row) == (first, sheet.max_row)
    numbers = sorted(
        (r for r in sheet.merged_cells.ranges if r.min_col == r.max_col == 2 and r.min_row >= first),
        key=lambda r: r.min_row,
    )
    assert [sheet.cell(row=r.min_row, column=2).value for r in numbers] == [1, 2, 3]
    assert numbers[0].min_row == first and numbers[-1].max_row == sheet.max_row
    # Borders close each goal's cell only at its first and last row.
    top, bottom = numbers[0].min_row, numbers[0].max_row

    def style(side):
        return side.style if side is not None else None

    assert style(sheet.cell(row=top, column=3).border.top) == "thin"
    assert style(sheet.cell(row=top, column=3).border.bottom) is None
    assert style(sheet.cell(row=bottom, column=3).border.bottom) == "thin"


def test_split_cell_keeps_every_line_and_a_heading_with_its_text():
    # The second heading would fit as the first row's last line, but its text would not.
    lines = ["・実施結果", *(["あ" * 29] * (MAX_LINES - 2)), "・目標の達成度", *(["い" * 29] * 10)]
    pieces = split_cell(lines, 60)
    assert "\n".join(pieces).split("\n") == lines
    assert all(estimate_lines(piece, 60) <= MAX_LINES for piece in pieces)
    assert pieces[0].split("\n")[-1] == "あ" * 29
    assert pieces[1].startswith("・目標の達成度")
    assert split_cell([], 60) == [""]
    # A paragraph too long for one row is split between sentences, and one sentence between characters.
    long_sentence = "う" * (29 * MAX_LINES * 2 + 5)
    assert "".join(split_cell([long_sentence], 60)) == long_sentence
    assert all(estimate_lines(piece, 60) <= MAX_LINES for piece in split_cell([long_sentence], 60))


def fit_scale(sheet) -> float:
    """The print scale at which the sheet's columns fit the A4 landscape page between its margins.

    Column widths are in characters of the default font (Calibri 11, 7 pixels a digit in Excel);
    a pixel is 0.75 point.
    """
    pixels = sum(
        int((256 * sheet.column_dimensions[letter].width + int(128 / 7)) / 256 * 7)
        for letter in "ABCD"[: sheet.max_column]
    )
    printable = (11.69 - sheet.page_margins.left - sheet.page_margins.right) * 72
    return min(1.0, printable / (pixels * 0.75))


@pytest.mark.parametrize("kind", [PublicationKind.RESULT, PublicationKind.PLAN])
def test_one_long_cell_does_not_shrink_the_whole_printed_sheet(kind):
    long = small_table(objective=_prose(MAX_OBJECTIVE), done=_prose(MAX_DONE))
    short = small_table()
    for table in (long, short):
        table = dataclasses.replace(table, kind=kind)
        sheet = read_xlsx(render("xlsx", table))["公表用"]
        assert fit_scale(sheet) >= 0.70
        widths = [sheet.column_dimensions[letter].width for letter in "ABCD"[: sheet.max_column]]
        assert widths == ([18, 5, 60, 60] if kind == PublicationKind.RESULT else [18, 5, 120])


SOFFICE = shutil.which("soffice")


def _layout_only_pdf(workbook_bytes, tmp_path) -> Path:
    """LibreOffice's PDF of the sheet 公表用 alone (the データ sheet would repeat every text)."""
    workbook = read_xlsx(workbook_bytes)
    for name in workbook.sheetnames:
        if name != "公表用":
            del workbook[name]
    path = tmp_path / "layout.xlsx"
    workbook.save(path)
    subprocess.run(
        [SOFFICE, "--headless", f"-env:UserInstallation=file://{tmp_path}/lo-profile",
         "--convert-to", "pdf", "--outdir", str(tmp_path), str(path)],
        check=True, capture_output=True, timeout=180,
    )
    return tmp_path / "layout.pdf"


@pytest.mark.skipif(SOFFICE is None, reason="LibreOffice is not installed (libreoffice-calc-nogui)")
def test_libreoffice_prints_every_character_of_long_goals_at_a_readable_scale(tmp_path):
    table = long_table()
    data = render("xlsx", table)
    pdf = _layout_only_pdf(data, tmp_path)

    printed = subprocess.run(["pdftotext", str(pdf), "-"], capture_output=True, text=True, check=True).stdout
    on_sheet = Counter()
    for row in read_xlsx(data)["公表用"].iter_rows():
        for cell in row:
            if isinstance(cell.value, str):
                on_sheet.update(re.sub(r"\s", "", cell.value))
    # A row too short for its text is cut off in print: its characters are missing.
    assert not on_sheet - Counter(re.sub(r"\s", "", printed))

    # The header 部署名 is printed in the 10pt bold font: its width shows the print scale.
    words = subprocess.run(
        ["pdftotext", "-bbox", "-f", "1", "-l", "1", str(pdf), "-"], capture_output=True, text=True, check=True
    ).stdout
    found = re.search(r'<word xMin="([\d.]+)" yMin="[\d.]+" xMax="([\d.]+)"[^>]*>部署名</word>', words)
    assert found
    scale = (float(found.group(2)) - float(found.group(1))) / (3 * 10)
    assert scale >= 0.70


# The year's policy


def test_the_policy_travels_as_data_in_its_own_sheet(seed_table):
    workbook = read_xlsx(render("xlsx", seed_table))
    rows = list(workbook["方針"].iter_rows(values_only=True))
    assert list(rows[0]) == [column.name for column in POLICY_COLUMNS]
    assert [row[0] for row in rows[1:]] == [1, 2, 3, 4]
    assert [row[1] for row in rows[1:]] == list(seed_table.policy)
    assert workbook.sheetnames == ["公表用", "データ", "方針"]


def test_a_year_without_policy_prints_no_policy_heading():
    workbook = read_xlsx(render("xlsx", small_table(policy=())))
    texts = {cell.value for row in workbook["公表用"].iter_rows() for cell in row}
    assert "区役所サービス向上方針" not in texts
    assert list(workbook["方針"].iter_rows(values_only=True)) == [("番号", "区役所サービス向上方針")]


def test_an_omitted_result_prints_only_its_reason_and_has_its_own_column():
    table = small_table(done="", omitted_reason="※大規模災害への対応状況を踏まえ、総括を省略とします")
    workbook = read_xlsx(render("xlsx", table))
    first = header_row_of(workbook["公表用"]) + 1
    assert workbook["公表用"].cell(row=first, column=4).value == "※大規模災害への対応状況を踏まえ、総括を省略とします"
    data = data_sheet_rows(workbook)[1]
    assert (data[COLUMN["実施結果"]], data[COLUMN["省略の理由"]]) == ("", "※大規模災害への対応状況を踏まえ、総括を省略とします")


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
