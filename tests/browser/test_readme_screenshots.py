"""The README's pictures of the error page, the public 目次 and the dashboard on a phone.

Run with WARDSERVICE_SCREENSHOTS=1 to write docs/error-page.png, docs/contents.png and
docs/phone-dashboard.png; otherwise skipped.
"""

import io
import os
from pathlib import Path

import pytest
from PIL import Image
from playwright.sync_api import expect

from tests.personas import personas
from tests.reports.publishing import publish, use_tmp_media

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(
        os.environ.get("WARDSERVICE_SCREENSHOTS") != "1",
        reason="set WARDSERVICE_SCREENSHOTS=1 to write the README's screenshots",
    ),
]

DOCS = Path(__file__).resolve().parents[2] / "docs"
PHONE = {"width": 390, "height": 844}


def save(png, name):
    """A 256-colour palette keeps text crisp and the file small."""
    image = Image.open(io.BytesIO(png)).quantize(256, dither=Image.Dither.NONE)
    image.save(DOCS / name, optimize=True)


def test_write_the_error_page_and_contents_screenshots(page, seed_year, settings, tmp_path):
    use_tmp_media(settings, tmp_path)
    publish(seed_year)
    page.set_viewport_size({"width": 1024, "height": 700})
    response = page.goto("/reports/nakahara/2019/")
    assert response is not None and response.status == 404
    save(page.screenshot(), "error-page.png")

    page.goto("/reports/nakahara/2020/")
    contents = page.get_by_role("navigation", name="目次")
    expect(contents).to_be_visible()
    contents.scroll_into_view_if_needed()
    save(contents.screenshot(), "contents.png")


def test_write_the_phone_dashboard_screenshot(browser, live_server, year):
    approver = personas().approver
    context = browser.new_context(locale="ja-JP", viewport=PHONE, base_url=live_server.url, device_scale_factor=1)
    page = context.new_page()
    page.goto("/accounts/login/")
    page.get_by_label("ユーザー名").fill(approver.username)
    page.get_by_label("パスワード").fill("test-pass-2020")
    page.get_by_role("button", name="ログイン").click()
    expect(page.get_by_role("heading", name="職員ホーム", level=1)).to_be_visible()
    page.goto("/staff/nakahara/2021/")
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= PHONE["width"], width
    # The table's own scroll box at the phone's width, with the sideways-scroll cue above it.
    box = page.locator(".table-scroll").last
    box.scroll_into_view_if_needed()
    top = page.evaluate("(el) => el.getBoundingClientRect().top + window.scrollY", box.element_handle())
    clip = {"x": 0, "y": max(top - 60, 0), "width": PHONE["width"], "height": PHONE["height"]}
    save(page.screenshot(full_page=True, clip=clip), "phone-dashboard.png")
    context.close()
