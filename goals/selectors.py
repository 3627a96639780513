"""Prepared querysets and read-only views of goal sheets."""

from django.db.models import Prefetch

from goals.models import Goal, GoalSheet


def sheet_goals(sheet):
    """The sheet's goals in number order with their tags and results, in three queries."""
    return (
        Goal.objects.filter(sheet=sheet)
        .select_related("result__rating")
        .prefetch_related("categories")
        .order_by("number")
    )


def sheets_with_content(*, fiscal_year):
    """Every sheet of a year with departments, goals, tags and results prefetched."""
    goals = Goal.objects.select_related("result__rating").prefetch_related("categories").order_by("number")
    return (
        GoalSheet.objects.filter(fiscal_year=fiscal_year)
        .select_related("department")
        .prefetch_related(Prefetch("goals", queryset=goals))
        .order_by("department__sort_order", "department__code")
    )


def goal_content(goal):
    """A goal's text, tags and result as plain data, for snapshots and comparisons."""
    result = getattr(goal, "result", None)
    return {
        "number": goal.number,
        "categories": sorted(c.name for c in goal.categories.all()),
        "objective": goal.objective,
        "actions": goal.actions,
        "result": None
        if result is None
        else {
            "done": result.done,
            "achievement": result.achievement,
            "rating": result.rating.label if result.rating else None,
            "is_omitted": result.is_omitted,
            "omitted_reason": result.omitted_reason,
        },
    }


def sheet_content(sheet, goals=None):
    """The sheet's content as plain data: what a ReviewEvent stores and what an import compares."""
    goals = sheet_goals(sheet) if goals is None else goals
    return {"goals": [goal_content(goal) for goal in goals]}
