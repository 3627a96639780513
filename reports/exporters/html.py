"""The primary publication: a standalone, accessible HTML page of the table.

At 公表 the page is rendered once, with what only the publication knows (its version, the
correction note, the earlier versions, the sizes of the files beside it), stored, and served
as stored for as long as the version exists. So it must not depend on anything that changes
with a deployment: it links its stylesheets by their plain static URLs (never a manifest's
hashed name, which the next release replaces) and its downloads relative to itself, which
works both as the year's current page and as /v<n>/.
"""

from dataclasses import dataclass, field
from datetime import datetime

from django.conf import settings
from django.template.loader import render_to_string
from django.urls import reverse

from reports.exporters.base import Exporter
from reports.table import PublicTable

TEMPLATE = "reports/year.html"
STYLESHEETS = ("vendor/bootstrap-5.3.9/bootstrap.min.css", "css/site.css", "css/public-table.css")
ICONS = {"ico": "favicon.ico", "svg": "favicon.svg"}
# The files offered beside the page, in the order they are listed, with their link texts.
DOWNLOADS = (
    ("pdf", "PDF (印刷用)"),
    ("xlsx", "Excel (公表用・データ)"),
    ("csv", "CSV (オープンデータ、UTF-8)"),
)


@dataclass(frozen=True)
class EarlierVersion:
    """A version published before the page's own, still downloadable as it was."""

    version: int
    kind_label: str
    published_at: datetime
    note: str
    url: str


@dataclass(frozen=True)
class PublishedPage:
    """What the page of one publication shows about it."""

    version: int
    kind_label: str
    published_at: datetime
    note: str  # 訂正内容; "" unless this version corrects an earlier one
    sizes: dict  # format -> bytes, of the files published beside the page
    earlier: tuple[EarlierVersion, ...] = field(default=())

    @property
    def note_paragraphs(self):
        return [line for line in self.note.splitlines() if line.strip()]


@dataclass(frozen=True)
class Download:
    format: str
    label: str
    href: str
    size: int | None

    @property
    def size_label(self):
        """PDF 315 KB"""
        return f"{self.format.upper()} {file_size_label(self.size)}" if self.size is not None else ""


def file_size_label(size: int) -> str:
    """315 KB, 1.2 MB: rounded up, so a small file never reads as 0 KB."""
    if size < 1024 * 1024:
        return f"{-(-size // 1024)} KB"
    return f"{size / (1024 * 1024):.1f} MB"


class HtmlExporter(Exporter):
    identifier = "html"
    label = "HTML"
    extension = "html"
    content_type = "text/html; charset=utf-8"

    def render(self, table: PublicTable, publication: PublishedPage | None = None) -> bytes:
        """The page; with `publication`, the page as that version publishes it."""
        context = {
            "table": table,
            "publication": publication,
            "stylesheets": [settings.STATIC_URL + path for path in STYLESHEETS],
            "icons": {kind: settings.STATIC_URL + path for kind, path in ICONS.items()},
            "downloads": _downloads(table, publication),
        }
        return render_to_string(TEMPLATE, context).encode("utf-8")


def _downloads(table, publication):
    """Links to the files: beside the page once published, else to the year's public URLs."""
    if publication is None:
        return [
            Download(
                fmt,
                label,
                reverse(f"reports:table_{fmt}", kwargs={"office": table.office_slug, "year": table.year}),
                None,
            )
            for fmt, label in DOWNLOADS
        ]
    return [
        Download(fmt, label, f"table.{fmt}", publication.sizes.get(fmt))
        for fmt, label in DOWNLOADS
    ]
