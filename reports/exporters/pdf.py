"""The print publication: the table as an A4 landscape, tagged PDF (PDF/UA-1) made by WeasyPrint."""

from pathlib import Path

from django.contrib.staticfiles import finders
from django.core.exceptions import ImproperlyConfigured
from django.template.loader import render_to_string
from weasyprint import CSS, HTML
from weasyprint.css.counters import CounterStyle
from weasyprint.urls import URLFetcher

from reports.exporters.base import Exporter

TEMPLATE = "reports/table_pdf.html"
STYLESHEET = "css/table-pdf.css"


class PdfExporter(Exporter):
    identifier = "pdf"
    label = "PDF"
    extension = "pdf"
    content_type = "application/pdf"

    def render(self, table):
        """The PDF: fonts embedded as subsets, title, author and language in its metadata."""
        stylesheet_path = _stylesheet_path()
        fetcher = _local_fetcher()
        # A stylesheet's @counter-style rules (the policy's ①②③④) only reach the document
        # through a registry that the stylesheet and the rendering share.
        counter_style = CounterStyle()
        stylesheet = CSS(
            filename=str(stylesheet_path), url_fetcher=fetcher, counter_style=counter_style
        )
        html = HTML(
            string=render_to_string(TEMPLATE, {"table": table}),
            base_url=stylesheet_path.parent.as_uri() + "/",
            url_fetcher=fetcher,
        )
        # PDF/UA-1 makes the PDF tagged (headings, lists, table cells and their headers),
        # which is what screen readers read; plain output would be untagged.
        return html.write_pdf(
            stylesheets=[stylesheet], counter_style=counter_style, pdf_variant="pdf/ua-1"
        )


def _stylesheet_path() -> Path:
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
