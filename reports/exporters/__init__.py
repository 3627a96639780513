"""Every format the public table is published in, by identifier."""

from reports.exporters.base import Exporter
from reports.exporters.html import HtmlExporter

EXPORTERS: dict[str, Exporter] = {
    exporter.identifier: exporter
    for exporter in (
        HtmlExporter(),
    )
}


def get_exporter(identifier: str) -> Exporter:
    return EXPORTERS[identifier]
