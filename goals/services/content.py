"""Writing a sheet's content: goals, tags and results."""

from dataclasses import dataclass, field

from goals.models import (
    Category,
    EventAction,
    EventChannel,
    FiscalYear,
    Goal,
    GoalCategory,
    Phase,
    PolicyPrinciple,
    RatingLevel,
    Result,
    ReviewEvent,
    SheetStatus,
)
from goals.selectors import content_entry, result_entry, sheet_content
from goals.services.errors import GoalsError


@dataclass(frozen=True)
class ResultData:
    done: str = ""
    achievement: str = ""
    rating: str | None = None
    omitted_reason: str = ""


@dataclass(frozen=True)
class GoalData:
    number: int
    objective: str
    actions: str = ""
    categories: tuple[str, ...] = ()
    result: ResultData | None = None


@dataclass(frozen=True)
class SheetData:
    goals: tuple[GoalData, ...] = field(default_factory=tuple)

    def as_content(self):
        """The same plain-data shape as goals.selectors.sheet_content, for comparisons."""
        return {"goals": [_goal_data_content(goal) for goal in sorted(self.goals, key=lambda g: g.number)]}


def _goal_data_content(goal):
    result = goal.result
    return content_entry(
        number=goal.number,
        categories=goal.categories,
        objective=goal.objective,
        actions=goal.actions,
        result=None
        if result is None
        else result_entry(
            done=result.done,
            achievement=result.achievement,
            rating=result.rating,
            omitted_reason=result.omitted_reason,
        ),
    )


def category_get_or_create(*, office, name):
    """The office's tag of that name, created at the end of its list when new."""
    category = Category.objects.filter(office=office, name=name).first()
    if category is None:
        last = Category.objects.filter(office=office).order_by("-sort_order").first()
        category = Category(office=office, name=name, sort_order=(last.sort_order + 10) if last else 10)
        category.full_clean()
        category.save()
    return category


def goal_set_categories(goal, categories) -> bool:
    """Give the saved goal these tags, in this order (a repeat counts once). Whether they changed.

    The goal's field history records its tags when the goal is saved, so a caller that changed
    them saves the goal afterwards.
    """
    wanted = [category.pk for category in dict.fromkeys(categories)]
    if [link.category_id for link in goal.category_links.all()] == wanted:
        return False
    GoalCategory.objects.filter(goal=goal).delete()
    GoalCategory.objects.bulk_create(
        GoalCategory(goal=goal, category_id=pk, position=place) for place, pk in enumerate(wanted, 1)
    )
    # A prefetched list of the old tags would be stale now.
    getattr(goal, "_prefetched_objects_cache", {}).pop("category_links", None)
    return True


def fiscal_year_get_or_create(*, office, year, principles=(), max_goals=None):
    """The office's fiscal year, created with its policy when new. Returns (fiscal_year, created).

    A new year takes goals up to `max_goals`, or the usual number (the field's default)."""
    fiscal_year = FiscalYear.objects.filter(office=office, year=year).first()
    if fiscal_year is not None:
        return fiscal_year, False
    fiscal_year = FiscalYear(office=office, year=year)
    if max_goals is not None:
        fiscal_year.max_goals = max_goals
    fiscal_year.full_clean()
    fiscal_year.save()
    PolicyPrinciple.objects.bulk_create(
        PolicyPrinciple(fiscal_year=fiscal_year, number=n, text=text) for n, text in enumerate(principles, 1)
    )
    return fiscal_year, True


def fiscal_year_add_policy(*, fiscal_year, principles):
    """Give a year that has no 区役所サービス向上方針 yet its principles (①, ② … in this order)."""
    if fiscal_year.principles.exists():
        raise GoalsError(f"{fiscal_year.full_label}には区役所サービス向上方針が既にあります。")
    PolicyPrinciple.objects.bulk_create(
        PolicyPrinciple(fiscal_year=fiscal_year, number=n, text=text) for n, text in enumerate(principles, 1)
    )


def sheet_write_approved(*, sheet, data: SheetData, has_results: bool, by=None, comment=""):
    """Store content brought in from a published table as approved, with an import event per phase.

    Only for a sheet that holds nothing yet: approved or in-progress work is never written over.
    """
    sheet_fill_empty(sheet=sheet, data=data, has_results=has_results)
    sheet.plan_status = SheetStatus.APPROVED
    sheet.result_status = SheetStatus.APPROVED if has_results else SheetStatus.NOT_STARTED
    sheet.version += 1
    sheet.save(update_fields=["plan_status", "result_status", "version", "updated_at"])
    phases = [Phase.PLAN, Phase.RESULT] if has_results else [Phase.PLAN]
    snapshot = sheet_content(sheet)
    for phase in phases:
        ReviewEvent.objects.create(
            sheet=sheet,
            phase=phase,
            action=EventAction.IMPORT,
            actor=by,
            channel=EventChannel.IMPORT,
            comment=comment,
            sheet_version=sheet.version,
            snapshot=snapshot,
        )
    return sheet


def sheet_fill_empty(*, sheet, data: SheetData, has_results: bool):
    """Write imported goals (and their results) into a sheet that holds nothing yet; statuses and
    the timeline are the caller's. Approved or in-progress work is never written over."""
    if sheet.plan_status != SheetStatus.NOT_STARTED or sheet.goals.exists():
        raise GoalsError(not_empty_refusal(sheet))
    office = sheet.fiscal_year.office
    for goal_data in sorted(data.goals, key=lambda g: g.number):
        _goal_create(sheet=sheet, office=office, data=goal_data, with_result=has_results)


def _goal_create(*, sheet, office, data: GoalData, with_result: bool):
    goal = Goal(sheet=sheet, number=data.number, objective=data.objective, actions=data.actions)
    goal.full_clean(exclude=["sheet"])
    goal.save()
    if data.categories:
        categories = [category_get_or_create(office=office, name=name) for name in data.categories]
        goal_set_categories(goal, categories)
        goal.save()  # its history then holds the tags
        sheet.fiscal_year.categories.add(*categories)
    if with_result and data.result is not None:
        _result_create(goal=goal, data=data.result)
    return goal


def not_empty_refusal(sheet) -> str:
    """An import writes only into an empty sheet (the one-sheet and the bulk path alike)."""
    return f"{sheet.department}の目標シートには既に内容があるため、取り込めません。"


def unknown_rating_refusal(label) -> str:
    return f"達成度評価「{label}」はこの年度の評価段階にありません。"


def result_from_data(*, goal, data: ResultData, rating) -> Result:
    """The (unsaved) Result an import writes for a goal; `rating` is the RatingLevel or None."""
    return Result(
        goal=goal,
        done=data.done,
        achievement=data.achievement,
        rating=rating,
        is_omitted=bool(data.omitted_reason),
        omitted_reason=data.omitted_reason,
    )


def _result_create(*, goal, data: ResultData):
    rating = None
    if data.rating:
        rating = RatingLevel.objects.filter(fiscal_year=goal.sheet.fiscal_year, label=data.rating).first()
        if rating is None:
            raise GoalsError(unknown_rating_refusal(data.rating))
    result = result_from_data(goal=goal, data=data, rating=rating)
    result.full_clean(exclude=["goal"])
    result.save()
    return result


