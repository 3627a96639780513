"""The PDF, read back with poppler's tools the way a viewer, a printer or a screen reader sees it."""

import io
import logging
import os
import re
import subprocess
from collections import Counter
from dataclasses import dataclass
from html.parser import HTMLParser
from pathlib import Path

import pikepdf
import pytest
from django.core.management import call_command
from django.db import connection, transaction
from django.template.loader import render_to_string
from django.test.utils import CaptureQueriesContext

from goals.models import FiscalYear
from reports.exporters import EXPORTERS
from reports.exporters.pdf import PdfExporter, weasy
from reports.exporters.pdf.parts import PartCache
from reports.models import PublicationKind
from reports.table import TABLE_HEADING, PublicTable, build_table
from tests.factories import OfficeFactory
from tests.reports.helpers import approved_year
from tests.reports.pdf_pages import TALL_NAME, hard_table, page_words

SEED = Path(__file__).resolve().parents[2] / "fixtures" / "seeds" / "nakahara-2020.txt"
WS = re.compile(r"\s+")
MM = 72 / 25.4  # PDF points per millimetre
PAGE_WIDTH, PAGE_HEIGHT = 842, 595  # A4 landscape, in points
# The page's body, between the running header and the page number (the @page margins).
BODY_TOP, BODY_BOTTOM, BODY_RIGHT = 16 * MM, PAGE_HEIGHT - 14 * MM, PAGE_WIDTH - 12 * MM
RESULT_HEADER = "実施結果及び目標の達成度"
# What starts every department's page: its heading, then the table's head row.
DEPARTMENT_PAGE_START = TABLE_HEADING + "部署名目標及び具体的な取組内容"


def squeeze(text: str) -> str:
    """Text with all whitespace removed: line wrapping in the PDF must not matter."""
    return WS.sub("", text)


def poppler(tool: str, path: Path, *args: str) -> str:
    """The output of a poppler tool (pdftotext, pdfinfo, pdffonts) run on a PDF file."""
    command = [tool, *args, str(path)]
    if tool == "pdftotext":
        command.append("-")
    return subprocess.run(command, capture_output=True, text=True, check=True, timeout=60).stdout


def pages_text(path: Path) -> list[str]:
    """Each page's text in drawing order (pdftotext -raw): table cells come row by row."""
    return poppler("pdftotext", path, "-raw", "-enc", "UTF-8").split("\f")[:-1]


def body_text(path: Path) -> str:
    """The text of every page's body, whitespace removed: what a reader reads, in order."""
    top, height = int(BODY_TOP), int(BODY_BOTTOM - BODY_TOP)
    crop = ("-x", "0", "-y", str(top), "-W", str(PAGE_WIDTH), "-H", str(height))
    return squeeze(poppler("pdftotext", path, "-raw", "-enc", "UTF-8", *crop))


def pdf_info(path: Path) -> dict[str, str]:
    lines = poppler("pdfinfo", path).splitlines()
    return {key.strip(): value.strip() for key, _, value in (line.partition(":") for line in lines)}


def pdf_fonts(path: Path) -> list[dict[str, str]]:
    """pdffonts' rows: name, type and the emb / sub / uni flags."""
    rows = []
    for line in poppler("pdffonts", path).splitlines()[2:]:
        fields = line.split()
        # The type has spaces ("CID TrueType"); the name comes first and the flags last.
        rows.append({"name": fields[0], "emb": fields[-5], "sub": fields[-4], "uni": fields[-3]})
    return rows


def write_pdf(table, tmp_path: Path, name="table.pdf") -> Path:
    path = tmp_path / name
    path.write_bytes(PdfExporter().render(table))
    return path


def goal_chunks(goal):
    """Every paragraph a goal row prints, in reading order."""
    chunks = [*goal.objective_paragraphs, *goal.actions_paragraphs]
    if goal.result:
        chunks += [
            goal.result.omitted_reason,
            *goal.result.done_paragraphs,
            *goal.result.achievement_paragraphs,
        ]
    return [chunk for chunk in chunks if chunk]


@dataclass(frozen=True)
class RenderedSeed:
    table: PublicTable
    plan_table: PublicTable  # the same year, goals only
    path: Path


@pytest.fixture(scope="module")
def seed_pdf(django_db_setup, django_db_blocker, tmp_path_factory):
    """The real 2020 table rendered once for the module; its database rows are rolled back."""
    with django_db_blocker.unblock(), transaction.atomic():
        OfficeFactory(
            name="中原区役所",
            slug="nakahara",
            municipality_name="川崎市中原区",
            municipality_code="141330",
        )
        call_command(
            "import_published_table", str(SEED), office="nakahara", year=2020, stdout=io.StringIO()
        )
        fiscal_year = FiscalYear.objects.select_related("office").get(
            office__slug="nakahara", year=2020
        )
        table = build_table(fiscal_year, PublicationKind.RESULT)
        plan_table = build_table(fiscal_year, PublicationKind.PLAN)
        transaction.set_rollback(True)
    return RenderedSeed(
        table=table, plan_table=plan_table, path=write_pdf(table, tmp_path_factory.mktemp("seed"))
    )


# What the PDF looks like runs once (anydb): rendering does not depend on the database engine.
# The query counts below run on every engine.


@pytest.mark.anydb
def test_exporter_is_registered():
    exporter = EXPORTERS["pdf"]
    assert isinstance(exporter, PdfExporter)
    assert (exporter.label, exporter.extension, exporter.content_type) == (
        "PDF",
        "pdf",
        "application/pdf",
    )


@pytest.mark.anydb
def test_every_paragraph_appears_in_order(seed_pdf):
    text = body_text(seed_pdf.path)
    position = 0
    for department in seed_pdf.table.departments:
        position = text.index(squeeze(department.name), position)
        for goal in department.goals:
            for chunk in goal_chunks(goal):
                position = text.index(squeeze(chunk), position)
    assert seed_pdf.table.goal_count == 50


@pytest.mark.anydb
def test_seed_text_is_printed_verbatim(seed_pdf):
    """A few strings copied from the seed file, independently of the importer and the table."""
    text = body_text(seed_pdf.path)
    for literal in (
        "令和2年度中原区役所サービス向上目標",
        "窓口において、各担当が不在にしている場合でも、最低限の対応ができるよう知識の習熟と情報共有に努めます。",
        "毎週、定期的なミーティングを行うことで、係内の情報共有を行い、危機管理担当として最低限の案内をすることができました。",
        "「来庁者の心地よさ＝働く職員の快適な職場環境」という視点から",
        "中原区役所道路公園センター整備課",
    ):
        assert literal in text
    assert text.count("※新型コロナウイルス感染症対応状況を踏まえ、総括を省略とします") == 3


@pytest.mark.anydb
def test_policy_is_numbered_with_circled_digits(seed_pdf):
    # Markers are drawn after their items, so this reads the page in layout order, not drawing order.
    first_page = squeeze(poppler("pdftotext", seed_pdf.path, "-f", "1", "-l", "1", "-enc", "UTF-8"))
    assert (
        "①全体の奉仕者としての自覚を常に持ち、公平・公正で適切な区役所サービスを提供します。"
        in first_page
    )
    assert "④区役所来庁者が快適さを実感できるよう庁舎施設の環境整備に努めるとともに" in first_page


@pytest.mark.anydb
def test_document_properties(seed_pdf):
    info = pdf_info(seed_pdf.path)
    assert info["Tagged"] == "yes"
    assert info["Title"] == "令和2年度 中原区役所サービス向上目標" == seed_pdf.table.title
    assert info["Author"] == "川崎市中原区 中原区役所"
    width, height = (
        round(float(size))
        for size in re.match(r"([\d.]+) x ([\d.]+) pts", info["Page size"]).groups()
    )
    assert (width, height) == (PAGE_WIDTH, PAGE_HEIGHT)
    assert info["Encrypted"] == "no"
    assert info["JavaScript"] == "no"


@pytest.mark.anydb
def test_structure_tree_marks_headings_lists_and_tables(seed_pdf):
    """What a screen reader navigates by: one title, the policy list, a table per department."""
    lines = poppler("pdfinfo", seed_pdf.path, "-struct").splitlines()
    tags = Counter(line.split()[0] for line in lines if line.strip())
    assert (tags["H1"], tags["H2"], tags["L"], tags["LI"]) == (1, 1 + 17, 1, 4)
    # WeasyPrint tags each page's share of a department's table as a table, with its head row.
    tables = int(pdf_info(seed_pdf.path)["Pages"]) - 1  # every page but the title page
    assert tables >= 17
    assert tags["Table"] == tags["THead"] == tags["TBody"] == tables
    assert tags["TR"] == tables + 50
    assert tags["TH"] == tables * 3 + 17 + 50  # column heads, department names, goal numbers


class _HeaderScopes(HTMLParser):
    """(thead or tbody, scope) of every <th>, in order."""

    def __init__(self):
        super().__init__()
        self.section, self.scopes = None, []

    def handle_starttag(self, tag, attrs):
        if tag in ("thead", "tbody"):
            self.section = tag
        elif tag == "th":
            self.scopes.append((self.section, dict(attrs).get("scope")))


def table_headers(node, section=None):
    """(THead or TBody, the /Scope) of every TH in a structure tree, in reading order."""
    kids = node.get("/K")
    for kid in kids if isinstance(kids, pikepdf.Array) else [kids] if kids is not None else []:
        if not isinstance(kid, pikepdf.Dictionary) or "/S" not in kid:
            continue
        tag = str(kid.S)
        if tag == "/TH":
            attributes = kid.get("/A")
            yield section, str(attributes.get("/Scope")) if attributes is not None else None
        yield from table_headers(kid, tag if tag in ("/THead", "/TBody") else section)


def test_every_table_header_has_the_scope_the_html_gives_it(seed_pdf):
    """PDF/UA-1 (Matterhorn 15-003): every TH says whether it heads a column or a row."""
    parser = _HeaderScopes()
    parser.feed(render_to_string(weasy.TEMPLATE, {"table": seed_pdf.table, "part": ""}))
    html = Counter(parser.scopes)
    assert set(html) == {("thead", "col"), ("tbody", "rowgroup"), ("tbody", "row")}
    with pikepdf.open(seed_pdf.path) as pdf:
        pdf_headers = Counter(table_headers(pdf.Root.StructTreeRoot))
    tables = int(pdf_info(seed_pdf.path)["Pages"]) - 1  # the head row is tagged on every page
    assert pdf_headers == {
        ("/THead", "/Column"): 3 * tables,
        ("/TBody", "/Row"): html[("tbody", "rowgroup")] + html[("tbody", "row")],
    }
    assert html[("tbody", "rowgroup")] == 17 and html[("tbody", "row")] == 50


def department_pages(path: Path, table: PublicTable) -> list[tuple[int, str]]:
    """(page index, department name) of every page after the title page, by its running header."""
    names = [squeeze(department.name) for department in table.departments]
    shown = []
    for number, page in enumerate(pages_text(path)[1:], start=1):
        on_page = [name for name in names if name in squeeze(page)]
        assert on_page, f"page {number + 1} does not say whose goals it shows"
        shown.append((number, on_page[-1]))
    return shown


@pytest.mark.anydb
def test_a_goal_taller_than_a_page_starts_where_it_is_under_a_repeated_header(tmp_path):
    """Goals at the form's limits (400 + 600 characters, results 800 + 400) run over pages: every
    page they reach shows the head row and the department, and no page is left half empty."""
    table = hard_table()
    path = tmp_path / "hard.pdf"
    path.write_bytes(PdfExporter().render(table, cache=PartCache(tmp_path / "parts")))
    texts = [squeeze(page) for page in pages_text(path)]
    words = page_words(path)
    shown = department_pages(path, table)
    assert len(shown) > len(table.departments) + 2  # tall goals run over pages
    middle = BODY_TOP + (BODY_BOTTOM - BODY_TOP) / 2
    for (number, name), following in zip(shown, [*shown[1:], (None, None)], strict=True):
        assert "部署名目標及び具体的な取組内容" + RESULT_HEADER in texts[number], number
        if following[1] == name:  # the department goes on: this page was filled first
            bottom = max(w.y_max for w in words[number] if BODY_TOP < w.y_max < BODY_BOTTOM)
            assert bottom > middle, f"page {number + 1} is left more than half empty"
    # A goal that fits on a page is never split: its objective and result are on one page.
    for department in table.departments:
        own = [texts[number] for number, name in shown if name == squeeze(department.name)]
        for goal in department.goals:
            if len(goal.objective) < 100:
                whole = [squeeze(goal.objective) in t and squeeze(goal.result.done) in t for t in own]
                assert sum(whole) == 1, (department.name, goal.number)


@pytest.mark.anydb
@pytest.mark.parametrize("which", ["seed", "hard"])
def test_department_names_break_between_their_words(which, request, tmp_path):
    """「まちづくり推進部 地域振興課」 prints as まちづくり推進部 / 地域振興課, never 地 / 域振興課."""
    if which == "seed":
        seed = request.getfixturevalue("seed_pdf")
        table, path = seed.table, seed.path
    else:
        table, path = hard_table(), tmp_path / "hard.pdf"
        path.write_bytes(PdfExporter().render(table, cache=PartCache(tmp_path / "parts")))
    column_right = 12 * MM + 34 * MM  # the left margin and the department column
    line = int((34 - 4) * MM / 9)  # characters of 9 pt on one line of the column, padding off
    starts = [i for i, page in enumerate(pages_text(path)) if squeeze(page).startswith(DEPARTMENT_PAGE_START)]
    all_words = page_words(path)
    for number, department in zip(starts, table.departments, strict=True):
        parts = department.name.split()
        cell = [
            w.text for w in all_words[number]
            if w.x_max <= column_right and BODY_TOP < w.y_min and w.text != "部署名"
        ]  # fmt: skip
        assert "".join(cell) == "".join(parts)
        for word in cell:
            assert word in parts or any(word in part and len(part) > line for part in parts), (
                department.name, cell,
            )  # fmt: skip


@pytest.mark.anydb
def test_fonts_are_embedded_subsets_of_cjk_fonts(seed_pdf):
    fonts = pdf_fonts(seed_pdf.path)
    assert fonts
    for font in fonts:
        assert (font["emb"], font["sub"], font["uni"]) == ("yes", "yes", "yes"), font
        assert re.match(r"[A-Z]{6}\+", font["name"]), font  # subset tag
    assert any("IPAex" in font["name"] or "CJK" in font["name"] for font in fonts)


@pytest.mark.anydb
def test_each_department_starts_a_page_under_the_heading(seed_pdf):
    pages = [squeeze(page) for page in pages_text(seed_pdf.path)]
    names = [squeeze(department.name) for department in seed_pdf.table.departments]
    starts = [page for page in pages if page.startswith(DEPARTMENT_PAGE_START)]
    assert len(starts) == len(names) == 17
    head = DEPARTMENT_PAGE_START + RESULT_HEADER
    assert [
        page.removeprefix(head)[: len(name)] for page, name in zip(starts, names, strict=True)
    ] == names
    # The first page holds the title and the policy, before any department.
    assert pages[0].startswith("令和2年度中原区役所サービス向上目標区役所サービス向上方針")
    assert TABLE_HEADING + "部署名" not in pages[0]


@pytest.mark.anydb
def test_pages_are_numbered_and_headed(seed_pdf):
    pages = pages_text(seed_pdf.path)
    total = int(pdf_info(seed_pdf.path)["Pages"])
    assert len(pages) == total >= 18
    for number, page in enumerate(pages, start=1):
        lines = page.splitlines()
        assert f"{number} / {total}" in lines
        assert any(line.startswith("中原区役所 令和2年度（2020年度）") for line in lines)


@pytest.mark.anydb
def test_rendering_logs_no_warning(seed_pdf, caplog):
    """Neither "Using fontTools instead of HarfBuzz-Subset" nor PDF/UA's missing-language error."""
    with caplog.at_level(logging.DEBUG, logger="weasyprint"):
        PdfExporter().render(seed_pdf.table)
    problems = [
        r
        for r in caplog.records
        if r.name.startswith("weasyprint") and r.levelno >= logging.WARNING
    ]
    assert problems == []
    assert not any("fontTools" in r.getMessage() for r in caplog.records)


@pytest.mark.anydb
def test_goals_only_table_leaves_the_result_column_out(seed_pdf, tmp_path):
    table = seed_pdf.plan_table
    path = write_pdf(table, tmp_path)
    text = body_text(path)
    assert RESULT_HEADER not in text
    assert "毎週、定期的なミーティングを行うことで" not in text
    position = 0
    for department in table.departments:
        for goal in department.goals:
            for chunk in goal_chunks(goal):
                position = text.index(squeeze(chunk), position)
    assert text.count(DEPARTMENT_PAGE_START + squeeze(table.departments[0].name)) == 1


@pytest.mark.anydb
@pytest.mark.skipif(
    os.environ.get("WARDSERVICE_SCREENSHOTS") != "1",
    reason="set WARDSERVICE_SCREENSHOTS=1 to write docs/pdf-hard-text.png and docs/pdf-continuation.png",
)
def test_write_pdf_screenshots(tmp_path):
    """The hard table's page with 𠮷 in regular and bold text, and its first continuation page."""
    from PIL import Image

    table = hard_table()
    path = tmp_path / "hard.pdf"
    path.write_bytes(PdfExporter().render(table, cache=PartCache(tmp_path / "parts")))
    texts = [squeeze(page) for page in pages_text(path)]
    shown = department_pages(path, table)
    hard = next(n for n, name in shown if name == squeeze(TALL_NAME) and texts[n].startswith(DEPARTMENT_PAGE_START))
    continued = next(n for (n, name), (_, before) in zip(shown[1:], shown, strict=False) if name == before)
    docs = Path(__file__).resolve().parents[2] / "docs"
    for number, name in ((hard, "pdf-hard-text.png"), (continued, "pdf-continuation.png")):
        page = str(number + 1)
        subprocess.run(
            ["pdftoppm", "-r", "110", "-png", "-singlefile", "-f", page, "-l", page, str(path), str(tmp_path / "page")],
            check=True, timeout=60,
        )  # fmt: skip
        # A 256-colour palette keeps text crisp and the file small.
        image = Image.open(tmp_path / "page.png").quantize(256, dither=Image.Dither.NONE)
        image.save(docs / name, optimize=True)
        assert (docs / name).stat().st_size <= 400_000

LONG_LINE = "ABCDEFGHIJ" * 100  # 1,000 characters with no break opportunity
HOSTILE = (
    "<script>alert(1)</script>",
    "&amp; \"quotes\" 'apos'",
    LONG_LINE,
    "垂直\x0bタブとNUL\x00の入った行",
    "=1+1",
    "+81",
    "-3",
    "@SUM(A1)",
    "\tタブで始まる行",
    "絵文字😀と𠮷野家の髙橋さん",
)


def hostile_texts():
    """HOSTILE as it can be stored: PostgreSQL refuses NUL in text, so only SQLite ever holds one."""
    if connection.vendor == "postgresql":
        return tuple(text.replace("\x00", "") for text in HOSTILE)
    return HOSTILE


@pytest.mark.django_db
def test_hostile_text_renders_as_plain_text(tmp_path):
    fiscal_year = approved_year(
        departments=1, goals_per_department=len(HOSTILE), texts=hostile_texts()
    )
    path = write_pdf(build_table(fiscal_year, PublicationKind.RESULT), tmp_path)
    text = body_text(path)
    assert "<script>alert(1)</script>" in text  # printed, never interpreted
    assert squeeze("&amp; \"quotes\" 'apos'") in text
    for visible in (
        "垂直タブとNULの入った行",
        "=1+1",
        "+81",
        "-3",
        "@SUM(A1)",
        "タブで始まる行",
        LONG_LINE,
    ):
        assert visible in text
    assert "絵文字😀と𠮷野家の髙橋さん" in text
    assert "\x0b" not in text and "\x00" not in text


@pytest.mark.django_db
def test_hostile_text_stays_on_the_page_with_fonts_for_every_character(tmp_path):
    fiscal_year = approved_year(
        departments=1, goals_per_department=len(HOSTILE), texts=hostile_texts()
    )
    path = write_pdf(build_table(fiscal_year, PublicationKind.RESULT), tmp_path)
    # The unbreakable line wraps inside its column instead of running off the page.
    right_edges = [
        float(x) for x in re.findall(r'xMax="([\d.]+)"', poppler("pdftotext", path, "-bbox"))
    ]
    assert right_edges and max(right_edges) <= BODY_RIGHT + 1
    # IPAex lacks 𠮷 (U+20BB7): it comes from Noto Sans CJK JP, embedded as a subset like the rest.
    fonts = pdf_fonts(path)
    assert any(font["name"].endswith("+Noto-Sans-CJK-JP") for font in fonts)
    assert all((font["emb"], font["sub"]) == ("yes", "yes") for font in fonts)


@pytest.mark.django_db
def test_query_count_does_not_grow_with_the_table(django_assert_num_queries):
    small = approved_year(departments=2, year=2021)
    large = approved_year(departments=20, year=2022, office=small.office)

    def export(fiscal_year):
        fiscal_year = FiscalYear.objects.select_related("office").get(pk=fiscal_year.pk)
        return PdfExporter().render(build_table(fiscal_year, PublicationKind.RESULT))

    with CaptureQueriesContext(connection) as small_queries:
        export(small)
    with django_assert_num_queries(len(small_queries)):
        export(large)


@pytest.mark.django_db
def test_rendering_never_queries(django_assert_num_queries):
    table = build_table(approved_year(departments=2), PublicationKind.RESULT)
    with django_assert_num_queries(0):
        PdfExporter().render(table)
