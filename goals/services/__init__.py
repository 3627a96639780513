"""Everything that changes fiscal years and goal sheets. Each step runs in one transaction."""

from goals.services.content import (
    GoalData,
    ResultData,
    SheetData,
    category_get_or_create,
    fiscal_year_add_policy,
    fiscal_year_get_or_create,
    goal_set_categories,
    sheet_write_approved,
)
from goals.services.editing import GoalInput, ResultInput, sheet_save_plan, sheet_save_results
from goals.services.errors import GoalsError, StaleSheetError
from goals.services.imported import (
    SheetImport,
    SheetImportError,
    sheets_get_or_create,
    sheets_write_imported,
)
from goals.services.workflow import (
    sheet_approve,
    sheet_reopen,
    sheet_return,
    sheet_submit,
    sheet_write_imported,
    sheet_write_imported_results,
)
from goals.services.years import (
    fiscal_year_open_first,
    fiscal_year_open_next,
    fiscal_year_set_max_goals,
    fiscal_year_set_phase,
    new_departments_active,
)

__all__ = [
    "GoalData",
    "GoalInput",
    "GoalsError",
    "ResultData",
    "ResultInput",
    "SheetData",
    "SheetImport",
    "SheetImportError",
    "StaleSheetError",
    "category_get_or_create",
    "fiscal_year_add_policy",
    "fiscal_year_get_or_create",
    "fiscal_year_open_first",
    "fiscal_year_open_next",
    "fiscal_year_set_max_goals",
    "fiscal_year_set_phase",
    "goal_set_categories",
    "new_departments_active",
    "sheet_approve",
    "sheet_reopen",
    "sheet_return",
    "sheet_save_plan",
    "sheet_save_results",
    "sheet_submit",
    "sheet_write_approved",
    "sheet_write_imported",
    "sheet_write_imported_results",
    "sheets_get_or_create",
    "sheets_write_imported",
]
