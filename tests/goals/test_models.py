"""The database itself refuses data that breaks the domain's invariants."""

import pytest
from django.db import IntegrityError, transaction

from goals.models import Goal, GoalSheet, Result, ReviewEvent, SheetStatus
from goals.wareki import fiscal_year_full_label, fiscal_year_label
from tests.factories import DepartmentFactory, FiscalYearFactory, GoalFactory, GoalSheetFactory

pytestmark = pytest.mark.django_db


def refused(make):
    with pytest.raises(IntegrityError), transaction.atomic():
        make()


def test_one_sheet_per_department_and_year():
    sheet = GoalSheetFactory()
    refused(lambda: GoalSheet.objects.create(department=sheet.department, fiscal_year=sheet.fiscal_year))
    other_year = FiscalYearFactory(office=sheet.fiscal_year.office, year=2022)
    GoalSheet.objects.create(department=sheet.department, fiscal_year=other_year)


def test_goal_numbers_are_unique_per_sheet():
    goal = GoalFactory(number=1)
    refused(lambda: Goal.objects.create(sheet=goal.sheet, number=1, objective="重複"))
    Goal.objects.create(sheet=GoalSheetFactory(), number=1, objective="別シートなら可")


def test_goal_number_must_be_positive_and_objective_present():
    sheet = GoalSheetFactory()
    refused(lambda: Goal.objects.create(sheet=sheet, number=0, objective="零番"))
    refused(lambda: Goal.objects.create(sheet=sheet, number=1, objective=""))


def test_omitted_result_needs_its_printed_reason():
    goal = GoalFactory()
    refused(lambda: Result.objects.create(goal=goal, is_omitted=True, omitted_reason=""))
    Result.objects.create(goal=goal, is_omitted=True, omitted_reason="※総括を省略とします")


def test_results_need_an_approved_plan():
    sheet = GoalSheetFactory(plan_status=SheetStatus.DRAFT)
    sheet.result_status = SheetStatus.DRAFT
    refused(sheet.save)


def test_unknown_status_is_refused():
    sheet = GoalSheetFactory()
    GoalSheet.objects.filter(pk=sheet.pk).update(plan_status=SheetStatus.DRAFT)
    refused(lambda: GoalSheet.objects.filter(pk=sheet.pk).update(plan_status="done"))


def test_return_needs_a_comment():
    sheet = GoalSheetFactory()
    refused(lambda: ReviewEvent.objects.create(sheet=sheet, phase="plan", action="return", comment=""))
    ReviewEvent.objects.create(sheet=sheet, phase="plan", action="return", comment="目標2を具体的に")


def test_department_codes_and_names_are_unique_per_office():
    department = DepartmentFactory(code="001", name="総務課")
    refused(lambda: DepartmentFactory(office=department.office, code="001", name="別の課"))
    refused(lambda: DepartmentFactory(office=department.office, code="002", name="総務課"))
    DepartmentFactory(code="001", name="総務課")  # another office


@pytest.mark.parametrize(
    "year, label",
    [(2020, "令和2年度"), (2019, "令和元年度"), (2018, "平成30年度"), (1989, "平成元年度"), (2030, "令和12年度")],
)
def test_fiscal_year_labels(year, label):
    assert fiscal_year_label(year) == label
    assert fiscal_year_full_label(year) == f"{label} ({year}年度)"
