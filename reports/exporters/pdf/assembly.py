"""Putting the parts together: one tagged PDF, pages numbered "n / total", one subset per font.

The first part (the title page) is the base: its catalog, metadata, language and structure tree
root stay. Each further part brings its pages, its structure elements (appended under the
base's Document element, with the parent-tree keys moved past the ones before), its named
destinations and its outline entries (under the title). Parts carry no font programs: each
font is embedded once, as one subset of every glyph any part uses (reports.exporters.pdf.fonts).
The page numbers, which no part could know, are printed where the stylesheet's @bottom-center
would print them, as pagination artifacts that screen readers skip.
"""

import io
import json
from collections import defaultdict
from dataclasses import asdict, dataclass

import pikepdf
from pikepdf import Array, Dictionary, Name, OutlineItem, Pdf, String

from reports.exporters.pdf.fonts import FontStore, PartFont

MM = 72 / 25.4
# As css/table-pdf.css prints the page number: @bottom-center of a 14 mm bottom margin, 3 mm
# below its top, 8 pt, the body's line height and colour.
BOTTOM_MARGIN = 14 * MM
PAGE_NUMBER_PADDING = 3 * MM
PAGE_NUMBER_SIZE = 8
LINE_HEIGHT = 1.5
TEXT_COLOR = (0x21 / 255, 0x25 / 255, 0x29 / 255)
PAGE_NUMBER_FONT = Name("/PageNumber")
PAGE_NUMBER_CHARACTERS = "0123456789 /"
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


def assemble_laid_out(parts, fonts: FontStore) -> tuple[bytes, Layout]:
    """The parts (title page first) as one PDF, and where each part is in it."""
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
    return _finish(pdf, parts, layout, nums, next_key, dests, fonts), layout


def reassemble(previous: bytes, layout: Layout, parts, fonts: FontStore):
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
    return _finish(pdf, parts, layout, nums, next_key, dests, fonts), layout


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


def _finish(pdf, parts, layout, nums, next_key, dests, fonts) -> bytes:
    tree = pdf.Root.StructTreeRoot
    tree.ParentTree = Dictionary(Nums=Array(nums))
    tree.ParentTreeNextKey = next_key
    _set_named_dests(pdf, dests)
    page_fonts = [
        part.fonts for part, pages in zip(parts, layout.pages, strict=True) for _ in range(pages)
    ]
    _embed_fonts(pdf, page_fonts, fonts)
    _number_pages(pdf, parts, fonts)
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


# --- Fonts ---------------------------------------------------------------------------------------


def _embed_fonts(pdf, page_fonts, fonts: FontStore):
    """Every font program, embedded once (parts carry none, see weasy.render_part).

    A font that every part can share becomes one font object with one subset of all the glyphs
    of all the parts; a part's font with stand-ins for characters no font has keeps its own
    object, given a subset of its own glyphs.
    """
    shared = defaultdict(list)  # (name, source, index) -> that font as each part uses it
    for part_fonts in {id(fonts): fonts for fonts in page_fonts}.values():
        for font in part_fonts:
            if font.shareable:
                shared[(font.name, font.source, font.index)].append(font)
    canonical, embedded = {}, set()
    for page, part_fonts in zip(pdf.pages, page_fonts, strict=True):
        by_name = {font.name: font for font in part_fonts}
        for resources in _resources(page.obj):
            font_dict = resources.get("/Font")
            if font_dict is None:
                continue
            for resource_name, font in list(font_dict.items()):
                if font.Subtype != Name.Type0 or resource_name == PAGE_NUMBER_FONT:
                    continue  # Type 3 (bitmap) fonts draw their glyphs themselves
                part_font = by_name[str(font.BaseFont).lstrip("/")]
                face = fonts.face(part_font.source, part_font.index)
                if part_font.shareable:
                    key = (part_font.name, part_font.source, part_font.index)
                    if key not in canonical:
                        canonical[key] = font
                        _embed_shared(pdf, font, shared[key], face)
                    font_dict[resource_name] = canonical[key]
                elif font.objgen not in embedded:
                    embedded.add(font.objgen)
                    _embed_program(font, face.subset(part_font.widths, notdef_outline=True))


def _resources(obj, seen=None):
    """The resource dictionaries of a page and of the forms it draws, each once."""
    seen = set() if seen is None else seen
    resources = obj.get("/Resources")
    if resources is None or resources.objgen in seen and resources.objgen != (0, 0):
        return
    seen.add(resources.objgen)
    yield resources
    for xobject in resources.get("/XObject", {}).values():
        if xobject.get("/Subtype") == Name.Form:
            yield from _resources(xobject, seen)


def _embed_shared(pdf, font, part_fonts: list[PartFont], face):
    """The font object given every glyph, width and Unicode of all parts, and their one subset."""
    widths, to_unicode = {}, {}
    for part_font in part_fonts:
        widths.update(part_font.widths)
        for gid, text in part_font.to_unicode.items():
            to_unicode.setdefault(gid, text)
    descendant = font.DescendantFonts[0]
    descendant.W = _widths_array(widths)
    font.ToUnicode = pdf.make_stream(to_unicode_cmap(to_unicode))
    descriptor = descendant.FontDescriptor
    bbox = list(descriptor.FontBBox)
    bbox[2] = max(widths.values(), default=0)
    descriptor.FontBBox = Array(bbox)
    _embed_program(font, face.subset(widths))


def _embed_program(font, data: bytes):
    descriptor = font.DescendantFonts[0].FontDescriptor
    if "/FontFile2" in descriptor:
        descriptor.FontFile2.write(data)
        descriptor.FontFile2.Length1 = len(data)
    else:
        descriptor.FontFile3.write(data)


def _widths_array(widths) -> Array:
    """The W array: [first-id [w w w] first-id [w] ...] over runs of consecutive ids."""
    array, run, previous = Array(), None, None
    for gid in sorted(widths):
        if previous is None or gid != previous + 1:
            run = Array()
            array.append(gid)
            array.append(run)
        run.append(widths[gid])
        previous = gid
    return array


def to_unicode_cmap(to_unicode) -> bytes:
    """A ToUnicode CMap (Adobe-Identity-UCS) for 2-byte glyph ids."""
    lines = [
        b"/CIDInit /ProcSet findresource begin",
        b"12 dict begin",
        b"begincmap",
        b"/CIDSystemInfo << /Registry (Adobe) /Ordering (UCS) /Supplement 0 >> def",
        b"/CMapName /Adobe-Identity-UCS def",
        b"/CMapType 2 def",
        b"1 begincodespacerange",
        b"<0000> <ffff>",
        b"endcodespacerange",
    ]
    items = sorted(to_unicode.items())
    for start in range(0, len(items), 100):
        batch = items[start : start + 100]
        lines.append(f"{len(batch)} beginbfchar".encode())
        for gid, text in batch:
            lines.append(f"<{gid:04x}> <{text.encode('utf-16-be').hex()}>".encode())
        lines.append(b"endbfchar")
    lines += [b"endcmap", b"CMapName currentdict /CMap defineresource pop", b"end", b"end"]
    return b"\n".join(lines)


# --- Page numbers --------------------------------------------------------------------------------


def _number_pages(pdf, parts, fonts: FontStore):
    """ "n / total" at the foot of every page, in a small font of its own."""
    body = max(
        (font for part in parts for font in part.fonts),
        key=lambda font: len(font.widths),
    )
    face = fonts.face(body.source, body.index)
    glyphs = {character: face.glyph(character) for character in PAGE_NUMBER_CHARACTERS}
    font = _page_number_font(pdf, body, face, glyphs)
    total = len(pdf.pages)
    scale = PAGE_NUMBER_SIZE / 1000
    ascent, descent = face.ascender * 1000 / face.upem, -face.descender * 1000 / face.upem
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


def _page_number_font(pdf, body: PartFont, face, glyphs):
    missing = [c for c, glyph in glyphs.items() if glyph is None]
    if missing:
        raise ValueError(f"The font {body.name} has no glyph for {''.join(missing)!r}.")
    widths = {gid: width for gid, width in glyphs.values()}
    to_unicode = {gid: character for character, (gid, _) in glyphs.items()}
    data = face.subset(sorted(widths))
    opentype = data[:4] == b"OTTO"
    postscript_name = body.name.split("+", 1)[-1]
    ascent = round(face.ascender * 1000 / face.upem)
    descent = round(face.descender * 1000 / face.upem)
    font_file = pdf.make_stream(data)
    if opentype:
        font_file.Subtype = Name.OpenType
    else:
        font_file.Length1 = len(data)
    descriptor = pdf.make_indirect(
        Dictionary(
            Type=Name.FontDescriptor,
            FontName=Name(f"/PAGENO+{postscript_name}"),
            Flags=4,
            FontBBox=Array([0, descent, round(max(widths.values())), ascent]),
            ItalicAngle=0,
            Ascent=ascent,
            Descent=descent,
            CapHeight=ascent,
            StemV=80,
            **{"FontFile3" if opentype else "FontFile2": font_file},
        )
    )
    descendant = pdf.make_indirect(
        Dictionary(
            Type=Name.Font,
            Subtype=Name.CIDFontType0 if opentype else Name.CIDFontType2,
            BaseFont=Name(f"/PAGENO+{postscript_name}"),
            CIDSystemInfo=Dictionary(
                Registry=String("Adobe"), Ordering=String("Identity"), Supplement=0
            ),
            W=_widths_array(widths),
            FontDescriptor=descriptor,
        )
    )
    if not opentype:
        descendant.CIDToGIDMap = Name.Identity
    return pdf.make_indirect(
        Dictionary(
            Type=Name.Font,
            Subtype=Name.Type0,
            BaseFont=Name(f"/PAGENO+{postscript_name}"),
            Encoding=Name("/Identity-H"),
            DescendantFonts=Array([descendant]),
            ToUnicode=pdf.make_stream(to_unicode_cmap(to_unicode)),
        )
    )
