"""What the PDF's structure tree (its tags) says of the table headers, completed after WeasyPrint.

WeasyPrint tags `<th>` as TH without the header's scope; PDF/UA-1 wants one on every TH (a
table whose data cells list their headers by id still fails Matterhorn 15-003 otherwise). The
table's markup (templates/reports/_table_head.html, _department_rows.html) gives the head row's
cells scope="col" and a body row's header cells scope="row" or "rowgroup" (the department's
name): a TH under THead is a column header, a TH in a body row a row header.
"""

import pikepdf
from pikepdf import Name

COLUMN, ROW = Name.Column, Name.Row


def add_header_scopes(pdf: pikepdf.Pdf) -> None:
    """Give every TH a /Scope in its table attributes, as the HTML's scope attribute says."""
    for element, ancestors in _with_ancestors(pdf.Root.get("/StructTreeRoot", {}), ()):
        if element.S != Name.TH:
            continue
        scope = COLUMN if Name.THead in ancestors else ROW
        attributes = element.get("/A")
        if isinstance(attributes, pikepdf.Array):  # several attribute objects: the table's one
            attributes = next((a for a in attributes if _is_table_attributes(a)), None)
        if not _is_table_attributes(attributes):
            attributes = pikepdf.Dictionary(O=Name.Table)
            existing = element.get("/A")
            if existing is None:
                element.A = attributes
            elif isinstance(existing, pikepdf.Array):
                existing.append(attributes)
            else:
                element.A = pikepdf.Array([existing, attributes])
        attributes.Scope = scope


def _is_table_attributes(attributes) -> bool:
    return isinstance(attributes, pikepdf.Dictionary) and attributes.get("/O") == Name.Table


def unique_header_ids(pdf: pikepdf.Pdf, *, prefix: str) -> None:
    """Table header ids made unique in any assembled file.

    WeasyPrint names a header cell "<table's object number>-<row>-<column>" and lists those ids
    in each data cell's Headers, which is how a screen reader tells which headers a cell has.
    Object numbers restart in every part, so each part's ids get the part's own prefix instead.
    """
    for element in structure_elements(pdf.Root.get("/StructTreeRoot", {})):
        if "/ID" in element:
            element.ID = pikepdf.String(f"{prefix}-{element.ID}")
        attributes = element.get("/A")
        if isinstance(attributes, pikepdf.Dictionary) and "/Headers" in attributes:
            attributes.Headers = pikepdf.Array(
                [pikepdf.String(f"{prefix}-{header}") for header in attributes.Headers]
            )


def structure_elements(node):
    """Every structure element under node, depth first, in reading order."""
    for element, _ in _with_ancestors(node, ()):
        yield element


def _with_ancestors(node, ancestors):
    kids = node.get("/K")
    if kids is None:
        return
    for kid in kids if isinstance(kids, pikepdf.Array) else [kids]:
        if (
            isinstance(kid, pikepdf.Dictionary)
            and kid.get("/Type", Name.StructElem) == Name.StructElem
            and "/S" in kid
        ):
            yield kid, ancestors
            yield from _with_ancestors(kid, (*ancestors, kid.S))
