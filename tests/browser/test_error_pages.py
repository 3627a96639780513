"""The error pages in a real browser: the 404 and 403 pages are axe-clean, and a form saved in one
tab after logging out and in again in another shows its typed text on the CSRF failure page."""

import re

import pytest
from playwright.sync_api import expect

from departments.models import Role
from tests.factories import GoalSheetFactory, MembershipFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PASSWORD = "test-pass-2020"  # tests.factories.UserFactory
OBJECTIVE = re.compile(r"^目標\*?$")  # the required field's label ends in crispy's asterisk
TYPED = "窓口での案内を、来庁者の用件に合わせて分かりやすくします。"


@pytest.fixture
def sheet(db):
    return GoalSheetFactory(fiscal_year__office__slug="errors", fiscal_year__year=2021)


def plan_url(sheet):
    return f"/staff/errors/2021/sheets/{sheet.department.code}/plan/"


def log_in(page, user):
    page.goto("/accounts/login/")
    page.get_by_label("ユーザー名").fill(user.username)
    page.get_by_label("パスワード").fill(PASSWORD)
    page.get_by_role("button", name="ログイン").click()
    expect(page.get_by_role("heading", level=1, name="職員ホーム")).to_be_visible()


def test_the_404_and_403_pages_meet_wcag_21_aa_according_to_axe(page, axe, sheet):
    response = page.goto("/reports/nakahara/2019/")
    assert response.status == 404
    expect(page.locator("html")).to_have_attribute("lang", "ja")
    expect(page.get_by_role("heading", level=1)).to_have_text("ページが見つかりません")
    expect(page.get_by_role("navigation", name="ここから移動できるページ").get_by_role("link", name="トップページ")).to_be_visible()
    violations = axe(page)
    assert not violations, f"404: {violations}"

    viewer = MembershipFactory(department=sheet.department, role=Role.VIEWER).user
    log_in(page, viewer)
    response = page.goto(plan_url(sheet))
    assert response.status == 403
    expect(page.get_by_role("heading", level=1)).to_have_text("この操作は許可されていません")
    page.get_by_role("navigation", name="ここから移動できるページ").get_by_role("link", name="職員ホーム").click()
    expect(page.get_by_role("heading", level=1, name="職員ホーム")).to_be_visible()
    page.go_back()
    violations = axe(page)
    assert not violations, f"403: {violations}"


def test_a_form_saved_after_a_new_login_in_another_tab_shows_what_was_typed(page, axe, sheet):
    editor = MembershipFactory(department=sheet.department, role=Role.EDITOR).user
    log_in(page, editor)
    page.goto(plan_url(sheet))  # tab A: the goals form

    other_tab = page.context.new_page()  # tab B: log out, and in again
    other_tab.goto("/staff/")
    other_tab.get_by_role("button", name="ログアウト").click()
    expect(other_tab.get_by_role("link", name="職員ログイン").first).to_be_visible()
    log_in(other_tab, editor)
    other_tab.close()

    page.get_by_role("textbox", name=OBJECTIVE).first.fill(TYPED)
    with page.expect_response(lambda r: r.request.method == "POST") as posted:
        page.get_by_role("button", name="保存 (下書き)").click()

    assert posted.value.status == 403
    expect(page.get_by_role("heading", level=1)).to_have_text("送信した内容を受け付けられませんでした")
    kept = page.get_by_role("textbox", name="目標 (1件目)")
    expect(kept).to_have_value(TYPED)
    expect(kept).to_have_attribute("readonly", "")
    expect(page.get_by_role("link", name="元のページを開き直します")).to_have_attribute("href", plan_url(sheet))
    violations = axe(page)
    assert not violations, f"CSRF failure page: {violations}"
