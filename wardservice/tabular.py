"""Lists a ward clerk keeps in Excel or CSV, read as rows under their headings, and written back.

A list (`Layout`) has headings, some required, and a sheet of its own in an Excel workbook
(the sheet is named after the list: 「部署」, 「区分」). A CSV file holds one list, recognised by
its headings; it may be UTF-8 (with or without a BOM) or Shift_JIS (CP932), as Excel saves
「CSV (コンマ区切り)」 in Japanese Windows (wardservice.uploads.decode_text).

Reading never stops at the first problem: every problem is collected with its list, its row
(as a spreadsheet numbers it: the headings are row 1) and its column, so a person can fix them
all at once. The values are left as the file gives them (str, int, float, bool or None) for the
caller to check; what no caller can use is refused here: a formula (only its last computed value
would be read, not what the person sees in the cell once something changes), an error value
(#N/A), a date or time, a value under no heading, and more rows than the list allows.

The reading itself (csv_records, open_workbook, sheets_named, sheet_records, heading_text) is
the one reader of every list uploaded, the 人事異動 of departments.staff.transfers included;
what differs between lists is an argument: a sheet by name or else the first, date cells
accepted or refused, a formula's computed value read or refused, the columns read.

The files read here have passed wardservice.uploads.read_upload (size, type by content, zip
bombs, XML without DOCTYPE). Like it, this module imports nothing from the apps.
"""

import csv
import io
import unicodedata
import zipfile
from contextlib import contextmanager
from dataclasses import dataclass, field

from wardservice.text import as_one_line, normalise, read_whole_number, text_problem
from wardservice.uploads import decode_text

MAX_COLUMNS = 50  # read in a row of a sheet; a list has a handful
# What a spreadsheet takes for the start of a formula: such a value would run as one when the
# list is opened again, so no name or label may start with it.
FORMULA_STARTS = ("=", "+", "-", "@")
FORMULA_START_MESSAGE = (
    "「=」「+」「-」「@」で始まる値は、Excel で数式として扱われるため使えません。"
)


@dataclass(frozen=True, eq=False)  # a list is itself: compared and hashed by identity
class Layout:
    """A list's headings (in the order the templates write them) and its limits."""

    name: str  # the list and its Excel sheet: 部署, 区分
    columns: tuple[str, ...]
    required: frozenset[str]
    max_rows: int
    aliases: dict = field(default_factory=dict)  # another heading people use -> the column

    @property
    def key(self) -> str:
        """The first required column: a CSV file holds this list when its headings have it."""
        return next(column for column in self.columns if column in self.required)


@dataclass(frozen=True)
class Problem:
    list_name: str  # the Layout's name, or "" for a file as a whole
    row: int  # the headings are row 1; 0 for the list or the file as a whole
    column: str  # a heading, or ""
    message: str

    def __str__(self):
        where = "・".join(
            part
            for part in (
                self.list_name and f"{self.list_name}の一覧",
                self.row and f"{self.row}行目",
                self.column and f"「{self.column}」",
            )
            if part
        )
        return f"{where}: {self.message}" if where else self.message


@dataclass(frozen=True)
class Row:
    number: int  # as a spreadsheet shows it
    values: dict  # column -> str, int, float, bool or None; only the file's columns


@dataclass
class Table:
    """One list as a file gave it: its columns, its non-blank rows, and what was wrong."""

    layout: Layout
    source: str  # the file's name, to say where the list came from
    columns: tuple[str, ...] = ()
    rows: list[Row] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)

    def has(self, column) -> bool:
        return column in self.columns

    def problem(self, row, column, message):
        self.problems.append(Problem(self.layout.name, row, column, message))


class _Refused:
    """A cell refused while reading (a formula, an error value, a date); its problem is noted."""

    def __repr__(self):
        return "REFUSED"


REFUSED = _Refused()


# --- reading --------------------------------------------------------------------------------------


def read_lists(
    data: bytes, *, kind: str, source: str, layouts
) -> tuple[list[Table], list[Problem]]:
    """The lists a file holds (a CSV: one, by its headings; a workbook: a sheet per list), and
    the problems of the file as a whole (no list found, unreadable)."""
    if kind == "csv":
        return _read_csv(data, source, layouts)
    if kind == "xlsx":
        return _read_xlsx(data, source, layouts)
    return [], [Problem("", 0, "", "CSV (.csv) か Excel (.xlsx) のファイルを選んでください。")]


def _read_csv(data, source, layouts):
    try:
        records = csv_records(data, limit=max(_record_limit(layout) for layout in layouts))
    except Unreadable as error:
        return [], [Problem("", error.line, "", error.message)]
    if not records:
        return [], [Problem("", 0, "", f"{source} にはデータがありません。")]
    headings = [heading_text(value) for value in records[0]]
    for layout in layouts:
        if layout.key in {_column(layout, heading) for heading in headings}:
            return [_table(layout, source, records)], []
    keys = "」か「".join(layout.key for layout in layouts)
    return [], [
        Problem(
            "",
            1,
            "",
            f"{source} の1行目に「{keys}」の見出しがありません。見出しは記入例のとおりにしてください。",
        )
    ]


def _record_limit(layout):
    """The records read of a list: its headings and rows, and as many blank rows again at most."""
    return 1 + 2 * layout.max_rows


def _read_xlsx(data, source, layouts):
    tables, problems = [], []
    try:
        with open_workbook(data) as workbook:
            for name in sheets_named(workbook, [layout.name for layout in layouts]):
                layout = next(layout for layout in layouts if layout.name == name)
                records = sheet_records(workbook[name], limit=_record_limit(layout))
                try:
                    tables.append(_table(layout, source, records))
                except Unreadable as error:
                    problems.append(Problem(layout.name, 0, "", error.message))
    except Unreadable as error:
        return [], [Problem("", 0, "", error.message)]
    if not tables and not problems:
        names = "」「".join(layout.name for layout in layouts)
        problems.append(
            Problem(
                "",
                0,
                "",
                f"{source} にシート「{names}」がありません。記入例のシート名のままにしてください。",
            )
        )
    return tables, problems


# --- the one reader of CSV and XLSX lists --------------------------------------------------------
#
# Every list read from an upload (the 部署・区分 of setup here, the 人事異動 of departments.staff)
# goes through these: the text decoded, CSV records parsed, the workbook opened, its sheet chosen,
# its cells classified. What differs between lists is said by their callers' arguments.


class Unreadable(Exception):
    """The file (or a sheet of it) cannot be read; the message (Japanese) says why, and `line`
    where in a CSV file (0 when unknown)."""

    def __init__(self, message, *, line=0):
        super().__init__(message)
        self.message = message
        self.line = line


# Stands for the records past a reader's `limit`, which are not read.
TOO_LONG = object()


def csv_records(data: bytes, *, limit=None, max_columns=MAX_COLUMNS) -> list:
    """The records of a CSV file in UTF-8 (a BOM is fine) or CP932, each cut to `max_columns`
    values (None: all); past `limit` records, TOO_LONG stands for the rest. Unreadable."""
    try:
        text = decode_text(data, shift_jis=True)
    except UnicodeDecodeError as error:
        raise Unreadable(
            "文字コードが UTF-8 でも Shift_JIS でもないため読めません。"
            "Excel で「CSV UTF-8 (コンマ区切り)」を選んで保存し直してください。",
            line=data[: error.start].count(b"\n") + 1,
        ) from None
    reader = csv.reader(io.StringIO(text, newline=""), strict=True)
    records = []
    try:
        for record in reader:
            if limit is not None and len(records) >= limit:
                records.append(TOO_LONG)
                break
            records.append(record[:max_columns])
    except csv.Error as error:
        raise Unreadable(
            f"CSV の形式が正しくありません ({error})。", line=reader.line_num
        ) from None
    return records


@contextmanager
def open_workbook(data: bytes, *, computed=False):
    """The workbook, read-only, closed on leaving; Unreadable when it is not one.

    Without `computed`, formulas are read as formulas (so that sheet_records can refuse them:
    only a formula's last saved value could be read, not what the cell shows once something
    changes); with it, a formula gives the value Excel last computed, as the cell showed it.
    """
    from openpyxl import load_workbook
    from openpyxl.utils.exceptions import InvalidFileException

    try:
        workbook = load_workbook(io.BytesIO(data), read_only=True, data_only=computed)
    except (
        OSError,
        zipfile.BadZipFile,
        InvalidFileException,
        KeyError,
        ValueError,
        TypeError,
    ) as error:
        raise Unreadable(
            f"Excel ファイル (.xlsx) として読めません ({as_one_line(str(error))[:100]})。"
        ) from None
    try:
        yield workbook
    finally:
        workbook.close()


def sheets_named(workbook, names, *, first_otherwise=False) -> list[str]:
    """The workbook's sheets of `names`, in that order; with `first_otherwise`, its first sheet
    when it has none of them."""
    found = [name for name in names if name in workbook.sheetnames]
    if not found and first_otherwise and workbook.sheetnames:
        return workbook.sheetnames[:1]
    return found


def sheet_records(sheet, *, limit=None, max_columns=MAX_COLUMNS, dates=False, computed=False):
    """The sheet's rows as lists of values, TOO_LONG past `limit` rows; Unreadable when the
    sheet breaks half-way. A formula, an error value or (without `dates`) a date or time is
    a CellRefused in its place, for the caller to report. With `dates`, a date or time cell is
    what openpyxl makes of it (datetime, date, time, timedelta); with `computed` (the workbook
    opened so), a cell is read as it shows, an error value as its text (#N/A)."""
    try:
        for count, row in enumerate(sheet.iter_rows(max_col=max_columns), 1):
            if limit is not None and count > limit:
                yield TOO_LONG
                return
            yield [_cell_value(cell, dates, computed) for cell in row]
    except (ValueError, TypeError, KeyError, IndexError, SyntaxError, zipfile.BadZipFile) as error:
        raise Unreadable(f"シートを読めません ({as_one_line(str(error))[:100]})。") from None


@dataclass(frozen=True)
class CellRefused:
    """A cell refused as it was read; the message (Japanese) says why."""

    message: str


_FORMULA = CellRefused("数式は取り込めません。計算した結果ではなく、値そのものを入力してください。")
_ERROR = CellRefused("エラーの値 (#N/A など) は取り込めません。")
_DATE = CellRefused("日付や時刻として入力されています。文字列か数字で入力してください。")


def _cell_value(cell, dates, computed):
    value = getattr(cell, "value", None)
    data_type = getattr(cell, "data_type", None)
    if value is None:
        return None
    if data_type == "f":
        return _FORMULA
    if data_type == "e" and not computed:
        return _ERROR
    if isinstance(value, bool | int | float | str):
        return value
    if dates:
        return value
    return _DATE  # datetime, date, time, timedelta: what openpyxl makes of a date-formatted cell


def heading_text(value) -> str:
    """A heading as compared: full-width letters, a BOM or blank edges do not matter."""
    if value is None or isinstance(value, CellRefused):
        return ""
    return unicodedata.normalize("NFKC", str(value)).replace("\ufeff", "").strip()


def _column(layout, heading):
    return layout.aliases.get(heading, heading)


def _table(layout, source, records) -> Table:
    records = iter(records)
    table = Table(layout=layout, source=source)
    header = next(records, None)
    if header is None:
        table.problem(0, "", "見出しの行がありません。")
        return table
    columns = _check_headings(table, [_column(layout, heading_text(value)) for value in header])
    table.columns = tuple(column for column in columns if column)
    if table.problems:
        return table  # rows under wrong headings would only repeat the headings' problems
    for number, record in enumerate(records, 2):
        if record is TOO_LONG:
            table.problem(
                0,
                "",
                f"行が多すぎます ({layout.max_rows:,} 行まで。途中に空の行が多いときは、それも消してください)。",
            )
            break
        values = list(record)
        if all(_blank(value) for value in values):
            continue
        if len(table.rows) >= layout.max_rows:
            table.problem(0, "", f"行が多すぎます ({layout.max_rows:,} 行まで)。")
            break
        row = {}
        for index, value in enumerate(values):
            column = columns[index] if index < len(columns) else None
            if column is None:
                if not _blank(value):
                    table.problem(number, "", f"見出しのない列 ({index + 1}列目) に値があります。")
                continue
            if isinstance(value, CellRefused):
                table.problem(number, column, value.message)
                value = REFUSED
            row[column] = value
        table.rows.append(Row(number, row))
    if not table.rows and not table.problems:
        table.problem(0, "", "データの行がありません (見出しの下に1行に1件ずつ入力します)。")
    return table


def _check_headings(table, names) -> list:
    """The column of each position (None where there is no heading)."""
    layout = table.layout
    columns, seen = [], set()
    for index, name in enumerate(names, 1):
        if not name:
            columns.append(None)
        elif name not in layout.columns:
            table.problem(
                1,
                name,
                f"この見出しは{layout.name}の一覧にありません (使える見出し: {'、'.join(layout.columns)})。",
            )
            columns.append(None)
        elif name in seen:
            table.problem(1, name, f"同じ見出しが2回以上あります ({index}列目)。")
            columns.append(None)
        else:
            seen.add(name)
            columns.append(name)
    for name in layout.columns:
        if name in layout.required and name not in seen:
            table.problem(1, name, "この列がありません。見出しは記入例のとおりにしてください。")
    return columns


def _blank(value) -> bool:
    return value is None or (isinstance(value, str) and not value.strip())


# --- cells, as callers check them ------------------------------------------------------------------


class Cells:
    """Reads one table's cells for a caller's checks, noting each problem on the table.

    Every reader returns the value, None for a blank optional cell, or REFUSED once the problem is
    noted (so the caller can tell a blank cell from a wrong one and stop there).
    """

    def __init__(self, table: Table):
        self.table = table

    def line(self, row: Row, column, *, required=False, max_length: int, label=None):
        """One line of text, as the text policy stores it (wardservice.text)."""
        value = row.values.get(column)
        label = label or column
        if value is REFUSED:
            return REFUSED
        if isinstance(value, bool):
            return self._refuse(row, column, "TRUE や FALSE ではなく、文字で入力してください。")
        if isinstance(value, float) and value.is_integer():
            value = int(value)
        text = normalise("" if value is None else str(value)).strip()
        if not text:
            if required:
                return self._refuse(row, column, f"{label}を入力してください。")
            return None
        if problem := text_problem(text, one_line=True):
            return self._refuse(row, column, problem[0])
        if text.startswith(FORMULA_STARTS):
            return self._refuse(row, column, FORMULA_START_MESSAGE)
        if len(text) > max_length:
            return self._refuse(
                row, column, f"{label}は{max_length}文字以内にしてください (今は{len(text)}文字)。"
            )
        return text

    def whole_number(self, row: Row, column, *, maximum: int):
        """A whole number from 0 to `maximum` (wardservice.text.read_whole_number's one reading)."""
        value = row.values.get(column)
        if value is REFUSED:
            return REFUSED
        if _blank(value):
            return None
        number = read_whole_number(value)
        if number is None or not 0 <= number <= maximum:
            shown = as_one_line(str(value))[:20]
            why = "数字ではありません" if number is None else "範囲外です"
            return self._refuse(
                row,
                column,
                f"{column}は0〜{maximum}の整数で入力してください (「{shown}」は{why})。",
            )
        return number

    def yes_no(self, row: Row, column, *, yes: str, no: str):
        """True or False from する/しない, はい/いいえ, ○/×, 1/0 or Excel's TRUE/FALSE."""
        value = row.values.get(column)
        if value is REFUSED:
            return REFUSED
        if _blank(value):
            return None
        if isinstance(value, bool):
            return value
        if isinstance(value, float) and value.is_integer():
            value = int(value)
        text = unicodedata.normalize("NFKC", normalise(str(value))).strip().lower()
        if text in {yes, "する", "はい", "○", "◯", "1", "true", "yes"}:
            return True
        if text in {no, "しない", "いいえ", "×", "✕", "0", "false", "no"}:
            return False
        shown = as_one_line(str(value))[:20]
        return self._refuse(
            row, column, f"「{yes}」か「{no}」で入力してください (「{shown}」は読めません)。"
        )

    def _refuse(self, row, column, message):
        self.table.problem(row.number, column, message)
        return REFUSED


# --- writing ----------------------------------------------------------------------------------------


def csv_bytes(layout: Layout, rows) -> bytes:
    """One list as CSV: UTF-8 with a BOM (Excel opens it as UTF-8), CRLF between rows, as
    Excel writes it. A value that could run as a formula is kept as text with an apostrophe."""
    buffer = io.StringIO(newline="")
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow(layout.columns)
    for row in rows:
        writer.writerow(
            ["'" + v if isinstance(v, str) and v.startswith(FORMULA_STARTS) else v for v in row]
        )
    return ("\ufeff" + buffer.getvalue()).encode("utf-8")


def xlsx_bytes(lists, *, instructions=(), text_columns=()) -> bytes:
    """A workbook with a sheet of instructions (a line a row) and a sheet per (layout, rows).

    Columns named in `text_columns` are formatted as text, so that Excel keeps a code's leading
    zeros ("001"); every value is stored as the value it is, never as a formula.
    """
    from openpyxl import Workbook
    from openpyxl.styles import Font
    from openpyxl.utils import get_column_letter

    workbook = Workbook()
    notes = workbook.active
    notes.title = "記入方法"
    notes.column_dimensions["A"].width = 110
    for line in instructions:
        notes.append([line])
    if instructions:
        notes["A1"].font = Font(bold=True, size=12)
    for layout, rows in lists:
        sheet = workbook.create_sheet(layout.name)
        sheet.append(list(layout.columns))
        for cell in sheet[1]:
            cell.font = Font(bold=True)
        for row in rows:
            sheet.append([None] * len(layout.columns))
            for index, value in enumerate(row, 1):
                cell = sheet.cell(row=sheet.max_row, column=index)
                cell.value = value
                if isinstance(value, str):
                    cell.data_type = "s"  # openpyxl would take a leading "=" for a formula
        for index, column in enumerate(layout.columns, 1):
            letter = get_column_letter(index)
            sheet.column_dimensions[letter].width = max(12, len(column) * 2.5 + 2)
            if column in text_columns:
                for row_number in range(1, max(sheet.max_row, 1) + 200):
                    sheet[f"{letter}{row_number}"].number_format = "@"
        sheet.freeze_panes = "A2"
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


# --- keeping a checked file between its preview and 確定 --------------------------------------------


def tables_dump(tables) -> list:
    """The tables as plain data (JSON), to be read again by tables_load: the values as read."""
    return [
        {
            "list": table.layout.name,
            "source": table.source,
            "columns": list(table.columns),
            "rows": [[row.number, row.values] for row in table.rows],
        }
        for table in tables
    ]


def tables_load(data, layouts) -> list[Table]:
    """Tables from tables_dump's data; ValueError when it is not that."""
    by_name = {layout.name: layout for layout in layouts}
    tables = []
    try:
        for item in data:
            table = Table(
                layout=by_name[item["list"]],
                source=str(item["source"]),
                columns=tuple(item["columns"]),
            )
            for number, values in item["rows"]:
                if not isinstance(values, dict) or not all(
                    column in table.columns
                    and (value is None or isinstance(value, bool | int | float | str))
                    for column, value in values.items()
                ):
                    raise ValueError("not a row of the list")
                table.rows.append(Row(int(number), values))
            tables.append(table)
    except (KeyError, TypeError) as error:
        raise ValueError(f"not tables: {error}") from error
    return tables
