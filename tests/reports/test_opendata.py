"""Open data: the page listing every published year's files, and the all-years CSV with its ETag."""

import csv
import io

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from departments.models import Office
from reports.exporters.csv import CsvExporter
from reports.models import Publication, PublicationKind, PublicationStatus
from reports.site.opendata import current_publication_list
from reports.table import DATA_COLUMNS, build_table
from tests.reports.helpers import approved_year
from tests.reports.published_helpers import publish

ALL_CSV = reverse("reports:opendata_all_csv")
OPENDATA = reverse("reports:data_dictionary")
HEADER = [column.name for column in DATA_COLUMNS]


def read_csv(content: bytes):
    assert content.startswith(b"\xef\xbb\xbf"), "UTF-8 with BOM"
    return list(csv.reader(io.StringIO(content.decode("utf-8-sig"), newline="")))


@pytest.fixture
def two_years(seed_year, nakahara):
    """2020 (the seed, 目標と実績) and 2021 (目標 only) published; 2022 approved but not."""
    year2021 = approved_year(departments=2, office=nakahara, year=2021)
    approved_year(departments=1, office=nakahara, year=2022)
    return publish(seed_year), publish(year2021, kind=PublicationKind.PLAN)


def test_all_years_csv_has_the_header_once_and_every_published_year_in_order(
    client, seed_year, two_years
):
    response = client.get(ALL_CSV)

    assert response.status_code == 200
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert response["Content-Disposition"] == 'attachment; filename="service-goals-all-years.csv"'
    rows = read_csv(response.content)
    assert rows[0] == HEADER
    assert HEADER not in rows[1:]
    years = [row[0] for row in rows[1:]]
    assert years == sorted(years)
    assert set(years) == {"2020", "2021"}  # 2022 is approved but not published
    assert years.count("2021") == 6
    # A goals-only year has empty result columns.
    assert all(row[10:] == ["", "", "", ""] for row in rows[1:] if row[0] == "2021")


def test_a_year_in_the_all_years_csv_is_byte_for_byte_the_year_csv_without_its_header(
    client, seed_year
):
    publish(seed_year)
    year_csv = CsvExporter().render(build_table(seed_year, PublicationKind.RESULT))

    all_csv = client.get(ALL_CSV).content

    assert all_csv == year_csv


def test_the_all_years_csv_holds_the_frozen_rows_not_the_live_sheets(client, seed_year):
    publish(
        seed_year, edit=lambda row: setattr(row, "objective", '=HYPERLINK("http://example.invalid")')
    )
    rows = read_csv(client.get(ALL_CSV).content)
    # What was published (not the live text), made harmless for spreadsheets like the year's CSV.
    assert {row[8] for row in rows[1:]} == {'\'=HYPERLINK("http://example.invalid")'}


def test_an_empty_site_gives_just_the_header(client, db):
    assert read_csv(client.get(ALL_CSV).content) == [HEADER]


def test_etag_and_304(client, seed_year, two_years):
    first = client.get(ALL_CSV)
    etag = first["ETag"]
    assert etag.startswith('"') and len(etag) == 34
    assert first["Last-Modified"]
    assert "no-cache" in first["Cache-Control"]

    again = client.get(ALL_CSV, headers={"if-none-match": etag})
    assert again.status_code == 304
    assert again["ETag"] == etag
    assert again.content == b""

    assert client.get(ALL_CSV, headers={"if-none-match": '"something-else"'}).status_code == 200


def test_the_etag_changes_with_a_new_published_version_only(client, seed_year):
    publish(seed_year, version=1)
    etag = client.get(ALL_CSV)["ETag"]

    publish(seed_year, version=2, status=PublicationStatus.RENDERING)
    assert client.get(ALL_CSV)["ETag"] == etag

    publish(seed_year, version=3)
    new = client.get(ALL_CSV, headers={"if-none-match": etag})
    assert new.status_code == 200
    assert new["ETag"] != etag


def _csv_queries(client, office, departments, year):
    publish(approved_year(departments=departments, office=office, year=year))
    with CaptureQueriesContext(connection) as queries:
        client.get(ALL_CSV)
    return len(queries)


def test_the_all_years_csv_takes_a_constant_number_of_queries(client, nakahara):
    small = _csv_queries(client, nakahara, 1, 2030)
    large = _csv_queries(client, nakahara, 30, 2031)
    assert small == large == 3  # the publications, their offices as frozen, their rows


def test_the_open_data_page_and_the_etag_leave_the_frozen_tables_in_the_database(
    client, seed_year, two_years
):
    assert all("table" in p.get_deferred_fields() for p in current_publication_list())
    etag = client.get(ALL_CSV)["ETag"]
    cases = (
        (OPENDATA, {}, 200, 2),  # the count of published years, the page's publications
        (ALL_CSV, {"if-none-match": etag}, 304, 1),
    )
    for url, headers, status, count in cases:
        with CaptureQueriesContext(connection) as queries:
            assert client.get(url, headers=headers).status_code == status
        assert len(queries) == count, url
        assert not any('"table"' in query["sql"] for query in queries), url


def _column(rows, name):
    index = HEADER.index(name)
    return {row[index] for row in rows[1:]}


def test_the_all_years_csv_names_the_office_as_it_was_when_published(client, seed_year):
    publish(seed_year)
    Office.objects.filter(pk=seed_year.office_id).update(
        name="新中原区役所", municipality_name="川崎市新中原区", municipality_code="141399"
    )
    rows = read_csv(client.get(ALL_CSV).content)
    assert _column(rows, "区役所") == {"中原区役所"}
    assert _column(rows, "市区町村コード") == {"141330"}


def test_a_frozen_table_without_the_office_falls_back_to_the_office_as_it_is(client, seed_year):
    Publication.objects.filter(pk=publish(seed_year).pk).update(table={})
    rows = read_csv(client.get(ALL_CSV).content)
    assert _column(rows, "区役所") == {"中原区役所"}
    assert _column(rows, "市区町村コード") == {"141330"}


def test_the_open_data_page_lists_every_published_year_with_its_files(client, seed_year, two_years):
    body = client.get(OPENDATA).content.decode()

    assert f'href="{ALL_CSV}"' in body
    for year in (2020, 2021):
        assert f'href="/reports/nakahara/{year}/table.csv"' in body
        assert f'href="/reports/nakahara/{year}/stats/"' in body
    assert "/reports/nakahara/2022/" not in body
    assert "目標と実績 (第1版)" in body and "目標 (第1版)" in body
    assert "出典の記載例" in body and "を加工して作成" in body
    for column in DATA_COLUMNS:
        assert f'<th scope="row">{column.name}</th>' in body
    # A city's few years fit on one page: no count of pages, no page links.
    assert "件目" not in body
    assert "pagination" not in body
    assert "?page=" not in body
    assert (
        "<title>オープンデータ: ダウンロード・項目・利用条件 | 区役所サービス向上目標</title>"
        in body
    )


def test_the_open_data_page_says_when_nothing_is_published(client, db):
    body = client.get(OPENDATA).content.decode()
    assert "公表している年度はまだありません。" in body
    assert "pagination" not in body


@pytest.fixture
def five_years_two_a_page(nakahara, monkeypatch):
    """2020–2024 published, listed two years a page: pages of 2020–21, 2022–23 and 2024."""
    monkeypatch.setattr("reports.views.opendata.YEARS_PER_PAGE", 2)
    for year in range(2020, 2025):
        publish(approved_year(departments=1, goals_per_department=1, office=nakahara, year=year))


def _listed_years(body):
    return [year for year in range(2020, 2025) if f"/reports/nakahara/{year}/table.csv" in body]


def test_the_open_data_page_lists_the_published_years_a_page_at_a_time(
    client, five_years_two_a_page
):
    with CaptureQueriesContext(connection) as queries:
        body = client.get(OPENDATA, {"page": 2}).content.decode()

    assert len(queries) == 2  # as for a single page: the count, the page's publications
    assert _listed_years(body) == [2022, 2023]
    assert "全 5 件のうち 3〜4 件目" in body
    assert '<nav aria-label="公表済みの年度の一覧のページ">' in body
    assert '<a class="page-link" href="?page=1">前のページ</a>' in body
    assert '<a class="page-link" href="?page=3">次のページ</a>' in body
    assert 'href="?page=2" aria-current="page"' in body
    assert "<title>公表済みの年度の一覧 2ページ目 | オープンデータ" in body
    # The rest of the page is the same on every page.
    assert f'href="{ALL_CSV}"' in body
    assert "出典の記載例" in body
    for column in DATA_COLUMNS:
        assert f'<th scope="row">{column.name}</th>' in body


def test_the_first_and_last_pages_of_the_published_years(client, five_years_two_a_page):
    first = client.get(OPENDATA).content.decode()
    assert _listed_years(first) == [2020, 2021]
    assert "全 5 件のうち 1〜2 件目" in first
    assert "前のページ" not in first and 'href="?page=2">次のページ' in first

    last = client.get(OPENDATA, {"page": 3}).content.decode()
    assert _listed_years(last) == [2024]
    assert "全 5 件のうち 5〜5 件目" in last
    assert 'href="?page=2">前のページ' in last and "次のページ" not in last


@pytest.mark.parametrize(
    ("page", "years"), [("99", [2024]), ("abc", [2020, 2021]), ("", [2020, 2021])]
)
def test_a_page_number_out_of_range_shows_the_nearest_page(
    client, five_years_two_a_page, page, years
):
    response = client.get(OPENDATA, {"page": page})
    assert response.status_code == 200
    assert _listed_years(response.content.decode()) == years
