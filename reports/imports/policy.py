"""The year's 区役所サービス向上方針 as an import brings it: the Excel file's sheet 方針, or text.

The データ layout has one row per goal and no place for the policy, so it travels beside the
rows: the exported Excel file has a sheet 方針 (reports.table.POLICY_COLUMNS: 番号 and the
principle, one a row), and a CSV import takes it as text, one principle a line (the staff import
page's field, `import_table --policy FILE`). Problems are reported through `problem(row, column,
message)` with the row as the source numbers it; nothing here writes.
"""

import re

from django.core.exceptions import ValidationError

from goals.models import PolicyPrinciple
from goals.validators import parse_whole_number, text_problem
from reports.exporters.xlsx import POLICY_SHEET
from reports.table import POLICY_COLUMNS
from wardservice.text import normalise

NUMBER, TEXT = (column.name for column in POLICY_COLUMNS)
MAX_PRINCIPLE = PolicyPrinciple._meta.get_field("text").max_length
MAX_PRINCIPLES = 20  # ①–⑳, as printed
# A principle typed with its printed number in front: "① …", "1. …", "(1) …".
_NUMBER_MARK = re.compile(r"^\s*(?:[\u2460-\u2473]|\(?[0-9０-９]{1,2}[)）.．、]?)\s+")


def policy_from_sheet(workbook, problem) -> tuple[str, ...] | None:
    """The principles on the workbook's sheet 方針, in number order; None without the sheet.

    The numbers must run 1, 2, 3 … without a gap or a repeat, so that no principle is lost or
    printed under another's number.
    """
    if POLICY_SHEET not in workbook.sheetnames:
        return None
    rows = list(workbook[POLICY_SHEET].iter_rows(values_only=True))
    header = [str(value).strip() if value is not None else "" for value in (rows[0] if rows else ())]
    if header[:2] != [NUMBER, TEXT]:
        problem(1, "", f"1行目の見出しを「{NUMBER}」「{TEXT}」にしてください。")
        return None
    principles = []
    for row_number, row in enumerate(rows[1:], 2):
        number, text = (list(row) + [None, None])[:2]
        if is_blank(number) and is_blank(text):
            continue
        expected = len(principles) + 1
        if _as_number(number) != expected:
            problem(row_number, NUMBER, f"方針の番号は1から順に付けてください ({expected} のはずが「{_shown(number)}」)。")
            return None
        text = _principle(text, row_number, TEXT, problem)
        if text is None:
            return None
        principles.append(text)
    return tuple(principles)


def policy_from_text(text: str, problem) -> tuple[str, ...]:
    """The principles of a text, one a line (blank lines skipped, a printed ① or 1. dropped)."""
    principles = []
    for line_number, line in enumerate(text.replace("\r\n", "\n").replace("\r", "\n").split("\n"), 1):
        if not line.strip():
            continue
        principle = _principle(_NUMBER_MARK.sub("", line, count=1), line_number, "", problem)
        if principle is not None:
            principles.append(principle)
    return tuple(principles)


def _principle(value, row, column, problem):
    if is_blank(value) or not isinstance(value, str | int | float):
        problem(row, column, "方針の文が空です。")
        return None
    text = normalise(str(value)).strip()
    refused = text_problem(text)
    if refused:
        problem(row, column, refused)
        return None
    if len(text) > MAX_PRINCIPLE:
        problem(row, column, f"方針は1項目{MAX_PRINCIPLE}文字以内にしてください (現在 {len(text)} 文字)。")
        return None
    return text


def _as_number(value):
    try:
        return parse_whole_number(value, minimum=1, maximum=MAX_PRINCIPLES, label=NUMBER)
    except ValidationError:
        return None


def is_blank(value):
    return value is None or (isinstance(value, str) and not value.strip())


def _shown(value):
    return "" if value is None else str(value)[:10]
