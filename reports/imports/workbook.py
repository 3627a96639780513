"""An Excel workbook a department fills in offline, and reading it back.

The workbook has two visible sheets: 「記入方法」 (how to fill it in) and 「記入」 (the form), plus a
hidden 「選択肢」 sheet holding the drop-down lists (区分 and 達成度評価). The 「記入」 sheet carries
the department code, the year and the sheet's version in grey, locked cells; the version is what
the upload is saved against, so a workbook downloaded before someone else's save is refused.

区分: a goal may have several tags, and Excel's drop-down picks one value per cell, so the form has
several 区分 columns (区分1, 区分2, ...), each a drop-down of the year's tags. That keeps every
value a valid tag without asking people to type "A・B" exactly. There is a column for each of the
year's tags (a goal may carry them all, as on the page), up to MAX_TAG_COLUMNS, and always as many
as a goal of the sheet already has. The rows are the year's goals (FiscalYear.max_goals).

Sheet protection only guides people to the cells they should fill; it is not security (the
password is empty), so everything read back is checked again here and by the services.
"""

import io
import re
from dataclasses import dataclass

from django.core.exceptions import ValidationError
from openpyxl import Workbook, load_workbook
from openpyxl.styles import Alignment, Font, PatternFill, Protection
from openpyxl.utils import get_column_letter
from openpyxl.utils.cell import column_index_from_string, coordinate_from_string
from openpyxl.worksheet.datavalidation import DataValidation

from goals.models import (
    MAX_ACHIEVEMENT,
    MAX_ACTIONS,
    MAX_DONE,
    MAX_OBJECTIVE,
    MAX_OMITTED_REASON,
    Phase,
)
from goals.rules import writing_phase
from goals.selectors import sheet_goals
from goals.services import GoalInput, ResultInput
from goals.validators import normalise_text, parse_goal_number, parse_whole_number, text_problem
from reports.exporters.xlsx import store_text
from wardservice.text import as_one_line
from wardservice.uploads import UploadRejected, read_upload

INSTRUCTIONS_SHEET = "記入方法"
ENTRY_SHEET = "記入"
LISTS_SHEET = "選択肢"

# Header cells of the 「記入」 sheet (label in column A, value in column B).
TITLE_CELL = "A1"
DEPARTMENT_CELL = "B2"
CODE_CELL = "B3"
YEAR_CELL = "B4"
PHASE_CELL = "B5"
VERSION_CELL = "B6"
LIMITS_ROW = 7
HEADER_ROW = 9
FIRST_GOAL_ROW = HEADER_ROW + 1

# 区分 columns offered for new choices (one per year 区分 up to this many): more would make a row
# too wide to fill in. A goal that already has more tags gets a column for each.
MAX_TAG_COLUMNS = 10
# Columns other than 区分 (the result phase has the most): 目標番号, 目標, 具体的な取組内容,
# 実施結果, 達成度評価, 目標の達成度, 省略の理由.
OTHER_COLUMNS = 7
MAX_VERSION = 999_999_999  # far beyond any sheet's; the cell is read as a number below it

GREY = PatternFill("solid", fgColor="D9D9D9")
INPUT_FILL = PatternFill("solid", fgColor="FFFFFF")
FONT = Font(name="ＭＳ Ｐゴシック", size=10)
BOLD = Font(name="ＭＳ Ｐゴシック", size=10, bold=True)
TITLE_FONT = Font(name="ＭＳ Ｐゴシック", size=14, bold=True)
WRAP = Alignment(wrap_text=True, vertical="top")
LOCKED = Protection(locked=True)
UNLOCKED = Protection(locked=False)


@dataclass(frozen=True)
class Column:
    key: str  # objective, actions, tag1.., done, rating, achievement, omitted_reason
    label: str
    limit: int | None = None  # characters
    width: float = 40
    editable: bool = True


def entry_phase(sheet) -> Phase:
    """The phase the workbook is for: the one the department writes now (goals.rules)."""
    return writing_phase(sheet)


def _columns(phase, tag_count):
    plan_editable = phase == Phase.PLAN
    columns = [Column("number", "目標番号", width=8, editable=False)]
    columns += [
        Column(f"tag{i}", f"区分{i}", width=14, editable=plan_editable)
        for i in range(1, tag_count + 1)
    ]
    columns += [
        Column("objective", "目標", MAX_OBJECTIVE, 45, plan_editable),
        Column("actions", "具体的な取組内容", MAX_ACTIONS, 50, plan_editable),
    ]
    if phase == Phase.RESULT:
        columns += [
            Column("done", "実施結果", MAX_DONE, 55),
            Column("rating", "達成度評価", width=14),
            Column("achievement", "目標の達成度", MAX_ACHIEVEMENT, 45),
            Column("omitted_reason", "省略の理由", MAX_OMITTED_REASON, 30),
        ]
    return columns


def _tag_count(fiscal_year, goals):
    available = fiscal_year.categories.count()
    used = max((len(goal.ordered_categories()) for goal in goals), default=0)
    return max(1, min(MAX_TAG_COLUMNS, available), used)


def _filename_part(text):
    return "".join(ch for ch in as_one_line(text) if ch not in '\\/:*?"<>|').strip() or "sheet"


def entry_filename(sheet) -> str:
    """2021_001_まちづくり推進部 総務課_記入用.xlsx, a download's name and a zip member's: made of
    checked parts only (the year; the 部署コード, digits in the model and the database; the name
    less what a file name cannot hold), so never a path."""
    department = sheet.department
    return f"{sheet.fiscal_year.year}_{department.code}_{_filename_part(department.name)}_記入用.xlsx"


# --- writing -----------------------------------------------------------------------------------


def build_entry_workbook(sheet) -> bytes:
    """The sheet's goals (and results, in the result phase) as a workbook to fill in."""
    fiscal_year = sheet.fiscal_year
    phase = entry_phase(sheet)
    goals = list(sheet_goals(sheet))
    categories = [c.name for c in fiscal_year.categories.order_by("sort_order", "name")]
    ratings = [r.label for r in fiscal_year.rating_levels.order_by("order")]
    columns = _columns(phase, _tag_count(fiscal_year, goals))

    workbook = Workbook()
    workbook.properties.title = (
        f"{sheet.department.name} {fiscal_year.label} {phase.label} 記入用"
    )
    instructions = workbook.active
    instructions.title = INSTRUCTIONS_SHEET
    _write_instructions(instructions, sheet, phase, columns, categories, ratings)
    entry = workbook.create_sheet(ENTRY_SHEET)
    lists = workbook.create_sheet(LISTS_SHEET)
    _write_lists(lists, categories, ratings)
    _write_entry(entry, sheet, phase, columns, goals, categories, ratings)
    workbook.active = 1
    output = io.BytesIO()
    workbook.save(output)
    return output.getvalue()


def _write_instructions(ws, sheet, phase, columns, categories, ratings):
    fiscal_year = sheet.fiscal_year
    lines = [
        f"{fiscal_year.office.name} {fiscal_year.full_label} 区役所サービス向上目標 {phase.label} 記入用ファイル",
        "",
        f"部署: {sheet.department.name} (部署コード {sheet.department.code})",
        "",
        "■ 記入のしかた",
        "1. 「記入」シートの白いセルに入力してください。灰色のセルは変更しないでください。",
    ]
    if phase == Phase.PLAN:
        lines += [
            f"2. 目標は{fiscal_year.max_goals}件まで、1行に1件ずつ入力します。使わない行は空欄のままにしてください。",
            "   既にある目標の行を空欄にすると、その目標は削除されます。",
            "3. 区分は、各「区分」列のセルを選ぶと表示される一覧から選びます。複数の区分がある場合は、"
            "区分1・区分2…の列に1つずつ選んでください。",
        ]
    else:
        lines += [
            "2. 承認済みの目標 (灰色) ごとに、実施結果・達成度評価・目標の達成度を入力します。",
            "   実績を省略する目標は「省略の理由」だけを入力してください (公表表に記載されます)。",
        ]
        if ratings:
            lines.append(
                "3. 達成度評価はセルを選ぶと表示される一覧から選びます: " + "、".join(ratings)
            )
    lines += [
        "",
        "■ 文字数の上限",
    ]
    lines += [f"・{c.label}: {c.limit}字以内" for c in columns if c.limit and c.editable]
    lines += [
        "",
        "■ 入力できない文字",
        "・目に見えない特殊な文字 (制御文字、文字の向きを変える文字、幅のない文字) は使えません。"
        "セル内の改行 (Alt+Enter) は使えます。",
        "",
        "■ 提出のしかた",
        "・入力したファイルは、職員用ページのシート画面から「記入したファイルを取り込む」でアップロードするか、総務課へ返送してください。",
        "・取り込むと内容は「下書き」として保存されます。提出はシート画面から行ってください。",
        "・このファイルを作成した後に、職員用ページでシートが更新された場合は取り込めません。"
        "その場合は新しいファイルをダウンロードし直してください。",
    ]
    if categories:
        lines += ["", "■ この年度の区分", "・" + "、".join(categories)]
    for row, text in enumerate(lines, start=1):
        cell = ws.cell(row=row, column=1, value=text)
        cell.font = TITLE_FONT if row == 1 else BOLD if text.startswith("■") else FONT
    ws.column_dimensions["A"].width = 120
    ws.protection.sheet = True


def _write_lists(ws, categories, ratings):
    ws["A1"] = "区分"
    ws["B1"] = "達成度評価"
    for row, name in enumerate(categories, start=2):
        store_text(ws.cell(row=row, column=1), name)
    for row, label in enumerate(ratings, start=2):
        store_text(ws.cell(row=row, column=2), label)
    ws.sheet_state = "hidden"
    ws.protection.sheet = True


def _write_entry(ws, sheet, phase, columns, goals, categories, ratings):
    fiscal_year = sheet.fiscal_year
    ws[TITLE_CELL] = f"{fiscal_year.full_label} 区役所サービス向上目標 {phase.label}"
    ws[TITLE_CELL].font = TITLE_FONT
    header = [
        ("部署名", DEPARTMENT_CELL, sheet.department.name),
        ("部署コード", CODE_CELL, sheet.department.code),
        ("年度", YEAR_CELL, fiscal_year.year),
        ("段階", PHASE_CELL, phase.label),
        ("版 (変更しないでください)", VERSION_CELL, sheet.version),
    ]
    for label, ref, value in header:
        label_cell = ws.cell(row=ws[ref].row, column=1, value=label)
        label_cell.font = BOLD
        label_cell.fill = GREY
        cell = ws[ref]
        if isinstance(value, str):
            store_text(cell, value)
        else:
            cell.value = value
        cell.fill = GREY
        cell.font = FONT
        cell.protection = Protection(locked=True, hidden=True)
    limits = "、".join(f"{c.label} {c.limit}字" for c in columns if c.limit and c.editable)
    ws.cell(
        row=LIMITS_ROW,
        column=1,
        value=f"文字数の上限: {limits}。白いセルに入力し、灰色のセルは変更しないでください。",
    ).font = FONT

    for index, column in enumerate(columns, start=1):
        cell = ws.cell(
            row=HEADER_ROW,
            column=index,
            value=column.label + (f" ({column.limit}字以内)" if column.limit else ""),
        )
        cell.font = BOLD
        cell.fill = GREY
        cell.alignment = WRAP
        ws.column_dimensions[get_column_letter(index)].width = column.width

    by_number = {goal.number: goal for goal in goals}
    if phase == Phase.PLAN:
        numbers = sorted(set(range(1, fiscal_year.max_goals + 1)) | set(by_number))
    else:
        numbers = sorted(by_number)
    last_row = FIRST_GOAL_ROW + max(len(numbers), 1) - 1
    for offset, number in enumerate(numbers):
        row = FIRST_GOAL_ROW + offset
        goal = by_number.get(number)
        values = _goal_values(goal)
        for index, column in enumerate(columns, start=1):
            cell = ws.cell(row=row, column=index)
            if column.key == "number":
                cell.value = number
            else:
                store_text(cell, values.get(column.key, ""))
            cell.font = FONT
            cell.alignment = WRAP
            cell.protection = UNLOCKED if column.editable else LOCKED
            cell.fill = INPUT_FILL if column.editable else GREY
        ws.row_dimensions[row].height = 90

    _add_validations(ws, columns, categories, ratings, last_row)
    ws.freeze_panes = ws.cell(row=FIRST_GOAL_ROW, column=2)
    ws.protection.sheet = True
    ws.protection.formatRows = False  # people may make rows taller to read long text


def _goal_values(goal):
    if goal is None:
        return {}
    values = {"objective": goal.objective, "actions": goal.actions}
    for i, category in enumerate(goal.ordered_categories(), start=1):
        values[f"tag{i}"] = category.name
    result = getattr(goal, "result", None)
    if result is not None:
        values.update(
            done=result.done,
            achievement=result.achievement,
            rating=result.rating.label if result.rating else "",
            omitted_reason=result.omitted_reason if result.is_omitted else "",
        )
    return values


def _add_validations(ws, columns, categories, ratings, last_row):
    for index, column in enumerate(columns, start=1):
        if not column.editable:
            continue
        letter = get_column_letter(index)
        ref = f"{letter}{FIRST_GOAL_ROW}:{letter}{last_row}"
        validation = None
        if column.limit:
            validation = DataValidation(
                type="textLength",
                operator="lessThanOrEqual",
                formula1=str(column.limit),
                allow_blank=True,
            )
            validation.error = f"{column.label}は{column.limit}字以内で入力してください。"
        elif column.key.startswith("tag") and categories:
            validation = DataValidation(
                type="list",
                formula1=f"'{LISTS_SHEET}'!$A$2:$A${len(categories) + 1}",
                allow_blank=True,
            )
            validation.error = "区分は一覧から選んでください。"
            validation.prompt = "一覧から区分を1つ選びます。複数ある場合は隣の区分列も使います。"
        elif column.key == "rating" and ratings:
            validation = DataValidation(
                type="list",
                formula1=f"'{LISTS_SHEET}'!$B$2:$B${len(ratings) + 1}",
                allow_blank=True,
            )
            validation.error = "達成度評価は一覧から選んでください。"
        if validation is None:
            continue
        validation.errorTitle = "入力できません"
        validation.errorStyle = "stop"
        validation.showErrorMessage = True
        validation.showInputMessage = bool(validation.prompt)
        validation.add(ref)
        ws.add_data_validation(validation)


# --- reading -----------------------------------------------------------------------------------


def _text(value) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    return normalise_text(str(value))


def read_entry_workbook(data: bytes, sheet):
    """(GoalInput or ResultInput list, version written in the workbook, [(cell, message)]).

    Inputs are only meaningful when problems is empty.
    """
    problems = []
    max_col = _column_bound(sheet.fiscal_year)
    try:
        read_upload(io.BytesIO(data), allowed={"xlsx"})  # checked again before openpyxl reads it
        workbook = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
        try:
            # Rows are parsed lazily: a broken cell raises while they are read, not on loading.
            rows = _cells(workbook[ENTRY_SHEET], max_col) if ENTRY_SHEET in workbook.sheetnames else None
        finally:
            workbook.close()
    except UploadRejected as error:
        return [], None, [("", str(error))]
    except Exception:  # noqa: BLE001 - any broken file is the person's problem to fix, not a 500
        return (
            [],
            None,
            [
                (
                    "",
                    "Excelファイルとして読み込めませんでした。ダウンロードしたファイルに入力してください。",
                )
            ],
        )
    if rows is None:
        return (
            [],
            None,
            [("", f"「{ENTRY_SHEET}」シートがありません。ダウンロードしたファイルに入力してください。")],
        )

    version = _check_header(rows, sheet, problems)
    phase = entry_phase(sheet)
    header = rows.get(HEADER_ROW, {})
    keys = _header_keys(header)
    if "objective" not in keys.values():
        problems.append(
            (
                f"A{HEADER_ROW}",
                "見出しの行が見つかりません。ダウンロードしたファイルの列や行を動かさないでください。",
            )
        )
        return [], version, problems
    if phase == Phase.RESULT and "done" not in keys.values():
        problems.append(
            (
                "",
                "このファイルは目標設定用です。実績報告用のファイルをダウンロードし直してください。",
            )
        )
        return [], version, problems
    if phase == Phase.PLAN and "done" in keys.values():
        problems.append(
            (
                "",
                "このファイルは実績報告用です。目標設定用のファイルをダウンロードし直してください。",
            )
        )
        return [], version, problems

    goal_rows = [row for row in sorted(rows) if row >= FIRST_GOAL_ROW]
    if phase == Phase.PLAN:
        inputs = _read_plan(rows, goal_rows, keys, sheet, problems)
    else:
        inputs = _read_results(rows, goal_rows, keys, sheet, problems)
    return inputs, version, problems


def _column_bound(fiscal_year):
    """The columns a workbook of the year can have: a goal's tags are the year's (as saved)."""
    return OTHER_COLUMNS + max(MAX_TAG_COLUMNS, fiscal_year.categories.count())


def _cells(ws, max_col):
    """{row: {column index: value}} for the non-empty cells (bounded by what the form can hold)."""
    rows = {}
    for row in ws.iter_rows(min_row=1, max_row=FIRST_GOAL_ROW + 200, max_col=max_col):
        for cell in row:
            if getattr(cell, "value", None) is not None and getattr(cell, "row", None):
                rows.setdefault(cell.row, {})[cell.column] = cell.value
    return rows


def _value(rows, ref):
    letter, row = coordinate_from_string(ref)
    return rows.get(row, {}).get(column_index_from_string(letter))


def _check_header(rows, sheet, problems):
    code = _text(_value(rows, CODE_CELL))
    if code != sheet.department.code:
        problems.append(
            (
                f"{ENTRY_SHEET}!{CODE_CELL}",
                f"部署コードが「{code}」になっています。{sheet.department.name}のファイルではありません。",
            )
        )
    year = _text(_value(rows, YEAR_CELL))
    if year != str(sheet.fiscal_year.year):
        problems.append(
            (
                f"{ENTRY_SHEET}!{YEAR_CELL}",
                f"年度が「{year}」になっています。{sheet.fiscal_year.year}年度のファイルではありません。",
            )
        )
    try:
        return parse_whole_number(_value(rows, VERSION_CELL), minimum=1, maximum=MAX_VERSION, label="版")
    except ValidationError:
        problems.append(
            (
                f"{ENTRY_SHEET}!{VERSION_CELL}",
                "版が読み取れません。ダウンロードしたファイルの灰色のセルは変更しないでください。",
            )
        )
        return None


_LABEL_KEYS = {
    "目標番号": "number",
    "目標": "objective",
    "具体的な取組内容": "actions",
    "実施結果": "done",
    "達成度評価": "rating",
    "目標の達成度": "achievement",
    "省略の理由": "omitted_reason",
}


_TAG_LABEL = re.compile(r"区分([0-9]{1,3})")


def _header_keys(header):
    keys = {}
    for column, value in header.items():
        label = _text(value).split(" (")[0]
        if label in _LABEL_KEYS:
            keys[column] = _LABEL_KEYS[label]
        elif tag := _TAG_LABEL.fullmatch(label):
            keys[column] = f"tag{int(tag[1])}"
    return keys


_LIMITS = {
    "objective": ("目標", MAX_OBJECTIVE),
    "actions": ("具体的な取組内容", MAX_ACTIONS),
    "done": ("実施結果", MAX_DONE),
    "achievement": ("目標の達成度", MAX_ACHIEVEMENT),
    "omitted_reason": ("省略の理由", MAX_OMITTED_REASON),
}


def _row_values(rows, row, keys, problems, wanted):
    """The row's texts by key, each checked against the text policy and its length."""
    values = {}
    for column, key in keys.items():
        if key not in wanted:
            continue
        text = _text(rows.get(row, {}).get(column))
        ref = f"{ENTRY_SHEET}!{get_column_letter(column)}{row}"
        problem = text_problem(text, one_line=key not in _LIMITS)  # 区分 and 達成度評価 are one line
        if problem:
            problems.append((ref, problem))
        if key in _LIMITS:
            label, limit = _LIMITS[key]
            if len(text) > limit:
                problems.append(
                    (ref, f"{label}は{limit}字以内で入力してください (現在{len(text)}字)。")
                )
        values[key] = (text, ref)
    return values


def _number(rows, row, keys, problems, max_goals):
    column = next((c for c, k in keys.items() if k == "number"), None)
    try:
        return parse_goal_number(rows.get(row, {}).get(column) if column else None, max_goals=max_goals)
    except ValidationError as error:
        problems.append(
            (
                f"{ENTRY_SHEET}!{get_column_letter(column or 1)}{row}",
                f"{error.message} 目標番号の灰色のセルは変更しないでください。",
            )
        )
        return None


def _read_plan(rows, goal_rows, keys, sheet, problems):
    fiscal_year = sheet.fiscal_year
    categories = {c.name: c for c in fiscal_year.categories.all()}
    wanted = {"objective", "actions"} | {k for k in keys.values() if k.startswith("tag")}
    inputs = []
    for row in goal_rows:
        values = _row_values(rows, row, keys, problems, wanted)
        if not any(text for text, _ref in values.values()):
            continue
        number = _number(rows, row, keys, problems, fiscal_year.max_goals)
        objective, objective_ref = values.get("objective", ("", f"{ENTRY_SHEET}!A{row}"))
        if not objective:
            problems.append(
                (
                    objective_ref,
                    "目標が空欄です。目標を入力するか、この行をすべて空欄にしてください。",
                )
            )
        tags = []
        # In the columns' order: 区分2 before 区分10.
        for key in sorted((k for k in values if k.startswith("tag")), key=lambda k: int(k[3:])):
            name, ref = values[key]
            if not name:
                continue
            if name not in categories:
                problems.append(
                    (ref, f"区分「{name}」はこの年度にありません。一覧から選んでください。")
                )
            elif categories[name] not in tags:
                tags.append(categories[name])
        if number is not None:
            inputs.append(
                GoalInput(
                    number=number,
                    objective=objective,
                    actions=values.get("actions", ("", ""))[0],
                    categories=tuple(tags),
                )
            )
    if len(inputs) > fiscal_year.max_goals:
        problems.append(("", f"目標は{fiscal_year.max_goals}件までです。"))
    numbers = [g.number for g in inputs]
    if len(set(numbers)) != len(numbers):
        problems.append(("", "目標番号が重複しています。"))
    return inputs


def _read_results(rows, goal_rows, keys, sheet, problems):
    ratings = {r.label: r for r in sheet.fiscal_year.rating_levels.all()}
    existing = set(sheet.goals.values_list("number", flat=True))
    wanted = {"done", "rating", "achievement", "omitted_reason"}
    # A goal saved before its year's limit was lowered keeps its number.
    max_goals = max([sheet.fiscal_year.max_goals, *existing])
    inputs = []
    for row in goal_rows:
        if not rows.get(row):
            continue
        number = _number(rows, row, keys, problems, max_goals)
        values = _row_values(rows, row, keys, problems, wanted)
        if number is None:
            continue
        if number not in existing:
            problems.append((f"{ENTRY_SHEET}!A{row}", f"目標{number}はこのシートにありません。"))
            continue
        label, rating_ref = values.get("rating", ("", ""))
        rating = None
        if label:
            rating = ratings.get(label)
            if rating is None:
                problems.append(
                    (
                        rating_ref,
                        f"達成度評価「{label}」はこの年度にありません。一覧から選んでください。",
                    )
                )
        inputs.append(
            ResultInput(
                number=number,
                done=values.get("done", ("", ""))[0],
                achievement=values.get("achievement", ("", ""))[0],
                rating=rating,
                omitted_reason=values.get("omitted_reason", ("", ""))[0],
            )
        )
    return inputs
