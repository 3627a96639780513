"""What a save would store, as the services say it for a preview, is exactly what the save stores."""

import pytest

from departments.models import Role
from goals.models import GoalSheet, Phase
from goals.selectors import sheet_content
from goals.services import (
    GoalInput,
    ResultInput,
    fiscal_year_open_next,
    fiscal_year_set_phase,
    sheet_approve,
    sheet_save_plan,
    sheet_save_results,
    sheet_submit,
)
from goals.services.editing import plan_content_after_save, results_content_after_save
from tests.personas import KIKAKU, SOUMU, member, seed_department


@pytest.fixture
def editor(seed_year):
    return member(KIKAKU, username="ed")


@pytest.fixture
def sheet(seed_year, editor):
    fiscal_year = fiscal_year_open_next(previous=seed_year)
    return GoalSheet.objects.get(fiscal_year=fiscal_year, department=seed_department(KIKAKU))


def plan(sheet):
    tag = sheet.fiscal_year.categories.order_by("sort_order").first()
    return [
        GoalInput(number=2, objective=" 二つ目の目標です。\r\n", actions="毎週\r\n確認します。", categories=(tag,)),
        GoalInput(number=1, objective="一つ目の目標です。"),
    ]


def test_the_plan_a_save_would_store_is_what_it_stores(sheet, editor):
    expected = plan_content_after_save(sheet=sheet, goals=plan(sheet))
    assert sheet_content(sheet) == {"goals": []}  # nothing saved by asking

    saved = sheet_save_plan(sheet=sheet, goals=plan(sheet), expected_version=sheet.version, by=editor)

    assert sheet_content(saved) == expected


def test_the_results_a_save_would_store_are_what_it_stores(sheet, editor):
    saved = sheet_save_plan(sheet=sheet, goals=plan(sheet), expected_version=sheet.version, by=editor)
    sheet_submit(sheet=saved, phase=Phase.PLAN, by=editor)
    sheet_approve(sheet=saved, phase=Phase.PLAN, by=member(SOUMU, Role.APPROVER))
    fiscal_year_set_phase(fiscal_year=sheet.fiscal_year, phase=Phase.PLAN, is_open=False)
    fiscal_year_set_phase(fiscal_year=sheet.fiscal_year, phase=Phase.RESULT, is_open=True)
    sheet.refresh_from_db()
    rating = sheet.fiscal_year.rating_levels.order_by("order").first()
    results = [
        ResultInput(number=1, done="実施しました。\r\n", achievement="達成しました。", rating=rating),
        ResultInput(number=2, done="書いたが省略する", rating=rating, omitted_reason="※省略します"),
    ]
    before = sheet_content(sheet)

    expected = results_content_after_save(sheet=sheet, results=results)

    assert sheet_content(sheet) == before
    assert expected["goals"][1]["result"]["done"] == ""  # an omitted result keeps only its reason
    saved = sheet_save_results(sheet=sheet, results=results, expected_version=sheet.version, by=editor)
    assert sheet_content(saved) == expected
