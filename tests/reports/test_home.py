"""The public front page: offices and their published years, a page at a time, with a filter."""

from urllib.parse import urlencode

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils.html import escape

from reports.models import PublicationKind, PublicationStatus
from reports.search.terms import split_terms
from reports.views.public import OFFICES_PER_PAGE
from tests.factories import OfficeFactory
from tests.reports.helpers import approved_year
from tests.reports.published_helpers import publish as publish_rows
from tests.reports.publishing import publish, use_tmp_media

HOME = reverse("home")
MORE_THAN_A_PAGE = OFFICES_PER_PAGE + 3


@pytest.fixture(autouse=True)
def media_root(settings, tmp_path):
    use_tmp_media(settings, tmp_path)


def test_home_lists_offices_and_published_years(client, seed_year, django_assert_max_num_queries):
    publish(seed_year)
    with django_assert_max_num_queries(3):
        response = client.get(reverse("home"))
    assert response.status_code == 200
    body = response.content.decode()
    assert '<html lang="ja">' in body
    assert "中原区役所" in body
    assert '<a href="/reports/nakahara/2020/">令和2年度 (2020年度)</a>' in body
    assert "(目標と実施結果)" in body


def test_unpublished_years_are_not_listed(client, seed_year):
    body = client.get(reverse("home")).content.decode()
    assert "中原区役所" in body
    assert "令和2年度" not in body
    assert "公表されている年度はまだありません" in body


def published_offices(count, *, years=(2021,), first=1):
    """`count` offices 試験01区役所 … (codes 900010, 900020 …, listed in that order; numbered
    from `first`), each with its years published as 目標と実績 (frozen rows only: the front page
    reads no files)."""
    offices = []
    for n in range(first, first + count):
        office = OfficeFactory(
            name=f"試験{n:02d}区役所",
            slug=f"shiken{n:02d}",
            municipality_name=f"架空市試験{n:02d}区",
            municipality_code=f"{900000 + 10 * n}",
        )
        for year in years:
            fiscal_year = approved_year(
                departments=1, goals_per_department=1, office=office, year=year
            )
            publish_rows(fiscal_year)
        offices.append(office)
    return offices


def office_headings(body):
    """The names of the offices listed, in order (each office's heading starts with its name)."""
    return [
        line.split(">", 1)[1].split(" <", 1)[0]
        for line in body.splitlines()
        if line.lstrip().startswith('<h2 class="h4" id="office-')
    ]


def page_url(**query):
    return f"{HOME}?{urlencode(query)}"


def page_link(**query):
    """A link to another page of the list as the page writes it: the query alone, escaped."""
    return f'href="{escape("?" + urlencode(query))}"'


def test_a_site_of_one_page_has_neither_filter_nor_page_links(client, seed_year):
    publish(seed_year)
    body = client.get(HOME).content.decode()
    assert office_headings(body) == ["中原区役所"]
    assert 'role="search"' not in body
    assert "区役所の一覧のページ" not in body
    assert "件目" not in body


@pytest.mark.django_db
def test_an_empty_site_says_so(client):
    response = client.get(HOME)
    assert response.status_code == 200
    body = response.content.decode()
    assert "登録されている区役所はまだありません。" in body
    assert 'role="search"' not in body


@pytest.mark.django_db
def test_many_offices_are_listed_a_page_at_a_time_in_code_order(client):
    offices = published_offices(MORE_THAN_A_PAGE, years=(2020, 2021))
    names = [office.name for office in offices]

    first = client.get(HOME).content.decode()
    assert office_headings(first) == names[:OFFICES_PER_PAGE]
    assert f"区役所 {MORE_THAN_A_PAGE} 件のうち 1〜{OFFICES_PER_PAGE} 件目" in first
    assert '<nav aria-label="区役所の一覧のページ">' in first
    assert f"{page_link(page=2)}>次のページ</a>" in first
    assert 'role="search"' in first  # more than one page: the filter is offered

    second = client.get(page_url(page=2)).content.decode()
    assert office_headings(second) == names[OFFICES_PER_PAGE:]
    assert "<title>区役所の一覧 2ページ目 | 区役所サービス向上目標</title>" in second
    last = offices[-1]
    for year, label in ((2021, "令和3年度 (2021年度)"), (2020, "令和2年度 (2020年度)")):
        assert f'<a href="/reports/{last.slug}/{year}/">{label}</a>' in second
    assert second.index("令和3年度") < second.index("令和2年度")  # newest first
    assert f"{page_link(page=1)}>前のページ</a>" in second


@pytest.mark.django_db
def test_a_page_number_out_of_range_shows_the_nearest_page(client):
    offices = published_offices(MORE_THAN_A_PAGE)
    assert office_headings(client.get(page_url(page=99)).content.decode()) == [
        office.name for office in offices[OFFICES_PER_PAGE:]
    ]
    assert office_headings(client.get(page_url(page="abc")).content.decode())[0] == offices[0].name


@pytest.mark.django_db
@pytest.mark.parametrize(
    "query",
    [
        "試験22",  # part of the office's name
        "架空市試験22区",  # the municipality's name
        "900220",  # 全国地方公共団体コード
        "９００２２０",  # typed in full-width digits
        "架空市　22区",  # every word (a full-width space between them) must be found
    ],
)
def test_the_filter_finds_an_office_by_name_municipality_or_code(client, query):
    offices = published_offices(MORE_THAN_A_PAGE)
    body = client.get(page_url(q=query)).content.decode()
    assert office_headings(body) == [offices[21].name]
    assert '<a href="/reports/shiken22/2021/">令和3年度 (2021年度)</a>' in body
    shown = " ".join(split_terms(query))  # as it was read: 全角 digits and spaces folded
    assert f"「{shown}」に当てはまる区役所 1 件\n" in body
    assert f"<title>「{shown}」に当てはまる区役所 (1 件) | 区役所サービス向上目標</title>" in body
    assert f'<a href="{HOME}">すべての区役所を表示</a>' in body
    assert "区役所の一覧のページ" not in body


@pytest.mark.django_db
def test_page_links_keep_the_filter(client):
    published_offices(MORE_THAN_A_PAGE)
    body = client.get(page_url(q="架空市")).content.decode()
    assert (
        f"「架空市」に当てはまる区役所 {MORE_THAN_A_PAGE} 件のうち 1〜{OFFICES_PER_PAGE} 件目"
        in body
    )
    assert f"{page_link(q='架空市', page=2)}>次のページ</a>" in body
    assert 'value="架空市"' in body  # the filter stays in its box


@pytest.mark.django_db
def test_a_filter_that_finds_nothing_says_so_and_offers_every_office(client):
    published_offices(2)
    body = client.get(page_url(q="存在しない町")).content.decode()
    assert office_headings(body) == []
    assert "「存在しない町」に当てはまる区役所はありません。" in body
    assert f'<a href="{HOME}">すべての区役所</a>' in body
    assert 'role="search"' in body  # to try again


@pytest.mark.django_db
def test_the_filter_is_escaped_and_bounded(client):
    published_offices(1)
    body = client.get(page_url(q="<b>試験" + "長" * 200)).content.decode()
    assert "<b>試験" not in body
    assert "&lt;b&gt;試験" in body
    assert "長" * 101 not in body


@pytest.mark.django_db
def test_offices_list_only_the_years_the_public_sees(client):
    office = OfficeFactory(name="試験区役所", slug="shiken")
    done = approved_year(departments=1, office=office, year=2019)
    publish_rows(done, kind=PublicationKind.PLAN, version=1)
    publish_rows(done, kind=PublicationKind.RESULT, version=2)
    publish_rows(approved_year(departments=1, office=office, year=2020), kind=PublicationKind.PLAN)
    failed = approved_year(departments=1, office=office, year=2021)
    publish_rows(failed, status=PublicationStatus.FAILED)

    body = client.get(HOME).content.decode()

    assert body.count('href="/reports/shiken/2019/"') == 1  # listed once, as 目標と実施結果
    assert '令和元年度 (2019年度)</a> <span class="text-body-secondary">(目標と実施結果)' in body
    assert '令和2年度 (2020年度)</a> <span class="text-body-secondary">(目標)' in body
    assert "/reports/shiken/2021/" not in body


def _home_queries(client, url):
    client.get(url)
    with CaptureQueriesContext(connection) as queries:
        assert client.get(url).status_code == 200
    return len(queries)


@pytest.mark.django_db
def test_the_front_page_runs_three_queries_whatever_the_number_of_offices_and_years(client):
    published_offices(1)
    small = _home_queries(client, HOME), _home_queries(client, page_url(q="試験01"))
    published_offices(MORE_THAN_A_PAGE, years=(2019, 2020, 2021), first=2)
    large = (
        _home_queries(client, page_url(page=2)),
        _home_queries(client, page_url(q="架空市")),
    )
    assert small == large == (3, 3)  # the count, the page's offices, their years


@pytest.mark.django_db
def test_login_page_speaks_japanese(client):
    response = client.get(reverse("login"))
    assert response.status_code == 200
    assert "ユーザー名" in response.content.decode()


@pytest.mark.django_db
def test_failed_login_explains_in_japanese_and_keeps_the_username(client, django_user_model):
    django_user_model.objects.create_user("tanto", password="correct-horse-2020")
    response = client.post(reverse("login"), {"username": "tanto", "password": "wrong"})
    body = response.content.decode()
    assert response.status_code == 200
    assert "正しいユーザー名とパスワードを入力してください" in body
    assert 'value="tanto"' in body


@pytest.mark.django_db
def test_admin_needs_login(client):
    response = client.get("/admin/")
    assert response.status_code == 302
    assert "/admin/login/" in response["Location"]
