"""目標数の上限 (FiscalYear.max_goals) set by 総務課 on the years page: its range, and never below a
goal a sheet already has, whatever the sheet's status."""

import pytest
from django.db import IntegrityError, transaction
from django.urls import reverse

from departments.models import Role
from goals import rules
from goals.models import MAX_GOALS_PER_SHEET, FiscalYear, Goal, Phase, SheetStatus
from goals.services import (
    GoalInput,
    GoalsError,
    fiscal_year_set_max_goals,
    sheet_approve,
    sheet_save_plan,
    sheet_submit,
)
from tests.factories import (
    DepartmentFactory,
    FiscalYearFactory,
    GoalSheetFactory,
    MembershipFactory,
    OfficeFactory,
)
from tests.personas import client_for


@pytest.fixture
def office(db):
    return OfficeFactory()


@pytest.fixture
def fiscal_year(office):
    return FiscalYearFactory(office=office, year=2021, max_goals=3)


@pytest.fixture
def approver(office):
    return MembershipFactory(department__office=office, role=Role.APPROVER).user


def limit_url(fiscal_year):
    return reverse("goals:max_goals", kwargs={"office": fiscal_year.office.slug, "year": fiscal_year.year})


def years_url(office):
    return reverse("goals:years", kwargs={"office": office.slug})


def sheet_with_goals(fiscal_year, count, *, name="試験部 企画課"):
    """A department's sheet of the year with goals 1..count, saved by its editor through the service."""
    sheet = GoalSheetFactory(fiscal_year=fiscal_year, department=DepartmentFactory(office=fiscal_year.office, name=name))
    editor = MembershipFactory(department=sheet.department, role=Role.EDITOR).user
    goals = [GoalInput(number=n, objective=f"目標その{n}です。") for n in range(1, count + 1)]
    return sheet_save_plan(sheet=sheet, goals=goals, expected_version=sheet.version, by=editor), editor


def limit(fiscal_year):
    return FiscalYear.objects.get(pk=fiscal_year.pk).max_goals


def test_the_years_page_offers_the_limit_of_each_year_as_a_number_field(approver, fiscal_year):
    body = client_for(approver).get(years_url(fiscal_year.office)).content.decode()
    assert f'action="{limit_url(fiscal_year)}"' in body
    assert '<label for="id_2021_max_goals" class="form-label">1シートあたりの目標数の上限</label>' in body
    assert 'name="max_goals" value="3" min="1" max="10"' in body
    assert "目標数の上限 (現在: 3件)" in body


def test_an_approver_raises_the_limit_and_is_back_on_the_years_page(approver, fiscal_year):
    response = client_for(approver).post(limit_url(fiscal_year), {"max_goals": "8"}, follow=True)
    assert response.redirect_chain == [(f"{years_url(fiscal_year.office)}#year-2021", 302)]
    assert "令和3年度の目標数の上限を8件にしました。" in response.content.decode()
    assert limit(fiscal_year) == 8
    assert "目標数の上限 (現在: 8件)" in response.content.decode()


def test_full_width_digits_are_read_as_the_number(approver, fiscal_year):
    client_for(approver).post(limit_url(fiscal_year), {"max_goals": "１０"})
    assert limit(fiscal_year) == MAX_GOALS_PER_SHEET


BAD_LIMITS = {
    "0": "目標数の上限は1〜10の整数で入力してください (「0」は範囲外です)。",
    "11": "目標数の上限は1〜10の整数で入力してください (「11」は範囲外です)。",
    "99999999999999999999": "目標数の上限は1〜10の整数で入力してください (「99999999999999999999」は範囲外です)。",
    "-1": "目標数の上限は整数で入力してください (1〜10。「-1」は数字ではありません)。",
    "三": "目標数の上限は整数で入力してください (1〜10。「三」は数字ではありません)。",
    "²": "目標数の上限は整数で入力してください (1〜10。「²」は数字ではありません)。",
    "": rules.MAX_GOALS_RANGE,
}


def test_a_number_out_of_range_or_not_a_number_is_refused_as_typed_and_changes_nothing(approver, fiscal_year):
    client = client_for(approver)
    for typed, message in BAD_LIMITS.items():
        response = client.post(limit_url(fiscal_year), {"max_goals": typed})
        body = response.content.decode()
        assert response.status_code == 200, typed
        assert message in body, typed
        # The summary links to the field, which holds what was typed and points at its error.
        assert '<a href="#id_max_goals">' in body
        assert f'name="max_goals" value="{typed}"' in body or (typed == "" and 'name="max_goals"' in body)
        assert 'aria-describedby="id_max_goals_helptext id_max_goals_error"' in body
        assert limit(fiscal_year) == 3, typed


def test_lowering_below_a_draft_with_more_goals_is_refused_naming_the_department(approver, fiscal_year):
    fiscal_year_set_max_goals(fiscal_year=fiscal_year, max_goals=8)
    sheet_with_goals(fiscal_year, 6, name="試験部 企画課")
    sheet_with_goals(fiscal_year, 5, name="試験部 区民課")
    sheet_with_goals(fiscal_year, 2, name="試験部 総務課")
    client = client_for(approver)

    response = client.post(limit_url(fiscal_year), {"max_goals": "4"})

    body = response.content.decode()
    assert (
        "目標数の上限を4件にはできません。次の部署のシートに目標5以降があります: "
        "試験部 企画課 (目標6まで・下書き)、試験部 区民課 (目標5まで・下書き)。"
        "上限を下げるには、先にこれらのシートの目標を目標4までにしてください。"
    ) in body
    assert "承認を取り消して" not in body
    assert 'name="max_goals" value="4"' in body
    assert limit(fiscal_year) == 8
    # Down to the most goals a sheet has is fine: nothing is left out.
    client.post(limit_url(fiscal_year), {"max_goals": "6"})
    assert limit(fiscal_year) == 6


def test_lowering_never_hides_an_approved_goal(approver, fiscal_year):
    fiscal_year_set_max_goals(fiscal_year=fiscal_year, max_goals=5)
    sheet, editor = sheet_with_goals(fiscal_year, 5)
    sheet_submit(sheet=sheet, phase=Phase.PLAN, by=editor)
    sheet_approve(sheet=sheet, phase=Phase.PLAN, by=approver)

    with pytest.raises(GoalsError) as error:
        fiscal_year_set_max_goals(fiscal_year=fiscal_year, max_goals=3)

    assert "試験部 企画課 (目標5まで・承認済)" in str(error.value)
    assert "承認済みのシートは、承認を取り消してから部署が直します。" in str(error.value)
    assert limit(fiscal_year) == 5
    assert Goal.objects.filter(sheet=sheet).count() == 5
    sheet.refresh_from_db()
    assert sheet.plan_status == SheetStatus.APPROVED


def test_a_gap_in_the_numbers_counts_by_the_highest_number(fiscal_year):
    fiscal_year_set_max_goals(fiscal_year=fiscal_year, max_goals=6)
    sheet, _editor = sheet_with_goals(fiscal_year, 2)
    Goal.objects.filter(sheet=sheet, number=2).update(number=6)  # goals 1 and 6, as the form allows
    with pytest.raises(GoalsError, match="目標6まで"):
        fiscal_year_set_max_goals(fiscal_year=fiscal_year, max_goals=5)


def test_the_limit_page_shows_the_sheets_that_hold_the_lowest_limit(approver, fiscal_year):
    fiscal_year_set_max_goals(fiscal_year=fiscal_year, max_goals=5)
    sheet_with_goals(fiscal_year, 4, name="試験部 企画課")
    sheet_with_goals(fiscal_year, 1, name="試験部 区民課")
    body = client_for(approver).get(limit_url(fiscal_year)).content.decode()
    assert "<h1" in body and "目標数の上限" in body
    assert "現在の上限: <strong>5件</strong>" in body
    assert "シートの中でいちばん大きい目標番号: <strong>目標4</strong>" in body
    assert '<th scope="row">試験部 企画課</th>' in body
    assert "試験部 区民課" not in body
    assert 'name="max_goals" value="5"' in body


def test_the_database_holds_the_range(fiscal_year):
    for value in (0, MAX_GOALS_PER_SHEET + 1):
        with pytest.raises(IntegrityError), transaction.atomic():
            FiscalYear.objects.filter(pk=fiscal_year.pk).update(max_goals=value)


@pytest.mark.anydb
def test_the_rule_names_five_departments_and_counts_the_rest():
    sheets = [(f"第{n}課", 4, SheetStatus.DRAFT) for n in range(1, 8)]
    refusal = rules.max_goals_refusal(3, sheets_over=sheets)
    assert "第5課 (目標4まで・下書き) ほか2部署。" in refusal and "第6課" not in refusal
    assert rules.max_goals_refusal(3, sheets_over=[]) is None
    assert rules.max_goals_refusal(0, sheets_over=[]) == rules.max_goals_refusal(11, sheets_over=[]) == rules.MAX_GOALS_RANGE


def test_the_admin_shows_the_limit_of_a_year_without_changing_it(admin_client, fiscal_year):
    page = admin_client.get(reverse("admin:goals_fiscalyear_change", args=[fiscal_year.pk])).content.decode()
    assert "1シートあたりの目標数の上限" in page and 'name="max_goals"' not in page
    assert 'name="max_goals"' in admin_client.get(reverse("admin:goals_fiscalyear_add")).content.decode()
