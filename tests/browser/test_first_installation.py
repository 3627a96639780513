"""The first installation in a real browser: 総務課's approver brings in the office's departments
and 区分 from the page's own example workbook (upload → preview → 確定), axe-core on each page."""

import pytest
from playwright.sync_api import expect

from departments.models import Department, Role
from goals.models import Category
from goals.office_list_files import office_list_file
from tests.factories import DepartmentFactory, MembershipFactory, OfficeFactory, UserFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PASSWORD = "test-pass-2020"  # tests.factories.UserFactory


@pytest.fixture
def approver():
    office = OfficeFactory(name="港区役所", slug="minato")
    soumu = DepartmentFactory(office=office, code="900", name="総務部 総務課", sort_order=900)
    user = UserFactory(username="minato-shonin", last_name="承認", first_name="花子")
    MembershipFactory(user=user, department=soumu, role=Role.APPROVER)
    return user


def test_departments_and_categories_from_the_example_workbook(page, axe, approver, tmp_path):
    example = tmp_path / "部署と区分の一覧.xlsx"
    example.write_bytes(office_list_file("example.xlsx", office=None).content)
    page.goto("/accounts/login/")
    page.get_by_label("ユーザー名").fill(approver.username)
    page.get_by_label("パスワード").fill(PASSWORD)
    page.get_by_role("button", name="ログイン").click()

    page.goto("/staff/minato/years/")
    expect(page.get_by_role("heading", name="最初の年度を開始する")).to_be_visible()
    page.get_by_role("link", name="部署と区分の取込").click()
    expect(page.get_by_role("heading", name="部署と区分の取込", level=1)).to_be_visible()
    assert not axe(page), axe(page)

    page.get_by_label("ファイル", exact=True).set_input_files(str(example))
    page.get_by_role("button", name="確認する").click()
    expect(page.get_by_role("heading", name="取り込む内容の確認")).to_be_visible()
    expect(page.get_by_role("region", name="登録・変更する部署 (一覧の順)")).to_contain_text(
        "まちづくり推進部 総務課"
    )
    assert not Department.objects.filter(code="002").exists()
    violations = axe(page)
    assert not violations, str(violations)

    page.get_by_role("button", name="確定して取り込む").click()
    expect(page.get_by_role("status")).to_contain_text(
        "取り込みました: 部署 (新規 7)、区分 (新規 6)"
    )
    expect(page.get_by_role("heading", name="最初の年度を開始する")).to_be_visible()
    violations = axe(page)
    assert not violations, str(violations)
    assert Department.objects.get(code="002").parent.code == "001"
    assert Category.objects.count() == 6
