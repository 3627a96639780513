"""Public pages: the front page and the published files of each year.

A year's page and its downloads are the files stored when the version was published, served as
they are (never rendered on request), with the SHA-256 as ETag and the publication date as
Last-Modified so that browsers and caches can ask "has it changed?" and get a 304.
"""

from pathlib import PurePosixPath
from urllib.parse import quote

from django.core.paginator import Paginator
from django.http import FileResponse, Http404
from django.shortcuts import render
from django.utils.cache import get_conditional_response, patch_cache_control
from django.utils.http import http_date
from django.views.decorators.http import require_safe

from goals.wareki import fiscal_year_label
from reports import selectors
from reports.exporters import get_exporter
from reports.furigana import serving as furigana
from reports.models import FileFormat
from reports.search.terms import MAX_QUERY_LENGTH, MAX_TERMS, split_terms
from reports.table import TITLE_SUFFIX
from reports.views import corrections

# Offices on one page of the front page: with ten years each, two hundred year links.
OFFICES_PER_PAGE = 20
# An earlier version never changes, so caches may keep it; the year's own URLs move to the
# next version when a correction is published, so caches must ask each time.
ARCHIVE_MAX_AGE = 24 * 60 * 60


@require_safe
def home(request):
    """The public front page: offices and their published fiscal years, a page at a time.

    `q` narrows the offices to those whose name, municipality name or code holds every word;
    the filter is offered once the offices fill more than one page (or a filter is in use).
    Three queries whatever the number of offices: the count, the page's offices, their years.
    """
    query = request.GET.get("q", "")[:MAX_QUERY_LENGTH]
    terms = split_terms(query)[:MAX_TERMS]
    paginator = Paginator(selectors.public_offices(terms), OFFICES_PER_PAGE)
    page = paginator.get_page(request.GET.get("page"))
    context = {
        "page": page,
        "page_numbers": paginator.get_elided_page_range(page.number, on_each_side=2, on_ends=1),
        "query": " ".join(terms),
        "filtered": bool(terms),
        "offer_filter": bool(terms) or paginator.num_pages > 1,
        "max_query_length": MAX_QUERY_LENGTH,
    }
    return render(request, "reports/home.html", context)


@require_safe
def year_table(request, office, year):
    """The year's page, as the version the public sees published it; for the office's approvers,
    with 「訂正する」 under its title (reports.views.corrections)."""
    stored = selectors.current_file(office_slug=office, year=year, fmt=FileFormat.HTML)
    page = furigana.year_page(request, stored)
    return corrections.staff_page(request, stored, page) or _serve(request, stored, page=page)


@require_safe
def download(request, office, year, fmt):
    """The year's table as a file (PDF, XLSX or CSV) of the version the public sees."""
    return _serve(request, selectors.current_file(office_slug=office, year=year, fmt=fmt))


@require_safe
def version_page(request, office, year, version):
    """An earlier (or the current) version's page, exactly as it was published."""
    stored = selectors.version_file(
        office_slug=office, year=year, version=version, fmt=FileFormat.HTML
    )
    return _serve(request, stored, archived=True, page=furigana.year_page(request, stored))


@require_safe
def version_download(request, office, year, version, fmt):
    """A file of one version, byte for byte as it was published."""
    stored = selectors.version_file(office_slug=office, year=year, version=version, fmt=fmt)
    return _serve(request, stored, archived=True)


def _serve(request, stored, *, archived=False, page=None):
    """The stored file, or 304 when the client has it already; 404 for anything unpublished.

    `page` (reports.furigana.serving) is a year page with ふりがな: the reader's choice of its
    stored files, varying with the reader's cookie."""
    if stored is None:
        raise Http404("この年度の表は公表されていません。")
    etag = page.etag if page else f'"{stored.sha256}"'
    last_modified = int((page.modified_at if page else stored.publication.published_at).timestamp())
    response = get_conditional_response(request, etag=etag, last_modified=last_modified)
    if response is None and page:
        response = page.response()
    elif response is None:
        response = _file_response(stored, download=request.GET.get("download") == "1")
    response["ETag"] = etag
    response["Last-Modified"] = http_date(last_modified)
    if archived:
        patch_cache_control(response, public=True, max_age=ARCHIVE_MAX_AGE)
    else:
        patch_cache_control(response, public=True, no_cache=True)
    if page:
        page.remember(request, response)
    return response


def _file_response(stored, *, download=False):
    content_type = get_exporter(stored.format).content_type
    if stored.format == FileFormat.HTML:
        return FileResponse(stored.file.open("rb"), content_type=content_type)
    # The name the file was stored under is the name the exporter gave it (table-…-result.pdf).
    name = PurePosixPath(stored.file.name).name
    if stored.format != FileFormat.PDF:
        return FileResponse(stored.file.open("rb"), content_type=content_type, as_attachment=True, filename=name)
    # The PDF opens in the browser's viewer (?download=1 saves it instead), named by its title.
    response = FileResponse(stored.file.open("rb"), content_type=content_type)
    response["Content-Disposition"] = content_disposition(
        "attachment" if download else "inline", ascii_name=name, name=pdf_title_name(stored)
    )
    return response


def pdf_title_name(stored) -> str:
    """令和2年度 中原区役所サービス向上目標 第1版.pdf: the table's title and the version."""
    publication = stored.publication
    fiscal_year = publication.fiscal_year
    title = f"{fiscal_year_label(fiscal_year.year)} {fiscal_year.office.name}{TITLE_SUFFIX}"
    return f"{title} 第{publication.version}版.pdf"


def content_disposition(disposition: str, *, ascii_name: str, name: str) -> str:
    """The header with both names (RFC 6266): `filename*` in UTF-8 (RFC 5987) for the Japanese
    title, which browsers prefer, and the plain ASCII name for any client that does not read it."""
    return f"{disposition}; filename=\"{ascii_name}\"; filename*=UTF-8''{quote(name, safe='')}"
