"""The goals and results forms' management values (goals-TOTAL_FORMS …) are checked: a crafted
count is refused with a Japanese message and changes nothing, and a saved goal is removed only
when its own form asks for it (この目標を削除する)."""

import pytest
from django.urls import reverse

from goals.models import Phase, ReviewEvent, SheetStatus
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
from tests.personas import KIKAKU, client_for, member

GOALS = ["来庁者を笑顔でお迎えします。", "電話は3回以内に出ます。", "案内表示を分かりやすくします。"]
BAD_COUNTS = "画面の情報 (入力欄の数) が正しくありません。ページを読み込み直してください。"


@pytest.fixture
def plan_year(seed_year):
    return fiscal_year_open_next(previous=seed_year)


@pytest.fixture
def writer(plan_year):
    return member(KIKAKU, last_name="企画", first_name="進")


@pytest.fixture
def sheet(plan_year, writer):
    """企画課's sheet with three saved goals."""
    sheet = plan_year.sheets.get(department__name=KIKAKU)
    goals = [GoalInput(number=n, objective=text) for n, text in enumerate(GOALS, 1)]
    return sheet_save_plan(sheet=sheet, goals=goals, expected_version=sheet.version, by=writer)


def url(name, sheet):
    fy = sheet.fiscal_year
    return reverse(name, kwargs={"office": fy.office.slug, "year": fy.year, "code": sheet.department.code})


def page_post(sheet, **changes):
    """The goals page's POST as the browser sends it (three saved goals), with `changes` applied."""
    data = {
        "version": sheet.version,
        "action": "save",
        "goals-TOTAL_FORMS": 3,
        "goals-INITIAL_FORMS": 3,
        "goals-MIN_NUM_FORMS": 0,
        "goals-MAX_NUM_FORMS": 1000,
    }
    for i, objective in enumerate(GOALS):
        data |= {f"goals-{i}-number": i + 1, f"goals-{i}-objective": objective, f"goals-{i}-actions": ""}
    return {**data, **changes}


def state(sheet):
    sheet.refresh_from_db()
    return sheet.version, sheet.plan_status, sheet_content(sheet), ReviewEvent.objects.filter(sheet=sheet).count()


@pytest.mark.parametrize(
    "counts",
    [
        {"goals-TOTAL_FORMS": -1},
        {"goals-TOTAL_FORMS": -1, "goals-INITIAL_FORMS": 0},
        {"goals-TOTAL_FORMS": 0, "goals-INITIAL_FORMS": -5},
        {"goals-TOTAL_FORMS": 2, "goals-INITIAL_FORMS": 3},
    ],
    ids=["total-minus-one", "total-minus-one-no-saved", "negative-initial", "more-saved-than-forms"],
)
def test_a_crafted_form_count_is_refused_and_changes_nothing(sheet, writer, counts):
    before = state(sheet)
    assert [goal["objective"] for goal in before[2]["goals"]] == GOALS  # the goals a bad count would delete

    response = client_for(writer).post(url("goals:plan_edit", sheet), page_post(sheet, **counts))

    assert response.status_code == 200
    assert BAD_COUNTS in response.content.decode()
    assert state(sheet) == before


def test_saved_goals_left_out_of_the_post_are_not_deleted(sheet, writer):
    """A post that sends only goal 1 as a new form (no saved forms) would have removed goals 2 and 3."""
    before = state(sheet)
    data = page_post(sheet, **{"goals-TOTAL_FORMS": 1, "goals-INITIAL_FORMS": 0})

    response = client_for(writer).post(url("goals:plan_edit", sheet), data)

    assert response.status_code == 200
    assert "保存済みの目標2・目標3が画面の入力欄にないため、保存できません。" in response.content.decode()
    assert state(sheet) == before


def test_a_goal_is_deleted_when_its_form_asks_for_it(sheet, writer):
    data = page_post(sheet, **{"goals-2-DELETE": "on"})

    response = client_for(writer).post(url("goals:plan_edit", sheet), data)

    assert response.status_code == 302
    assert [goal["objective"] for goal in sheet_content(sheet)["goals"]] == GOALS[:2]


def test_a_crafted_results_count_is_refused_and_changes_nothing(sheet, writer, people):
    sheet_submit(sheet=sheet, phase=Phase.PLAN, by=writer)
    sheet_approve(sheet=sheet, phase=Phase.PLAN, by=people.approver)
    fiscal_year_set_phase(fiscal_year=sheet.fiscal_year, phase=Phase.PLAN, is_open=False)
    fiscal_year_set_phase(fiscal_year=sheet.fiscal_year, phase=Phase.RESULT, is_open=True)
    sheet.refresh_from_db()
    sheet_save_results(
        sheet=sheet, results=[ResultInput(number=1, done="実施しました。")], expected_version=sheet.version, by=writer
    )
    before = state(sheet)
    data = {"version": sheet.version, "action": "save", "results-TOTAL_FORMS": -1, "results-INITIAL_FORMS": 3}

    response = client_for(writer).post(url("goals:results_edit", sheet), data)

    assert response.status_code == 200
    assert BAD_COUNTS in response.content.decode()
    assert state(sheet) == before
    assert sheet.result_status == SheetStatus.DRAFT
