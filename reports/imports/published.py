"""Bringing tables from outside into the database: past years from their published text."""

from dataclasses import dataclass

from django.core.exceptions import ValidationError
from django.db import transaction

from departments.models import Department, Office
from goals.models import MAX_GOALS_PER_SHEET, FiscalYear, GoalSheet, SheetStatus
from goals.selectors import sheet_content
from goals.services import (
    GoalData,
    GoalsError,
    ResultData,
    SheetData,
    fiscal_year_get_or_create,
    new_departments_active,
    sheet_write_approved,
)
from goals.validators import parse_goal_number
from reports.imports.published_text import (
    GOAL_COLUMN,
    NAME_COLUMN,
    NUMBER_COLUMN,
    RESULT_COLUMN,
    ParsedDepartment,
    ParsedTable,
)


class TableImportError(Exception):
    """The table cannot be brought in as it is; nothing was written. The message is Japanese."""


@dataclass
class ImportSummary:
    departments_created: int = 0
    sheets_imported: int = 0
    sheets_unchanged: int = 0
    goals_imported: int = 0


@transaction.atomic
def import_published_table(*, office: Office, year: int, table: ParsedTable, by=None) -> ImportSummary:
    """Store a published table as the year's approved sheets, all or nothing.

    Running it again with the same table changes nothing; a table that differs from what is
    already approved is refused rather than written over it. Departments it creates are inactive
    when the office has a later year already (goals.services.new_departments_active).
    """
    active = new_departments_active(office=office, year=year)
    fiscal_year, created = fiscal_year_get_or_create(
        office=office, year=year, principles=table.policy, max_goals=_limit_for(table)
    )
    if not created:
        _check_same_policy(fiscal_year, table.policy)
    summary = ImportSummary()
    for order, parsed in enumerate(table.departments, 1):
        try:
            _check_numbers(parsed, fiscal_year, created)
            _import_department(office, fiscal_year, parsed, order, table.has_results, by, summary, active)
        except GoalsError as error:
            raise TableImportError(f"{parsed.line}行目: {error}") from error
        except ValidationError as error:
            raise TableImportError(f"{parsed.line}行目 {_column(error)}: {_messages(error)}") from error
    return summary


def _import_department(office, fiscal_year, parsed, order, has_results, by, summary, active):
    department, was_created = _department_for(office, parsed, order, active)
    summary.departments_created += was_created
    sheet, _ = GoalSheet.objects.get_or_create(department=department, fiscal_year=fiscal_year)
    data = _sheet_data(parsed, has_results)
    if sheet.plan_status != SheetStatus.NOT_STARTED and sheet_content(sheet) == data.as_content():
        summary.sheets_unchanged += 1
        return
    sheet_write_approved(sheet=sheet, data=data, has_results=has_results, by=by, comment="公表済みの表から取込")
    summary.sheets_imported += 1
    summary.goals_imported += len(data.goals)


def _limit_for(table: ParsedTable) -> int:
    """目標数の上限 of a year the table brings: the usual one, or the table's highest goal number
    (within the most a year may have; a number past that is refused by _check_numbers)."""
    highest = max((goal.number for department in table.departments for goal in department.goals), default=0)
    return min(MAX_GOALS_PER_SHEET, max(FiscalYear._meta.get_field("max_goals").default, highest))


def _check_numbers(parsed: ParsedDepartment, fiscal_year, created):
    """Goal numbers within the year's range, as the editors' form allows them (goals.validators)."""
    for goal in parsed.goals:
        try:
            parse_goal_number(goal.number, max_goals=fiscal_year.max_goals)
        except ValidationError as error:
            where = "" if created else "。上限は「年度の管理」で変更できます"
            raise TableImportError(
                f"{goal.line}行目 {NUMBER_COLUMN}: {_messages(error)} "
                f"({fiscal_year.full_label}の目標は1部署{fiscal_year.max_goals}件までです{where})"
            ) from error


# Where a model field's value came from in the text, for messages.
_FIELD_COLUMNS = {
    "name": NAME_COLUMN,
    "objective": GOAL_COLUMN,
    "actions": GOAL_COLUMN,
    "done": RESULT_COLUMN,
    "achievement": RESULT_COLUMN,
    "omitted_reason": RESULT_COLUMN,
}


def _column(error: ValidationError) -> str:
    fields = getattr(error, "error_dict", {})
    return next((_FIELD_COLUMNS[name] for name in fields if name in _FIELD_COLUMNS), NAME_COLUMN)


def _messages(error: ValidationError) -> str:
    return " ".join(error.messages)


def _check_same_policy(fiscal_year, policy):
    existing = list(fiscal_year.principles.order_by("number").values_list("text", flat=True))
    if existing and existing != list(policy):
        raise TableImportError(
            f"{fiscal_year.full_label}の区役所サービス向上方針が、登録済みの内容と異なります。"
        )


def _department_for(office, parsed: ParsedDepartment, order, active):
    """The office's department of that printed name, created (with its 部・センター) when new."""
    existing = Department.objects.filter(office=office, name=parsed.name).first()
    if existing is not None:
        return existing, False
    parent = None
    if parsed.parent_name:
        parent = Department.objects.filter(office=office, name=parsed.parent_name).first()
        if parent is None:
            parent = _department_create(office, parsed.parent_name, order * 10 - 5, active, writes_goals=False)
    return _department_create(office, parsed.name, order * 10, active, parent=parent), True


def _department_create(office, name, sort_order, active, parent=None, writes_goals=True):
    department = Department(
        office=office, name=name, code=_next_code(office), sort_order=sort_order,
        parent=parent, writes_goals=writes_goals, is_active=active,
    )
    department.full_clean()
    department.save()
    return department


def _next_code(office):
    codes = set(Department.objects.filter(office=office).values_list("code", flat=True))
    n = len(codes) + 1
    while f"{n:03d}" in codes:
        n += 1
    return f"{n:03d}"


def _sheet_data(parsed: ParsedDepartment, has_results: bool) -> SheetData:
    return SheetData(
        goals=tuple(
            GoalData(
                number=goal.number,
                objective=goal.objective,
                actions=goal.actions,
                categories=goal.categories,
                result=ResultData(
                    done=goal.result_done,
                    achievement=goal.result_achievement,
                    omitted_reason=goal.omitted_reason,
                )
                if has_results
                else None,
            )
            for goal in parsed.goals
        )
    )
