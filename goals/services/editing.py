"""Editors' saves: a sheet's goals in the plan phase and its results in the result phase.

Both use optimistic locking: the form carries the version it was opened at, and a save against
a newer version is refused (StaleSheetError) instead of silently overwriting someone's work.
Every save is recorded on the sheet's timeline with its author and channel (フォーム, Excel, 取込):
the rule book refuses 承認 to anyone who wrote the content being approved.
"""

from dataclasses import dataclass

from django.db import transaction

from departments.permissions import is_proxy
from goals import rules
from goals.models import EventAction, EventChannel, Goal, GoalSheet, Phase, Result, ReviewEvent, SheetStatus
from goals.selectors import content_entry, result_entry, sheet_content
from goals.services.content import goal_set_categories
from goals.services.errors import GoalsError, StaleSheetError, refuse
from goals.validators import normalise_text


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


STALE_SAVE = (
    "このシートは、あなたが開いた後に他の人が更新しました。入力内容は残してあります。"
    "最新の内容を確認してから、もう一度保存してください。"
)


def check_version(sheet, expected_version, message=STALE_SAVE):
    """Refuse a change made from a page opened before the sheet's latest save or step."""
    if expected_version is not None and sheet.version != expected_version:
        raise StaleSheetError(message, sheet=sheet)


def _bump(sheet, *fields):
    sheet.version += 1
    sheet.save(update_fields=[*fields, "version", "updated_at"])


def record_save(sheet, phase, *, by, channel, comment=""):
    """The timeline's 保存: who changed the phase's content, through which channel, whether for
    the department (代理入力, from their memberships now), and what the content is now."""
    return ReviewEvent.objects.create(
        sheet=sheet,
        phase=phase,
        action=EventAction.SAVE,
        actor=by,
        channel=channel,
        comment=comment,
        on_behalf=is_proxy(by, sheet.department),
        sheet_version=sheet.version,
        snapshot=sheet_content(sheet),
    )


@transaction.atomic
def sheet_save_plan(
    *, sheet, goals: list[GoalInput], expected_version: int, by, channel=EventChannel.FORM
) -> GoalSheet:
    """Save the goals as a draft (or keep 差戻し while revising). Goals not listed are removed.

    `channel`: how the goals came (the page's form, the Excel entry workbook), for the timeline.
    """
    sheet = lock_sheet(sheet.pk, expected_version)
    refuse(rules.edit_plan_refusal(sheet))
    fiscal_year = sheet.fiscal_year
    _check_goals(fiscal_year, goals)
    existing = {goal.number: goal for goal in sheet.goals.prefetch_related("category_links")}
    sheet.goals.exclude(number__in=[g.number for g in goals]).delete()
    for data in goals:
        _goal_upsert(sheet, existing.get(data.number), data)
    if sheet.plan_status == SheetStatus.NOT_STARTED:
        sheet.plan_status = SheetStatus.DRAFT
    _bump(sheet, "plan_status")
    record_save(sheet, Phase.PLAN, by=by, channel=channel)
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
    is_new = goal.pk is None
    if is_new:
        goal.save()
    # Saved (again) after its tags change, so that the goal's history holds them.
    if goal_set_categories(goal, data.categories) or not is_new:
        goal.save()


@transaction.atomic
def sheet_save_results(
    *, sheet, results: list[ResultInput], expected_version: int, by, channel=EventChannel.FORM
) -> GoalSheet:
    """Save the results of every goal as a draft (or keep 差戻し while revising).

    `channel`: as for sheet_save_plan.
    """
    sheet = lock_sheet(sheet.pk, expected_version)
    refuse(rules.edit_results_refusal(sheet))
    write_results(sheet, results)
    record_save(sheet, Phase.RESULT, by=by, channel=channel)
    return sheet


def write_results(sheet, results: list[ResultInput]):
    """The results written into the locked sheet's goals, its 実績 a draft (or still 差戻し), its
    version moved on. The caller has asked the rule book and records the save."""
    fiscal_year = sheet.fiscal_year
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


def _result_upsert(goal, data: ResultInput):
    result = getattr(goal, "result", None) or Result(goal=goal)
    for name, value in _result_fields(data).items():
        setattr(result, name, value)
    result.full_clean(exclude=["goal"])
    result.save()


def _result_fields(data: ResultInput) -> dict:
    """The saved result's fields: an omitted result keeps its reason and nothing else."""
    reason = normalise_text(data.omitted_reason)
    return {
        "is_omitted": bool(reason),
        "omitted_reason": reason,
        "done": "" if reason else normalise_text(data.done),
        "achievement": "" if reason else normalise_text(data.achievement),
        "rating": None if reason else data.rating,
    }


# --- What a save would store, for a preview of its changes -------------------------------------


def plan_content_after_save(*, sheet, goals: list[GoalInput], current=None) -> dict:
    """The sheet's content (sheet_content's shape) as sheet_save_plan would leave it. Saves nothing.

    `current` is the sheet's sheet_content() when the caller has it already.
    """
    current = sheet_content(sheet) if current is None else current
    kept_results = {goal["number"]: goal["result"] for goal in current["goals"]}
    return {
        "goals": [
            content_entry(
                number=data.number,
                categories=[category.name for category in data.categories],
                objective=normalise_text(data.objective),
                actions=normalise_text(data.actions),
                result=kept_results.get(data.number),
            )
            for data in sorted(goals, key=lambda g: g.number)
        ]
    }


def results_content_after_save(*, sheet, results: list[ResultInput], current=None) -> dict:
    """The sheet's content (sheet_content's shape) as sheet_save_results would leave it. Saves nothing.

    `current` is the sheet's sheet_content() when the caller has it already.
    """
    current = sheet_content(sheet) if current is None else current
    typed = {data.number: data for data in results}
    return {
        "goals": [
            {**goal, "result": _result_content(typed[goal["number"]])} if goal["number"] in typed else goal
            for goal in current["goals"]
        ]
    }


def _result_content(data: ResultInput) -> dict:
    fields = _result_fields(data)
    return result_entry(
        done=fields["done"],
        achievement=fields["achievement"],
        rating=fields["rating"].label if fields["rating"] is not None else None,
        omitted_reason=fields["omitted_reason"],
    )
