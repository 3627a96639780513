"""The print publication: the table as an A4 landscape, tagged PDF (PDF/UA-1).

Rendered part by part — the title page, then each department — with the parts cached by content
(reports.exporters.pdf.parts) and put together into one file (reports.exporters.pdf.assembly),
so that a year whose sheets were approved one by one publishes in the time it takes to assemble.
"""

from reports.exporters.base import Exporter
from reports.exporters.pdf.assembly import assemble_laid_out, reassemble
from reports.exporters.pdf.parts import PartCache, table_parts
from reports.exporters.pdf.weasy import render_single_pass

__all__ = ["PdfExporter", "render_single_pass"]


class PdfExporter(Exporter):
    identifier = "pdf"
    label = "PDF"
    extension = "pdf"
    content_type = "application/pdf"

    def render(self, table, cache: PartCache | None = None):
        """The PDF: each font embedded once as a subset, title, author and language in its metadata.

        The file assembled last for the same table (office, year, kind) is kept; when only a
        few departments changed since (a correction), their parts are replaced in it rather
        than every part assembled again.
        """
        cache = cache or PartCache()
        parts = table_parts(table, cache)
        page_numbers = cache.page_numbers()
        identity = f"{table.office_slug}-{table.year}-{table.kind!s}"
        previous = cache.assembled(identity)
        result = reassemble(*previous, parts, page_numbers) if previous else None
        if result is None:
            result = assemble_laid_out(parts, page_numbers)
        cache.keep_assembled(identity, *result)
        return result[0]
