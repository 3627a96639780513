"""Putting the parts together: one tagged PDF, pages numbered "n / total", one subset per font.

The first part (the title page) is the base: its catalog, metadata, language and structure tree
root stay. Each further part brings its pages, its structure elements (appended under the
base's Document element, with the parent-tree keys moved past the ones before), its named
destinations and its outline entries (under the title). Each font is embedded once, merged
from the parts' own subsets (reports.exporters.pdf.fonts). The page numbers, which no part
could know, are printed where the stylesheet's @bottom-center would print them, in the font
WeasyPrint prints that footer with (weasy.render_page_numbers), as pagination artifacts that
screen readers skip.
"""

import io
import json
from dataclasses import asdict, dataclass

import pikepdf
from pikepdf import Array, Dictionary, Name, OutlineItem, Pdf, String

from reports.exporters.pdf.fonts import merge_fonts
from reports.exporters.pdf.weasy import PAGE_NUMBER_CHARACTERS

MM = 72 / 25.4
# As css/table-pdf.css prints the page number: @bottom-center of a 14 mm bottom margin, 3 mm
# below its top, 8 pt, the body's line height and colour.
BOTTOM_MARGIN = 14 * MM
PAGE_NUMBER_PADDING = 3 * MM
PAGE_NUMBER_SIZE = 8
LINE_HEIGHT = 1.5
TEXT_COLOR = (0x21 / 255, 0x25 / 255, 0x29 / 255)
PAGE_NUMBER_FONT = Name("/PageNumber")
STAMP_START = b"Q\n/Artifact <</Type /Pagination"


@dataclass
class Layout:
    """Where each part of an assembled file is: what reassemble() needs to replace one part.

    Per part, in print order: its key, its pages, its structure elements under the Document
    element, its parent-tree keys, its named destinations (hex of the name's bytes) and its
    outline entries under the title (the title page's: the entries of its own).
    """

    keys: list
    pages: list
    kids: list
    struct_keys: list
    dests: list
    outline: list

    def to_json(self) -> dict:
        return asdict(self)

    @classmethod
    def from_json(cls, data: dict) -> "Layout":
        return cls(**data)

    def add(self, key, *, pages, kids, struct_keys, dests, outline):
        for field, value in (
            (self.keys, key), (self.pages, pages), (self.kids, kids),
            (self.struct_keys, struct_keys), (self.dests, dests), (self.outline, outline),
        ):  # fmt: skip
            field.append(value)


# How many files this process assembled from every part, and how many by replacing parts: what
# the tests count to show that a correction replaces its part.
assembly_counts = {"whole": 0, "replaced": 0}


def assemble_laid_out(parts, page_numbers) -> tuple[bytes, Layout]:
    """The parts (title page first) as one PDF, and where each part is in it.

    page_numbers is the Part whose font prints the page numbers (PartCache.page_numbers).
    """
    assembly_counts["whole"] += 1
    first, *rest = parts
    pdf = Pdf.open(io.BytesIO(first.pdf))
    tree = pdf.Root.StructTreeRoot
    document = tree.K[0]
    nums = list(tree.ParentTree.Nums)
    next_key = _next_key(nums)
    dests = _named_dests(pdf.Root)
    layout = Layout([], [], [], [], [], [])
    with pdf.open_outline() as outline:
        title_items = outline.root[0].children if len(outline.root) else outline.root
        layout.add(
            first.key, pages=len(pdf.pages), kids=len(document.K),
            struct_keys=[int(key) for key in nums[0::2]], dests=_names(dests),
            outline=len(title_items),
        )  # fmt: skip
        for part in rest:
            next_key = _insert(pdf, part, len(pdf.pages), len(document.K), len(title_items),
                               document, nums, dests, title_items, next_key, layout)  # fmt: skip
    return _finish(pdf, parts, layout, nums, next_key, dests, page_numbers), layout


def reassemble(previous: bytes, layout: Layout, parts, page_numbers):
    """The file `previous` (laid out as `layout`) with the parts that changed replaced.

    A correction to one department changes its part alone; replacing that part in the file
    published before is a fraction of assembling every part again. The result has the same
    pages, text, structure, outline, destinations and fonts as assemble_laid_out() of the same parts
    (tests/reports/test_pdf_parts.py compares them). None when the table changed more than a
    few parts or its shape (a department added or removed, a new title page): assemble then.
    """
    keys = [part.key for part in parts]
    if len(keys) != len(layout.keys) or keys[0] != layout.keys[0]:
        return None
    changed = [i for i, (new, old) in enumerate(zip(keys, layout.keys, strict=True)) if new != old]
    if not changed:
        return previous, layout
    if len(changed) > max(1, len(keys) // 4):
        return None
    assembly_counts["replaced"] += 1
    layout = Layout.from_json(json.loads(json.dumps(layout.to_json())))  # a copy to change
    pdf = Pdf.open(io.BytesIO(previous))
    tree = pdf.Root.StructTreeRoot
    document = tree.K[0]
    nums = list(tree.ParentTree.Nums)
    next_key = int(tree.get("/ParentTreeNextKey", _next_key(nums)))
    dests = _named_dests(pdf.Root)
    with pdf.open_outline() as outline:
        title_items = outline.root[0].children if len(outline.root) else outline.root
        for i in reversed(changed):  # from the end: the positions before stay where they are
            page_at, kid_at = sum(layout.pages[:i]), sum(layout.kids[:i])
            item_at = sum(layout.outline[:i])
            del pdf.pages[page_at : page_at + layout.pages[i]]
            kids = list(document.K)
            del kids[kid_at : kid_at + layout.kids[i]]
            document.K = Array(kids)
            gone = set(layout.struct_keys[i])
            nums[:] = [
                item for key, value in zip(nums[0::2], nums[1::2], strict=True)
                if int(key) not in gone for item in (key, value)
            ]  # fmt: skip
            gone_names = set(layout.dests[i])
            dests[:] = [(name, dest) for name, dest in dests if bytes(name).hex() not in gone_names]
            del title_items[item_at : item_at + layout.outline[i]]
            replaced = Layout([], [], [], [], [], [])
            next_key = _insert(pdf, parts[i], page_at, kid_at, item_at, document, nums, dests,
                               title_items, next_key, replaced)  # fmt: skip
            for field, values in replaced.to_json().items():
                getattr(layout, field)[i] = values[0]
    return _finish(pdf, parts, layout, nums, next_key, dests, page_numbers), layout


def _insert(pdf, part, page_at, kid_at, item_at, document, nums, dests, title_items, next_key,
            layout) -> int:  # fmt: skip
    """One part's pages, structure, destinations and outline entries, at the given places."""
    source = Pdf.open(io.BytesIO(part.pdf))
    count = len(source.pages)
    for offset, page in enumerate(source.pages):
        pdf.pages.insert(page_at + offset, page)
    # Copied after the pages, the catalog's structure tree, destinations and outline point at
    # the pages' copies.
    catalog = pdf.copy_foreign(source.Root)
    part_tree = catalog.StructTreeRoot
    for page in pdf.pages[page_at : page_at + count]:
        if "/StructParents" in page.obj:
            page.obj.StructParents = int(page.obj.StructParents) + next_key
        for annotation in page.obj.get("/Annots", ()):
            if "/StructParent" in annotation:
                annotation.StructParent = int(annotation.StructParent) + next_key
    new_kids = list(part_tree.K[0].K)
    for kid in new_kids:
        kid.P = document
    kids = list(document.K)
    kids[kid_at:kid_at] = new_kids
    document.K = Array(kids)
    part_nums = list(part_tree.ParentTree.Nums)
    struct_keys = []
    for key, value in zip(part_nums[0::2], part_nums[1::2], strict=True):
        struct_keys.append(int(key) + next_key)
        nums.append(struct_keys[-1])
        nums.append(value)
    part_dests = _named_dests(catalog)
    dests.extend(part_dests)
    items = _outline_items(catalog)
    title_items[item_at:item_at] = items
    layout.add(part.key, pages=count, kids=len(new_kids), struct_keys=struct_keys,
               dests=_names(part_dests), outline=len(items))  # fmt: skip
    return next_key + _next_key(part_nums)


def _finish(pdf, parts, layout, nums, next_key, dests, page_numbers) -> bytes:
    tree = pdf.Root.StructTreeRoot
    tree.ParentTree = Dictionary(Nums=Array(nums))
    tree.ParentTreeNextKey = next_key
    _set_named_dests(pdf, dests)
    page_fonts = [
        part.fonts for part, pages in zip(parts, layout.pages, strict=True) for _ in range(pages)
    ]
    merge_fonts(pdf, page_fonts, skip={str(PAGE_NUMBER_FONT)})
    _number_pages(pdf, page_numbers)
    output = io.BytesIO()
    pdf.save(
        output,
        compress_streams=True,
        object_stream_mode=pikepdf.ObjectStreamMode.generate,
        deterministic_id=True,
    )
    return output.getvalue()


def _names(dests) -> list[str]:
    return [bytes(name).hex() for name, _ in dests]


# --- Structure tree ----------------------------------------------------------------------------


def _next_key(nums) -> int:
    keys = [int(key) for key in nums[0::2]]
    return max(keys) + 1 if keys else 0


# --- Named destinations and outline --------------------------------------------------------------


def _named_dests(catalog) -> list:
    names = catalog.get("/Names")
    if names is None or "/Dests" not in names:
        return []
    flat = list(names.Dests.get("/Names", ()))
    return list(zip(flat[0::2], flat[1::2], strict=True))


def _set_named_dests(pdf, dests):
    if not dests:
        return
    ordered = sorted(dests, key=lambda item: bytes(item[0]))  # a name tree is sorted by key
    flat = Array()
    for name, dest in ordered:
        flat.append(String(bytes(name)))
        flat.append(dest)
    if "/Names" not in pdf.Root:
        pdf.Root.Names = Dictionary()
    pdf.Root.Names.Dests = Dictionary(Names=flat)


def _outline_items(catalog) -> list:
    outlines = catalog.get("/Outlines")
    return _items(outlines.get("/First")) if outlines is not None else []


def _items(node) -> list:
    """Outline items from a chain of outline dictionaries (First, Next …), children included."""
    items = []
    while node is not None:
        item = OutlineItem(str(node.Title), node.Dest)
        item.children.extend(_items(node.get("/First")))
        items.append(item)
        node = node.get("/Next")
    return items


# --- Page numbers --------------------------------------------------------------------------------


def _number_pages(pdf, page_numbers):
    """ "n / total" at the foot of every page, in the font of WeasyPrint's own footer."""
    font, part_font = _page_number_font(pdf, page_numbers)
    codes = {text: cid for cid, text in part_font.to_unicode.items()}
    missing = [c for c in PAGE_NUMBER_CHARACTERS if codes.get(c) not in part_font.widths]
    if missing:
        raise ValueError(f"The font {part_font.name} has no glyph for {''.join(missing)!r}.")
    glyphs = {c: (codes[c], part_font.widths[codes[c]]) for c in PAGE_NUMBER_CHARACTERS}
    total = len(pdf.pages)
    scale = PAGE_NUMBER_SIZE / 1000
    descriptor = font.DescendantFonts[0].FontDescriptor
    ascent, descent = float(descriptor.Ascent), -float(descriptor.Descent)
    half_leading = (PAGE_NUMBER_SIZE * LINE_HEIGHT - (ascent + descent) * scale) / 2
    baseline = BOTTOM_MARGIN - PAGE_NUMBER_PADDING - half_leading - ascent * scale
    red, green, blue = TEXT_COLOR
    for number, page in enumerate(pdf.pages, start=1):
        text = f"{number} / {total}"
        codes = "".join(f"{glyphs[c][0]:04x}" for c in text)
        width = sum(glyphs[c][1] for c in text) * scale
        left, bottom, right, _ = (float(v) for v in page.mediabox)
        x = left + (right - left - width) / 2
        y = bottom + baseline
        stamp = (
            f"/Artifact <</Type /Pagination /Subtype /Footer>> BDC\n"
            f"BT {PAGE_NUMBER_FONT} {PAGE_NUMBER_SIZE} Tf {red:.4f} {green:.4f} {blue:.4f} rg "
            f"{x:.3f} {y:.3f} Td <{codes}> Tj ET\nEMC\n"
        ).encode()
        contents = page.obj.get("/Contents")
        if isinstance(contents, Array) and contents[-1].read_bytes().startswith(STAMP_START):
            contents[-1].write(b"Q\n" + stamp)  # numbered before (reassemble): renumbered
        else:
            # The page's own drawing is closed in q … Q, so its state cannot move the number.
            page.contents_add(b"q\n", prepend=True)
            page.contents_add(b"Q\n" + stamp)
        resources = page.obj.Resources
        if "/Font" not in resources:
            resources.Font = Dictionary()
        resources.Font[PAGE_NUMBER_FONT] = font


def _page_number_font(pdf, page_numbers):
    """The footer's font of weasy.render_page_numbers, copied in under a subset tag of its own."""
    source = Pdf.open(io.BytesIO(page_numbers.pdf))
    for resources in (page.obj.Resources for page in source.pages):
        for font in resources.get("/Font", {}).values():
            part_font = next(
                (f for f in page_numbers.fonts if f.name == str(font.BaseFont).lstrip("/")), None
            )
            if part_font is None or font.get("/Subtype") != Name.Type0:
                continue
            font = pdf.copy_foreign(font)
            name = Name("/PAGENO+" + part_font.name.split("+", 1)[-1])
            font.BaseFont = font.DescendantFonts[0].BaseFont = name
            font.DescendantFonts[0].FontDescriptor.FontName = name
            return font, part_font
    raise ValueError("The page-number rendering has no font.")
