"""What the spreadsheet formats share: the data rows, written by one loop, and formula safety.

A spreadsheet evaluates a cell that starts with "=", "+", "-" or "@", and some skip a leading
tab or line break before looking, so published text such as "=HYPERLINK(...)" or "-3" could
run as a formula on a reader's machine (CSV injection). Where the format has no cell types
(CSV) such text gets one leading apostrophe; the importer takes it off again with
restore_formula().
"""

from reports.exporters.base import Exporter
from reports.table import PublicTable, data_rows

# What a spreadsheet may read as the start of a formula.
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r", "\n")
# The escape itself is escaped too: without it "'=1" would read back as "=1".
QUOTE = "'"
_NEEDS_QUOTE = (*FORMULA_STARTS, QUOTE)


def neutralise_formula(value: str) -> str:
    """The text with one apostrophe in front when a spreadsheet could take it for a formula.

    A text already starting with an apostrophe gets one more, so restore_formula() can always
    tell an added apostrophe from one that was typed.
    """
    if value.startswith(_NEEDS_QUOTE):
        return QUOTE + value
    return value


def restore_formula(value: str) -> str:
    """The text as it was before neutralise_formula(): exactly one added apostrophe removed."""
    if value.startswith(QUOTE) and value[1:].startswith(_NEEDS_QUOTE):
        return value[1:]
    return value


class ListExporter(Exporter):
    """A format that carries the machine-readable layout: the header, then one row per goal.

    render() is the one loop over the rows; a format says how a document starts, how a row is
    written into it and how the finished document becomes bytes. The document is created per
    call, so one exporter instance can render any number of tables at once.
    """

    def rows(self, table: PublicTable):
        """The header, then one list of values per goal (see reports.table.DATA_COLUMNS)."""
        return data_rows(table)

    def render(self, table: PublicTable) -> bytes:
        document = self.start(table)
        for row in self.rows(table):
            self.write_row(document, row)
        return self.finish(document, table)

    def start(self, table: PublicTable):
        """A new, empty document for the table."""
        raise NotImplementedError

    def write_row(self, document, row: list) -> None:
        """Append one row of values (int or str) to the document."""
        raise NotImplementedError

    def finish(self, document, table: PublicTable) -> bytes:
        """The complete file."""
        raise NotImplementedError
