"""The goals form in a real browser, between phone calls: what was typed outlives the login, the
login's end is announced and can be put off, Enter never sends the form, and leaving a changed
page asks first. The server's side of each is in tests/goals/test_editor_trust.py.
"""

import re

import pytest
from django.contrib.sessions.models import Session
from django.urls import reverse
from playwright.sync_api import expect

from goals.models import ReviewEvent, SheetStatus

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PASSWORD = "test-pass-2020"  # tests.factories.UserFactory
OBJECTIVE = re.compile(r"^目標\*?$")  # the required field's label may end in crispy's asterisk
TYPED = "電話の合間に入力した目標です。窓口での案内を分かりやすくします。"


def sheet_url(name, sheet):
    fy = sheet.fiscal_year
    return reverse(name, kwargs={"office": fy.office.slug, "year": fy.year, "code": sheet.department.code})


def log_in(page, user, then=None):
    """The login form, as the person fills it in; `then`: open that page first (login sends back)."""
    if then:
        page.goto(then)
    expect(page.get_by_role("heading", name="職員ログイン")).to_be_visible()
    page.get_by_label("ユーザー名").fill(user.username)
    page.get_by_label("パスワード").fill(PASSWORD)
    page.get_by_role("button", name="ログイン").click()
    page.wait_for_load_state("load")  # the deferred scripts have run


def goal_objective(page, number):
    goal = page.get_by_role("group", name=re.compile(rf"^目標 {number}(?: \(新規\))?$"))
    return goal, goal.get_by_role("textbox", name=OBJECTIVE)


def test_typing_survives_the_login_ending_and_is_restored_after_logging_in(page, editor, sheet, axe):
    form = sheet_url("goals:plan_edit", sheet)
    log_in(page, editor, then=form)
    expect(page.get_by_role("heading", name="目標の入力", level=1)).to_be_visible()
    _, objective = goal_objective(page, 1)
    objective.fill(TYPED)

    Session.objects.all().delete()  # the login ends while the person is on the phone
    page.get_by_role("button", name="保存 (下書き)").click()

    expect(page.get_by_role("heading", name="職員ログイン")).to_be_visible()
    expect(page.get_by_role("status")).to_contain_text("ログインが切れていたため、送信した内容は保存されていません")
    log_in(page, editor)

    # Back on the form, which offers what was typed back, and says so first.
    assert page.url.endswith(form)
    prompt = page.get_by_role("region", name="保存されていない入力があります")
    expect(prompt).to_be_visible()
    expect(prompt.get_by_role("heading")).to_be_focused()
    _, objective = goal_objective(page, 1)
    expect(objective).to_have_value("")
    violations = axe(page)
    assert not violations, str(violations)
    prompt.get_by_role("button", name="復元する").click()
    expect(objective).to_have_value(TYPED)
    expect(page.get_by_role("status").filter(has_text="入力内容を復元しました")).to_be_focused()
    assert not sheet.goals.exists()  # restored in the page only: nothing saved yet

    page.get_by_role("button", name="保存 (下書き)").click()
    expect(page.get_by_role("status")).to_contain_text("下書きを保存しました。")
    assert list(sheet.goals.values_list("objective", flat=True)) == [TYPED]
    # Saved: the browser's copy is gone, and the form offers nothing any more.
    page.goto(form)
    expect(page.get_by_role("heading", name="目標の入力", level=1)).to_be_visible()
    expect(page.get_by_role("region", name="保存されていない入力があります")).to_have_count(0)
    assert page.evaluate("Object.keys(sessionStorage).filter(k => k.startsWith('wardservice.draft:'))") == []


def test_the_login_end_is_announced_before_it_comes_and_can_be_put_off(page, editor, sheet, axe, settings):
    settings.SESSION_COOKIE_AGE = 90  # warned 30 seconds before the end
    page.clock.install()
    log_in(page, editor, then=sheet_url("goals:sheet", sheet))
    extend = page.get_by_role("button", name="延長する")
    expect(extend).to_be_hidden()

    page.clock.fast_forward("01:05")  # 25 seconds left
    warning = page.get_by_text("まもなくログインの有効期限が切れます。")
    expect(warning).to_be_visible()
    expect(warning).to_contain_text("あと 25秒 でログアウトされます。")
    page.clock.run_for(1000)
    expect(page.locator("[aria-live='polite']").filter(has_text="まもなくログインの有効期限が切れます")).to_have_count(1)
    violations = axe(page)
    assert not violations, str(violations)

    key = next(c["value"] for c in page.context.cookies() if c["name"] == settings.SESSION_COOKIE_NAME)
    before = Session.objects.get(session_key=key).expire_date
    extend.click()
    expect(extend).to_be_hidden()
    page.clock.run_for(1000)
    expect(page.locator("[aria-live='polite']").filter(has_text="ログインを延長しました。")).to_have_count(1)
    assert Session.objects.get(session_key=key).expire_date > before
    page.clock.fast_forward("00:30")  # a full minute after the first warning: quiet again
    expect(warning).to_be_hidden()


def test_enter_never_submits_and_leaving_a_changed_page_asks_first(page, editor, sheet):
    log_in(page, editor, then=sheet_url("goals:plan_edit", sheet))
    posts = []
    page.on("request", lambda request: posts.append(request.url) if request.method == "POST" else None)
    goal, objective = goal_objective(page, 1)

    goal.get_by_role("checkbox").first.focus()
    page.keyboard.press("Enter")
    goal.get_by_role("combobox", name="目標番号").focus()
    page.keyboard.press("Enter")
    objective.focus()
    page.keyboard.type("窓口")
    page.keyboard.press("Enter")  # a new line in a text area, as ever
    page.keyboard.type("電話")
    page.wait_for_timeout(800)  # a submit would have been sent by now (the preview and hints may post)
    assert [url for url in posts if not url.endswith(("/preview/", "/hints/"))] == []
    expect(objective).to_have_value("窓口\n電話")
    sheet.refresh_from_db()
    assert sheet.plan_status == SheetStatus.NOT_STARTED and not ReviewEvent.objects.filter(sheet=sheet).exists()

    # The form has changed: leaving by a link asks first, and staying keeps everything.
    dialogs = []
    page.once("dialog", lambda dialog: (dialogs.append(dialog.type), dialog.dismiss()))
    page.get_by_role("navigation", name="パンくずリスト").get_by_role("link", name="職員ホーム").click()
    expect(page.get_by_role("heading", name="目標の入力", level=1)).to_be_visible()
    page.wait_for_timeout(300)
    assert dialogs == ["beforeunload"]
    expect(objective).to_have_value("窓口\n電話")
    # 「保存せずにシートへ戻る」 says what it does: no question, and the typing is let go.
    page.get_by_role("link", name="保存せずにシートへ戻る").click()
    expect(page.get_by_role("heading", name=sheet.department.name, level=1)).to_be_visible()
    assert dialogs == ["beforeunload"]
    assert page.evaluate("Object.keys(sessionStorage).filter(k => k.startsWith('wardservice.draft:'))") == []
