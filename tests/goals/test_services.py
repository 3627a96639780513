import pytest

from departments.models import Department
from goals.models import FiscalYear, Goal, GoalSheet, SheetStatus
from goals.services import GoalsError, fiscal_year_open_next


def test_open_next_year_copies_policy_tags_and_limits(seed_year):
    next_year = fiscal_year_open_next(previous=seed_year)
    assert next_year.year == 2021
    assert next_year.plan_open and not next_year.result_open
    assert list(next_year.principles.values_list("text", flat=True)) == list(
        seed_year.principles.values_list("text", flat=True)
    )
    assert set(next_year.categories.all()) == set(seed_year.categories.all())
    assert next_year.max_goals == 3


def test_open_next_year_gives_every_writing_department_an_empty_sheet(seed_year):
    next_year = fiscal_year_open_next(previous=seed_year)
    sheets = GoalSheet.objects.filter(fiscal_year=next_year)
    assert sheets.count() == 17  # the 部・センター that only group sections get none
    assert set(sheets.values_list("plan_status", flat=True)) == {SheetStatus.NOT_STARTED}
    assert not Goal.objects.filter(sheet__fiscal_year=next_year).exists()


def test_open_next_year_skips_inactive_departments(seed_year):
    Department.objects.filter(name="危機管理担当").update(is_active=False)
    next_year = fiscal_year_open_next(previous=seed_year)
    assert not GoalSheet.objects.filter(fiscal_year=next_year, department__name="危機管理担当").exists()


def test_copied_goals_become_a_draft_without_results(seed_year):
    kikaku = Department.objects.get(name="まちづくり推進部 企画課")
    next_year = fiscal_year_open_next(previous=seed_year, copy_goals_for=[kikaku])
    sheet = GoalSheet.objects.get(fiscal_year=next_year, department=kikaku)
    assert sheet.plan_status == SheetStatus.DRAFT
    old = Goal.objects.filter(sheet__fiscal_year=seed_year, sheet__department=kikaku).order_by("number")
    new = sheet.goals.order_by("number")
    assert [(g.number, g.objective) for g in new] == [(g.number, g.objective) for g in old]
    assert [set(g.categories.all()) for g in new] == [set(g.categories.all()) for g in old]
    assert not any(hasattr(g, "result") for g in new)


def test_a_year_cannot_be_opened_twice(seed_year):
    fiscal_year_open_next(previous=seed_year)
    with pytest.raises(GoalsError, match="既にあります"):
        fiscal_year_open_next(previous=seed_year)
    assert FiscalYear.objects.filter(year=2021).count() == 1
