"""The public pages in a real browser: WCAG 2.1 AA (axe-core), keyboard use, the table's structure,
and the front page of many offices (its filter and page links).

Set WARDSERVICE_SCREENSHOTS=1 to also write docs/html-page.png (the year page, 1280 px wide).
"""

import io
import os
import re
from pathlib import Path

import pytest
from PIL import Image
from playwright.sync_api import expect

from reports.table import build_table
from reports.views.public import OFFICES_PER_PAGE
from tests.reports.publishing import publish, use_tmp_media
from tests.reports.test_home import published_offices

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PROJECT_ROOT = Path(__file__).resolve().parents[2]
YEAR_URL = "/reports/nakahara/2020/"
YEAR_TITLE = "令和2年度 中原区役所サービス向上目標"
PUBLIC_URLS = ["/", YEAR_URL, "/reports/opendata/", "/accounts/login/"]
# The front page of more offices than fit on a page: the filter, page links, no match.
MANY_OFFICES_URLS = ["/", "/?page=2", "/?q=試験22", "/?q=存在しない町"]
FILTER_LABEL = "市区町村名・区役所名・団体コード"


@pytest.fixture
def published_seed(seed_year, settings, tmp_path):
    """The seed year, published (目標と実績): its page is the HTML stored at 公表."""
    use_tmp_media(settings, tmp_path)
    publish(seed_year)
    return seed_year


def open_page(page, url):
    response = page.goto(url)
    assert response is not None and response.status == 200, f"{url}: {response and response.status}"
    return page


def test_pages_meet_wcag_21_aa_according_to_axe(page, published_seed, axe):
    # One published world for the four pages: publishing it is most of the time of such a test.
    failures = []
    for url in PUBLIC_URLS:
        open_page(page, url)
        expect(page.locator("html")).to_have_attribute("lang", "ja")
        if violations := axe(page):
            failures.append(f"{url}: {violations}")
    assert not failures, "\n\n".join(failures)


@pytest.fixture
def many_offices(db):
    """More offices than one page lists (試験01区役所 …), each with 2021 published."""
    return published_offices(OFFICES_PER_PAGE + 3)


def test_front_page_of_many_offices_meets_wcag_21_aa_according_to_axe(page, many_offices, axe):
    failures = []
    for url in MANY_OFFICES_URLS:
        open_page(page, url)
        if violations := axe(page):
            failures.append(f"{url}: {violations}")
    assert not failures, "\n\n".join(failures)


def test_a_visitor_finds_their_ward_with_the_filter(page, many_offices):
    open_page(page, "/")
    field = page.get_by_role("search", name="区役所の絞り込み").get_by_label(FILTER_LABEL)
    field.fill("試験22")
    field.press("Enter")  # a plain GET form: no JavaScript needed

    expect(page).to_have_url(re.compile(r"/\?q="))
    expect(page.get_by_role("heading", level=2)).to_have_text([re.compile(r"^試験22区役所")])
    expect(page.get_by_role("link", name="令和3年度 (2021年度)")).to_have_attribute(
        "href", "/reports/shiken22/2021/"
    )
    expect(page.get_by_label(FILTER_LABEL)).to_have_value("試験22")


def test_page_links_move_through_the_offices_keeping_the_filter(page, many_offices):
    open_page(page, "/?q=架空市")
    expect(page.get_by_role("heading", level=2)).to_have_count(OFFICES_PER_PAGE)

    pages = page.get_by_role("navigation", name="区役所の一覧のページ")
    pages.get_by_role("link", name="次のページ").click()

    expect(page.get_by_role("heading", level=2)).to_have_count(3)
    expect(page.get_by_label(FILTER_LABEL)).to_have_value("架空市")
    current = page.get_by_role("navigation", name="区役所の一覧のページ").locator(
        "[aria-current=page]"
    )
    expect(current).to_have_text("ページ2")


def test_front_page_of_many_offices_reflows_at_320_css_pixels(page, many_offices, axe):
    page.set_viewport_size({"width": 320, "height": 640})
    open_page(page, "/?q=架空市")
    assert page.evaluate("() => document.documentElement.scrollWidth") <= 320
    violations = axe(page)
    assert not violations, str(violations)


def test_first_tab_reaches_the_skip_link_which_moves_focus_to_main(page, published_seed):
    for url in PUBLIC_URLS:
        open_page(page, url)
        skip = page.get_by_role("link", name="本文へ移動")
        box = skip.bounding_box()
        assert box["y"] + box["height"] <= 0, f"{url}: the skip link is visible before it has focus"

        page.keyboard.press("Tab")

        expect(skip).to_be_focused()
        box, viewport = skip.bounding_box(), page.viewport_size
        assert 0 <= box["x"] and box["x"] + box["width"] <= viewport["width"], (url, box)
        assert 0 <= box["y"] and box["y"] + box["height"] <= viewport["height"], (url, box)

        page.keyboard.press("Enter")

        expect(page).to_have_url(re.compile(r"#main$"))
        expect(page.get_by_role("main")).to_be_focused()


def test_stylesheets_are_served_and_applied(page, published_seed):
    open_page(page, YEAR_URL)
    sheets = page.evaluate(
        "() => Array.from(document.styleSheets, s => [s.href, s.cssRules.length])"
    )
    assert [href.rsplit("/", 1)[-1] for href, _ in sheets] == [
        "bootstrap.min.css",
        "site.css",
        "public-table.css",
    ]
    assert all(rules > 0 for _, rules in sheets), sheets
    skip = page.get_by_role("link", name="本文へ移動")
    expect(skip).to_have_css("position", "absolute")  # site.css
    # Bootstrap's .container centres <main>.
    expect(page.get_by_role("main")).to_have_css("margin-left", re.compile(r"^[1-9]"))
    table = page.get_by_role("table", name=YEAR_TITLE)
    expect(table).to_have_css("border-collapse", "collapse")  # public-table.css
    # The goal-number column stays narrow beside the goal text (public-table.css).
    number = table.get_by_role("rowheader", name=re.compile(r"^目標\s?1$")).first
    text = table.get_by_role("cell").first
    assert number.bounding_box()["width"] * 5 < text.bounding_box()["width"]


def test_year_table_structure_is_exposed_to_assistive_technology_with_its_contents(page, published_seed, axe):
    table_data = build_table(published_seed, "result")
    open_page(page, YEAR_URL)

    # The scroll container is the one region named by the heading, and a tab stop so that
    # keyboard users can scroll it on narrow screens.
    region = page.get_by_role("region", name="区役所サービス向上目標", exact=True)
    expect(region).to_have_attribute("tabindex", "0")
    table = region.get_by_role("table", name=YEAR_TITLE)  # named by its caption
    expect(table).to_be_visible()
    expect(table.locator("caption")).to_have_text(YEAR_TITLE)

    headers = table.get_by_role("columnheader")
    expect(headers).to_have_text(["部署名", "目標及び具体的な取組内容", "実施結果及び目標の達成度"])
    for i in range(headers.count()):
        expect(headers.nth(i)).to_have_attribute("scope", "col")

    # One row group for the head, then one per department, each led by the department's name
    # and ended by a row with the link back to the 目次.
    expect(table.get_by_role("rowgroup")).to_have_count(1 + len(table_data.departments))
    goals = sum(len(d.goals) for d in table_data.departments)
    expect(table.get_by_role("row")).to_have_count(1 + goals + len(table_data.departments))
    expect(table.get_by_role("link", name="目次へ戻る")).to_have_count(len(table_data.departments))
    for department in table_data.departments:
        name = table.get_by_role("rowheader", name=department.name, exact=True)
        expect(name).to_have_attribute("scope", "rowgroup")
        expect(name).to_have_attribute("rowspan", str(len(department.goals)))
    # The goal number is read with its visually hidden word: "目標 1", not a bare "1".
    expect(table.get_by_role("rowheader", name=re.compile(r"^目標\s?1$"))).to_have_count(
        len(table_data.departments)
    )
    check_contents_lead_to_each_department_and_back(page, axe, table_data.departments)


def check_contents_lead_to_each_department_and_back(page, axe, departments):
    """The 目次: a department's link brings its heading into view, its last row leads back."""
    contents = page.get_by_role("navigation", name="目次")
    expect(contents.get_by_role("link")).to_have_count(1 + len(departments))  # the policy, then each
    department = departments[12]  # far down the 9,000 px page
    heading = page.get_by_role("rowheader", name=department.name, exact=True)
    expect(heading).not_to_be_in_viewport()

    contents.get_by_role("link", name=department.name, exact=True).click()

    expect(page).to_have_url(re.compile(rf"#dept-{department.code}$"))
    expect(heading).to_be_in_viewport()
    violations = axe(page)
    assert not violations, str(violations)

    page.locator(f"#dept-{department.code}").get_by_role("link", name="目次へ戻る").click()

    expect(page).to_have_url(re.compile(r"#toc$"))
    expect(contents.get_by_role("heading", name="目次")).to_be_in_viewport()
    expect(heading).not_to_be_in_viewport()
    # Printed, the page is the table: no contents, no links back to them.
    page.emulate_media(media="print")
    expect(contents).to_be_hidden()
    expect(page.get_by_role("link", name="目次へ戻る").first).to_be_hidden()


def test_year_page_reflows_at_320_css_pixels(page, published_seed, axe):
    # WCAG 1.4.10: no horizontal scrolling of the page at 320 CSS pixels (400 % zoom of 1280).
    page.set_viewport_size({"width": 320, "height": 640})
    open_page(page, YEAR_URL)
    assert page.evaluate("() => document.documentElement.scrollWidth") <= 320
    violations = axe(page)
    assert not violations, str(violations)


def test_year_page_offers_the_downloads_by_name(page, published_seed):
    open_page(page, YEAR_URL)
    downloads = page.get_by_role("region", name="ダウンロード")
    for name, href in [
        ("PDF (印刷用)", "table.pdf"),
        ("Excel (公表用・データ)", "table.xlsx"),
        ("CSV (オープンデータ、UTF-8)", "table.csv"),
    ]:
        link = downloads.get_by_role("link", name=name, exact=True)
        # Relative in the stored page, so that it works at the year's URL and at /v<n>/ alike.
        assert link.evaluate("a => new URL(a.href).pathname") == YEAR_URL + href
    expect(downloads.get_by_role("link", name="項目の説明と利用条件")).to_have_attribute(
        "href", "/reports/opendata/"
    )
    # The PDF opens in the browser; beside it, the link that saves it instead.
    save = downloads.get_by_role("link", name="PDFを保存 (ダウンロード)")
    assert save.evaluate("a => new URL(a.href).pathname + new URL(a.href).search") == YEAR_URL + "table.pdf?download=1"


@pytest.mark.skipif(
    os.environ.get("WARDSERVICE_SCREENSHOTS") != "1",
    reason="set WARDSERVICE_SCREENSHOTS=1 to write docs/html-page.png",
)
def test_write_year_page_screenshot(page, published_seed):
    open_page(page, YEAR_URL)
    path = PROJECT_ROOT / "docs" / "html-page.png"
    path.parent.mkdir(exist_ok=True)
    png = page.screenshot(full_page=True, clip={"x": 0, "y": 0, "width": 1280, "height": 1600})
    # A 256-colour palette keeps text crisp and the file small (a third of the RGB size).
    image = Image.open(io.BytesIO(png)).quantize(256, dither=Image.Dither.NONE)
    image.save(path, optimize=True)
    assert path.stat().st_size <= 400_000
