"""Every format the public table is published in, by identifier."""

from reports.exporters.base import Exporter
from reports.exporters.csv import CsvExporter
from reports.exporters.html import HtmlExporter
from reports.exporters.pdf import PdfExporter
from reports.exporters.xlsx import XlsxExporter

EXPORTERS: dict[str, Exporter] = {
    exporter.identifier: exporter
    for exporter in (
        HtmlExporter(),
        PdfExporter(),
        XlsxExporter(),
        CsvExporter(),
    )
}


def get_exporter(identifier: str) -> Exporter:
    return EXPORTERS[identifier]
