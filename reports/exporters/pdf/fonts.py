"""The fonts of assembled PDFs: one subset of each font for the whole file, made with HarfBuzz.

A part is written without its font programs (reports.exporters.pdf.weasy.render_part), but with
each font's widths and Unicode for the glyphs it uses (PartFont). WeasyPrint writes every glyph
under its id in the original font, so a glyph has the same id in every part; the assembly embeds
one subset of the original font holding every glyph any part uses, under those ids (HarfBuzz's
retain-gids, as WeasyPrint subsets), and the file is no bigger than a single-pass rendering's.

The original font files are kept in the parts folder (fonts/), written by the process that
rendered a part, so that any process can assemble parts rendered earlier or elsewhere.
"""

import hashlib
import os
import tempfile
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import uharfbuzz as hb
from weasyprint.text.fonts import get_hb_object_data

# As WeasyPrint subsets: glyph ids kept, unknown tables passed through, no hinting, and the
# tables a PDF viewer never reads dropped.
SUBSET_FLAGS = (
    hb.SubsetFlags.RETAIN_GIDS
    | hb.SubsetFlags.PASSTHROUGH_UNRECOGNIZED
    | hb.SubsetFlags.DESUBROUTINIZE
    | hb.SubsetFlags.NO_HINTING
)
DROPPED_TABLES = (
    "BASE",
    "DSIG",
    "EBDT",
    "EBLC",
    "EBSC",
    "GPOS",
    "GSUB",
    "JSTF",
    "LTSH",
    "PCLT",
    "SVG ",
)


@dataclass(frozen=True)
class PartFont:
    """One font as a part uses it: JSON-able, stored beside the part's PDF."""

    name: str  # the PDF's BaseFont without the slash, e.g. "WNCCQH+IPAexGothic"
    source: str  # the original font's file name in the font folder
    index: int  # the face's index in that file (font collections)
    # Fonts with glyphs WeasyPrint had to invent for missing characters (ids past the font's
    # own) cannot be shared: those ids mean different characters in different parts.
    shareable: bool
    widths: dict  # glyph id -> advance width in PDF units
    to_unicode: dict  # glyph id -> the text it stands for

    def to_json(self) -> dict:
        return {
            "name": self.name,
            "source": self.source,
            "index": self.index,
            "shareable": self.shareable,
            "widths": {str(gid): width for gid, width in self.widths.items()},
            "to_unicode": {str(gid): text for gid, text in self.to_unicode.items()},
        }

    @classmethod
    def from_json(cls, data: dict) -> "PartFont":
        return cls(
            name=data["name"],
            source=data["source"],
            index=data["index"],
            shareable=data["shareable"],
            widths={int(gid): width for gid, width in data["widths"].items()},
            to_unicode={int(gid): text for gid, text in data["to_unicode"].items()},
        )


class FontStore:
    """The original font files parts were rendered with, in `folder`, named by content."""

    def __init__(self, folder: Path):
        self.folder = Path(folder)
        self._sources = {}  # WeasyPrint's font hash -> file name, for this process's renderings

    def part_font(self, font) -> PartFont:
        """What a part keeps of a WeasyPrint font once rendered; keeps its original file too."""
        return PartFont(
            name=font.name.decode().lstrip("/"),
            source=self._source(font),
            index=font.index,
            shareable=not font.missing and not font.bitmap,
            widths=dict(font.widths),
            to_unicode=dict(font.to_unicode),
        )

    def _source(self, font) -> str:
        # After rendering, the Font holds its subset; the face still reads the original file.
        name = self._sources.get(font.hash)
        if name is None:
            data = get_hb_object_data(font.hb_face)
            name = f"{font.hash}-{hashlib.sha256(data).hexdigest()[:32]}.font"
            path = self.folder / name
            if not path.exists():
                write_atomically(path, data)
            self._sources[font.hash] = name
        return name

    def face(self, source: str, index: int) -> "Face":
        return _face(str(self.folder / source), index)


@dataclass(frozen=True)
class Face:
    face: hb.Face
    font: hb.Font
    upem: int
    ascender: int
    descender: int

    def subset(self, glyph_ids, *, notdef_outline=False) -> bytes:
        """A font with exactly these glyphs, each under its original id.

        notdef_outline keeps the outline of glyph 0, which stands in for characters no font has.
        """
        request = hb.SubsetInput()
        request.glyph_set.update(gid for gid in glyph_ids if gid < self.face.glyph_count)
        request.flags = SUBSET_FLAGS | (hb.SubsetFlags.NOTDEF_OUTLINE if notdef_outline else 0)
        request.sets(hb.SubsetInputSets.DROP_TABLE_TAG).update(
            _tag(name) for name in DROPPED_TABLES
        )
        return hb.subset(self.face, request).blob.data

    def glyph(self, character: str) -> tuple[int, float] | None:
        """The glyph id of a character and its width in PDF units, or None where the font has none."""
        gid = self.font.get_nominal_glyph(ord(character))
        if gid is None:
            return None
        return gid, self.font.get_glyph_h_advance(gid) * 1000 / self.upem


@lru_cache(maxsize=8)
def _face(path: str, index: int) -> Face:
    face = hb.Face(hb.Blob(Path(path).read_bytes()), index)
    font = hb.Font(face)
    extents = font.get_font_extents("ltr")
    return Face(face, font, face.upem, extents.ascender, extents.descender)


def _tag(name: str) -> int:
    return int.from_bytes(name.encode("ascii"), "big")


def write_atomically(path: Path, data: bytes) -> None:
    """Write a file whole or not at all: readers in other processes never see half of it."""
    path.parent.mkdir(parents=True, exist_ok=True)
    handle, temporary = tempfile.mkstemp(dir=path.parent, prefix=".", suffix=".partial")
    try:
        with os.fdopen(handle, "wb") as file:
            file.write(data)
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise
