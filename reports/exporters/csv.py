"""Open data: the machine-readable rows as CSV (RFC 4180, UTF-8 with a BOM)."""

import csv
import io
from dataclasses import dataclass
from typing import Any

from reports.exporters.spreadsheet import ListExporter, neutralise_formula


@dataclass
class _CsvDocument:
    buffer: io.StringIO
    writer: Any  # what csv.writer() returns; the type has no public name


class CsvExporter(ListExporter):
    identifier = "csv"
    label = "CSV"
    extension = "csv"
    content_type = "text/csv; charset=utf-8"

    def start(self, table):
        buffer = io.StringIO()
        # RFC 4180: CRLF between records; values with a comma, quote or line break are quoted,
        # and a line break inside a value is kept as it is.
        return _CsvDocument(
            buffer, csv.writer(buffer, quoting=csv.QUOTE_MINIMAL, lineterminator="\r\n")
        )

    def write_row(self, document, row):
        document.writer.writerow([_csv_value(value) for value in row])

    def finish(self, document, table):
        # The BOM is what makes Excel on Japanese Windows read UTF-8 rather than Shift_JIS.
        # "replace" only matters for a lone surrogate, which is not text and cannot be encoded.
        return document.buffer.getvalue().encode("utf-8-sig", errors="replace")


def _csv_value(value):
    """Numbers as numbers; text neutralised, since a CSV cell has no type to say "text"."""
    return neutralise_formula(value) if isinstance(value, str) else value
