"""Excel: the table laid out as published (sheet 公表用), the machine-readable rows (sheet データ)
and the year's policy as data (sheet 方針).

Every text goes in as a typed string, so nothing in a cell is ever evaluated as a formula and
the visible text is exactly the published text (no apostrophe, unlike the CSV).
"""

import io
import math
import re
import unicodedata

from openpyxl import Workbook
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE, Cell
from openpyxl.styles import Alignment, Border, Font, PatternFill, Side
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.page import PageMargins

from goals.printed import (
    ACHIEVEMENT_HEADING,
    ACTIONS_HEADING,
    CELL_HEADINGS,
    DONE_HEADING,
    OBJECTIVE_HEADING,
    TableDepartment,
    TableGoal,
    TableResult,
    paragraphs,
)
from reports.exporters.spreadsheet import ListExporter
from reports.table import TABLE_HEADING, TAG_SEPARATOR, PublicTable, policy_rows

LAYOUT_SHEET = "公表用"
DATA_SHEET = "データ"
POLICY_SHEET = "方針"
POLICY_HEADING = "区役所サービス向上方針"
RATING_PREFIX = "達成度評価: "

# Column widths are in Excel's unit, the width of a "0" in the default font; a full-width
# (CJK) character of the 10pt font below takes about two. The widths are fixed, so that the
# sheet fits an A4 landscape page at about 100% (never below 70%) whatever the text: a long
# text makes its rows taller (and runs on over more rows), never its column wider.
DEPARTMENT_WIDTH = 18
NUMBER_WIDTH = 5
TEXT_WIDTH = 60
PLAN_TEXT_WIDTH = 2 * TEXT_WIDTH  # a goals-only table gives the goal the result's room as well
CELL_MARGIN = 2  # units lost to the cell's inner padding and to wrapping before a long word
LINE_HEIGHT = 15  # points per line of the 10pt font below, with room for a taller substitute
ROW_PADDING = 4  # points above and below the text
MAX_ROW_HEIGHT = 409  # Excel's limit for one row: a taller text is cut off on screen and in print
MAX_LINES = (MAX_ROW_HEIGHT - 2 * ROW_PADDING) // LINE_HEIGHT
DATA_MIN_WIDTH = 6
DATA_MAX_WIDTH = 50

FONT = Font(name="ＭＳ Ｐゴシック", size=10)
BOLD = Font(name="ＭＳ Ｐゴシック", size=10, bold=True)
TITLE_FONT = Font(name="ＭＳ Ｐゴシック", size=14, bold=True)
WRAP = Alignment(wrap_text=True, vertical="top")
CENTER = Alignment(wrap_text=True, horizontal="center", vertical="center")
NUMBER_ALIGNMENT = Alignment(horizontal="center", vertical="top")
_THIN = Side(style="thin", color="000000")
BORDER = Border(left=_THIN, right=_THIN, top=_THIN, bottom=_THIN)
HEADER_FILL = PatternFill("solid", fgColor="D9D9D9")

# openpyxl refuses C0 controls (ILLEGAL_CHARACTERS_RE); lone surrogates, U+FFFE and U+FFFF
# cannot be written as XML at all. None of them is visible, so they are dropped.
_NOT_XML = re.compile(r"[\ud800-\udfff\ufffe\uffff]")


class XlsxExporter(ListExporter):
    identifier = "xlsx"
    label = "Excel"
    extension = "xlsx"
    content_type = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"

    def start(self, table):
        """A workbook with the laid-out sheet written and an empty データ sheet for the rows."""
        workbook = Workbook()
        _set_properties(workbook, table)
        layout = workbook.active
        layout.title = LAYOUT_SHEET
        write_layout_sheet(layout, table)
        return workbook.create_sheet(DATA_SHEET)

    def write_row(self, sheet, row):
        sheet.append([_data_cell(sheet, value) for value in row])

    def finish(self, sheet, table):
        _format_data_sheet(sheet)
        _write_policy_sheet(sheet.parent.create_sheet(POLICY_SHEET), table)
        output = io.BytesIO()
        sheet.parent.save(output)
        return output.getvalue()


# Text in cells


def xlsx_text(text: str) -> str:
    """The text without the characters a worksheet cannot hold."""
    return _NOT_XML.sub("", ILLEGAL_CHARACTERS_RE.sub("", text))


def store_text(cell, text: str) -> None:
    """Put text in a cell as a string, whatever it starts with."""
    if not text:
        return
    cell.value = xlsx_text(text)
    # openpyxl takes a str starting with "=" for a formula and "#N/A" for an error value.
    cell.data_type = "s"
    # Keeps it text when someone edits the cell in Excel and presses Enter.
    cell.quotePrefix = True


def _data_cell(sheet, value):
    cell = Cell(sheet)
    if isinstance(value, str):
        store_text(cell, value)
    else:
        cell.value = value
    return cell


# Sizing: Excel does not fit row heights to wrapped text written by a program, so they are estimated.


def display_width(text: str) -> int:
    """Width in column units: full-width and ambiguous (①, ※) characters count two, as in Japanese fonts."""
    return sum(2 if unicodedata.east_asian_width(char) in "WFA" else 1 for char in text)


def estimate_lines(text: str, width: float) -> int:
    """How many lines the text wraps to in a column that wide: each line break starts a new one."""
    per_line = max(2, width - CELL_MARGIN)
    return sum(max(1, math.ceil(display_width(line) / per_line)) for line in text.split("\n"))


def row_height(lines: int, font_size: float = FONT.size) -> float:
    """The row height in points that shows that many lines, within Excel's limit."""
    line_height = LINE_HEIGHT * font_size / FONT.size
    return min(MAX_ROW_HEIGHT, lines * line_height + 2 * ROW_PADDING)


# The laid-out sheet


def goal_lines(goal: TableGoal) -> list[str]:
    """The goal cell's lines, as the row partial prints them: the 区分, 【目標】 in front of the
    objective's first paragraph, then 【具体的な取組内容】 over the actions."""
    lines = [TAG_SEPARATOR.join(goal.categories)] if goal.categories else []
    if goal.objective_paragraphs:
        first, *rest = goal.objective_paragraphs
        lines += [OBJECTIVE_HEADING + first, *rest]
    if goal.actions_paragraphs:
        lines += [ACTIONS_HEADING, *goal.actions_paragraphs]
    return lines


def result_lines(result: TableResult | None) -> list[str]:
    """The result cell's lines: ・実施結果 and ・目標の達成度 over theirs — or why it was omitted."""
    if result is None:
        return []
    if result.omitted_reason:
        return paragraphs(result.omitted_reason)
    lines = [DONE_HEADING, *result.done_paragraphs] if result.done_paragraphs else []
    if result.rating or result.achievement_paragraphs:
        rating = [RATING_PREFIX + result.rating] if result.rating else []
        lines += [ACHIEVEMENT_HEADING, *rating, *result.achievement_paragraphs]
    return lines


def goal_text(goal: TableGoal) -> str:
    """The whole goal cell as one text."""
    return "\n".join(goal_lines(goal))


def result_text(result: TableResult | None) -> str:
    """The whole result cell as one text."""
    return "\n".join(result_lines(result))


def split_cell(lines: list[str], width: float, max_lines: int = MAX_LINES) -> list[str]:
    """A cell's lines as one or more texts, each short enough for one row (at most max_lines).

    A text taller than Excel's tallest row goes on in the rows below: it is split between
    paragraphs, a paragraph too long for one row between sentences, and a sentence too long
    between characters. A heading stays with the text under it.
    """
    pieces, current, used = [], [], 0
    for line in _row_sized_lines(lines, width, max_lines):
        count = estimate_lines(line, width)
        if current and used + count > max_lines:
            carried = []
            # A heading at the bottom of a row moves down with its text, where there is room.
            heading = current[-1] in CELL_HEADINGS and len(current) > 1
            if heading and estimate_lines(current[-1], width) + count <= max_lines:
                carried = [current.pop()]
            pieces.append("\n".join(current))
            current = carried
            used = sum(estimate_lines(text, width) for text in current)
        current.append(line)
        used += count
    if current:
        pieces.append("\n".join(current))
    return pieces or [""]


def _row_sized_lines(lines, width, max_lines):
    """The lines, each one too long for a row cut into parts that fit one."""
    for line in lines:
        if estimate_lines(line, width) <= max_lines:
            yield line
            continue
        part = ""
        for sentence in _sentences(line, width, max_lines):
            if part and estimate_lines(part + sentence, width) > max_lines:
                yield part
                part = ""
            part += sentence
        if part:
            yield part


_SENTENCE_END = re.compile(r"(?<=[。．！？!?])")


def _sentences(line, width, max_lines):
    """The line's sentences; one too long for a row cut into parts that fit one."""
    budget = max_lines * max(2, width - CELL_MARGIN)
    for sentence in filter(None, _SENTENCE_END.split(line)):
        part, used = "", 0
        for char in sentence:
            char_width = display_width(char)
            if used + char_width > budget:
                yield part
                part, used = "", 0
            part += char
            used += char_width
        if part:
            yield part


def write_layout_sheet(sheet, table: PublicTable) -> None:
    """The table as the PDF prints it: heading and policy, then the goals' rows, A4 landscape."""
    widths = _layout_widths(table)
    for column, width in enumerate(widths, 1):
        sheet.column_dimensions[get_column_letter(column)].width = width
    header_row = _write_heading(sheet, table, widths)
    _write_header(sheet, header_row, table.with_results)
    row = header_row + 1
    for department in table.departments:
        row = _write_department(sheet, row, department, widths, table.with_results)
    _set_page(sheet, header_row)


def _layout_widths(table):
    """部署名 | number | goal text [| result text]: the same whatever the text."""
    if table.with_results:
        return [DEPARTMENT_WIDTH, NUMBER_WIDTH, TEXT_WIDTH, TEXT_WIDTH]
    return [DEPARTMENT_WIDTH, NUMBER_WIDTH, PLAN_TEXT_WIDTH]


def _write_heading(sheet, table, widths):
    """Title and policy rows across the whole width; returns the row for the column header.

    A year without a policy (one brought in from a file without it) prints no policy heading.
    """
    lines = [(table.title, TITLE_FONT)]
    if table.policy:
        lines.append((POLICY_HEADING, BOLD))
        lines += [
            (f"{_circled(number)} {text}", FONT) for number, text in enumerate(table.policy, 1)
        ]
    lines.append((TABLE_HEADING, BOLD))
    for row, (text, font) in enumerate(lines, 1):
        cell = sheet.cell(row=row, column=1)
        store_text(cell, text)
        cell.font = font
        cell.alignment = WRAP
        sheet.merge_cells(start_row=row, start_column=1, end_row=row, end_column=len(widths))
        # A larger font fits fewer characters on a line, and each line is taller.
        scaled_width = sum(widths) * FONT.size / font.size
        sheet.row_dimensions[row].height = row_height(estimate_lines(text, scaled_width), font.size)
    return len(lines) + 1


def _circled(number):
    """① to ⑳, as the policy is numbered in print; (21) beyond."""
    return chr(0x2460 + number - 1) if 1 <= number <= 20 else f"({number})"


def _write_header(sheet, row, with_results):
    titles = ["部署名", "目標及び具体的な取組内容", None]
    if with_results:
        titles.append("実施結果及び目標の達成度")
    for column, title in enumerate(titles, 1):
        cell = sheet.cell(row=row, column=column)
        if title:
            store_text(cell, title)
        _style(cell, BOLD, CENTER)
        cell.fill = HEADER_FILL
    # The goal heading spans the number and the text, as in the printed table.
    sheet.merge_cells(start_row=row, start_column=2, end_row=row, end_column=3)
    sheet.row_dimensions[row].height = row_height(1)


def _write_department(sheet, first_row, department: TableDepartment, widths, with_results):
    """Each goal's rows, the 部署名 merged down beside them all; returns the next free row."""
    if not department.goals:
        return first_row
    row = first_row
    for goal in department.goals:
        row = _write_goal(sheet, row, goal, widths, with_results)
    last_row = row - 1
    name = sheet.cell(row=first_row, column=1)
    store_text(name, department.name)
    _style(name, FONT, WRAP)
    if last_row > first_row:
        sheet.merge_cells(start_row=first_row, start_column=1, end_row=last_row, end_column=1)
    # A long name beside a single short goal needs more room than the goal does.
    heights = [sheet.row_dimensions[r].height for r in range(first_row, row)]
    missing = row_height(estimate_lines(department.name, DEPARTMENT_WIDTH)) - sum(heights)
    if missing > 0:
        sheet.row_dimensions[last_row].height = min(MAX_ROW_HEIGHT, heights[-1] + missing)
    return row


def _write_goal(sheet, first_row, goal: TableGoal, widths, with_results):
    """The goal's number and text cells, over as many rows as its longest text needs.

    A text that runs on over several rows has borders only around the whole of it, so that it
    reads as one cell; returns the next free row.
    """
    cells = [goal_lines(goal)] + ([result_lines(goal.result)] if with_results else [])
    pieces = [split_cell(lines, width) for lines, width in zip(cells, widths[2:], strict=True)]
    count = max(len(column) for column in pieces)
    for offset in range(count):
        row = first_row + offset
        height = 0
        for column, (texts, width) in enumerate(zip(pieces, widths[2:], strict=True), 3):
            text = texts[offset] if offset < len(texts) else ""
            cell = sheet.cell(row=row, column=column)
            store_text(cell, text)
            cell.font, cell.alignment = FONT, WRAP
            cell.border = _part_border(first=offset == 0, last=offset == count - 1)
            height = max(height, row_height(estimate_lines(text, width)))
        sheet.row_dimensions[row].height = height
    number = sheet.cell(row=first_row, column=2, value=goal.number)
    _style(number, FONT, NUMBER_ALIGNMENT)
    if count > 1:
        last_row = first_row + count - 1
        sheet.merge_cells(start_row=first_row, start_column=2, end_row=last_row, end_column=2)
    return first_row + count


def _part_border(*, first, last):
    """The border of one row's part of a goal's cell: closed at the goal's first and last rows."""
    return Border(
        left=_THIN, right=_THIN, top=_THIN if first else None, bottom=_THIN if last else None
    )


def _style(cell, font, alignment):
    cell.font = font
    cell.alignment = alignment
    cell.border = BORDER


def _set_page(sheet, header_row):
    """A4 landscape, as wide as one page, the column header repeated on every page."""
    sheet.page_setup.orientation = "landscape"
    sheet.page_setup.paperSize = sheet.PAPERSIZE_A4
    sheet.page_setup.fitToWidth = 1
    sheet.page_setup.fitToHeight = 0  # as many pages down as it takes
    sheet.sheet_properties.pageSetUpPr.fitToPage = True
    sheet.page_margins = PageMargins(left=0.4, right=0.4, top=0.6, bottom=0.6)
    sheet.print_options.horizontalCentered = True
    sheet.print_title_rows = f"{header_row}:{header_row}"
    sheet.oddFooter.center.text = "&P / &N"
    sheet.freeze_panes = sheet.cell(row=header_row + 1, column=1)


# The data sheet


def _format_data_sheet(sheet):
    """Bold header, filter buttons, header kept in view, columns wide enough to read."""
    for cell in sheet[1]:
        cell.font = Font(bold=True)
    sheet.auto_filter.ref = sheet.dimensions
    sheet.freeze_panes = "A2"
    for column in sheet.iter_cols():
        widest = max(display_width(_first_line(cell.value)) for cell in column)
        width = min(DATA_MAX_WIDTH, max(DATA_MIN_WIDTH, widest + CELL_MARGIN))
        sheet.column_dimensions[column[0].column_letter].width = width


def _write_policy_sheet(sheet, table):
    """The year's policy as data: a header, then one principle a row (reports.table.POLICY_COLUMNS)."""
    for row in policy_rows(table):
        sheet.append([_data_cell(sheet, value) for value in row])
    for cell in sheet[1]:
        cell.font = Font(bold=True)
    sheet.column_dimensions["A"].width = 8
    sheet.column_dimensions["B"].width = 100


def _first_line(value):
    return "" if value is None else str(value).split("\n", 1)[0]


def _set_properties(workbook, table):
    properties = workbook.properties
    properties.title = table.title
    properties.subject = TABLE_HEADING
    properties.creator = table.office_name
    properties.lastModifiedBy = table.office_name
    properties.language = "ja-JP"
