"""The exporter contract: a small class per format, each rendering a PublicTable to bytes."""

from reports.table import PublicTable


class Exporter:
    """Renders a public table in one format. Subclasses set the class attributes and render()."""

    identifier: str = ""
    label: str = ""
    extension: str = ""
    content_type: str = "application/octet-stream"

    def render(self, table: PublicTable) -> bytes:
        raise NotImplementedError

    def filename(self, table: PublicTable) -> str:
        """table-nakahara-2020-result.pdf: ASCII, so every browser and server keeps it intact."""
        return f"table-{table.office_slug}-{table.year}-{table.kind}.{self.extension}"
