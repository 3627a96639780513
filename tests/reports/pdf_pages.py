"""A PDF as a person sees it: its pages rendered by poppler, the words on them, its fonts.

Shared by the PDF tests: pixels compared page by page (what "looks the same" means), the
warnings poppler prints while drawing, whether every font dictionary says what its program is,
and a table of hard text (rare kanji, bold, rows taller than a page) built without a database.
"""

import io
import re
import subprocess
from dataclasses import dataclass
from pathlib import Path

import pikepdf
from PIL import Image, ImageChops

from goals.models import MAX_ACHIEVEMENT, MAX_ACTIONS, MAX_DONE, MAX_OBJECTIVE
from goals.printed import TableDepartment, TableGoal, TableResult
from reports.models import PublicationKind
from reports.table import PublicTable

DPI = 50
# Anti-aliasing may shift a grey level a little; a different glyph or a moved line changes pixels
# by far more than this.
GREY_TOLERANCE = 24


def rendered_pages(data: bytes, folder: Path, name: str, dpi: int = DPI):
    """Every page as a greyscale image (pdftoppm), and what poppler printed on stderr."""
    path = folder / f"{name}.pdf"
    path.write_bytes(data)
    out = folder / f"{name}-pages"
    out.mkdir(exist_ok=True)
    for stale in out.glob("page-*"):
        stale.unlink()
    drawn = subprocess.run(
        ["pdftoppm", "-r", str(dpi), "-gray", str(path), str(out / "page")],
        capture_output=True, text=True, check=True, timeout=120,
    )  # fmt: skip
    images = [Image.open(page) for page in sorted(out.glob("page-*.pgm"))]
    return images, drawn.stderr


def differing_pages(first: bytes, second: bytes, folder: Path) -> list[int]:
    """The numbers of the pages that look different (beyond anti-aliasing); every page if the counts differ."""
    a, _ = rendered_pages(first, folder, "first")
    b, _ = rendered_pages(second, folder, "second")
    if len(a) != len(b):
        return list(range(1, max(len(a), len(b)) + 1))
    return [
        number
        for number, (x, y) in enumerate(zip(a, b, strict=True), start=1)
        if x.size != y.size or max(ImageChops.difference(x, y).getextrema()) > GREY_TOLERANCE
    ]


def poppler_complaints(data: bytes, folder: Path) -> str:
    """What pdffonts and pdftoppm print on stderr for this file: nothing for a sound one."""
    path = folder / "checked.pdf"
    path.write_bytes(data)
    fonts = subprocess.run(["pdffonts", str(path)], capture_output=True, text=True, timeout=60)
    _, drawn = rendered_pages(data, folder, "checked")
    return fonts.stderr + drawn


# Magic numbers a font program starts with.
BARE_CFF = b"\x01\x00"  # a CFF header: major version 1, minor 0
OPENTYPE_CFF = b"OTTO"
TRUETYPE = (b"\x00\x01\x00\x00", b"true")


def font_type_mismatches(data: bytes) -> list[str]:
    """Each font whose dictionary does not say what its embedded program is (ISO 32000-1 9.7.4).

    CIDFontType0 goes with a CFF program in FontFile3 (/CIDFontType0C, or /OpenType wrapping
    CFF), CIDFontType2 with a TrueType program in FontFile2.
    """
    problems = []
    with pikepdf.open(io.BytesIO(data)) as pdf:
        for font in _fonts(pdf):
            if font.get("/Subtype") != pikepdf.Name.Type0:
                continue
            descendant = font.DescendantFonts[0]
            descriptor = descendant.FontDescriptor
            name, subtype = str(font.BaseFont), descendant.Subtype
            if subtype == pikepdf.Name.CIDFontType0:
                stream = descriptor.get("/FontFile3")
                program = stream.read_bytes()[:4] if stream is not None else b""
                expected = {pikepdf.Name.CIDFontType0C: BARE_CFF, pikepdf.Name.OpenType: OPENTYPE_CFF}
                kind = stream.get("/Subtype") if stream is not None else None
                if kind not in expected or not program.startswith(expected[kind]):
                    problems.append(f"{name}: CIDFontType0 with {kind} {program!r}")
            elif subtype == pikepdf.Name.CIDFontType2:
                stream = descriptor.get("/FontFile2")
                program = stream.read_bytes()[:4] if stream is not None else b""
                if "/FontFile3" in descriptor or program not in TRUETYPE:
                    problems.append(f"{name}: CIDFontType2 with {program!r}")
            else:
                problems.append(f"{name}: descendant font {subtype}")
    return problems


def _fonts(pdf):
    seen = set()
    for page in pdf.pages:
        resources = [page.Resources]
        while resources:
            current = resources.pop()
            for font in current.get("/Font", {}).values():
                if font.objgen not in seen:
                    seen.add(font.objgen)
                    yield font
            for xobject in current.get("/XObject", {}).values():
                if xobject.get("/Subtype") == pikepdf.Name.Form and "/Resources" in xobject:
                    resources.append(xobject.Resources)


@dataclass(frozen=True)
class Word:
    text: str
    x_min: float
    y_min: float
    x_max: float
    y_max: float


WORD = re.compile(
    r'<word xMin="([\d.]+)" yMin="([\d.]+)" xMax="([\d.]+)" yMax="([\d.]+)">([^<]*)</word>'
)


def page_words(path: Path) -> list[list[Word]]:
    """The words of every page with their boxes (pdftotext -bbox), in points from the top left."""
    html = subprocess.run(
        ["pdftotext", "-bbox", "-enc", "UTF-8", str(path), "-"],
        capture_output=True, text=True, check=True, timeout=60,
    ).stdout  # fmt: skip
    return [
        [
            Word(text, float(x1), float(y1), float(x2), float(y2))
            for x1, y1, x2, y2, text in WORD.findall(page)
        ]
        for page in html.split("<page ")[1:]
    ]


# --- A table of hard text -------------------------------------------------------------------------

HARD = "「𠮷野家」の髙橋さんと山﨑さん、德島の方の来庁に、丁寧に応対します。"
RARE = "鬱蒼とした薔薇の傍で、齟齬や躊躇を乗り越え、顰蹙を買わぬよう邁進します。"
TALL_NAME = "𠮷田地区 髙﨑德 区民サービス部 区民課"


def filled(text: str, length: int) -> str:
    """text repeated to exactly length characters (a field filled to the form's limit)."""
    return (text * (length // len(text) + 1))[:length]


def short_goal(number: int) -> TableGoal:
    return TableGoal(
        number=number,
        categories=("電話",),
        objective=f"目標{number}。{HARD}",
        actions=f"具体的には、{RARE}",
        result=TableResult(done=f"実施しました。{HARD}", achievement="達成しました。"),
    )


def tall_goal(number: int) -> TableGoal:
    """A goal with every field at the form's limit: taller than a page."""
    return TableGoal(
        number=number,
        categories=("応対", "𠮷例"),
        objective=filled(HARD + RARE, MAX_OBJECTIVE),
        actions=filled(RARE + "窓口での案内を改善し、" + HARD, MAX_ACTIONS),
        result=TableResult(
            done=filled("来庁者の声を記録し、課内で共有しました。" + HARD, MAX_DONE),
            achievement=filled("目標を概ね達成しました。" + RARE, MAX_ACHIEVEMENT),
        ),
    )


def hard_table() -> PublicTable:
    """Rare kanji (𠮷 from the fallback font, 髙 﨑 德) in regular and bold text, long names,
    and goals taller than a page between goals that fit on one."""
    return PublicTable(
        office_name="中原区役所",
        office_slug="hard",
        municipality_name="川崎市中原区",
        municipality_code="141330",
        year=2020,
        kind=PublicationKind.RESULT,
        policy=(HARD, RARE),
        departments=(
            TableDepartment("101", "まちづくり推進部 地域振興課", (short_goal(1), tall_goal(2), short_goal(3))),
            TableDepartment("102", TALL_NAME, (short_goal(1), tall_goal(2), tall_goal(3))),
            TableDepartment(
                "103", "地域みまもり支援センター(福祉事務所・保健所支所) 児童家庭課",
                (short_goal(1), short_goal(2)),
            ),  # fmt: skip
        ),
        has_rating=False,
    )
