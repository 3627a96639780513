"""Editors' saves: a sheet's goals in the plan phase and its results in the result phase.

Both use optimistic locking: the form carries the version it was opened at, and a save against
a newer version is refused (StaleSheetError) instead of silently overwriting someone's work.
"""

from dataclasses import dataclass

from django.db import transaction

from goals.models import Goal, GoalSheet, Result, SheetStatus
from goals.services.errors import GoalsError, StaleSheetError
from goals.validators import normalise_text

EDITABLE = (SheetStatus.NOT_STARTED, SheetStatus.DRAFT, SheetStatus.RETURNED)


@dataclass(frozen=True)
class GoalInput:
    number: int
    objective: str
    actions: str = ""
    categories: tuple = ()  # Category instances of the sheet's fiscal year


@dataclass(frozen=True)
class ResultInput:
    number: int
    done: str = ""
    achievement: str = ""
    rating: object = None  # a RatingLevel of the sheet's fiscal year, or None
    omitted_reason: str = ""  # not "" means the result is omitted, printed with this reason


def lock_sheet(sheet_id, expected_version=None) -> GoalSheet:
    """The sheet row locked for this transaction; refused when someone saved it meanwhile."""
    sheet = GoalSheet.objects.select_for_update().select_related("fiscal_year__office", "department").get(pk=sheet_id)
    check_version(sheet, expected_version)
    return sheet


def check_version(sheet, expected_version):
    """Refuse a change made from a page opened before the sheet's latest save."""
    if expected_version is not None and sheet.version != expected_version:
        raise StaleSheetError(
            "このシートは、あなたが開いた後に他の人が更新しました。入力内容は残してあります。"
            "最新の内容を確認してから、もう一度保存してください。",
            sheet=sheet,
        )


def _bump(sheet, *fields):
    sheet.version += 1
    sheet.save(update_fields=[*fields, "version", "updated_at"])


@transaction.atomic
def sheet_save_plan(*, sheet, goals: list[GoalInput], expected_version: int, by) -> GoalSheet:
    """Save the goals as a draft (or keep 差戻し while revising). Goals not listed are removed."""
    sheet = lock_sheet(sheet.pk, expected_version)
    fiscal_year = sheet.fiscal_year
    if not fiscal_year.plan_open:
        raise GoalsError("目標設定の受付は終了しています。")
    if sheet.plan_status not in EDITABLE:
        raise GoalsError(f"このシートは「{sheet.get_plan_status_display()}」のため編集できません。")
    _check_goals(fiscal_year, goals)
    existing = {goal.number: goal for goal in sheet.goals.all()}
    sheet.goals.exclude(number__in=[g.number for g in goals]).delete()
    for data in goals:
        _goal_upsert(sheet, existing.get(data.number), data)
    if sheet.plan_status == SheetStatus.NOT_STARTED:
        sheet.plan_status = SheetStatus.DRAFT
    _bump(sheet, "plan_status")
    return sheet


def _check_goals(fiscal_year, goals):
    if len(goals) > fiscal_year.max_goals:
        raise GoalsError(f"目標は{fiscal_year.max_goals}件までです。")
    numbers = [g.number for g in goals]
    if len(set(numbers)) != len(numbers):
        raise GoalsError("目標番号が重複しています。")
    allowed = set(fiscal_year.categories.values_list("pk", flat=True))
    if any(c.pk not in allowed for g in goals for c in g.categories):
        raise GoalsError("この年度で使えない区分が選ばれています。")


def _goal_upsert(sheet, goal, data: GoalInput):
    goal = goal or Goal(sheet=sheet, number=data.number)
    goal.objective = normalise_text(data.objective)
    goal.actions = normalise_text(data.actions)
    goal.full_clean(exclude=["sheet"], validate_unique=False)
    goal.save()
    if set(goal.categories.all()) != set(data.categories):
        goal.categories.set(data.categories)


@transaction.atomic
def sheet_save_results(*, sheet, results: list[ResultInput], expected_version: int, by) -> GoalSheet:
    """Save the results of every goal as a draft (or keep 差戻し while revising)."""
    sheet = lock_sheet(sheet.pk, expected_version)
    fiscal_year = sheet.fiscal_year
    if not fiscal_year.result_open:
        raise GoalsError("実績報告の受付は終了しています。")
    if sheet.plan_status != SheetStatus.APPROVED:
        raise GoalsError("目標が承認されるまで、実績は入力できません。")
    if sheet.result_status not in EDITABLE:
        raise GoalsError(f"このシートの実績は「{sheet.get_result_status_display()}」のため編集できません。")
    goals = {goal.number: goal for goal in sheet.goals.select_related("result")}
    for data in results:
        if data.number not in goals:
            raise GoalsError(f"目標{data.number}はこのシートにありません。")
        if data.rating is not None and data.rating.fiscal_year_id != fiscal_year.pk:
            raise GoalsError("この年度で使えない達成度評価が選ばれています。")
        _result_upsert(goals[data.number], data)
    if sheet.result_status == SheetStatus.NOT_STARTED:
        sheet.result_status = SheetStatus.DRAFT
    _bump(sheet, "result_status")
    return sheet


def _result_upsert(goal, data: ResultInput):
    result = getattr(goal, "result", None) or Result(goal=goal)
    reason = normalise_text(data.omitted_reason)
    result.is_omitted = bool(reason)
    result.omitted_reason = reason
    result.done = "" if reason else normalise_text(data.done)
    result.achievement = "" if reason else normalise_text(data.achievement)
    result.rating = None if reason else data.rating
    result.full_clean(exclude=["goal"])
    result.save()
