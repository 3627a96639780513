"""The public search over published tables: Japanese text, filters, what is never shown, escaping,
limits and a constant number of queries per page. Runs on SQLite and PostgreSQL alike."""

import re

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from reports.views import search as search_views
from reports.models import PublicationKind, PublicationStatus, PublishedGoal
from reports.search.terms import MAX_QUERY_LENGTH
from reports.search.selectors import search_published_goals
from reports.table import build_table
from tests.factories import OfficeFactory
from tests.reports.helpers import approved_year
from tests.reports.published_helpers import publish
from tests.reports.publishing import publish as publish_through_the_service
from tests.reports.publishing import use_tmp_media

SEARCH = reverse("reports:search")
TEXT_FIELDS = (
    "objective",
    "actions",
    "done",
    "achievement",
    "omitted_reason",
    "categories",
    "department_name",
)


@pytest.fixture
def published(seed_year):
    return publish(seed_year)


def search(client, **params):
    response = client.get(SEARCH, params)
    assert response.status_code == 200
    return response


def hit_links(response):
    """The result links in page order: (href, text)."""
    body = response.content.decode()
    return re.findall(r'<h4 class="h6 mb-1"><a href="([^"]+)">([^<]+)</a></h4>', body)


def result_count(response):
    match = re.search(r'<span class="result-count">(\d+) 件</span>', response.content.decode())
    return int(match.group(1)) if match else None


def rows_containing(publication, *words):
    """The published rows holding every word in some text field, computed in Python."""
    return [
        goal
        for goal in PublishedGoal.objects.filter(publication=publication)
        if all(any(word in getattr(goal, field) for field in TEXT_FIELDS) for word in words)
    ]


def test_finds_a_word_from_a_seed_goal_and_links_to_its_table_row(client, published):
    (goal,) = rows_containing(published, "ソーシャルディスタンス")

    response = search(client, q="ソーシャルディスタンス")

    assert result_count(response) == 1
    assert hit_links(response) == [
        (
            f"/reports/nakahara/2020/#dept-{goal.department_code}-goal-{goal.number}",
            f"{goal.department_name} 目標{goal.number}",
        )
    ]
    body = response.content.decode()
    assert "<mark>ソーシャルディスタンス</mark>" in body
    assert "令和2年度 (2020年度) 中原区役所" in body


def test_the_result_link_points_at_a_row_of_the_published_year_page(
    client, seed_year, settings, tmp_path
):
    use_tmp_media(settings, tmp_path)
    publish_through_the_service(seed_year)
    (href, _), *_ = hit_links(search(client, q="ベビーカースルー"))
    path, anchor = href.split("#")
    page = b"".join(client.get(path).streaming_content).decode()
    assert f'id="{anchor}"' in page


@pytest.mark.parametrize(
    "typed, stored",
    [
        ("ｿｰｼｬﾙﾃﾞｨｽﾀﾝｽ", "ソーシャルディスタンス"),  # half-width katakana
        ("ﾍﾞﾋﾞｰｶｰｽﾙｰ", "ベビーカースルー"),
        ("ＯＪＴ", "OJT"),  # full-width letters
        ("ojt", "OJT"),  # case
        ("ｗｏｒｄ", "word"),
    ],
)
def test_half_and_full_width_and_case_variants_match(client, published, typed, stored):
    expected = rows_containing(published, stored)
    assert expected, f"the seed has {stored}"
    assert result_count(search(client, q=typed)) == len(expected)


def test_stored_full_width_letters_are_found_by_half_width_queries(client, seed_year):
    publish(
        seed_year, edit=lambda row: setattr(row, "objective", row.objective + "ＳＮＳで発信します。")
    )
    total = PublishedGoal.objects.count()
    assert result_count(search(client, q="SNS")) == total
    assert result_count(search(client, q="sns")) == total


def test_every_term_must_match_and_a_full_width_space_separates_terms(client, published):
    both = rows_containing(published, "ベビーカースルー", "相談")
    assert both and len(both) < len(rows_containing(published, "相談"))

    assert result_count(search(client, q="ベビーカースルー 相談")) == len(both)
    assert result_count(search(client, q="ベビーカースルー\u3000相談")) == len(both)
    assert result_count(search(client, q="ベビーカースルー ソーシャルディスタンス")) == 0


def test_terms_may_match_different_fields_including_department_and_category(client, published):
    expected = [g for g in rows_containing(published, "共通") if "総務課" in g.department_name]
    assert result_count(search(client, q="総務課 共通")) == len(expected) > 0


@pytest.fixture
def two_years(seed_year, nakahara):
    publish(seed_year)
    year2021 = approved_year(
        departments=2,
        office=nakahara,
        year=2021,
        texts=["ソーシャルディスタンスを保った窓口にします。"],
    )
    publish(year2021)
    return seed_year, year2021


def test_results_are_grouped_by_year_newest_first(client, two_years):
    body = search(client, q="ソーシャルディスタンス").content.decode()
    assert body.index("令和3年度 (2021年度) 中原区役所") < body.index(
        "令和2年度 (2020年度) 中原区役所"
    )


def test_results_are_listed_newest_year_first_then_by_office_code(client, nakahara):
    """Each row is listed by the year, 全国地方公共団体コード and 区役所名 of its own table."""
    kawasaki = OfficeFactory(name="川崎区役所", slug="kawasaki", municipality_code="141313")
    for office, year in ((nakahara, 2020), (nakahara, 2021), (kawasaki, 2021)):
        publish(approved_year(departments=1, office=office, year=year, texts=["窓口の案内"]))

    body = search(client, q="窓口").content.decode()

    headings = re.findall(r'<h3 class="h5" id="group-\d+">([^<]+) <span', body)
    assert headings == [
        "令和3年度 (2021年度) 川崎区役所",
        "令和3年度 (2021年度) 中原区役所",
        "令和2年度 (2020年度) 中原区役所",
    ]
    row = PublishedGoal.objects.filter(publication__fiscal_year__office=kawasaki).first()
    assert (row.year, row.municipality_code, row.office_name) == (2021, "141313", "川崎区役所")


def test_year_filter(client, two_years):
    assert result_count(search(client, q="ソーシャルディスタンス", year=2020)) == 1
    assert result_count(search(client, q="ソーシャルディスタンス", year=2021)) == 6
    assert result_count(search(client, q="ソーシャルディスタンス")) == 7


def test_category_filter_matches_whole_tags(client, published, seed_year):
    table = build_table(seed_year, PublicationKind.RESULT)
    common = [g for d in table.departments for g in d.goals if "共通" in g.categories]
    assert result_count(search(client, category="共通")) == len(common) > 0
    # The filter offers the tags that occur in what is published.
    assert '<option value="共通">共通</option>' in search(client).content.decode()


def test_department_filter(client, published):
    expected = PublishedGoal.objects.filter(department_name__contains="区民課").count()
    response = search(client, q="", department="区民課")
    assert result_count(response) == expected > 0
    assert all("区民課" in text for _, text in hit_links(response))


def test_an_empty_query_shows_only_the_form(client, published):
    body = search(client).content.decode()
    assert '<label for="id_q" class="form-label">キーワード</label>' in body
    for label in ("年度", "区分", "部署"):
        assert f'class="form-label">{label}</label>' in body
    assert "検索結果" not in body
    assert "検索結果" not in search(client, q="   \u3000 ").content.decode()


def test_a_too_long_query_gets_a_message_not_a_search(client, published):
    response = search(client, q="あ" * (MAX_QUERY_LENGTH + 1))
    body = response.content.decode()
    assert f"キーワードは{MAX_QUERY_LENGTH}文字以内で入力してください。" in body
    assert 'aria-invalid="true"' in body
    assert "検索結果" not in body
    assert result_count(search(client, q="あ" * MAX_QUERY_LENGTH)) == 0


def test_too_many_terms_get_a_message(client, published):
    body = search(client, q=" ".join("語" + str(n) for n in range(11))).content.decode()
    assert "キーワードは10語までにしてください。" in body


def test_a_bad_year_is_a_form_error_not_a_crash(client, published):
    assert "検索結果" not in search(client, q="窓口", year="abc").content.decode()


@pytest.mark.parametrize(
    "status", [PublicationStatus.PENDING, PublicationStatus.RENDERING, PublicationStatus.FAILED]
)
def test_rows_of_publications_that_are_not_published_are_never_found(client, seed_year, status):
    publish(seed_year, status=status)
    assert result_count(search(client, q="ソーシャルディスタンス")) == 0
    assert (
        "令和2年度"
        not in search(client).content.decode().split("すべての年度")[1].split("</select>")[0]
    )


def test_an_approved_but_unpublished_year_and_live_drafts_are_never_found(
    client, seed_year, nakahara
):
    approved_year(departments=1, office=nakahara, year=2021, texts=["未公表の年度だけの言葉"])
    assert result_count(search(client, q="未公表の年度だけの言葉")) == 0
    assert (
        result_count(search(client, q="ソーシャルディスタンス")) == 0
    )  # 2020 not published either


def test_only_the_newest_published_version_is_searched(client, seed_year):
    publish(
        seed_year,
        version=1,
        edit=lambda row: setattr(row, "objective", row.objective + "誤記のある版"),
    )
    publish(seed_year, version=2)
    publish(
        seed_year,
        version=3,
        status=PublicationStatus.FAILED,
        edit=lambda row: setattr(row, "objective", row.objective + "失敗した版"),
    )
    assert result_count(search(client, q="誤記のある版")) == 0
    assert result_count(search(client, q="失敗した版")) == 0
    assert result_count(search(client, q="ソーシャルディスタンス")) == 1


def test_a_published_result_replaces_the_goals_only_publication(client, seed_year):
    publish(
        seed_year,
        kind=PublicationKind.PLAN,
        version=1,
        edit=lambda row: setattr(row, "objective", row.objective + "目標だけの版"),
    )
    assert result_count(search(client, q="目標だけの版")) == PublishedGoal.objects.count()

    publish(seed_year, kind=PublicationKind.RESULT, version=2)
    assert result_count(search(client, q="目標だけの版")) == 0


def test_hostile_text_is_escaped_while_highlighted(client, seed_year):
    hostile = "<script>alert('x')</script><b>太字</b>&amp;"
    publish(seed_year, edit=lambda row: setattr(row, "objective", hostile + row.objective))

    body = search(client, q="script 太字").content.decode()

    assert "<script>alert" not in body and "<b>太字" not in body
    assert "&lt;<mark>script</mark>&gt;alert(&#x27;x&#x27;)&lt;/<mark>script</mark>&gt;" in body
    assert "&lt;b&gt;<mark>太字</mark>&lt;/b&gt;&amp;amp;" in body


def test_a_query_with_markup_and_like_wildcards_is_literal(client, published):
    body = search(client, q="<mark>%_").content.decode()
    assert result_count(search(client, q="<mark>%_")) == 0
    assert 'value="&lt;mark&gt;%_"' in body


def test_results_are_paginated_by_twenty_and_pages_keep_the_query(client, nakahara):
    year = approved_year(
        departments=9, office=nakahara, year=2022, texts=["窓口の案内"]
    )  # 27 goals
    publish(year)

    first = search(client, q="窓口")
    assert result_count(first) == 27
    assert len(hit_links(first)) == 20
    assert 'href="?q=%E7%AA%93%E5%8F%A3&amp;page=2"' in first.content.decode()
    second = search(client, q="窓口", page=2)
    assert len(hit_links(second)) == 7
    assert len(hit_links(search(client, q="窓口", page=99))) == 7  # past the end: the last page


@pytest.fixture
def many_hits(nakahara):
    """27 published goals (9 departments × 3), every one holding 窓口."""
    publish(approved_year(departments=9, office=nakahara, year=2022, texts=["窓口の案内"]))


def test_past_the_cap_the_count_stops_and_the_page_asks_for_narrower_criteria(
    client, many_hits, monkeypatch
):
    everything = hit_links(search(client, q="窓口")) + hit_links(search(client, q="窓口", page=2))
    monkeypatch.setattr(search_views, "MAX_HITS", 25)

    first = search(client, q="窓口")
    body = first.content.decode()
    assert '<span class="result-count">25 件以上</span>' in body
    assert "<title>検索結果 (25 件以上) |" in body
    assert (
        "25件以上見つかりました。表示するのは最初の25件までです。"
        "語を増やすか、年度・区分・部署で絞り込んでください。"
    ) in body
    # Pages go through the first 25 hits only, in the usual order.
    assert "page=2" in body and "page=3" not in body
    second = search(client, q="窓口", page=2)
    assert "21〜25 件目" in second.content.decode()
    assert hit_links(first) + hit_links(second) == everything[:25]
    assert hit_links(search(client, q="窓口", page=3)) == hit_links(second)  # the last page


@pytest.mark.parametrize("cap", [27, 1000])
def test_up_to_the_cap_the_count_is_exact(client, many_hits, monkeypatch, cap):
    monkeypatch.setattr(search_views, "MAX_HITS", cap)
    body = search(client, q="窓口").content.decode()
    assert '<span class="result-count">27 件</span>' in body
    assert "件以上" not in body


def test_a_capped_search_takes_as_many_queries_as_one_below_the_cap(client, many_hits, monkeypatch):
    def queries():
        search(client, q="窓口")  # warm
        with CaptureQueriesContext(connection) as captured:
            search(client, q="窓口")
        return len(captured)

    below = queries()
    monkeypatch.setattr(search_views, "MAX_HITS", 5)
    assert queries() == below


@pytest.mark.skipif(connection.vendor != "postgresql", reason="PostgreSQL's plan")
def test_a_page_of_hits_can_be_read_in_order_from_an_index_without_sorting_them(many_hits):
    """Where a word is common, PostgreSQL reads publishedgoal_search_order in order and stops
    after a page: the index must hold the search's order exactly. With sorting forbidden, the
    planner has only that index to give the order by:"""
    page = search_published_goals(terms=["窓口"])[: search_views.PER_PAGE]
    with connection.cursor() as cursor:
        cursor.execute("SET LOCAL enable_sort = off")
        plan = page.explain()
    assert "Index Scan using publishedgoal_search_order" in plan, plan
    assert "Sort Key" not in plan, plan


def _queries_for(client, departments, year):
    from departments.models import Office

    office = Office.objects.get(slug="nakahara")
    publish(approved_year(departments=departments, office=office, year=year, texts=["窓口の案内"]))
    search(client, q="窓口 案内", year=year)  # warm: PostgreSQL's gram statistics are read once a while
    with CaptureQueriesContext(connection) as queries:
        response = search(client, q="窓口 案内", year=year)
    assert len(hit_links(response)) == min(20, departments * 3)
    return len(queries)


def test_a_page_of_results_takes_a_constant_number_of_queries(client, nakahara):
    small = _queries_for(client, 1, 2030)
    large = _queries_for(client, 40, 2031)
    assert small == large <= 6
