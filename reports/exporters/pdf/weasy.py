"""WeasyPrint: the table (or one part of it) as an A4 landscape, tagged PDF (PDF/UA-1).

The publication renders the title page and each department as parts of their own
(render_part), which reports.exporters.pdf.assembly puts together; render_single_pass renders
the whole table in one go, which the assembled file is compared with. Both go through
WeasyPrint's public API only (HTML, CSS, Document, Page), so that a new WeasyPrint release is a
version bump: docs/how-it-works.md says which tests tell whether it still draws the same pages.

WeasyPrint is imported by the functions that render, not with this module: it takes most of a
second to import, and a process that never renders (a management command, a web worker serving
pages) should not pay for it.
"""

from __future__ import annotations

import hashlib
import io
from collections import defaultdict
from dataclasses import dataclass, replace
from functools import cache
from pathlib import Path

import pikepdf
from django.contrib.staticfiles import finders
from django.core.exceptions import ImproperlyConfigured
from django.template.loader import get_template, render_to_string

from goals.printed import TableDepartment
from reports.exporters.pdf.tags import add_header_scopes
from reports.table import PublicTable

TEMPLATE = "reports/table_pdf.html"
STYLESHEET = "css/table-pdf.css"
# A part leaves the page number out: the assembly prints "n / total" once it knows the total.
PART_STYLESHEET = "@page { @bottom-center { content: none } }"
# What the assembly prints page numbers with: a page whose footer holds every character of one.
PAGE_NUMBER_CHARACTERS = "0123456789 /"
PAGE_NUMBER_STYLESHEET = f'@page {{ @bottom-center {{ content: "{PAGE_NUMBER_CHARACTERS}" }} }}'
# PDF/UA-1 makes the PDF tagged (headings, lists, table cells and their headers), which is what
# screen readers read; plain output would be untagged.
PDF_VARIANT = "pdf/ua-1"
# Raised whenever what a cached part holds changes (reports.exporters.pdf.parts), so that parts
# made by an earlier release are rendered again rather than assembled.
PART_FORMAT = "2"


@dataclass
class RenderedPart:
    pdf: bytes  # as WeasyPrint writes it: fonts embedded as subsets
    pages: int


def render_single_pass(table: PublicTable) -> bytes:
    """The whole table in one WeasyPrint rendering, page numbers included, headers scoped."""
    document = _laid_out(_html(table), stylesheets=())
    return _with_header_scopes(document.write_pdf(pdf_variant=PDF_VARIANT))


def render_part(table: PublicTable, department: TableDepartment | None) -> RenderedPart:
    """The title page with the policy (department None), or one department's pages alone."""
    if department is None:
        html = _html(replace(table, departments=()), part="front")
    else:
        html = _html(replace(table, departments=(department,)), part="department")
    document = _laid_out(html, stylesheets=(_stylesheets().part,))
    # Uncompressed: the fonts are rewritten before the part is kept, and compressed then.
    pdf = document.write_pdf(pdf_variant=PDF_VARIANT, uncompressed_pdf=True)
    return RenderedPart(pdf=pdf, pages=len(document.pages))


def render_page_numbers() -> RenderedPart:
    """An empty page whose footer prints PAGE_NUMBER_CHARACTERS as every page number is printed.

    Its font (a subset of the footer's font with those glyphs) is what the assembly prints
    "n / total" with.
    """
    from weasyprint import CSS, HTML

    html = HTML(
        string='<html lang="ja"><body></body></html>',
        url_fetcher=_local_fetcher(),
    )
    document = _render(html, stylesheets=(CSS(string=PAGE_NUMBER_STYLESHEET),))
    return RenderedPart(pdf=document.write_pdf(), pages=len(document.pages))


def _laid_out(html, *, stylesheets):
    """The document laid out, goal rows kept whole on a page wherever they fit on one.

    The stylesheet asks for whole rows (break-inside: avoid). A row taller than a page cannot
    be whole: WeasyPrint moves it to a page of its own anyway, leaving the page before mostly
    empty, and draws it there without the header row. Such rows are found in the layout and
    laid out again allowed to break, so that they start where they are and every page they run
    over repeats the header row.
    """
    from weasyprint import CSS

    document = _render(html, stylesheets=stylesheets)
    tall = _moved_and_still_split(document)
    if tall:
        breakable = ", ".join(f".public-table tr[id={_css_string(name)}]" for name in tall)
        extra = CSS(string=f"{breakable} {{ break-inside: auto }}")
        document = _render(html, stylesheets=(*stylesheets, extra))
    return document


def _moved_and_still_split(document) -> list[str]:
    """Ids of elements moved past a page break onto the next page and split there all the same.

    Each page's anchors are the element ids on it, in document order (Page.anchors). An element
    on more than one page was split. It was moved when, on the page it begins, the element
    before it began on an earlier page: it is the first thing on a page that continues its
    table, although the page before had room for some of it.
    """
    pages = defaultdict(list)
    for number, page in enumerate(document.pages):
        for name in page.anchors:
            pages[name].append(number)
    moved = []
    for number, page in enumerate(document.pages):
        before = None
        for name in page.anchors:
            split_here = pages[name][0] == number and len(pages[name]) > 1
            if split_here and before is not None and pages[before][0] < number:
                moved.append(name)
            before = name
    return moved


def _css_string(value: str) -> str:
    escaped = "".join(c if c.isalnum() or c in "-_" else f"\\{ord(c):x} " for c in value)
    return f'"{escaped}"'


def _with_header_scopes(pdf: bytes) -> bytes:
    document = pikepdf.Pdf.open(io.BytesIO(pdf))
    add_header_scopes(document)
    output = io.BytesIO()
    document.save(output, deterministic_id=True)
    return output.getvalue()


def _html(table, part=""):
    from weasyprint import HTML

    stylesheet_path = stylesheet_file()
    return HTML(
        string=render_to_string(TEMPLATE, {"table": table, "part": part}),
        base_url=stylesheet_path.parent.as_uri() + "/",
        url_fetcher=_local_fetcher(),
    )


@dataclass(frozen=True)
class _Styles:
    sheets: tuple
    part: CSS


@cache
def _stylesheets() -> _Styles:
    """The stylesheet parsed once per process: parts are many and small."""
    from weasyprint import CSS

    sheet = CSS(filename=str(stylesheet_file()), url_fetcher=_local_fetcher())
    return _Styles(sheets=(sheet,), part=CSS(string=PART_STYLESHEET))


def _render(html, *, stylesheets):
    styles = _stylesheets()
    return html.render(stylesheets=[*styles.sheets, *stylesheets])


def warm_up(_=None) -> None:
    """Render a line in both the regular and the bold face: loads the fonts and the stylesheet."""
    from weasyprint import HTML

    html = HTML(string='<html lang="ja"><p>区役所 <b>目標</b> 1 / 2</p></html>')
    _render(html, stylesheets=()).write_pdf(pdf_variant=PDF_VARIANT)


@cache
def renderer_fingerprint() -> str:
    """Changes whenever what a part looks like may change: the template, the stylesheet, WeasyPrint.

    Part of every cached part's key, so an upgrade or a style change never assembles old parts.
    """
    import weasyprint

    digest = hashlib.sha256()
    digest.update(PART_FORMAT.encode())
    digest.update(weasyprint.__version__.encode())
    digest.update(PART_STYLESHEET.encode())
    digest.update(PAGE_NUMBER_STYLESHEET.encode())
    digest.update(stylesheet_file().read_bytes())
    for name in (TEMPLATE, "reports/_table_head.html", "reports/_department_rows.html"):
        digest.update(Path(get_template(name).origin.name).read_bytes())
    return digest.hexdigest()


def stylesheet_file() -> Path:
    """The stylesheet among the static files, wherever they are found, collected or not."""
    path = finders.find(STYLESHEET)
    if path is None:
        raise ImproperlyConfigured(
            f"The PDF stylesheet {STYLESHEET} is not among the static files."
        )
    return Path(path)


def _local_fetcher() -> URLFetcher:
    """A fetcher for local files only: rendering a table must never reach out to the network."""
    from weasyprint import URLFetcher

    return URLFetcher(allowed_protocols={"file"})
