"""The year page with ふりがな in a real browser: turned on and off by its link, axe-clean."""

import io
import os
import re
from pathlib import Path

import pytest
from PIL import Image
from playwright.sync_api import expect

from reports.furigana.seed import reading_entries_seed
from tests.reports.helpers import approved_year
from tests.reports.publishing import publish, use_tmp_media

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PROJECT_ROOT = Path(__file__).resolve().parents[2]
YEAR_URL = "/reports/nakahara/2020/"


@pytest.fixture
def published_seed(seed_year, settings, tmp_path):
    """The seed year published with the demo office's ふりがなの辞書, as `make demo` does."""
    use_tmp_media(settings, tmp_path)
    reading_entries_seed(seed_year.office)
    publish(seed_year)
    return seed_year


@pytest.fixture
def published_small(db, settings, tmp_path):
    """A small year (quicker to publish than the seed) with the demo dictionary."""
    use_tmp_media(settings, tmp_path)
    year = approved_year(departments=2, goals_per_department=2, texts=["来庁者に窓口で丁寧に案内します。"])
    reading_entries_seed(year.office)
    publish(year)
    return f"/reports/{year.office.slug}/{year.year}/"


def test_a_reader_turns_furigana_on_and_off_and_the_page_meets_wcag(page, published_small, axe):
    url = published_small
    page.goto(url)
    expect(page.locator("ruby")).to_have_count(0)
    page.get_by_role("link", name="ふりがなを表示").click()

    expect(page).to_have_url(re.compile(re.escape(f"{url}?furigana=1") + "$"))
    expect(page.locator("h1 ruby", has_text="区役所")).to_have_text("区役所くやくしょ")
    expect(page.locator("td.goal-text ruby", has_text="来庁者").first).to_have_text("来庁者らいちょうしゃ")
    violations = axe(page)
    assert not violations, violations

    page.goto(url)  # remembered in the cookie
    expect(page.locator("ruby").first).to_be_visible()
    page.get_by_role("link", name="ふりがなを消す").click()
    expect(page.locator("ruby")).to_have_count(0)
    expect(page.get_by_role("link", name="ふりがなを表示")).to_be_visible()


@pytest.mark.skipif(
    os.environ.get("WARDSERVICE_SCREENSHOTS") != "1",
    reason="set WARDSERVICE_SCREENSHOTS=1 to write docs/furigana.png",
)
def test_write_furigana_page_screenshot(page, published_seed):
    page.goto(YEAR_URL + "?furigana=1")
    path = PROJECT_ROOT / "docs" / "furigana.png"
    page.locator("#table-heading").scroll_into_view_if_needed()
    png = page.screenshot(full_page=True, clip={"x": 0, "y": 0, "width": 1280, "height": 1400})
    image = Image.open(io.BytesIO(png)).quantize(256, dither=Image.Dither.NONE)
    image.save(path, optimize=True)
    assert path.stat().st_size <= 400_000
