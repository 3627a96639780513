"""The Excel entry workbook in a real browser: download, fill in offline, upload, preview, 確定.

総務課's approver (the views let an office's approvers use the workbook for any department) and,
for comparison, the department's own editor: each downloads 企画課's 2021 workbook from the sheet
page, types a goal into it with openpyxl the way a person would in Excel, brings it back through
the upload form, checks the preview (axe-core included) and confirms. The goal is then a draft.
"""

import datetime

import pytest
from django.utils import timezone
from openpyxl import load_workbook
from playwright.sync_api import expect

from departments.models import Department, Role
from goals.models import Goal, GoalSheet, SheetStatus
from goals.services import fiscal_year_open_next
from tests.factories import MembershipFactory, UserFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PASSWORD = "test-pass-2020"  # tests.factories.UserFactory
KIKAKU = "まちづくり推進部 企画課"
SOUMU = "まちづくり推進部 総務課"
YEAR = 2021
ENTRY_SHEET = "記入"
HEADER_ROW = 9  # reports.imports.workbook.HEADER_ROW: the goals start on the row below
OBJECTIVE = "窓口での案内を、来庁者が迷わない言葉で行います。"
SAVED = "Excelファイルの内容を下書きとして保存しました。"


def department(name):
    return Department.objects.get(office__slug="nakahara", name=name)


@pytest.fixture
def year(seed_year):
    """令和3年度 opened from the real 2020 table: 目標設定 open for a week, every sheet empty."""
    return fiscal_year_open_next(
        previous=seed_year, plan_deadline=timezone.localdate() + datetime.timedelta(days=7)
    )


def log_in(page, user):
    page.goto("/staff/")
    page.get_by_label("ユーザー名").fill(user.username)
    page.get_by_label("パスワード").fill(PASSWORD)
    page.get_by_role("button", name="ログイン").click()
    expect(page.get_by_role("heading", name="職員ホーム", level=1)).to_be_visible()


def fill_in(path, tag):
    """What a person does in Excel: 目標 of the first goal row, and one 区分 from the drop-down."""
    workbook = load_workbook(path)
    sheet = workbook[ENTRY_SHEET]
    columns = {
        str(cell.value).split(" (")[0]: cell.column
        for cell in sheet[HEADER_ROW]
        if cell.value is not None
    }
    assert {"目標番号", "区分1", "目標", "具体的な取組内容"} <= set(columns), columns
    row = HEADER_ROW + 1
    assert sheet.cell(row=row, column=columns["目標番号"]).value == 1
    sheet.cell(row=row, column=columns["目標"]).value = OBJECTIVE
    sheet.cell(row=row, column=columns["区分1"]).value = tag
    workbook.save(path)


@pytest.mark.parametrize(
    ("role", "department_name"),
    [(Role.APPROVER, SOUMU), (Role.EDITOR, KIKAKU)],
    ids=["approver", "editor"],
)
def test_a_filled_in_workbook_comes_back_as_a_draft(
    page, axe, year, tmp_path, role, department_name
):
    user = UserFactory(username="person", last_name="記入", first_name="太郎")
    MembershipFactory(user=user, department=department(department_name), role=role)
    tag = year.categories.order_by("sort_order", "name").first().name
    log_in(page, user)

    page.goto(f"/staff/nakahara/{YEAR}/sheets/{department(KIKAKU).code}/")
    with page.expect_download() as download_info:
        page.get_by_role("link", name="Excel の記入用ファイル").click()
    download = download_info.value
    assert download.suggested_filename.endswith("_記入用.xlsx")
    path = tmp_path / download.suggested_filename
    download.save_as(path)

    fill_in(path, tag)

    page.get_by_role("link", name="記入したファイルを取り込む").click()
    page.get_by_label("記入用ファイル").set_input_files(path)
    page.get_by_role("button", name="アップロードして変更内容を確認").click()
    expect(page.get_by_role("heading", name="取り込む内容の確認", level=1)).to_be_visible()
    expect(page.locator("body")).to_contain_text(OBJECTIVE)
    expect(page.locator("body")).to_contain_text(tag)
    violations = axe(page)
    assert not violations, str(violations)

    page.get_by_role("button", name="確定").click()
    expect(page.get_by_text(SAVED)).to_be_visible()

    sheet = GoalSheet.objects.get(fiscal_year=year, department__name=KIKAKU)
    assert sheet.plan_status == SheetStatus.DRAFT
    goal = Goal.objects.get(sheet=sheet, number=1)
    assert goal.objective == OBJECTIVE
    assert [c.name for c in goal.categories.all()] == [tag]
