"""Parser for the text dump of a published 区役所サービス向上目標 table.

Past years exist only as the PDF the ward office published; its text dump
keeps one tab-separated line per goal (部署名, 番号, 目標, 実施結果) with
paragraphs marked ``<p>…</p>``, preceded by the 区役所サービス向上方針
principles as markdown-table lines.  This module turns that text into plain
data and never imports Django, so it can be tested and reused on its own.
Every value it gives is text the application may store (wardservice.text):
a cell holding what the text policy refuses is refused with its line and
column.
"""

from __future__ import annotations

import html
import re
import unicodedata
from dataclasses import dataclass

from wardservice.text import read_whole_number, text_problem

__all__ = [
    "ParsedDepartment", "ParsedGoal", "ParsedTable", "PublishedTableError",
    "parse_published_table",
]


class PublishedTableError(ValueError):
    """The text is not a table we can read; ``line`` is 1-based."""

    def __init__(self, line: int, message: str):
        super().__init__(f"{line}行目: {message}")
        self.line = line
        self.message = message


@dataclass(frozen=True)
class ParsedGoal:
    number: int
    categories: tuple[str, ...]  # normalised tag names, in printed order
    objective: str  # 目標
    actions: str  # 具体的な取組内容; "" when the text does not mark it
    result_done: str  # 実施結果; "" when omitted or the table has no results
    result_achievement: str  # 目標の達成度; "" when not marked
    omitted_reason: str  # the printed reason when the result is omitted
    line: int  # 1-based source line


@dataclass(frozen=True)
class ParsedDepartment:
    name: str  # display name, e.g. "まちづくり推進部 総務課"
    parent_name: str  # 部/センター without parenthetical or office; "" if none
    local_name: str  # e.g. "総務課"
    goals: tuple[ParsedGoal, ...]
    line: int  # line of the department's first row


@dataclass(frozen=True)
class ParsedTable:
    policy: tuple[str, ...]  # the principles without their ①② markers
    departments: tuple[ParsedDepartment, ...]
    has_results: bool  # False for a goals-only table (3 columns)


POLICY_TITLE = "区役所サービス向上方針"

_P_TAG = re.compile(r"</?p\b[^>]*>", re.IGNORECASE)
# The PDF's line wraps survive as a whitespace run after "。" or as a run of
# several spaces; both mark where the printed text started a new line.
_PARAGRAPH_BREAK = re.compile(r"(?<=。)\s+|\s{2,}")
_POLICY_ROW = re.compile(r"\|\s*([\u2460-\u2473])\s*(.*?)\s*\|?")
_LABEL = re.compile(r"[\w・\s]*\w[\w・\s]*")
# A printed label: at most this many category names, each at most this long.
_LABEL_NAMES, _LABEL_NAME = 10, 15
_OFFICE = re.compile(r"(\S+?区役所)\s*(\S.*)")
# Shortest prefix ending in 部/センター, an optional printed parenthetical,
# then the section itself (which must not be a bare parenthetical).
_PARENT = re.compile(r"(.+?(?:部|センター))([(（][^()（）]*[)）])?([^()（）].*)")
_OBJECTIVE_MARK = re.compile(r"【目標】")
_ACTIONS_MARK = re.compile(r"【具体的な取組(?:内容)?】")
_CONCRETELY = "具体的には"
# Result markers are bullets, so they must stand alone to avoid eating a
# sentence that merely begins with the same words.
_DONE_MARK = re.compile(r"・実施結果(?=$|\s|[:：])[:：]?")
_ACHIEVEMENT_MARK = re.compile(r"・目標の達成度(?=$|\s|[:：])[:：]?")


# --- text normalisation -----------------------------------------------------


def _paragraphs(cell: str) -> list[str]:
    """Split a cell into stripped, NFC-normalised, non-empty paragraphs."""
    # Tags are removed before unescaping so an escaped "&lt;p&gt;" stays text.
    paragraphs = []
    for chunk in _P_TAG.split(cell):
        text = unicodedata.normalize("NFC", html.unescape(chunk))
        paragraphs.extend(p.strip() for p in _PARAGRAPH_BREAK.split(text))
    return [p for p in paragraphs if p]


def _join(paragraphs: list[str]) -> str:
    return "\n".join(p for p in paragraphs if p)


def _strip_mark(paragraph: str, mark: re.Pattern[str]) -> str | None:
    """The paragraph without its leading marker, or None if it has none."""
    found = mark.match(paragraph)
    return paragraph[found.end():].strip() if found else None


def _unmarked(paragraph: str, mark: re.Pattern[str]) -> str:
    stripped = _strip_mark(paragraph, mark)
    return paragraph if stripped is None else stripped


# --- goal cell --------------------------------------------------------------


def _label_categories(text: str) -> tuple[str, ...] | None:
    """Category names if ``text`` looks like a printed label, else None.

    A label is short names joined by "・": each name at most _LABEL_NAME long, so that
    five or more categories ("共通・対面対応・応対・電話・庁内体制") still read as a label
    while a sentence does not.
    """
    compact = re.sub(r"\s+", "", text)
    if any(c in text for c in "。、【") or not _LABEL.fullmatch(text):
        return None
    # Line wraps split labels ("対面 対応"); "・" joins several categories.
    names = tuple(part for part in compact.split("・") if part)
    if not names or len(names) > _LABEL_NAMES or any(len(name) > _LABEL_NAME for name in names):
        return None
    return names


def _take_label(cell: str, paragraphs: list[str]) -> tuple[tuple[str, ...], list[str]]:
    """Separate the category label from the goal text, if one is printed."""
    # A label needs text after it; otherwise the lone paragraph is the goal.
    first, rest = paragraphs[0], paragraphs[1:]
    if rest and (categories := _label_categories(first)) is not None:
        return categories, rest
    # Without <p> markers the label is only set apart by a space.
    token, *tail = re.split(r"\s+", first, maxsplit=1)
    if tail and not _P_TAG.search(cell):
        if (categories := _label_categories(token)) is not None:
            return categories, [*tail, *rest]
    return (), paragraphs


def _split_at_actions_mark(paragraphs: list[str]) -> tuple[str, str] | None:
    """Split on 【具体的な取組内容】/【具体的な取組】, dropping 【目標】 too."""
    for index, paragraph in enumerate(paragraphs):
        tail = _strip_mark(paragraph, _ACTIONS_MARK)
        if tail is not None:
            objective = [_unmarked(p, _OBJECTIVE_MARK) for p in paragraphs[:index]]
            return _join(objective), _join([tail, *paragraphs[index + 1:]])
    return None


def _split_at_concretely(paragraphs: list[str]) -> tuple[str, str]:
    """Split where the text turns to "具体的には", keeping those words."""
    for index, paragraph in enumerate(paragraphs):
        at = paragraph.find(_CONCRETELY)
        if at < 0:
            continue
        objective = _join([*paragraphs[:index], paragraph[:at].strip()])
        if not objective:
            break  # nothing precedes it: the whole text is the objective
        return objective, _join([paragraph[at:], *paragraphs[index + 1:]])
    return _join(paragraphs), ""


def _split_goal(paragraphs: list[str]) -> tuple[str, str]:
    """(objective, actions) of the goal text after its label."""
    marked = _split_at_actions_mark(paragraphs)
    if marked is not None:
        return marked
    return _split_at_concretely([_unmarked(p, _OBJECTIVE_MARK) for p in paragraphs])


def _split_result(cell: str) -> tuple[str, str, str]:
    """(result_done, result_achievement, omitted_reason) of a result cell."""
    paragraphs = _paragraphs(cell)
    text = _join(paragraphs)
    # Only in this format: a printed table has no other mark of an omitted result than its
    # wording (the seed's 衛生課: 「※…総括を省略とします」). Every other import path reads an
    # explicit field instead.
    if text.startswith("※") and "省略" in text:
        return "", "", text
    done, achievement = paragraphs, []
    for index, paragraph in enumerate(paragraphs):
        tail = _strip_mark(paragraph, _ACHIEVEMENT_MARK)
        if tail is not None:
            done, achievement = paragraphs[:index], [tail, *paragraphs[index + 1:]]
            break
    done = [_unmarked(p, _DONE_MARK) for p in done]
    return _join(done), _join(achievement), ""


# --- department name --------------------------------------------------------


def _department_names(cell: str) -> tuple[str, str, str]:
    """(display name, parent_name, local_name) of a department cell."""
    text = " ".join(_paragraphs(cell))
    office, rest = "", text
    if found := _OFFICE.fullmatch(text):
        office, rest = found.groups()
    # Spaces inside the name are PDF line wraps ("地域みまもり 支援センター").
    rest = re.sub(r"\s+", "", rest)
    found = _PARENT.fullmatch(rest)
    if found is None:
        return " ".join(filter(None, [office, rest])), "", rest
    parent, parenthetical, local = found.group(1), found.group(2) or "", found.group(3)
    return " ".join(filter(None, [office, parent + parenthetical, local])), parent, local


# --- rows -------------------------------------------------------------------


@dataclass
class _OpenDepartment:
    """A department whose rows are still being read."""

    names: tuple[str, str, str]
    line: int
    goals: list[ParsedGoal]

    def add(self, goal: ParsedGoal) -> None:
        """The department's next goal: numbered 1, 2, 3 … without a gap or a repeat."""
        name = self.names[0]
        same = next((existing for existing in self.goals if existing.number == goal.number), None)
        if same is not None:
            message = (
                f"「{name}」の目標番号{goal.number}が{same.line}行目と重複しています。"
                "目標番号を1から順に付け直してください。"
            )
            raise PublishedTableError(goal.line, message)
        expected = len(self.goals) + 1
        if goal.number != expected:
            after = f"目標番号{expected - 1}の次が{goal.number}" if self.goals else f"最初の目標番号が{goal.number}"
            message = (
                f"「{name}」の{after}になっています。目標番号{expected}の行が抜けていないか確かめ、"
                "目標番号を1から順に付け直してください。"
            )
            raise PublishedTableError(goal.line, message)
        self.goals.append(goal)

    def close(self) -> ParsedDepartment:
        name, parent, local = self.names
        return ParsedDepartment(name, parent, local, tuple(self.goals), self.line)


def _goal_number(raw: str, line: int) -> int:
    if not raw.strip():
        message = "目標番号が空です。2列目に目標番号 (1、2、3 …) を入れてください。"
        raise PublishedTableError(line, message)
    number = read_whole_number(raw)
    if number is None or number <= 0:
        message = f"目標番号「{raw.strip()[:20]}」は数字ではありません。目標番号は1、2、3 …のように数字で入れてください。"
        raise PublishedTableError(line, message)
    return number


# The columns of a row, as messages name them.
NAME_COLUMN, NUMBER_COLUMN, GOAL_COLUMN, RESULT_COLUMN = (
    "1列目 (部署名)", "2列目 (目標番号)", "3列目 (目標)", "4列目 (実施結果)",
)


def _check_text(text: str, line: int, column: str, *, one_line=False) -> None:
    """Refuse a value the application could not store (wardservice.text), naming its place."""
    problem = text_problem(text, one_line=one_line)
    if problem is not None:
        raise PublishedTableError(line, f"{column}に{problem[0]}")


def _parse_goal(fields: list[str], line: int, department: str) -> ParsedGoal:
    """One goal from the number, goal and (optional) result fields."""
    if not any(_paragraphs(field) for field in fields[1:]):
        message = (
            f"「{department}」に目標の行がありません。目標番号・目標・実施結果を入れるか、"
            "部署名だけのこの行を削除してください。"
        )
        raise PublishedTableError(line, message)
    number = _goal_number(fields[1], line)
    paragraphs = _paragraphs(fields[2])
    if not paragraphs:
        raise PublishedTableError(line, f"「{department}」の目標{number}の目標の欄が空です。目標の文を入れてください。")
    categories, text = _take_label(fields[2], paragraphs)
    objective, actions = _split_goal(text)
    done, achievement, omitted = _split_result(fields[3] if len(fields) > 3 else "")
    for category in categories:
        _check_text(category, line, GOAL_COLUMN, one_line=True)
    for value in (objective, actions):
        _check_text(value, line, GOAL_COLUMN)
    for value in (done, achievement, omitted):
        _check_text(value, line, RESULT_COLUMN)
    return ParsedGoal(number, categories, objective, actions, done, achievement, omitted, line)


def _is_structure(stripped: str) -> bool:
    """Blank lines, headings, table rules and column headers carry no data."""
    # strip() with these characters empties markdown rules like "|--|".
    return stripped.startswith(("#", "部署名")) or stripped.strip("|:- \t") in ("", POLICY_TITLE)


def _policy_item(stripped: str, line: int, policy: list[str]) -> str:
    """The principle of a policy row, which must be the next in number: ① first, then ② …"""
    found = _POLICY_ROW.fullmatch(stripped)
    if found is None or not found.group(2):
        message = "方針の表の行に①〜④のような番号付きの文がありません。"
        raise PublishedTableError(line, message)
    number, expected = ord(found.group(1)) - 0x2460 + 1, len(policy) + 1
    if number < expected:
        message = f"方針の番号{found.group(1)}が重複しています。方針の番号を①から順に付け直してください。"
        raise PublishedTableError(line, message)
    if number > expected:
        missing = chr(0x2460 + expected - 1)
        message = (
            f"方針の番号が{missing}を飛ばして{found.group(1)}になっています。"
            f"方針{missing}の行が抜けていないか確かめ、番号を①から順に付け直してください。"
        )
        raise PublishedTableError(line, message)
    principle = unicodedata.normalize("NFC", html.unescape(found.group(2)))
    _check_text(principle, line, "方針")
    return principle


def _check_width(lines: list[str], index: int, fields: list[str], width: int | None, previous) -> None:
    """Refuse a row of the wrong number of columns, saying where a cell holds a line break.

    A line break inside a cell cuts its row in two or more lines: the first is short of columns
    and the lines after it hold the rest; a break in a row's last cell leaves a short line right
    after a row that looked complete (`previous`, that row's fields; None after anything else).
    """
    line, count = index + 1, len(fields)
    if count in (3, 4) and width in (None, count):
        return
    # A short line after a row is most likely the rest of that row's (long) last cell, unless it
    # starts like that row (a row typed without its tabs).
    department = previous[0].strip() if previous else ""
    rest_of_row = previous and count < width and width + count - 1 in (3, 4)
    if rest_of_row and not fields[0].strip().startswith(department):
        raise PublishedTableError(line - 1, _line_break_message(line - 1))
    if count < (width or 4) and _continues(lines, index, count, (width,) if width else (3, 4)):
        raise PublishedTableError(line, _line_break_message(line))
    if count not in (3, 4):
        message = (
            f"タブ区切りの列が{count}列あります。"
            "部署名・目標番号・目標・実施結果の4列（実施結果のない表は3列）にしてください。"
        )
        raise PublishedTableError(line, message)
    message = (
        f"この行は{count}列ですが、ほかの行は{width}列です。すべての行を"
        + ("部署名・目標番号・目標・実施結果の4列" if width == 4 else "部署名・目標番号・目標の3列")
        + "にそろえてください。"
    )
    raise PublishedTableError(line, message)


def _continues(lines, index, count, wanted) -> bool:
    """Whether the lines after this short one complete it to a row of a wanted width.

    Not when the next line is a row of the department this line starts with: this line is then
    a row of its own, typed without its tabs.
    """
    following_lines = lines[index + 1 :]
    next_department = following_lines[0].split("\t", 1)[0].strip() if following_lines else ""
    if next_department and "\t" in following_lines[0] and lines[index].strip().startswith(next_department):
        return False
    for following in following_lines:
        stripped = following.strip()
        if _is_structure(stripped) or stripped.startswith("|"):
            return False
        count += following.count("\t")
        if count in wanted:
            return True
        if count > max(wanted):
            return False
    return False


def _line_break_message(line: int) -> str:
    return (
        f"セルの中で改行しています ({line}行目の行が{line + 1}行目に続いています)。"
        "1つの目標は1行に収まるよう、セルの中の改行を取り除いてください (段落は <p>…</p> で区切ります)。"
    )


# --- entry point ------------------------------------------------------------


def parse_published_table(text: str) -> ParsedTable:
    """Parse the text dump of a published table; see the module docstring."""
    lines = text.removeprefix("\ufeff").split("\n")
    policy: list[str] = []
    departments: list[_OpenDepartment] = []
    width: int | None = None
    previous = None  # the fields of the row on the line before, if that line was a row
    for index, raw in enumerate(lines):
        number, line = index + 1, raw.removesuffix("\r")
        stripped = line.strip()
        if _is_structure(stripped):
            previous = None
            continue
        if stripped.startswith("|"):
            policy.append(_policy_item(stripped, number, policy))
            previous = None
            continue
        fields = line.split("\t")
        _check_width(lines, index, fields, width, previous)
        width = len(fields)
        _add_row(departments, fields, number)
        previous = fields
    return _finish(policy, departments, width, lines)


def _add_row(departments: list[_OpenDepartment], fields: list[str], line: int) -> None:
    """Append the row's goal, opening a department when the name changes.

    A department's rows stand together: its name again after another department's rows is
    refused, since the table prints each department once.
    """
    names = _department_names(fields[0])
    if not names[0]:
        raise PublishedTableError(line, "部署名が空です。1列目に部署名を入れてください。")
    _check_text(names[0], line, NAME_COLUMN, one_line=True)
    goal = _parse_goal(fields, line, names[0])
    if not departments or departments[-1].names[0] != names[0]:
        earlier = next((d for d in departments if d.names[0] == names[0]), None)
        if earlier is not None:
            message = (
                f"「{names[0]}」の行が{earlier.line}行目からの行と離れていて、間に「{departments[-1].names[0]}」の行があります。"
                "同じ部署の行は続けて並べてください。"
            )
            raise PublishedTableError(line, message)
        departments.append(_OpenDepartment(names, line, []))
    departments[-1].add(goal)


def _finish(
    policy: list[str], departments: list[_OpenDepartment], width: int | None, lines: list[str]
) -> ParsedTable:
    if not policy:
        title = next((i for i, text in enumerate(lines, 1) if text.strip() == POLICY_TITLE), 1)
        message = f"{POLICY_TITLE}（①〜④のような番号付きの項目）が見つかりません。"
        raise PublishedTableError(title, message)
    if not departments:
        raise PublishedTableError(len(lines), "部署の行（タブ区切りの目標の行）がありません。")
    closed = tuple(department.close() for department in departments)
    return ParsedTable(tuple(policy), closed, has_results=width == 4)
