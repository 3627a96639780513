"""Search, statistics, open data and the accessibility statement in a real browser: WCAG 2.1 AA
(axe-core), reflow at 320 px, and a visitor finding a goal and landing on its row of the table."""

import re

import pytest
from playwright.sync_api import expect

from reports.views import search as search_views
from reports.models import PublishedGoal
from tests.reports.publishing import publish, use_tmp_media

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PAGES = [
    "/reports/search/",
    "/reports/search/?q=窓口",
    "/reports/search/?q=" + "長" * 101,  # the error message beside the field
    "/reports/opendata/",
    "/accessibility/",
    "/reports/nakahara/2020/stats/",
]


@pytest.fixture
def published(seed_year, settings, tmp_path):
    """The seed's year published through the real service, so that its page is the stored one."""
    use_tmp_media(settings, tmp_path)
    return publish(seed_year)


def open_page(page, url):
    response = page.goto(url)
    assert response is not None and response.status == 200, f"{url}: {response and response.status}"
    return page


def test_pages_meet_wcag_21_aa_according_to_axe(page, published, axe):
    # One published world for every page: publishing it is most of the time of such a test.
    failures = []
    for url in PAGES:
        open_page(page, url)
        expect(page.locator("html")).to_have_attribute("lang", "ja")
        if violations := axe(page):
            failures.append(f"{url}: {violations}")
    assert not failures, "\n\n".join(failures)


def test_pages_reflow_at_320_css_pixels(page, published, axe):
    page.set_viewport_size({"width": 320, "height": 640})
    failures = []
    for url in ["/reports/search/?q=窓口", "/reports/nakahara/2020/stats/"]:
        open_page(page, url)
        if (width := page.evaluate("() => document.documentElement.scrollWidth")) > 320:
            failures.append(f"{url}: {width} px wide at 320")
        if violations := axe(page):
            failures.append(f"{url}: {violations}")
    assert not failures, "\n\n".join(failures)


def test_a_search_past_the_cap_says_so_and_stays_accessible_at_320_css_pixels(
    page, published, axe, monkeypatch
):
    monkeypatch.setattr(search_views, "MAX_HITS", 5)
    page.set_viewport_size({"width": 320, "height": 640})
    open_page(page, "/reports/search/?q=窓口")

    results = page.get_by_role("region", name=re.compile("検索結果"))
    expect(results.get_by_role("heading", level=2)).to_have_text("検索結果 5 件以上")
    expect(results.get_by_text("5件以上見つかりました。")).to_be_visible()
    assert page.evaluate("() => document.documentElement.scrollWidth") <= 320
    violations = axe(page)
    assert not violations, violations


def test_a_visitor_searches_and_follows_a_result_to_the_table_row(page, published):
    goal = PublishedGoal.objects.get(publication=published, done__contains="ソーシャルディスタンス")
    open_page(page, "/reports/search/")

    page.get_by_label("キーワード").fill(
        "ｿｰｼｬﾙﾃﾞｨｽﾀﾝｽ"
    )  # half-width, as a phone keyboard may type it
    page.get_by_role("button", name="検索").click()

    results = page.get_by_role("region", name=re.compile("検索結果"))
    expect(results.get_by_role("heading", level=2)).to_have_text("検索結果 1 件")
    expect(results.locator("mark")).to_have_text(["ソーシャルディスタンス"])
    results.get_by_role("link", name=f"{goal.department_name} 目標{goal.number}").click()

    anchor = f"dept-{goal.department_code}-goal-{goal.number}"
    expect(page).to_have_url(re.compile(rf"/reports/nakahara/2020/#{anchor}$"))
    target = page.locator(":target")
    expect(target).to_have_attribute("id", anchor)
    expect(target).to_contain_text("ソーシャルディスタンス")
    expect(target).to_be_in_viewport()


def test_filters_are_chosen_by_their_labels(page, published):
    open_page(page, "/reports/search/")
    page.get_by_label("年度").select_option(label="令和2年度 (2020年度)")
    page.get_by_label("区分").select_option("電話")
    page.get_by_label("部署").fill("保険年金課")
    page.get_by_role("button", name="検索").click()

    expected = PublishedGoal.objects.filter(
        department_name__contains="保険年金課", categories__contains="電話"
    ).count()
    assert expected
    expect(page.get_by_role("heading", level=2, name=re.compile("検索結果"))).to_have_text(
        f"検索結果 {expected} 件"
    )


def test_the_statistics_charts_are_images_named_by_their_numbers(page, published):
    open_page(page, "/reports/nakahara/2020/stats/")
    chart = page.get_by_role("img", name=re.compile("^区分別の目標数: 共通 \\d+件"))
    expect(chart).to_be_visible()
    table = page.get_by_role("table", name="区分別の目標数 (数値)")
    expect(table.get_by_role("rowheader", name="区分なし")).to_be_visible()
