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
from collections import defaultdict

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


def assemble(parts, fonts: FontStore) -> bytes:
    """The parts (title page first) as one PDF."""
    first, *rest = parts
    pdf = Pdf.open(io.BytesIO(first.pdf))
    tree = pdf.Root.StructTreeRoot
    document = tree.K[0]
    nums = list(tree.ParentTree.Nums)
    next_key = _next_key(nums)
    dests = _named_dests(pdf.Root)
    page_fonts = [first.fonts] * len(pdf.pages)
    with pdf.open_outline() as outline:
        title_items = outline.root[0].children if len(outline.root) else outline.root
        for part in rest:
            source = Pdf.open(io.BytesIO(part.pdf))
            offset = len(pdf.pages)
            pdf.pages.extend(source.pages)
            page_fonts.extend([part.fonts] * len(source.pages))
            # Copied after the pages, the catalog's structure tree, destinations and outline
            # point at the pages' copies.
            catalog = pdf.copy_foreign(source.Root)
            next_key = _move_structure(
                pdf, catalog.StructTreeRoot, document, nums, offset, next_key
            )
            dests.extend(_named_dests(catalog))
            title_items.extend(_outline_items(catalog))
    tree.ParentTree = Dictionary(Nums=Array(nums))
    tree.ParentTreeNextKey = next_key
    _set_named_dests(pdf, dests)
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


# --- Structure tree ----------------------------------------------------------------------------


def _next_key(nums) -> int:
    keys = [int(key) for key in nums[0::2]]
    return max(keys) + 1 if keys else 0


def _move_structure(pdf, tree, document, nums, offset, next_key) -> int:
    """A copied part's structure elements under `document`, its parent-tree keys from next_key on."""
    for page in pdf.pages[offset:]:
        if "/StructParents" in page.obj:
            page.obj.StructParents = int(page.obj.StructParents) + next_key
        for annotation in page.obj.get("/Annots", ()):
            if "/StructParent" in annotation:
                annotation.StructParent = int(annotation.StructParent) + next_key
    for kid in tree.K[0].K:
        kid.P = document
        document.K.append(kid)
    part_nums = list(tree.ParentTree.Nums)
    for key, value in zip(part_nums[0::2], part_nums[1::2], strict=True):
        nums.append(int(key) + next_key)
        nums.append(value)
    return next_key + _next_key(part_nums)


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
                if font.Subtype != Name.Type0:
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
