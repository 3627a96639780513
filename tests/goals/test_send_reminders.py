"""send_reminders: one mail per editor whose departments' sheets are still to submit near a deadline."""

import datetime
import io

import pytest
from django.core.management import CommandError, call_command
from django.utils import timezone

from goals.models import FiscalYear
from goals.services import GoalInput, fiscal_year_open_next, sheet_save_plan, sheet_submit
from tests.factories import (
    DepartmentFactory,
    FiscalYearFactory,
    GoalSheetFactory,
    MembershipFactory,
    OfficeFactory,
)
from tests.personas import CHIIKI, KIKAKU, KUMIN, SOUMU, member
from tests.personas import seed_department as department


@pytest.fixture
def year2021(seed_year):
    fiscal_year = fiscal_year_open_next(previous=seed_year)
    FiscalYear.objects.filter(pk=fiscal_year.pk).update(
        plan_deadline=timezone.localdate() + datetime.timedelta(days=3)
    )
    fiscal_year.refresh_from_db()
    return fiscal_year


@pytest.fixture
def editors(people):
    """kumin edits 区民課, kikaku edits 企画課 and 地域振興課, soumu edits 総務課 (whose sheet is submitted)."""
    return {
        "kumin": people.kumin_editor,
        "kikaku": member(KIKAKU, username="kikaku"),
        "soumu": people.soumu_editor,
        "approver": people.approver,
    }


@pytest.fixture
def soumu_submitted(year2021, editors):
    MembershipFactory(department=department(CHIIKI), user=editors["kikaku"])
    sheet = year2021.sheets.get(department__name=SOUMU)
    sheet_save_plan(
        sheet=sheet,
        goals=[GoalInput(number=1, objective="来庁者に丁寧に応対します。")],
        expected_version=sheet.version,
        by=editors["soumu"],
    )
    sheet_submit(sheet=sheet, phase="plan", by=editors["soumu"])
    return sheet


def run(*args):
    out = io.StringIO()
    call_command("send_reminders", *args, stdout=out)
    return out.getvalue()


def test_one_mail_per_editor_of_departments_still_to_submit(
    year2021, editors, soumu_submitted, mailoutbox
):
    output = run("--days", "7")

    by_address = {m.to[0]: m for m in mailoutbox}
    assert set(by_address) == {
        editors["kumin"].email,
        editors["kikaku"].email,
    }  # not soumu, not the approver
    kikaku_mail = by_address[editors["kikaku"].email]
    assert (
        KIKAKU in kikaku_mail.body and CHIIKI in kikaku_mail.body and KUMIN not in kikaku_mail.body
    )
    assert "目標設定の締切" in kikaku_mail.subject and "が近づいています" in kikaku_mail.subject
    assert "締切まであと3日" in kikaku_mail.body and "(未着手)" in kikaku_mail.body
    assert "/staff/nakahara/2021/sheets/" in kikaku_mail.body
    assert "2通のリマインダーを送信しました" in output
    assert (
        "担当者 (メールアドレスあり) がいません" in output
    )  # the other departments have no editor here


def test_past_deadline_is_always_reminded(year2021, editors, mailoutbox):
    FiscalYear.objects.filter(pk=year2021.pk).update(
        plan_deadline=timezone.localdate() - datetime.timedelta(days=2)
    )
    run("--days", "0")
    mail = next(m for m in mailoutbox if m.to == [editors["kumin"].email])
    assert "を過ぎています" in mail.subject and "締切を2日過ぎています" in mail.body


def test_nothing_when_the_deadline_is_further_away(year2021, editors, mailoutbox):
    assert "0通" in run("--days", "2")
    assert mailoutbox == []
    run("--days", "3")
    assert len(mailoutbox) == 3  # kumin, kikaku and soumu


def test_nothing_for_a_closed_phase(year2021, editors, mailoutbox):
    FiscalYear.objects.filter(pk=year2021.pk).update(plan_open=False)
    run()
    assert mailoutbox == []


def test_dry_run_sends_nothing_but_says_what_it_would(
    year2021, editors, soumu_submitted, mailoutbox
):
    output = run("--dry-run")
    assert mailoutbox == []
    assert editors["kumin"].email in output and "2通を送る予定です" in output


def test_result_phase_reminds_approved_plans_whose_results_are_not_submitted(
    year2021, editors, mailoutbox
):
    FiscalYear.objects.filter(pk=year2021.pk).update(
        plan_open=False,
        result_open=True,
        result_deadline=timezone.localdate() + datetime.timedelta(days=1),
    )
    year2021.sheets.exclude(department__name=SOUMU).update(
        plan_status="approved"
    )  # 総務課's goals still pending
    year2021.sheets.filter(department__name=KUMIN).update(result_status="submitted")
    run()
    assert [m.to for m in mailoutbox] == [[editors["kikaku"].email]]
    assert "実績報告の締切" in mailoutbox[0].subject


def test_office_option_limits_the_run(year2021, editors, mailoutbox):
    other = OfficeFactory(slug="other")
    other_year = FiscalYearFactory(office=other, plan_deadline=timezone.localdate())
    sheet = GoalSheetFactory(fiscal_year=other_year, department=DepartmentFactory(office=other))
    MembershipFactory(department=sheet.department, user__username="other-editor")

    run("--office", "other")

    assert [m.to for m in mailoutbox] == [["other-editor@example.jp"]]
    with pytest.raises(CommandError, match="ありません"):
        run("--office", "nowhere")


def test_editors_without_address_or_inactive_get_nothing(
    year2021, editors, soumu_submitted, mailoutbox
):
    editors["kumin"].email = ""
    editors["kumin"].save()
    editors["kikaku"].is_active = False
    editors["kikaku"].save()
    run()
    assert mailoutbox == []
