"""The live parts of the sheet forms (static/js/live-form.js) when the person types faster than the
server answers: an answer overtaken by newer typing is dropped, and the region stays aria-busy
until the newest answer has arrived (axe-core and screen readers wait for it)."""

import re

import pytest
from playwright.sync_api import expect

from tests.browser.test_writing_aid import OBJECTIVE, open_goals_form

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def wait_for_requests(page, held, count):
    for _ in range(200):
        if len(held) >= count:
            return
        page.wait_for_timeout(50)
    raise AssertionError(f"{count} preview requests expected, {len(held)} sent")


def test_an_overtaken_preview_answer_neither_shows_nor_ends_the_busy_state(page, editor, sheet):
    held = []  # the preview requests, answered only when the test says so
    page.route(re.compile(r"/preview/$"), lambda route: held.append(route))
    open_goals_form(page, editor, sheet)
    preview = page.locator("#preview")
    objective = page.get_by_role("group", name=re.compile(r"^目標 1")).get_by_role("textbox", name=OBJECTIVE)

    objective.fill("最初に打った文です。")
    wait_for_requests(page, held, 1)
    expect(preview).to_have_attribute("aria-busy", "true")
    objective.fill("あとから打った文です。")
    wait_for_requests(page, held, 2)

    # The first request was aborted by the page when the second started: the region stays busy.
    page.wait_for_timeout(300)
    assert preview.get_attribute("aria-busy") == "true"
    held[1].continue_()
    expect(preview).not_to_have_attribute("aria-busy", "true")
    expect(preview).to_contain_text("あとから打った文です。")
    expect(preview).not_to_contain_text("最初に打った文です。")
