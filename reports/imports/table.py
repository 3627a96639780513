"""Bringing a year in from the machine-readable layout (CSV or the Excel データ sheet).

The layout is the one reports.table.DATA_COLUMNS describes and the CSV/XLSX exporters write,
so a table that was exported can be edited and imported back. The import is all or nothing:
every problem in the file is collected with its row (as a spreadsheet numbers it, the header
being row 1) and its column, and if there is any, nothing is written.

The year's policy comes with the rows where the file has it (the Excel file's sheet 方針) or is
given beside a CSV (reports.imports.policy). A file written before the 省略の理由 column existed is
still read: its results are all taken as written, none as omitted.

A file holds at most MAX_ROWS data rows (a year of a whole city is about 600). Writing is done
in bulk by reports.imports.table_write; the staff page runs it in the background
(reports.imports.jobs) and the command in the foreground, both with progress.
"""

import csv
import io
import zipfile
from dataclasses import dataclass, field

from django.core.exceptions import ValidationError
from django.db import DatabaseError
from django.db.models import Prefetch

from departments.models import (
    Department,
    Office,
    validate_department_code,
    validate_department_name,
)
from goals import rules
from goals.models import (
    FIRST_YEAR,
    LAST_YEAR,
    MAX_ACHIEVEMENT,
    MAX_ACTIONS,
    MAX_DONE,
    MAX_GOALS_PER_SHEET,
    MAX_OBJECTIVE,
    MAX_OMITTED_REASON,
    Category,
    FiscalYear,
    Goal,
    GoalSheet,
    RatingLevel,
    SheetStatus,
)
from goals.selectors import goal_tags, sheet_content
from goals.services import GoalData, ResultData, SheetData, new_departments_active
from goals.validators import parse_goal_number, parse_whole_number, text_problem
from goals.wareki import fiscal_year_label
from reports.exporters.spreadsheet import restore_formula
from reports.exporters.xlsx import DATA_SHEET
from reports.imports.policy import POLICY_SHEET, is_blank, policy_from_sheet, policy_from_text
from reports.imports.published import TableImportError
from reports.imports.table_write import TableWriteError, write_table
from reports.table import DATA_COLUMNS, OPTIONAL_DATA_COLUMNS, TAG_SEPARATOR
from wardservice.text import normalise

__all__ = ["Problem", "TableImportError", "TableImportSummary", "import_table", "read_table_file"]

COLUMN_NAMES = tuple(column.name for column in DATA_COLUMNS)
(
    YEAR,
    YEAR_LABEL,
    MUNICIPALITY_CODE,
    OFFICE_NAME,
    DEPARTMENT_CODE,
    DEPARTMENT_NAME,
    GOAL_NUMBER,
    CATEGORIES,
    OBJECTIVE,
    ACTIONS,
    DONE,
    RATING,
    ACHIEVEMENT,
    OMITTED_REASON,
) = COLUMN_NAMES

IMPORT_COMMENT = "データ (CSV/Excel) から取込"
# Rows per file: ten years of a whole city's departments fit many times over; a bigger file is
# a mistake (or an attack) that would hold a worker and a transaction for minutes.
MAX_ROWS = 20_000
TOO_MANY_ROWS = (
    f"データの行が多すぎます ({MAX_ROWS:,} 行まで)。1つのファイルには1つの年度を入れます。"
    "部署ごとに複数のファイルに分けて取り込むこともできます。"
)
# The steps progress is reported for: progress(step, done, total).
CHECKING, WRITING = "確認", "書込"
MAX_CATEGORY_NAME = Category._meta.get_field("name").max_length
MAX_DEPARTMENT_NAME = Department._meta.get_field("name").max_length
# A year the import creates takes goals numbered up to the most any year may have, and gets as
# its limit the usual number (FiscalYear.max_goals's default) or the file's highest goal number.
DEFAULT_MAX_GOALS = FiscalYear._meta.get_field("max_goals").default
# Columns of text with paragraphs; every other column is one line (names, codes, labels).
PARAGRAPH_COLUMNS = frozenset({OBJECTIVE, ACTIONS, DONE, ACHIEVEMENT, OMITTED_REASON})


@dataclass(frozen=True)
class Problem:
    row: int  # as a spreadsheet shows it: the header is row 1
    column: str  # a DATA_COLUMNS name, or "" for the file as a whole
    message: str
    sheet: str = ""  # where the row is not the データ rows': the sheet 方針, or the policy text

    @property
    def place(self):
        """シート「方針」3行目, 3行目, or ファイル"""
        row = f"{self.row}行目" if self.row else ("" if self.sheet else "ファイル")
        return f"{self.sheet}{row}"

    def __str__(self):
        where = self.place
        return (
            f"{where}「{self.column}」: {self.message}"
            if self.column
            else f"{where}: {self.message}"
        )


class TableFileError(TableImportError):
    """The file has problems; `problems` lists every one of them. Nothing was written."""

    def __init__(self, problems):
        self.problems = list(problems)
        lines = "\n".join(f"  {problem}" for problem in self.problems)
        super().__init__(
            f"取り込めません。{len(self.problems)} 件の問題があります (何も取り込んでいません):\n{lines}"
        )


@dataclass
class TableImportSummary:
    year_created: bool = False
    departments: int = 0
    departments_created: int = 0
    sheets_imported: int = 0
    sheets_unchanged: int = 0
    goals_imported: int = 0
    dry_run: bool = False
    policy: tuple = ()  # the principles the year gets; () when it keeps its own or has none
    rows: int = 0
    # New departments are created inactive: the office has a later year, which they are not in.
    departments_inactive: bool = False
    listing: tuple = field(default=(), repr=False)  # a DepartmentLine per department, in file order

    def counts(self) -> dict:
        """The numbers, for a record of the import (the listing left out)."""
        return {
            name: getattr(self, name)
            for name in (
                "year_created",
                "departments",
                "departments_created",
                "sheets_imported",
                "sheets_unchanged",
                "goals_imported",
                "rows",
                "departments_inactive",
            )
        } | {"policy": len(self.policy)}


@dataclass(frozen=True)
class DepartmentLine:
    """One department of the file as the preview lists it."""

    code: str
    name: str
    goals: int
    new: bool
    unchanged: bool
    results_only: bool = False  # the goals are approved: only their results are imported


# --- reading the file -------------------------------------------------------------------------


@dataclass(frozen=True)
class RawRow:
    number: int
    values: dict  # column name -> str, int, float or None as the file gave it


def read_table_file(file, *, kind: str) -> list[RawRow]:
    """The data rows of a file, keyed by column name; the header is checked.

    `file` is the file's bytes or a binary file object; `kind` is its format, "csv" or "xlsx"
    (as wardservice.uploads.read_upload tells it, or a file name's suffix).
    """
    if isinstance(file, bytes | bytearray | memoryview):
        file = io.BytesIO(file)
    if kind == "csv":
        records, restore = _read_csv(file), True
    elif kind == "xlsx":
        records, restore = _read_xlsx(file), False
    else:
        raise TableFileError(
            [Problem(0, "", "CSV (.csv) か Excel (.xlsx) のファイルを指定してください。")]
        )
    header = next(records, None)
    if header is None:
        raise TableFileError([Problem(0, "", "ファイルが空です。")])
    columns = _check_header(header)
    rows = []
    for number, record in enumerate(records, 2):
        values = list(record)
        if all(is_blank(value) for value in values):
            continue  # blank lines at the end, or rows a person cleared
        extra = [value for value in values[len(columns) :] if not is_blank(value)]
        if extra:
            raise TableFileError([Problem(number, "", "見出しのない列に値があります。")])
        values += [None] * (len(columns) - len(values))
        row = {}
        for name, value in zip(columns, values, strict=False):
            if name is None:
                continue
            row[name] = restore_formula(value) if restore and isinstance(value, str) else value
        rows.append(RawRow(number, row))
        if len(rows) > MAX_ROWS:
            raise TableFileError([Problem(0, "", TOO_MANY_ROWS)])
    return rows


def _read_csv(file):
    try:
        text = file.read().decode("utf-8-sig")
    except OSError as error:
        raise TableFileError([Problem(0, "", f"ファイルを読めません: {error}")]) from error
    except UnicodeDecodeError as error:
        raise TableFileError(
            [
                Problem(
                    0,
                    "",
                    f"UTF-8 のテキストとして読めません ({error.start} バイト目)。UTF-8 で保存してください。",
                )
            ]
        ) from error
    # newline="" semantics: line breaks inside quoted values are kept as they are (RFC 4180).
    reader = csv.reader(io.StringIO(text, newline=""), strict=True)

    def records():
        try:
            yield from reader
        except csv.Error as error:
            raise TableFileError(
                [Problem(reader.line_num, "", f"CSV の形式が正しくありません: {error}")]
            ) from error

    return records()


def _read_xlsx(file):
    from openpyxl import load_workbook
    from openpyxl.utils.exceptions import InvalidFileException

    try:
        # data_only: a formula is never evaluated here, only the value Excel saved with it is read.
        workbook = load_workbook(file, read_only=True, data_only=True)
    except (OSError, zipfile.BadZipFile, InvalidFileException, KeyError, ValueError) as error:
        raise TableFileError(
            [Problem(0, "", f"Excel ファイル (.xlsx) として読めません: {error}")]
        ) from error
    if DATA_SHEET not in workbook.sheetnames:
        workbook.close()
        raise TableFileError([Problem(0, "", f"シート「{DATA_SHEET}」がありません。")])
    sheet = workbook[DATA_SHEET]

    def records():
        # Rows are parsed lazily: a broken cell or broken XML raises here, not on loading.
        try:
            yield from sheet.iter_rows(values_only=True)
        except (ValueError, TypeError, KeyError, IndexError, SyntaxError) as error:
            raise TableFileError(
                [Problem(0, "", f"Excel ファイル (.xlsx) として読めません: {error}")]
            ) from error
        finally:
            workbook.close()

    return records()


def _check_header(header) -> list:
    """The column name of each position (None for an empty trailing cell); problems if it is not the layout."""
    names = [_header_name(value) for value in header]
    while names and names[-1] is None:
        names.pop()
    problems = []
    seen = set()
    for name in names:
        if name is None:
            problems.append(Problem(1, "", "見出しが空の列があります。"))
        elif name not in COLUMN_NAMES:
            problems.append(
                Problem(1, name, "この列はデータの形式にありません (列名を確認してください)。")
            )
        elif name in seen:
            problems.append(Problem(1, name, "同じ列が2回以上あります。"))
        seen.add(name)
    problems += [
        Problem(1, name, "列がありません。")
        for name in COLUMN_NAMES
        if name not in seen and name not in OPTIONAL_DATA_COLUMNS
    ]
    if problems:
        raise TableFileError(problems)
    return names


def _header_name(value):
    if value is None:
        return None
    name = str(value).strip()
    return name or None


# --- checking the rows ------------------------------------------------------------------------


@dataclass
class _Department:
    code: str
    name: str
    first_row: int
    existing: Department | None
    goals: dict = field(default_factory=dict)  # number -> (row, GoalData)
    has_results: bool = False
    sheet: GoalSheet | None = None
    unchanged: bool = False
    # Its goals are the sheet's approved ones: only the results are written (_approved_sheet_refusal).
    results_only: bool = False

    def data(self) -> SheetData:
        goals = [goal for _, goal in sorted(self.goals.values(), key=lambda item: item[1].number)]
        if not self.has_results:
            goals = [GoalData(g.number, g.objective, g.actions, g.categories, None) for g in goals]
        return SheetData(goals=tuple(goals))


class _Checker:
    """Turns the rows into one _Department per 部署コード, noting every problem on the way."""

    def __init__(self, *, office, year, fiscal_year, create_tags):
        self.office = office
        self.year = year
        self.fiscal_year = fiscal_year
        self.create_tags = create_tags
        self.max_goals = fiscal_year.max_goals if fiscal_year else MAX_GOALS_PER_SHEET
        self.problems: list[Problem] = []
        self.departments: dict[str, _Department] = {}
        self.incomplete: set[str] = set()  # codes of departments with a row that has a problem
        self.existing_departments = {d.code: d for d in Department.objects.filter(office=office)}
        self.department_names = {d.name: d.code for d in self.existing_departments.values()}
        self.tags = set(Category.objects.filter(office=office).values_list("name", flat=True))
        self.ratings = (
            set(RatingLevel.objects.filter(fiscal_year=fiscal_year).values_list("label", flat=True))
            if fiscal_year
            else set()
        )

    def problem(self, row, column, message, sheet=""):
        self.problems.append(Problem(row, column, message, sheet))

    def check(self, rows: list[RawRow]):
        if not rows:
            self.problem(0, "", "データの行がありません。")
        for row in rows:
            self.check_row(row)
        return self.departments

    def check_row(self, row: RawRow):
        problems = len(self.problems)
        self._check_row(row)
        if len(self.problems) > problems:
            code = row.values.get(DEPARTMENT_CODE)
            self.incomplete.add(str(code).strip() if code is not None else "")

    def _check_row(self, row: RawRow):
        n, values = row.number, row.values
        self.check_year(n, values)
        code = self.text(n, values, MUNICIPALITY_CODE, required=True, strip=True, limit=None)
        if code and _municipality_code(values[MUNICIPALITY_CODE]) != self.office.municipality_code:
            self.problem(
                n,
                MUNICIPALITY_CODE,
                f"{self.office} の市区町村コード ({self.office.municipality_code}) と違います: {code}",
            )
        department = self.check_department(n, values)
        number = self.check_number(n, values)
        categories = self.check_categories(n, values)
        objective = self.text(n, values, OBJECTIVE, required=True, limit=MAX_OBJECTIVE)
        actions = self.text(n, values, ACTIONS, limit=MAX_ACTIONS)
        result, has_result = self.check_result(n, values)
        if (
            department is None
            or number is None
            or objective is None
            or None in (actions, categories, result)
        ):
            return
        if number in department.goals:
            first = department.goals[number][0]
            self.problem(
                n,
                GOAL_NUMBER,
                f"部署コード {department.code} の目標番号 {number} が重複しています ({first}行目と同じ)。",
            )
            return
        department.goals[number] = (n, GoalData(number, objective, actions, categories, result))
        department.has_results |= has_result

    def check_year(self, n, values):
        year = self.number(
            n, values, YEAR, parse_whole_number, minimum=FIRST_YEAR, maximum=LAST_YEAR, label=YEAR
        )
        if year is not None and year != self.year:
            self.problem(n, YEAR, f"年度が取込先の年度と違います ({year} ≠ {self.year})。")
        label = self.text(n, values, YEAR_LABEL, strip=True, limit=None)
        if label and label != fiscal_year_label(self.year):
            self.problem(
                n,
                YEAR_LABEL,
                f"年度(和暦)が取込先の年度と合いません ({label}。{fiscal_year_label(self.year)} のはずです)。",
            )

    def check_department(self, n, values) -> _Department | None:
        code = self.text(n, values, DEPARTMENT_CODE, required=True, strip=True, limit=None)
        name = self.text(n, values, DEPARTMENT_NAME, strip=True, limit=MAX_DEPARTMENT_NAME)
        # The model's own rules for codes (digits) and names (no path separators).
        code_kept = bool(code) and self.model_rules(
            n, DEPARTMENT_CODE, validate_department_code, code
        )
        name_kept = name is not None and self.model_rules(
            n, DEPARTMENT_NAME, validate_department_name, name
        )
        if not (code_kept and name_kept):
            return None
        department = self.departments.get(code)
        if department is not None:
            if name and name != department.name:
                self._name_differs(n, department, name)
                return None
            return department
        existing = self.existing_departments.get(code)
        if existing is not None and name and name != existing.name:
            self.problem(
                n,
                DEPARTMENT_NAME,
                f"部署コード {code} の部署は「{existing.name}」という名前で登録されています (この行は「{name}」)。"
                "登録されている部署名にするか、部署名を空欄にしてください。部署名を変えるときは、先に部署の設定で変更してください。",
            )
            return None
        if existing is None:
            if not name:
                self.problem(
                    n,
                    DEPARTMENT_CODE,
                    f"部署コード {code} の部署は登録されていません。新しい部署として取り込むには部署名を入力してください。",
                )
                return None
            other = self.department_names.get(name)
            if other is not None:
                self.problem(
                    n,
                    DEPARTMENT_NAME,
                    f"部署名「{name}」は部署コード {other} の部署として登録済みです。",
                )
                return None
            self.department_names[name] = code
        elif not existing.writes_goals:
            self.problem(
                n,
                DEPARTMENT_CODE,
                f"部署コード {code} ({existing.name}) は目標シートを作成しない組織です。",
            )
            return None
        department = _Department(
            code=code, name=existing.name if existing else name, first_row=n, existing=existing
        )
        self.departments[code] = department
        return department

    def _name_differs(self, n, department, name):
        if department.existing is not None:
            self.problem(
                n,
                DEPARTMENT_NAME,
                f"部署コード {department.code} の部署は「{department.name}」という名前で登録されています (この行は「{name}」)。"
                "登録されている部署名にするか、部署名を空欄にしてください。",
            )
        else:
            self.problem(
                n,
                DEPARTMENT_NAME,
                f"部署コード {department.code} の部署名が {department.first_row}行目 (「{department.name}」) と違います。",
            )

    def check_number(self, n, values):
        """1 to the year's number of goals, as the editors' form allows (goals.validators)."""
        try:
            return parse_goal_number(values.get(GOAL_NUMBER), max_goals=self.max_goals)
        except ValidationError as error:
            hint = ""
            if self.fiscal_year is not None and error.code == "range":
                hint = (
                    f"{self.fiscal_year.full_label}の目標数の上限は{self.max_goals}件です"
                    " (上限は「年度の管理」で変更できます)。"
                )
            self.problem(n, GOAL_NUMBER, error.message + hint)
            return None

    def check_categories(self, n, values):
        cell = self.text(n, values, CATEGORIES, strip=True, limit=None)
        if cell is None:
            return None
        if not cell:
            return ()
        names = []
        for part in cell.split(TAG_SEPARATOR):
            name = part.strip()
            if not name:
                self.problem(
                    n,
                    CATEGORIES,
                    f"区分に空の項目があります (区分は「{TAG_SEPARATOR}」で区切ります)。",
                )
                return None
            if name not in names:
                names.append(name)
        unknown = [name for name in names if name not in self.tags]
        if unknown and not self.create_tags:
            listed = "」「".join(unknown)
            self.problem(
                n,
                CATEGORIES,
                f"区分「{listed}」は {self.office} の区分にありません (取込時に「区役所の区分にない区分を、新しい区分として作成する」を指定すると作成できます)。",
            )
            return None
        too_long = [name for name in unknown if len(name) > MAX_CATEGORY_NAME]
        if too_long:
            self.problem(
                n,
                CATEGORIES,
                f"区分名は{MAX_CATEGORY_NAME}文字以内にしてください (「{too_long[0][:10]}…」は {len(too_long[0])} 文字)。",
            )
            return None
        return tuple(names)

    def check_result(self, n, values):
        """(ResultData, whether the row has any result); (None, False) when a value is wrong.

        A result is omitted only where the 省略の理由 column says so, never because of what its
        text says: 「※詳細は省略しますが、…」 is a result like any other.
        """
        done = self.text(n, values, DONE, limit=MAX_DONE)
        achievement = self.text(n, values, ACHIEVEMENT, limit=MAX_ACHIEVEMENT)
        rating = self.text(n, values, RATING, strip=True, limit=None)
        omitted = self.text(n, values, OMITTED_REASON, strip=True, limit=MAX_OMITTED_REASON)
        if done is None or achievement is None or rating is None or omitted is None:
            return None, False
        if rating and rating not in self.ratings:
            if self.ratings:
                choices = "、".join(sorted(self.ratings))
                self.problem(
                    n,
                    RATING,
                    f"達成度評価「{rating}」はこの年度の評価段階 ({choices}) にありません。",
                )
            else:
                self.problem(
                    n,
                    RATING,
                    f"この年度には達成度評価の段階がないため、「{rating}」は取り込めません。",
                )
            return None, False
        if omitted and (done.strip() or achievement.strip() or rating):
            self.problem(
                n,
                OMITTED_REASON,
                "省略の理由がある目標は総括を省略したものとして公表します。"
                "実施結果・達成度評価・目標の達成度を空欄にするか、省略の理由を空欄にしてください。",
            )
            return None, False
        if omitted:
            return ResultData(omitted_reason=omitted), True
        result = ResultData(done=done, achievement=achievement, rating=rating or None)
        return result, bool(done or achievement or rating)

    # values

    def text(self, n, values, column, *, required=False, strip=False, limit):
        """The cell as text ("" when empty), or None after noting a problem."""
        value = values.get(column)
        if value is None:
            text = ""
        elif isinstance(value, bool) or not isinstance(value, str | int | float):
            self.problem(
                n,
                column,
                "文字または数値として読めない値です (日付などは文字列として入力してください)。",
            )
            return None
        elif isinstance(value, float):
            text = str(int(value)) if value.is_integer() else str(value)
        else:
            text = str(value)
        # As the application stores text (wardservice.text): NFC, line breaks as LF (Excel on
        # Windows may write CR LF), so that the same content compares equal when imported again.
        text = normalise(text)
        if strip:
            text = text.strip()
        problem = text_problem(text, one_line=column not in PARAGRAPH_COLUMNS)
        if problem:
            self.problem(n, column, problem)
            return None
        if required and not text.strip():
            self.problem(n, column, f"{column}は必須です。")
            return None
        if limit is not None and len(text) > limit:
            self.problem(
                n, column, f"{column}は{limit}文字以内にしてください (現在 {len(text)} 文字)。"
            )
            return None
        return text

    def number(self, n, values, column, parse, **limits):
        """The cell read by one of goals.validators' number parsers, or None after noting a problem."""
        try:
            return parse(values.get(column), **limits)
        except ValidationError as error:
            self.problem(n, column, error.message)
            return None

    def model_rules(self, n, column, validator, value) -> bool:
        """Whether the value passes a model's validator; noted as a problem of the row and column
        where it does not."""
        try:
            validator(value)
        except ValidationError as error:
            self.problem(n, column, " ".join(error.messages))
            return False
        return True


def _problem_order(problem: Problem):
    """By row, then left to right as the columns stand in the layout; the policy's last."""
    column = COLUMN_NAMES.index(problem.column) if problem.column in COLUMN_NAMES else -1
    return bool(problem.sheet), problem.row, column


def _municipality_code(value):
    """A code Excel turned into a number has lost its leading zero."""
    if isinstance(value, int | float) and not isinstance(value, bool):
        return f"{int(value):06d}"
    return str(value).strip()


def _check_existing_sheets(checker: _Checker, departments, fiscal_year):
    """Approved or in-progress sheets are never written over; the same content counts as unchanged."""
    if fiscal_year is None:
        return
    ids = [d.existing.pk for d in departments.values() if d.existing is not None]
    for sheet in _sheets_with_goals(fiscal_year, ids):
        if sheet.department.code in checker.incomplete:
            continue  # its rows have problems already; what they would replace is not known
        department = departments[sheet.department.code]
        department.sheet = sheet
        goals = sheet.goals.all()
        if sheet.plan_status == SheetStatus.NOT_STARTED and not goals:
            continue
        current = sheet_content(sheet, goals)
        if current == department.data().as_content():
            department.unchanged = True
        elif sheet.plan_status == SheetStatus.APPROVED:
            refusal = _approved_sheet_refusal(sheet, current, department)
            if refusal:
                checker.problem(department.first_row, DEPARTMENT_CODE, refusal)
            else:
                department.results_only = True
        else:
            checker.problem(
                department.first_row,
                DEPARTMENT_CODE,
                f"{sheet.department} は作成中のシート ({sheet.get_plan_status_display()}) があるため取り込めません。",
            )


def _approved_sheet_refusal(sheet, current, department) -> str | None:
    """A sheet whose goals are approved takes the file's results, and nothing else: while its
    実績報告 takes entries (goals.rules) and holds nothing yet, with the file's goals exactly the
    approved ones. Approved goals are exactly when results are written. None when it takes them."""
    approved = f"{sheet.department} は承認済みのシートがあるため取り込めません。"
    results_refusal = rules.imported_results_refusal(sheet)
    if _goals_only(current) != _goals_only(department.data().as_content()) or not department.has_results:
        if rules.edit_results_refusal(sheet) is None:
            return approved + (
                "承認済みの目標には実績だけを取り込めます。目標番号・区分・目標・具体的な取組内容は"
                "シートと同じにし、実施結果を入れてください。"
            )
        return approved
    if results_refusal:
        return f"{sheet.department} の実績は取り込めません。{results_refusal}"
    return None


def _goals_only(content) -> list:
    """A sheet's content (goals.selectors.sheet_content's shape) without its results."""
    return [{**goal, "result": None} for goal in content["goals"]]


def _sheets_with_goals(fiscal_year, department_ids, chunk=500):
    """The year's sheets of these departments with their content, a few queries per chunk."""
    goals = Goal.objects.select_related("result__rating").prefetch_related(goal_tags()).order_by("number")
    for start in range(0, len(department_ids), chunk):
        yield from (
            GoalSheet.objects.filter(fiscal_year=fiscal_year, department_id__in=department_ids[start : start + chunk])
            .select_related("department", "fiscal_year")
            .prefetch_related(Prefetch("goals", queryset=goals))
        )


# --- writing ----------------------------------------------------------------------------------


def import_table(
    *,
    file,
    kind: str,
    office: Office,
    year: int,
    dry_run=False,
    create_tags=False,
    policy: str | None = None,
    by=None,
    progress=None,
) -> TableImportSummary:
    """Check the whole file and, when nothing is wrong, store it as the year's sheets: approved in a
    closed year, submitted for review on the departments' behalf in an open one
    (goals.services.sheets_write_imported).

    `file` and `kind` are read_table_file's. `policy` is the year's 区役所サービス向上方針 as text,
    one principle a line; without it, an Excel file's sheet 方針 gives it. A year that has a
    policy keeps it (a different one is refused); one without gets this one. Raises
    TableImportError listing every problem; then nothing has been written. `progress(step,
    done, total)` hears of the rows checked (CHECKING) and of the sheets written (WRITING).
    """
    report = progress or (lambda step, done, total: None)
    data = file if isinstance(file, bytes | bytearray | memoryview) else file.read()
    rows = read_table_file(data, kind=kind)
    report(CHECKING, 0, len(rows))
    fiscal_year = FiscalYear.objects.filter(office=office, year=year).first()
    checker = _Checker(office=office, year=year, fiscal_year=fiscal_year, create_tags=create_tags)
    principles = _read_policy(checker, data, kind, policy)
    departments = checker.check(rows)
    _check_existing_sheets(checker, departments, fiscal_year)
    new_policy = _policy_to_add(checker, fiscal_year, principles)
    if checker.problems:
        raise TableFileError(sorted(checker.problems, key=_problem_order))
    report(CHECKING, len(rows), len(rows))
    summary = _summary(office, year, fiscal_year, departments, rows=len(rows), policy=new_policy)
    summary.dry_run = dry_run
    to_write = [d for d in departments.values() if not d.unchanged]
    if not dry_run:
        report(WRITING, 0, len(to_write))
        _write(office, year, to_write, new_policy, by, lambda done, total: report(WRITING, done, total))
    return summary


def _summary(office, year, fiscal_year, departments, *, rows, policy):
    to_write = [d for d in departments.values() if not d.unchanged]
    created = sum(d.existing is None for d in departments.values())
    return TableImportSummary(
        year_created=fiscal_year is None,
        departments=len(departments),
        departments_created=created,
        sheets_imported=len(to_write),
        sheets_unchanged=len(departments) - len(to_write),
        goals_imported=sum(len(d.goals) for d in to_write if not d.results_only),
        policy=policy,
        rows=rows,
        departments_inactive=bool(created) and not new_departments_active(office=office, year=year),
        listing=tuple(
            DepartmentLine(d.code, d.name, len(d.goals), d.existing is None, d.unchanged, d.results_only)
            for d in departments.values()
        ),
    )


POLICY_TEXT = "方針の入力"


def _read_policy(checker, data, kind, policy):
    """The principles the import brings: the given text's, else the workbook's sheet 方針 (or None)."""
    if policy is not None and policy.strip():
        return policy_from_text(
            policy, lambda row, column, message: checker.problem(row, column, message, sheet=POLICY_TEXT)
        )
    if kind != "xlsx":
        return None
    from openpyxl import load_workbook

    # The file opened as the データ sheet was: a workbook that could not be read has failed there.
    workbook = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    sheet = f"シート「{POLICY_SHEET}」"
    try:
        return policy_from_sheet(
            workbook, lambda row, column, message: checker.problem(row, column, message, sheet=sheet)
        )
    except (ValueError, TypeError, KeyError, IndexError, SyntaxError) as error:
        checker.problem(0, "", f"Excel ファイル (.xlsx) として読めません: {error}", sheet=sheet)
        return None
    finally:
        workbook.close()


def _policy_to_add(checker, fiscal_year, principles) -> tuple:
    """The principles to store: those brought, for a year that has none yet; a different one is refused."""
    if not principles:
        return ()
    existing = list(fiscal_year.principles.order_by("number").values_list("text", flat=True)) if fiscal_year else []
    if not existing:
        return tuple(principles)
    if existing != list(principles):
        checker.problem(
            0,
            "",
            f"{fiscal_year.full_label}には区役所サービス向上方針が登録済みで、取り込む方針と内容が違います。"
            "登録済みの方針のままにするには、方針を入れずに取り込んでください。",
        )
    return ()


def _write(office, year, departments, policy, by, progress):
    highest = max((number for d in departments for number in d.goals), default=0)
    try:
        write_table(
            office=office,
            year=year,
            departments=departments,
            policy=policy,
            max_goals=max(DEFAULT_MAX_GOALS, highest),
            by=by,
            comment=IMPORT_COMMENT,
            progress=progress,
        )
    except TableWriteError as error:
        raise TableFileError([Problem(error.row, DEPARTMENT_CODE, str(error))]) from error
    except ValidationError as error:
        # The models' own check on every write (wardservice.fields), under the checks above.
        raise TableFileError([Problem(0, "", " ".join(error.messages))]) from error
    except DatabaseError as error:
        raise TableFileError(
            [Problem(0, "", f"データベースに書き込めませんでした: {error}")]
        ) from error
