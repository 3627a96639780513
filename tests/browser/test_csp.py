"""The Content-Security-Policy in a real browser, for the pages the walk through the site does not
open: Django's admin, as its superuser, sends the policy, causes no violation, and its own scripts
still work under it.

Every staff and public page is checked for the same on the walk (tests/browser/site_walk.py,
tests/browser/test_site_walk.py): the header, no violation, no page error.
"""

import re

import pytest
from django.urls import reverse
from playwright.sync_api import expect

from tests.browser.conftest import TIMEOUT_MS
from tests.browser.csp import LISTEN_FOR_VIOLATIONS, VIOLATION, policy_problem
from departments.models import Role
from tests.factories import MembershipFactory, UserFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PASSWORD = "test-pass-2020"  # tests.factories.UserFactory
VIEWPORT = {"width": 1280, "height": 800}  # as the other browser tests (conftest.py)


class Watched:
    """A browser context whose console errors, page errors and CSP violations are collected."""

    def __init__(self, browser, base_url):
        self.context = browser.new_context(locale="ja-JP", viewport=VIEWPORT, base_url=base_url)
        self.context.set_default_timeout(TIMEOUT_MS)
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
        assert policy_problem(response) is None, policy_problem(response)
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


def test_the_admin_works_under_the_policy(watched, seed_year):
    admin = watched()
    admin.log_in(UserFactory(username="kanri", is_staff=True, is_superuser=True), path=reverse("admin:login"))
    office = seed_year.office
    MembershipFactory(department=office.departments.first(), role=Role.EDITOR)  # a changelist row
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
