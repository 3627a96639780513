"""WeasyPrint: the table (or one part of it) as an A4 landscape, tagged PDF (PDF/UA-1).

The publication renders the title page and each department as parts of their own
(render_part), which reports.exporters.pdf.assembly puts together; render_single_pass renders
the whole table in one go, which the assembled file is compared with.
"""

import hashlib
import threading
from contextlib import contextmanager
from dataclasses import dataclass, replace
from functools import cache
from pathlib import Path

import weasyprint
from django.contrib.staticfiles import finders
from django.core.exceptions import ImproperlyConfigured
from django.template.loader import get_template, render_to_string
from weasyprint import CSS, HTML
from weasyprint.css.counters import CounterStyle
from weasyprint.pdf import fonts as fonts_module
from weasyprint.pdf.fonts import Font
from weasyprint.text.ffi import ffi, harfbuzz
from weasyprint.urls import URLFetcher

from reports.table import PublicTable, TableDepartment

TEMPLATE = "reports/table_pdf.html"
STYLESHEET = "css/table-pdf.css"
# A part leaves the page number out: the assembly prints "n / total" once it knows the total.
PART_STYLESHEET = "@page { @bottom-center { content: none } }"
# PDF/UA-1 makes the PDF tagged (headings, lists, table cells and their headers), which is what
# screen readers read; plain output would be untagged.
PDF_VARIANT = "pdf/ua-1"
# Raised whenever what a cached part holds changes (reports.exporters.pdf.parts), so that parts
# made by an earlier release are rendered again rather than assembled.
PART_FORMAT = "1"


@dataclass
class RenderedPart:
    """A part's PDF and what the assembly needs of WeasyPrint's fonts: the Font objects."""

    pdf: bytes
    pages: int
    fonts: list  # weasyprint.pdf.fonts.Font, with the widths and Unicode of the glyphs used


def render_single_pass(table: PublicTable) -> bytes:
    """The whole table in one WeasyPrint rendering, page numbers included."""
    return _render(_html(table), stylesheets=()).write_pdf(pdf_variant=PDF_VARIANT)


def render_part(table: PublicTable, department: TableDepartment | None) -> RenderedPart:
    """The title page with the policy (department None), or one department's pages alone.

    The part's fonts are left unembedded (a few bytes stand in for each font program): the
    assembly embeds one subset per font for the whole file, so subsetting each part's fonts here
    would be wasted, and it is a third of a part's rendering time.
    """
    if department is None:
        html = _html(replace(table, departments=()), part="front")
    else:
        html = _html(replace(table, departments=(department,)), part="department")
    styles = _stylesheets()
    document = html.render(stylesheets=[*styles.sheets, styles.part], counter_style=styles.counters)
    with _font_programs_left_out():
        pdf = document.write_pdf(pdf_variant=PDF_VARIANT)
    return RenderedPart(pdf=pdf, pages=len(document.pages), fonts=list(document.fonts.values()))


# WeasyPrint's own, kept at import: whatever happens, these are what is put back.
_FONT_DATA, _FONT_CLEAN = fonts_module.get_hb_object_data, Font.clean
_FONTS_SWITCHED = threading.Lock()  # one part written at a time per process (threaded servers)


@contextmanager
def _font_programs_left_out():
    """While a part is written, WeasyPrint keeps of each font file only the bytes naming its format.

    WeasyPrint copies the whole font file (20 MB for Noto Sans CJK) into every font it writes and
    subsets it; parts need neither, since the assembly embeds the fonts (reports.exporters.pdf.fonts
    keeps the original files). Leaving them out halves the worker processes' memory and saves a
    third of a part's time. Only the writing of a part is affected: the layout is WeasyPrint's own.
    """

    def format_only(hb_face):
        # The first four bytes of the face's data, without copying the rest.
        blob = harfbuzz.hb_face_reference_blob(hb_face)
        with ffi.new("unsigned int *") as length:
            data = harfbuzz.hb_blob_get_data(blob, length)
            head = b"" if data == ffi.NULL else ffi.unpack(data, min(4, int(length[0])))
        harfbuzz.hb_blob_destroy(blob)
        return head  # b"OTTO" (CFF) or the TrueType version

    def left_out(font, to_unicode, hinting):
        pass  # no subset: the assembly makes one

    with _FONTS_SWITCHED:
        fonts_module.get_hb_object_data, Font.clean = format_only, left_out
        try:
            yield
        finally:
            fonts_module.get_hb_object_data, Font.clean = _FONT_DATA, _FONT_CLEAN


def _html(table, part=""):
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
    counters: CounterStyle


@cache
def _stylesheets() -> _Styles:
    """The stylesheet parsed once per process: parts are many and small."""
    # A stylesheet's @counter-style rules (the policy's ①②③④) only reach the document through
    # a registry that the stylesheet and the rendering share.
    counters = CounterStyle()
    sheet = CSS(
        filename=str(stylesheet_file()), url_fetcher=_local_fetcher(), counter_style=counters
    )
    return _Styles(sheets=(sheet,), part=CSS(string=PART_STYLESHEET), counters=counters)


def _render(html, *, stylesheets):
    styles = _stylesheets()
    return html.render(stylesheets=[*styles.sheets, *stylesheets], counter_style=styles.counters)


def warm_up(_=None) -> None:
    """Render a line in both the regular and the bold face: loads the fonts and the stylesheet."""
    html = HTML(string='<html lang="ja"><p>区役所 <b>目標</b> 1 / 2</p></html>')
    _render(html, stylesheets=()).write_pdf(pdf_variant=PDF_VARIANT)


@cache
def renderer_fingerprint() -> str:
    """Changes whenever what a part looks like may change: the template, the stylesheet, WeasyPrint.

    Part of every cached part's key, so an upgrade or a style change never assembles old parts.
    """
    digest = hashlib.sha256()
    digest.update(PART_FORMAT.encode())
    digest.update(weasyprint.__version__.encode())
    digest.update(PART_STYLESHEET.encode())
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
    return URLFetcher(allowed_protocols={"file"})
