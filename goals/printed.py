"""A department's goals as the public table prints them.

One shape wherever a goal is printed: the public table (reports.table) in every format, and the
staff pages that show a sheet as it will be published. The row partial
templates/reports/_department_rows.html reads these attribute names.
"""

from dataclasses import dataclass

from goals.selectors import sheet_goals
from goals.validators import strip_control_characters
from wardservice.text import as_one_line


# The cell headings of the published table, as the row partial and the Excel sheet print them:
# 【目標】 (in front of the objective's first paragraph, as the seed prints it) and
# 【具体的な取組内容】 in the goal cell, ・実施結果 and ・目標の達成度 in the result cell.
OBJECTIVE_HEADING = "【目標】"
ACTIONS_HEADING = "【具体的な取組内容】"
DONE_HEADING = "・実施結果"
ACHIEVEMENT_HEADING = "・目標の達成度"
CELL_HEADINGS = (OBJECTIVE_HEADING, ACTIONS_HEADING, DONE_HEADING, ACHIEVEMENT_HEADING)


def clean_text(text) -> str:
    """User text as every format prints it: newlines normalised, control characters removed."""
    return strip_control_characters(str(text or ""))


def paragraphs(text: str) -> list[str]:
    """The non-empty lines of a text: each is printed as its own paragraph."""
    return [line for line in text.split("\n") if line.strip()]


@dataclass(frozen=True)
class TableResult:
    done: str = ""
    achievement: str = ""
    rating: str = ""  # "" where the year has no scale or none was given
    omitted_reason: str = ""  # printed in place of the result when it is not ""

    @property
    def done_paragraphs(self):
        return paragraphs(self.done)

    @property
    def achievement_paragraphs(self):
        return paragraphs(self.achievement)


@dataclass(frozen=True)
class TableGoal:
    number: int
    categories: tuple[str, ...] = ()
    objective: str = ""
    actions: str = ""
    result: TableResult | None = None  # None in a goals-only (plan) table

    @property
    def objective_paragraphs(self):
        return paragraphs(self.objective)

    @property
    def actions_paragraphs(self):
        return paragraphs(self.actions)


@dataclass(frozen=True)
class TableDepartment:
    code: str  # the row partial builds element ids from it
    name: str
    goals: tuple[TableGoal, ...] = ()


@dataclass(frozen=True)
class TableColumns:
    """What the row partial asks of its table, for a page that prints rows without a whole table."""

    with_results: bool


def saved_result(goal) -> TableResult:
    """A saved goal's result (prefetched) as the table prints it; an empty one when there is none."""
    result = getattr(goal, "result", None)
    if result is None:
        return TableResult()
    return TableResult(
        done=clean_text(result.done),
        achievement=clean_text(result.achievement),
        rating=result.rating.label if result.rating else "",
        omitted_reason=clean_text(result.omitted_reason) if result.is_omitted else "",
    )


def typed_result(*, done="", achievement="", rating="", omitted_reason="") -> TableResult:
    """A result just typed, as saving it would print it: the omission reason replaces the rest."""
    if clean_text(omitted_reason).strip():
        return TableResult(omitted_reason=clean_text(omitted_reason))
    return TableResult(done=clean_text(done), achievement=clean_text(achievement), rating=rating or "")


def typed_goal(*, number, categories=(), objective="", actions="", result=None) -> TableGoal:
    """A goal just typed, as the table would print it."""
    return TableGoal(number, tuple(categories), clean_text(objective), clean_text(actions), result)


def sheet_department(sheet, with_results, *, goals=None, results=None, anchor="") -> TableDepartment:
    """The sheet's saved goals (categories and results prefetched) as the table's rows.

    `results` (number -> TableResult) stands in for the saved results, for the results preview;
    `anchor` keeps element ids unique when one page shows the sheet twice.
    """
    goals = sheet_goals(sheet) if goals is None else goals
    rows = [
        TableGoal(
            number=goal.number,
            categories=tuple(c.name for c in goal.ordered_categories()),
            objective=clean_text(goal.objective),
            actions=clean_text(goal.actions),
            result=_result_for(goal, results) if with_results else None,
        )
        for goal in goals
    ]
    return department_rows(sheet, rows, anchor=anchor)


def _result_for(goal, results):
    if results is None:
        return saved_result(goal)
    return results.get(goal.number, TableResult())


def department_rows(sheet, goals, *, anchor="") -> TableDepartment:
    """The sheet's department with these rows (saved or typed), in number order."""
    code = f"{sheet.department.code}{anchor}"
    # One line even where a name was stored before names had to be.
    return TableDepartment(code, as_one_line(sheet.department.name), tuple(sorted(goals, key=lambda g: g.number)))
