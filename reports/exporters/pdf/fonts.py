"""The fonts of the PDF parts and of the assembled file: each font embedded once, as its own type.

A part is written by WeasyPrint with its fonts embedded as subsets, as any WeasyPrint PDF. When
a part is kept (reports.exporters.pdf.parts), each of its fonts is rewritten to the glyphs it
uses (a CFF subset otherwise carries a slot for every glyph id up to the last one used) and
described beside it (PartFont): name, kind, the CIDs used with their widths and their text.

The assembly (merge_fonts) then replaces the parts' copies of a font by one font object whose
program holds every glyph any part uses, merged from the parts' own programs
(reports.exporters.pdf.programs). Every font dictionary written here is of its program's type:
CIDFontType0 with FontFile3 /CIDFontType0C for CFF, CIDFontType2 with FontFile2 and an identity
CIDToGIDMap for TrueType. A font that cannot be shared — WeasyPrint's stand-ins for characters
no font has, bitmap fonts, a program these modules cannot read — stays as its part made it,
under a subset tag of its own.
"""

import hashlib
import logging
import re
from collections import defaultdict
from dataclasses import dataclass

import pikepdf
from pikepdf import Array, Dictionary, Name

from reports.exporters.pdf import programs

logger = logging.getLogger(__name__)

PROGRAM_KEYS = ("/FontFile2", "/FontFile3")


@dataclass(frozen=True)
class PartFont:
    """One font as a part uses it: JSON-able, stored beside the part's PDF."""

    name: str  # the PDF's BaseFont without the slash, e.g. "WNCCQH+IPAexGothic"
    kind: str  # "cff" or "truetype"; "" for a font that is never merged
    widths: dict  # CID -> advance width in PDF units
    to_unicode: dict  # CID -> the text it stands for

    @property
    def shareable(self) -> bool:
        return bool(self.kind)

    def to_json(self) -> dict:
        return {
            "name": self.name,
            "kind": self.kind,
            "widths": {str(cid): width for cid, width in self.widths.items()},
            "to_unicode": {str(cid): text for cid, text in self.to_unicode.items()},
        }

    @classmethod
    def from_json(cls, data: dict) -> "PartFont":
        return cls(
            name=data["name"],
            kind=data["kind"],
            widths={int(cid): width for cid, width in data["widths"].items()},
            to_unicode={int(cid): text for cid, text in data["to_unicode"].items()},
        )


# --- A part's fonts -------------------------------------------------------------------------------


def compact_fonts(pdf: pikepdf.Pdf) -> tuple[PartFont, ...]:
    """Each font of a freshly rendered part rewritten to its used glyphs; what the part uses of each."""
    found = {}
    for font in _fonts(pdf):
        name = _name(font)
        part_font = _describe(font)
        if part_font.shareable:
            try:
                data = programs.merge(
                    part_font.kind, [(_reader(font), part_font.widths)], part_font.widths
                )
            except programs.Unmergeable as error:
                logger.warning("Font %s is kept as WeasyPrint embedded it: %s", name, error)
                part_font = PartFont(name, "", part_font.widths, part_font.to_unicode)
            else:
                _set_program(pdf, font, part_font.kind, data)
        found[name] = part_font
    return tuple(found.values())


def _describe(font) -> PartFont:
    name = _name(font)
    if font.get("/Subtype") != Name.Type0:
        return PartFont(name, "", {}, {})  # Type 3: bitmap glyphs drawn by the font itself
    descendant = font.DescendantFonts[0]
    widths = _widths(descendant.get("/W", Array()))
    to_unicode = _to_unicode(font.ToUnicode.read_bytes()) if "/ToUnicode" in font else {}
    program = _program_stream(descendant)
    identity = font.get("/Encoding") == Name("/Identity-H") and descendant.get(
        "/CIDToGIDMap", Name.Identity
    ) == Name.Identity
    if program is None or not identity:
        # Not embedded, or WeasyPrint's own encoding for characters no font has.
        return PartFont(name, "", widths, to_unicode)
    try:
        kind = programs.kind(program.read_bytes())
    except programs.Unmergeable:
        kind = ""
    return PartFont(name, kind, widths, to_unicode)


def _widths(array) -> dict:
    """A W array ([first [w …] first last w …]) as CID -> width."""
    widths, items, i = {}, list(array), 0
    while i < len(items):
        first = int(items[i])
        if isinstance(items[i + 1], Array):
            for offset, width in enumerate(items[i + 1]):
                widths[first + offset] = _number(width)
            i += 2
        else:
            for cid in range(first, int(items[i + 1]) + 1):
                widths[cid] = _number(items[i + 2])
            i += 3
    return widths


def _number(value):
    number = float(value)
    return int(number) if number.is_integer() else number


HEX = rb"<([0-9A-Fa-f]+)>"
BFCHAR = re.compile(rb"beginbfchar(.*?)endbfchar", re.S)
BFRANGE = re.compile(rb"beginbfrange(.*?)endbfrange", re.S)


def _to_unicode(cmap: bytes) -> dict:
    """A ToUnicode CMap's bfchar and bfrange entries as CID -> text."""
    text = {}
    for block in BFCHAR.findall(cmap):
        codes = re.findall(HEX, block)
        for code, value in zip(codes[0::2], codes[1::2], strict=True):
            text[int(code, 16)] = _utf16(value)
    for block in BFRANGE.findall(cmap):
        for first, last, target in re.findall(rb"<(\w+)>\s*<(\w+)>\s*(<\w+>|\[[^\]]*\])", block):
            cids = range(int(first, 16), int(last, 16) + 1)
            targets = re.findall(HEX, target)
            if target.startswith(b"["):
                text.update(zip(cids, (_utf16(t) for t in targets), strict=False))
            else:
                start = bytearray.fromhex(targets[0].decode())
                for offset, cid in enumerate(cids):
                    value = start[:-1] + bytes([start[-1] + offset])
                    text[cid] = value.decode("utf-16-be", "replace")
    return text


def _utf16(value: bytes) -> str:
    return bytes.fromhex(value.decode()).decode("utf-16-be", "replace")


# --- The assembled file ---------------------------------------------------------------------------


class _Group:
    """Every copy of one font in the file, and where each is used."""

    def __init__(self, kind):
        self.kind = kind
        self.places = []  # (font resource dictionary, resource name)
        self.copies = {}  # objgen -> [font object, CIDs its pages use]
        self.part_fonts = {}  # id -> PartFont, each part's description once

    def add(self, font_resources, resource_name, font, part_font):
        self.places.append((font_resources, resource_name))
        copy = self.copies.setdefault(font.objgen, [font, set()])
        if id(part_font) not in self.part_fonts:
            self.part_fonts[id(part_font)] = part_font
            copy[1].update(part_font.widths)


def merge_fonts(pdf: pikepdf.Pdf, page_fonts, *, skip=()) -> None:
    """One font object per font for the whole file, its program merged from every copy.

    page_fonts gives, for each page of pdf in order, the PartFonts of the part it comes from;
    resource names in skip are left alone.
    """
    groups, unshared = {}, defaultdict(dict)
    seen_resources = set()
    for page, part_fonts in zip(pdf.pages, page_fonts, strict=True):
        by_name = {font.name: font for font in part_fonts}
        for resources in _resources(page.obj, seen_resources):
            font_resources = resources.get("/Font")
            if font_resources is None:
                continue
            for resource_name, font in list(font_resources.items()):
                part_font = by_name.get(_name(font))
                if resource_name in skip or part_font is None:
                    continue
                if part_font.shareable:
                    group = groups.setdefault((part_font.name, part_font.kind), _Group(part_font.kind))
                    group.add(font_resources, resource_name, font, part_font)
                else:
                    unshared[part_font.name][font.objgen] = font
    merged = set()
    for (name, _), group in groups.items():
        try:
            _merge_group(pdf, group)
            merged.add(name)
        except programs.Unmergeable as error:
            logger.warning("Font %s is embedded once per part: %s", name, error)
            unshared[name].update({objgen: font for objgen, (font, _) in group.copies.items()})
    for name, copies in unshared.items():
        if len(copies) > 1 or name in merged:
            _tag_apart(copies.values())


def _merge_group(pdf, group: _Group):
    widths, to_unicode = {}, {}
    for part_font in group.part_fonts.values():
        widths.update(part_font.widths)
        for cid, text in part_font.to_unicode.items():
            to_unicode.setdefault(cid, text)
    copies = [(_reader(font), cids) for font, cids in group.copies.values()]
    data = programs.merge(group.kind, copies, widths)
    first = next(iter(group.copies.values()))[0]
    if len(group.copies) == 1:
        font = first  # the only copy: given the merged program in place
    else:
        font = _copy_font(pdf, first)
    descendant = font.DescendantFonts[0]
    descendant.W = widths_array(widths)
    descriptor = descendant.FontDescriptor
    bbox = list(descriptor.FontBBox)
    bbox[2] = max(widths.values(), default=0)
    descriptor.FontBBox = Array(bbox)
    font.ToUnicode = pdf.make_stream(to_unicode_cmap(to_unicode))
    _set_program(pdf, font, group.kind, data)
    for font_resources, resource_name in group.places:
        font_resources[resource_name] = font


def _copy_font(pdf, font):
    """A new font object like font, with descendant and descriptor of its own."""
    descendant = pdf.make_indirect(Dictionary(font.DescendantFonts[0]))
    descendant.FontDescriptor = pdf.make_indirect(Dictionary(descendant.FontDescriptor))
    copy = pdf.make_indirect(Dictionary(font))
    copy.DescendantFonts = Array([descendant])
    return copy


def _set_program(pdf, font, kind, data: bytes):
    """Embed data as font's program, its dictionaries of the program's type."""
    descendant = font.DescendantFonts[0]
    descriptor = descendant.FontDescriptor
    for key in (*PROGRAM_KEYS, "/CIDSet"):  # a CIDSet would list the glyphs of the old program
        if key in descriptor:
            del descriptor[key]
    stream = pdf.make_stream(data)
    if kind == "cff":
        descendant.Subtype = Name.CIDFontType0
        stream.Subtype = Name.CIDFontType0C
        descriptor.FontFile3 = stream
        if "/CIDToGIDMap" in descendant:
            del descendant.CIDToGIDMap  # only for TrueType; a CFF font's charset maps CIDs
    else:
        descendant.Subtype = Name.CIDFontType2
        stream.Length1 = len(data)
        descriptor.FontFile2 = stream
        descendant.CIDToGIDMap = Name.Identity


def _tag_apart(copies):
    """Different subsets of one font under one name: each given a subset tag of its own."""
    for font in copies:
        if font.get("/Subtype") != Name.Type0 or _program_stream(font.DescendantFonts[0]) is None:
            continue  # bitmap (Type 3) and unembedded fonts are no subsets
        digest = hashlib.sha256(_reader(font)()).digest()
        tag = "".join(chr(65 + byte % 26) for byte in digest[:6])
        font.BaseFont = Name(f"/{tag}+{_name(font).split('+', 1)[-1]}")
        font.DescendantFonts[0].BaseFont = font.BaseFont
        font.DescendantFonts[0].FontDescriptor.FontName = font.BaseFont


def _reader(font):
    """A function that reads the font's program when called: most copies are never read."""
    return lambda: _program_stream(font.DescendantFonts[0]).read_bytes()


def _program_stream(descendant):
    descriptor = descendant.get("/FontDescriptor")
    if descriptor is None:
        return None
    return next((descriptor[key] for key in PROGRAM_KEYS if key in descriptor), None)


def _name(font) -> str:
    return str(font.get("/BaseFont", "")).lstrip("/")


def _fonts(pdf):
    """Every font object the pages (and the forms they draw) use, each once."""
    seen, fonts = set(), []
    for page in pdf.pages:
        for resources in _resources(page.obj, set()):
            for font in resources.get("/Font", {}).values():
                if font.objgen not in seen or font.objgen == (0, 0):
                    seen.add(font.objgen)
                    fonts.append(font)
    return fonts


def _resources(obj, seen):
    """The resource dictionaries of a page and of the forms it draws, each once."""
    resources = obj.get("/Resources")
    if resources is None or (resources.objgen in seen and resources.objgen != (0, 0)):
        return
    seen.add(resources.objgen)
    yield resources
    for xobject in resources.get("/XObject", {}).values():
        if xobject.get("/Subtype") == Name.Form:
            yield from _resources(xobject, seen)


def widths_array(widths) -> Array:
    """The W array: [first-id [w w w] first-id [w] ...] over runs of consecutive ids."""
    array, run, previous = Array(), None, None
    for cid in sorted(widths):
        if previous is None or cid != previous + 1:
            run = Array()
            array.append(cid)
            array.append(run)
        run.append(widths[cid])
        previous = cid
    return array


def to_unicode_cmap(to_unicode) -> bytes:
    """A ToUnicode CMap (Adobe-Identity-UCS) for 2-byte CIDs."""
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
        for cid, text in batch:
            lines.append(f"<{cid:04x}> <{text.encode('utf-16-be').hex()}>".encode())
        lines.append(b"endbfchar")
    lines += [b"endcmap", b"CMapName currentdict /CMap defineresource pop", b"end", b"end"]
    return b"\n".join(lines)
