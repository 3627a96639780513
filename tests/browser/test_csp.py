"""The Content-Security-Policy in a real browser: every kind of page, as the person who uses it,
sends the policy and causes no violation, and the pages' scripts still work under it.

Violations are caught by a `securitypolicyviolation` listener that the driver injects before any
page script (an init script is not subject to the page's policy) and reports on the console, so
that none is lost when a page navigates away.
"""

import re

import pytest
from django.urls import reverse
from playwright.sync_api import expect

from departments.models import Department, Role
from goals.models import Goal, GoalSheet, Phase, SheetStatus
from goals.services import fiscal_year_open_next, sheet_submit
from reports.models import Publication, PublicationStatus
from reports.tasks import render_publication
from tests.factories import MembershipFactory, UserFactory
from tests.reports.publishing import publish, use_tmp_media

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PASSWORD = "test-pass-2020"  # tests.factories.UserFactory
KIKAKU = "まちづくり推進部 企画課"
CHIIKI = "まちづくり推進部 地域振興課"
SOUMU = "まちづくり推進部 総務課"
DIRECTIVES = {
    "default-src 'self'",
    "script-src 'self'",
    "style-src 'self'",
    "img-src 'self' data:",
    "object-src 'none'",
    "base-uri 'self'",
    "form-action 'self'",
    "frame-ancestors 'none'",
}
VIEWPORT = {"width": 1280, "height": 800}  # as the other browser tests (conftest.py)
VIOLATION = "CSP violation:"
LISTEN_FOR_VIOLATIONS = """
document.addEventListener("securitypolicyviolation", (event) => {
  console.error("CSP violation: " + JSON.stringify({
    directive: event.violatedDirective, blocked: event.blockedURI, sample: event.sample,
    source: event.sourceFile, line: event.lineNumber, page: document.location.pathname,
  }));
});
"""


class Watched:
    """A browser context whose console errors, page errors and CSP violations are collected."""

    def __init__(self, browser, base_url):
        self.context = browser.new_context(locale="ja-JP", viewport=VIEWPORT, base_url=base_url)
        self.context.set_default_timeout(10_000)
        self.context.route(
            lambda url: not url.startswith(base_url) and not url.startswith(("data:", "about:")),
            lambda route: route.abort(),
        )
        self.context.add_init_script(LISTEN_FOR_VIOLATIONS)
        self.problems = []
        self.visited = []
        self.page = self.context.new_page()
        self.page.on("console", self._console)
        self.page.on("pageerror", lambda error: self.problems.append(f"page error: {error}"))

    def _console(self, message):
        if message.type == "error" or message.text.startswith(VIOLATION):
            self.problems.append(f"{self.page.url}: {message.text}")

    def visit(self, path, *, status=200):
        """Open the page, check its policy header and let it settle; the page, for more checks."""
        response = self.page.goto(path)
        assert response.status == status, f"{path}: {response.status}"
        policy = response.headers.get("content-security-policy", "")
        assert {part.strip() for part in policy.split(";")} == DIRECTIVES, f"{path}: {policy!r}"
        self.settle()
        self.visited.append(path)
        return self.page

    def settle(self):
        self.page.wait_for_load_state("networkidle")
        # Violation events are queued as tasks: one more round trip lets them fire.
        self.page.evaluate("() => new Promise((resolve) => setTimeout(resolve, 50))")

    def log_in(self, user, *, path="/accounts/login/"):
        self.visit(path)
        self.page.get_by_label("ユーザー名").fill(user.username)
        self.page.get_by_label("パスワード").fill(PASSWORD)
        self.page.get_by_role("button", name="ログイン").click()
        self.page.wait_for_load_state("networkidle")

    def assert_clean(self):
        self.settle()
        assert not self.problems, "\n".join(self.problems)


@pytest.fixture
def watched(browser, live_server):
    contexts = []

    def make():
        contexts.append(Watched(browser, live_server.url))
        return contexts[-1]

    yield make
    for watched_context in contexts:
        watched_context.context.close()


def department(name):
    return Department.objects.get(office__slug="nakahara", name=name)


@pytest.fixture
def world(seed_year, settings, tmp_path):
    """2020 published (its goals, v1); 2021 open with 企画課's draft and 地域振興課 submitted."""
    use_tmp_media(settings, tmp_path)
    publish(seed_year, "plan")
    year = fiscal_year_open_next(previous=seed_year)
    editor = MembershipFactory(department=department(KIKAKU), role=Role.EDITOR, user__username="henshu").user
    MembershipFactory(user=editor, department=department(CHIIKI), role=Role.EDITOR)
    approver = MembershipFactory(department=department(SOUMU), role=Role.APPROVER, user__username="shonin").user
    sheets = {}
    for name in (KIKAKU, CHIIKI):
        sheets[name] = GoalSheet.objects.get(fiscal_year=year, department__name=name)
        Goal.objects.create(sheet=sheets[name], number=1, objective="窓口の案内を分かりやすくします。")
        GoalSheet.objects.filter(pk=sheets[name].pk).update(plan_status=SheetStatus.DRAFT)
        sheets[name].refresh_from_db()
    sheet_submit(sheet=sheets[CHIIKI], phase=Phase.PLAN, by=editor)
    admin = UserFactory(username="kanri", is_staff=True, is_superuser=True)
    return {"year": year, "editor": editor, "approver": approver, "admin": admin, "sheets": sheets}


def sheet_path(name, sheet, **extra):
    kwargs = {"office": "nakahara", "year": 2021, "code": sheet.department.code, **extra}
    return reverse(name, kwargs=kwargs)


def test_public_pages_keep_the_policy(watched, world):
    visitor = watched()
    year = {"office": "nakahara", "year": 2020}
    for path in [
        "/",
        reverse("reports:year", kwargs=year),  # the published page, served from storage
        reverse("reports:version", kwargs={**year, "version": 1}),
        reverse("reports:search") + "?q=窓口",
        reverse("reports:stats", kwargs=year),
        reverse("reports:data_dictionary"),
        reverse("reports:accessibility"),
        reverse("login"),
        reverse("admin:login"),
    ]:
        visitor.visit(path)

    # The stored page's own stylesheets apply under the policy (style-src 'self').
    visitor.visit(reverse("reports:year", kwargs=year))
    font = visitor.page.evaluate("() => getComputedStyle(document.body).fontFamily")
    assert "IPAexGothic" in font
    expect(visitor.page.get_by_role("table").first).to_be_visible()
    visitor.visit(reverse("reports:stats", kwargs=year))
    expect(visitor.page.get_by_role("img", name=re.compile("区分別の目標数"))).to_be_visible()
    visitor.assert_clean()


def test_the_editors_pages_and_the_sheet_form_script(watched, world):
    editor = watched()
    editor.log_in(world["editor"])
    kikaku = world["sheets"][KIKAKU]
    for path in [
        reverse("goals:home"),
        sheet_path("goals:sheet", kikaku),
        sheet_path("publishing:entry_upload", kikaku),
        sheet_path("goals:submit", kikaku, phase="plan"),
        reverse("reports_staff_search") + "?q=窓口",
        reverse("password_change"),
    ]:
        editor.visit(path)

    page = editor.visit(sheet_path("goals:plan_edit", kikaku))
    goal = page.get_by_role("group", name=re.compile(r"^目標 1$"))
    text = goal.get_by_role("textbox", name=re.compile(r"^目標\*?$"))
    # static/js/sheet-form.js: the live count and the live preview (a fetch with the CSRF token).
    expect(text).to_have_accessible_description(re.compile(r"\d+ / 400 文字$"))
    typed = "来庁者を迷わせない案内をします。"
    text.fill(typed)
    expect(text).to_have_accessible_description(re.compile(rf"{len(typed)} / 400 文字$"))
    preview = page.get_by_role("region", name="プレビュー (公表する表での見え方)", exact=True).last
    expect(preview).to_contain_text(typed)
    editor.assert_clean()


def test_the_approvers_pages_and_the_publish_progress_script(watched, world, settings):
    approver = watched()
    approver.log_in(world["approver"])
    chiiki = world["sheets"][CHIIKI]
    for path in [
        reverse("goals:home"),
        reverse("goals:dashboard", kwargs={"office": "nakahara", "year": 2021}),
        reverse("goals:years", kwargs={"office": "nakahara"}),
        sheet_path("goals:approve", chiiki, phase="plan"),
        sheet_path("goals:return", chiiki, phase="plan"),
        sheet_path("goals:changes", chiiki, phase="plan"),
        reverse("publishing:import_table", kwargs={"office": "nakahara", "year": 2021}),
        reverse("publishing:import_published", kwargs={"office": "nakahara", "year": 2021}),
        sheet_path("publishing:entry_upload", chiiki),
    ]:
        approver.visit(path)
    dashboard = approver.visit(reverse("goals:dashboard", kwargs={"office": "nakahara", "year": 2021}))
    expect(dashboard.get_by_role("progressbar", name="目標設定の承認済シート")).to_be_visible()

    # static/js/publish-progress.js: 2020's results are published with the task queued, as in
    # production; the page polls the status and shows the outcome once the worker has run.
    settings.TASKS = {"default": {"BACKEND": "django_tasks.backends.dummy.DummyBackend"}}
    page = approver.visit(reverse("publishing:overview", kwargs={"office": "nakahara", "year": 2020}))
    page.get_by_role("link", name="目標と実績の表を確認して公表する").click()
    page.get_by_label("内容を確認しました。公表します。").check()  # the confirmation page
    page.get_by_role("button", name="目標と実績の表を公表する").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("第2版 (目標と実績) の公表")
    expect(page.get_by_text("状態: 公表待ち")).to_be_visible()
    render_publication.call(Publication.objects.get(status=PublicationStatus.PENDING).pk)
    expect(page.get_by_text("状態: 公表済")).to_be_visible()
    expect(page.get_by_label("ファイル作成の進捗")).to_have_attribute("value", "100")
    approver.assert_clean()


def test_the_admin_works_under_the_policy(watched, world):
    admin = watched()
    admin.log_in(world["admin"], path=reverse("admin:login"))
    office = world["year"].office
    for path in [
        reverse("admin:index"),
        reverse("admin:goals_goalsheet_changelist"),
        reverse("admin:departments_office_change", args=[office.pk]),
        reverse("admin:departments_membership_add"),
        reverse("admin:axes_accessattempt_changelist"),
        reverse("admin:password_change"),  # the staff password page serves the admin too
    ]:
        admin.visit(path)
    # The admin's own scripts run: the theme switch and the changelist's select-all checkbox.
    page = admin.visit(reverse("admin:departments_membership_changelist"))
    page.get_by_role("checkbox", name=re.compile("すべて|全")).first.check()
    expect(page.locator("input.action-select").first).to_be_checked()
    admin.assert_clean()
