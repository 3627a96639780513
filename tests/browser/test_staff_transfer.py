"""人事異動 in a real browser: 総務課 uploads a file that moves 企画課's editor to 区民課 from
tomorrow; until then the editor edits 企画課's sheet, and from that day (applied by the nightly
housekeeping) 区民課's and no longer 企画課's. axe-core checks the staff pages on the way."""

import datetime
import io

import pytest
from django.core.management import call_command
from django.utils import timezone
from playwright.sync_api import expect

from departments.models import Department, Role, StaffChange, StaffProfile
from goals.services import fiscal_year_open_next
from tests.browser.test_staff_year import log_in, new_page  # noqa: F401 (new_page: a fixture)
from tests.factories import MembershipFactory, UserFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

KIKAKU = "まちづくり推進部 企画課"
KUMIN = "区民サービス部 区民課"
SOUMU = "まちづくり推進部 総務課"


def staff(username, last_name, first_name, department_name, role, number):
    department = Department.objects.get(office__slug="nakahara", name=department_name)
    user = UserFactory(username=username, last_name=last_name, first_name=first_name)
    MembershipFactory(user=user, department=department, role=role)
    StaffProfile.objects.create(user=user, office=department.office, employee_number=number)
    return user


def plan_edit_path(year, department_name):
    code = Department.objects.get(office__slug="nakahara", name=department_name).code
    return f"/staff/nakahara/{year.year}/sheets/{code}/plan/"


def test_a_transfer_changes_whose_sheet_an_editor_edits_on_its_date(new_page, seed_year, axe):  # noqa: F811
    year = fiscal_year_open_next(previous=seed_year)
    approver = staff("shonin", "承認", "花子", SOUMU, Role.APPROVER, "1001")
    editor = staff("kikaku", "企画", "進", KIKAKU, Role.EDITOR, "1002")
    tomorrow = timezone.localdate() + datetime.timedelta(days=1)
    kumin_code = Department.objects.get(office__slug="nakahara", name=KUMIN).code
    violations = {}

    # 総務課 finds 「職員」 in the menu, then uploads the file.
    page = log_in(new_page(), approver)
    page.get_by_role("link", name="職員", exact=True).click()
    expect(page.get_by_role("heading", name="職員", level=1)).to_be_visible()
    expect(page.get_by_role("rowheader", name="企画 進")).to_be_visible()
    violations["list"] = axe(page)
    page.get_by_role("link", name="人事異動の取込").click()
    violations["upload"] = axe(page)
    content = f"職員番号,氏名,メール,部署コード,役割,異動日\r\n1002,企画 進,,{kumin_code},部署担当者,{tomorrow:%Y/%m/%d}\r\n"
    page.get_by_label("人事異動のファイル (CSV または Excel) (必須)").set_input_files(
        files=[{"name": "jinji.csv", "mimeType": "text/csv", "buffer": content.encode("cp932")}]
    )
    page.get_by_role("button", name="確認する").click()
    expect(page.get_by_role("heading", name="取込内容の確認")).to_be_visible()
    row = page.get_by_role("row").filter(has=page.get_by_role("rowheader", name="企画 進"))
    expect(row).to_contain_text("異動")
    expect(row).to_contain_text(f"{KIKAKU} (部署担当者)")
    expect(row).to_contain_text(f"{KUMIN} (部署担当者)")
    violations["preview"] = axe(page)
    page.get_by_role("button", name="確定する").click()
    expect(page.get_by_role("status")).to_contain_text("異動日に適用 1 人")
    expect(page.get_by_role("heading", name="異動日を待っている人事異動")).to_be_visible()
    violations["changes"] = axe(page)
    page.get_by_role("link", name="企画 進").first.click()
    expect(page.get_by_role("heading", name="所属の履歴")).to_be_visible()
    violations["person"] = axe(page)
    page.get_by_role("link", name="職員の登録").click()
    page.get_by_role("button", name="登録する").click()
    expect(page.get_by_role("alert")).to_contain_text("アカウント名を入力してください。")
    violations["new, with errors"] = axe(page)

    # Until the day, the editor still works on 企画課's sheet.
    kikaku = log_in(new_page(), editor)
    assert kikaku.goto(plan_edit_path(year, KIKAKU)).status == 200
    expect(kikaku.get_by_role("heading", name="目標の入力", level=1)).to_be_visible()
    assert kikaku.goto(plan_edit_path(year, KUMIN)).status == 404

    # The day comes; the nightly housekeeping applies the change.
    StaffChange.objects.filter(user=editor).update(effective_on=timezone.localdate())
    call_command("housekeeping", stdout=io.StringIO())
    assert kikaku.goto(plan_edit_path(year, KUMIN)).status == 200
    expect(kikaku.get_by_role("heading", name="目標の入力", level=1)).to_be_visible()
    assert kikaku.goto(plan_edit_path(year, KIKAKU)).status == 404

    assert all(not found for found in violations.values()), "\n".join(
        f"{name}: {found}" for name, found in violations.items() if found
    )
