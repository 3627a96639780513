"""The public side of 公表: only published versions are visible, served from storage as stored,
with ETag / Last-Modified and 304s, in a constant number of queries, never rendered on request."""

import re
from email.utils import format_datetime
from urllib.parse import quote

import pytest
from django.db import connection
from django.http import FileResponse
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from goals.models import GoalSheet, SheetStatus
from reports.exporters import EXPORTERS
from reports.models import PublicationStatus
from reports.publishing.services import publication_request
from tests.reports.helpers import approved_year
from tests.reports.publishing import publish, use_tmp_media

FORMATS = ("pdf", "xlsx", "csv")


@pytest.fixture(autouse=True)
def media_root(settings, tmp_path):
    use_tmp_media(settings, tmp_path)


@pytest.fixture
def year(db):
    return approved_year(departments=2, goals_per_department=2)


def url(fiscal_year, name="year", **kwargs):
    return reverse(
        f"reports:{name}", kwargs={"office": fiscal_year.office.slug, "year": fiscal_year.year, **kwargs}
    )


def every_url(fiscal_year, version=1):
    """The year's page and files, current and of one version."""
    return [
        url(fiscal_year),
        *(url(fiscal_year, f"table_{fmt}") for fmt in FORMATS),
        url(fiscal_year, "version", version=version),
        *(url(fiscal_year, f"version_{fmt}", version=version) for fmt in FORMATS),
    ]


# --- Nothing unpublished is visible -----------------------------------------------------------


def test_unpublished_years_are_not_found_even_when_fully_approved(client, year):
    for path in every_url(year):
        assert client.get(path).status_code == 404, path
    assert client.get(url(year).replace(year.office.slug, "nowhere")).status_code == 404


def test_a_version_being_rendered_or_failed_is_not_visible(client, year):
    publication = publication_request(fiscal_year=year, kind="result", by=None)  # not yet rendered
    assert publication.status == PublicationStatus.PENDING
    for path in every_url(year):
        assert client.get(path).status_code == 404, path


def test_drafts_are_never_visible(client, year):
    publish(year, "plan")
    GoalSheet.objects.filter(fiscal_year=year).update(result_status=SheetStatus.DRAFT)
    GoalSheet.objects.filter(fiscal_year=year).first().goals.update(objective="下書きの新しい目標")

    for path in every_url(year):
        response = client.get(path)
        assert response.status_code == 200
        assert "下書きの新しい目標".encode() not in response.getvalue()
    assert client.get(url(year, "version", version=2)).status_code == 404


# --- Served from storage, as stored -----------------------------------------------------------


def test_files_are_streamed_from_storage_and_nothing_is_rendered(client, year, monkeypatch):
    publication = publish(year)
    stored = {file.format: file for file in publication.files.all()}
    calls = []
    for fmt, exporter in list(EXPORTERS.items()):
        monkeypatch.setitem(EXPORTERS, fmt, Counting(exporter, calls))

    for fmt, path in [("html", url(year))] + [(fmt, url(year, f"table_{fmt}")) for fmt in FORMATS]:
        response = client.get(path)
        assert isinstance(response, FileResponse), path
        assert response.getvalue() == stored[fmt].file.open("rb").read()
        assert response["Content-Length"] == str(stored[fmt].size)

    assert calls == []


def test_downloads_are_attachments_the_pdf_opens_inline_and_the_page_is_html(client, year):
    publish(year)
    slug = year.office.slug
    for fmt, content_type in [("csv", "text/csv; charset=utf-8"), ("xlsx", EXPORTERS["xlsx"].content_type)]:
        response = client.get(url(year, f"table_{fmt}"))
        assert response["Content-Type"] == content_type
        assert response["Content-Disposition"] == f'attachment; filename="table-{slug}-{year.year}-result.{fmt}"'
    # The PDF opens in the browser's viewer, named by its title (RFC 5987 filename*) with the
    # ASCII name beside it; ?download=1 saves it, under the same names, with the same ETag.
    title = f"令和3年度 {year.office.name}サービス向上目標 第1版.pdf"
    names = f"filename=\"table-{slug}-{year.year}-result.pdf\"; filename*=UTF-8''{quote(title)}"
    inline = client.get(url(year, "table_pdf"))
    saved = client.get(url(year, "table_pdf"), {"download": "1"})
    assert inline["Content-Type"] == saved["Content-Type"] == "application/pdf"
    assert inline["Content-Disposition"] == f"inline; {names}"
    assert saved["Content-Disposition"] == f"attachment; {names}"
    assert inline["ETag"] == saved["ETag"] and inline.getvalue() == saved.getvalue()
    assert client.get(url(year, "table_pdf"), {"download": "1"}, HTTP_IF_NONE_MATCH=saved["ETag"]).status_code == 304
    archived = client.get(url(year, "version_pdf", version=1))
    assert archived["Content-Disposition"] == f"inline; {names}"
    page = client.get(url(year))
    assert page["Content-Type"] == "text/html; charset=utf-8"
    assert not page["Content-Disposition"].startswith("attachment")


def test_the_stored_page_shows_the_version_sizes_and_links_that_outlive_upgrades(client, year):
    publication = publish(year)
    page = client.get(url(year)).getvalue().decode()
    sizes = dict(publication.files.values_list("format", "size"))

    assert "第1版 (目標と実績)" in page
    assert f"(PDF {-(-sizes['pdf'] // 1024)} KB)" in page
    assert f"(CSV {-(-sizes['csv'] // 1024)} KB)" in page
    # Relative links work both at the year's URL and at /v1/; stylesheets by their plain names.
    assert '<a href="table.pdf">PDF (印刷用)</a>' in page
    assert '<a href="table.pdf?download=1">PDFを保存 (ダウンロード)</a>' in page
    stylesheets = re.findall(r'<link rel="stylesheet" href="([^"]+)">', page)
    assert stylesheets == [
        "/static/vendor/bootstrap-5.3.9/bootstrap.min.css", "/static/css/site.css", "/static/css/public-table.css"
    ]
    assert "訂正" not in page


# --- Conditional requests ---------------------------------------------------------------------


@pytest.mark.parametrize("which", [0, 1, 4, 5])  # the page and the PDF, current and of v1
def test_conditional_requests_get_304(client, year, which):
    publication = publish(year)
    path = every_url(year)[which]
    response = client.get(path)
    etag, last_modified = response["ETag"], response["Last-Modified"]
    fmt = "html" if which in (0, 4) else "pdf"
    assert etag == f'"{publication.files.get(format=fmt).sha256}"'
    assert last_modified == format_datetime(publication.published_at.replace(microsecond=0), usegmt=True)

    not_modified = client.get(path, HTTP_IF_NONE_MATCH=etag)
    assert not_modified.status_code == 304 and not_modified["ETag"] == etag
    assert client.get(path, HTTP_IF_MODIFIED_SINCE=last_modified).status_code == 304
    assert client.get(path, HTTP_IF_NONE_MATCH='"something-else"').status_code == 200
    assert client.get(path, HTTP_IF_MODIFIED_SINCE="Mon, 01 Jan 2001 00:00:00 GMT").status_code == 200


def test_a_correction_changes_the_etag_of_the_year_but_not_of_v1(client, year):
    publish(year)
    v1_etag = client.get(url(year, "table_csv"))["ETag"]
    GoalSheet.objects.filter(fiscal_year=year).first().goals.update(objective="訂正した目標")
    publish(year, note="目標を訂正しました。")

    assert client.get(url(year, "table_csv"), HTTP_IF_NONE_MATCH=v1_etag).status_code == 200
    assert client.get(url(year, "version_csv", version=1), HTTP_IF_NONE_MATCH=v1_etag).status_code == 304
    assert "max-age=86400" in client.get(url(year, "version_csv", version=1))["Cache-Control"]
    assert "no-cache" in client.get(url(year, "table_csv"))["Cache-Control"]


# --- Budgets ----------------------------------------------------------------------------------


def test_queries_do_not_grow_with_the_table(client, db):
    small = approved_year(departments=2, goals_per_department=1, year=2021)
    large = approved_year(departments=12, goals_per_department=3, year=2022, office=small.office)
    counts = {}
    for fiscal_year in (small, large):
        publish(fiscal_year)
        for which, path in enumerate(every_url(fiscal_year)):
            with CaptureQueriesContext(connection) as queries:
                response = client.get(path)
            assert response.status_code == 200, path
            counts.setdefault(which, []).append(len(queries))
    assert all(small_count == large_count == 1 for small_count, large_count in counts.values()), counts


def test_home_lists_only_published_years_with_links(client, year, django_assert_max_num_queries):
    unpublished = approved_year(departments=1, office=year.office, year=2025)
    publish(year, "plan")

    with django_assert_max_num_queries(3):
        body = client.get(reverse("home")).content.decode()

    assert f'<a href="{url(year)}">令和3年度 (2021年度)</a>' in body
    assert "(目標)" in body
    assert unpublished.full_label not in body


class Counting:
    """An exporter that counts its renders, around the real one."""

    def __init__(self, exporter, calls):
        self._exporter, self._calls = exporter, calls

    def __getattr__(self, name):
        return getattr(self._exporter, name)

    def render(self, *args, **kwargs):
        self._calls.append(self._exporter.identifier)
        return self._exporter.render(*args, **kwargs)
