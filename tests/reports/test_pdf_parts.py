"""The PDF rendered part by part and assembled: the same document as one WeasyPrint pass, rendered
once per department's content, ahead of 公表 when a sheet is approved."""

import io
import os
import re
import subprocess
import time
from dataclasses import replace
from pathlib import Path

import pikepdf
import pytest
from django.core.management import call_command
from django.test import TestCase

from goals.models import GoalSheet, Phase, Result, SheetStatus
from goals.printed import TableDepartment, TableGoal, TableResult
from goals.services.workflow import sheet_approve
from reports.exporters.pdf import PdfExporter, assembly, parts, pool, render_single_pass
from reports.exporters.pdf.parts import PartCache
from reports.models import FileFormat, PublicationKind
from reports.table import build_table
from tests.factories import UserFactory
from tests.reports.helpers import HOSTILE_TEXTS, approved_year
from tests.reports.pdf_pages import (
    differing_pages,
    font_type_mismatches,
    hard_table,
    poppler_complaints,
    short_goal,
)
from tests.reports.publishing import publish, use_tmp_media
from tests.reports.test_pdf import pdf_fonts, pdf_info, seed_pdf  # noqa: F401  (fixture)

# Rendering, assembling and caching the parts: the database only supplies the tables, whose queries
# the exporter tests check on every engine.
pytestmark = [pytest.mark.django_db, pytest.mark.anydb]


@pytest.fixture
def own_parts(settings, tmp_path):
    """A parts folder of the test's own, so that every render is counted from nothing."""
    settings.PDF_PARTS_DIR = tmp_path / "parts"
    use_tmp_media(settings, tmp_path)
    return settings.PDF_PARTS_DIR


def renders():
    return dict(parts.render_counts)


def rendered_since(before):
    return {kind: count - before[kind] for kind, count in parts.render_counts.items()}


def pdf_text(data: bytes, tmp_path: Path, name: str) -> list[str]:
    path = tmp_path / name
    path.write_bytes(data)
    raw = subprocess.run(
        ["pdftotext", "-raw", "-enc", "UTF-8", str(path), "-"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    return raw.split("\f")[:-1]


def structure_text(data: bytes, tmp_path: Path, name: str) -> str:
    """The structure tree as poppler reads it, header ids left out (they differ by design)."""
    path = tmp_path / name
    path.write_bytes(data)
    text = subprocess.run(
        ["pdfinfo", "-struct-text", str(path)], capture_output=True, text=True, check=True
    ).stdout
    text = re.sub(r"TH <[^>]*>", "TH", text)
    return re.sub(r"Headers \[[^\]]*\]", "Headers", text)


def outline(data: bytes) -> list[tuple[int, str, int]]:
    """(depth, title, page index) of every outline entry, in order."""
    with pikepdf.open(io.BytesIO(data)) as pdf, pdf.open_outline() as tree:
        entries = []

        def walk(items, depth):
            for item in items:
                page = pikepdf.Page(item.destination[0]).index
                entries.append((depth, item.title, page))
                walk(item.children, depth + 1)

        walk(tree.root, 0)
        return entries


def named_destinations(data: bytes) -> dict[str, int]:
    with pikepdf.open(io.BytesIO(data)) as pdf:
        flat = list(pdf.Root.Names.Dests.Names)
        return {
            str(name): pikepdf.Page(dest[0]).index
            for name, dest in zip(flat[::2], flat[1::2], strict=True)
        }


def structure_elements(node):
    kids = node.get("/K")
    for kid in kids if isinstance(kids, pikepdf.Array) else [kids] if kids is not None else []:
        if isinstance(kid, pikepdf.Dictionary) and "/S" in kid:
            yield kid
            yield from structure_elements(kid)


# --- The assembled file is the single-pass file -------------------------------------------------


@pytest.fixture(scope="module")
def both(seed_pdf):  # noqa: F811
    """The seed table assembled from parts, and rendered in one pass."""
    return PdfExporter().render(seed_pdf.table), render_single_pass(seed_pdf.table)


def test_same_pages_and_text_as_one_pass(both, tmp_path):
    assembled, single = both
    assembled_pages = pdf_text(assembled, tmp_path, "assembled.pdf")
    assert assembled_pages == pdf_text(single, tmp_path, "single.pdf")
    # The page numbers printed at assembly are those WeasyPrint prints: "n / total".
    assert assembled_pages[0].splitlines()[-1] == f"1 / {len(assembled_pages)}"


def test_same_structure_tree_outline_and_destinations(both, tmp_path):
    assembled, single = both
    assert structure_text(assembled, tmp_path, "a.pdf") == structure_text(single, tmp_path, "s.pdf")
    assert outline(assembled) == outline(single)
    assert len(outline(assembled)) == 2 + 17  # the title, the policy and 17 departments
    assert named_destinations(assembled) == named_destinations(single)


def test_page_numbers_are_artifacts_not_text_a_screen_reader_reads(both, tmp_path):
    assembled, _ = both
    assert " / " not in structure_text(assembled, tmp_path, "a.pdf")


def test_no_bigger_than_one_pass_by_half(both, tmp_path):
    assembled, single = both
    assert len(assembled) <= 1.5 * len(single)
    # One subset per font for the whole file (and a small one for the page numbers).
    path = tmp_path / "a.pdf"
    path.write_bytes(assembled)
    names = [
        row["name"].split("+", 1)[1]
        for row in pdf_fonts(path)
        if not row["name"].startswith("PAGENO+")
    ]
    assert len(names) == len(set(names))
    assert all(row["emb"] == row["sub"] == row["uni"] == "yes" for row in pdf_fonts(path))


def test_every_header_id_is_unique_and_every_cell_finds_its_headers(both):
    assembled, _ = both
    with pikepdf.open(io.BytesIO(assembled)) as pdf:
        ids, references = [], []
        for element in structure_elements(pdf.Root.StructTreeRoot):
            if "/ID" in element:
                ids.append(str(element.ID))
            attributes = element.get("/A")
            if isinstance(attributes, pikepdf.Dictionary) and "/Headers" in attributes:
                references += [str(header) for header in attributes.Headers]
        assert len(ids) == len(set(ids)) > 17
        assert references and set(references) <= set(ids)
        # Each structure element's page is a page of this file, and the parent tree is whole.
        pages = {page.obj.objgen for page in pdf.pages}
        for element in structure_elements(pdf.Root.StructTreeRoot):
            if "/Pg" in element:
                assert element.Pg.objgen in pages
        keys = [int(key) for key in pdf.Root.StructTreeRoot.ParentTree.Nums[::2]]
        assert sorted(int(page.obj.StructParents) for page in pdf.pages) == keys[: len(pdf.pages)]
        assert int(pdf.Root.StructTreeRoot.ParentTreeNextKey) == max(keys) + 1


def test_document_properties_come_through(both, tmp_path):
    assembled, _ = both
    path = tmp_path / "a.pdf"
    path.write_bytes(assembled)
    info = pdf_info(path)
    assert info["Title"] == "令和2年度 中原区役所サービス向上目標"
    assert info["Tagged"] == "yes"
    with pikepdf.open(io.BytesIO(assembled)) as pdf:
        assert str(pdf.Root.Lang) == "ja"
        assert b'pdfuaid:part="1"' in pdf.Root.Metadata.read_bytes()


def test_hostile_text_assembles_like_one_pass(tmp_path):
    """Characters no font has, emoji and control characters: fonts that cannot be shared stay apart."""
    year = approved_year(departments=3, texts=[*HOSTILE_TEXTS, "\ue000私用領域\U000e0001"])
    table = build_table(year, PublicationKind.RESULT)
    assembled = PdfExporter().render(table)
    single = render_single_pass(table)
    assert pdf_text(assembled, tmp_path, "a.pdf") == pdf_text(single, tmp_path, "s.pdf")
    assert differing_pages(assembled, single, tmp_path) == []


# --- Every page looks like one pass ---------------------------------------------------------------


@pytest.fixture(scope="module")
def hard_both(tmp_path_factory):
    """A table of hard text (tests.reports.pdf_pages.hard_table) assembled, and in one pass."""
    table = hard_table()
    cache = PartCache(tmp_path_factory.mktemp("hard-parts"))
    return PdfExporter().render(table, cache=cache), render_single_pass(table)


@pytest.mark.everydb
@pytest.mark.parametrize("rendered", ["both", "hard_both"])
def test_every_page_looks_like_one_pass(rendered, request, tmp_path):
    """The seed year and hard text: 𠮷 from the fallback font, bold, rows taller than a page."""
    assembled, single = request.getfixturevalue(rendered)
    assert differing_pages(assembled, single, tmp_path) == []


@pytest.mark.everydb
@pytest.mark.parametrize("rendered", ["both", "hard_both"])
def test_every_font_is_of_its_programs_type_and_poppler_has_nothing_to_say(
    rendered, request, tmp_path
):
    """A CFF program (Noto Sans CJK, from a .ttc) under CIDFontType0, TrueType under CIDFontType2:
    poppler draws a mismatched one with the wrong glyphs ("Mismatch between font type and
    embedded font file")."""
    for data in request.getfixturevalue(rendered):
        assert font_type_mismatches(data) == []
        assert poppler_complaints(data, tmp_path) == ""


def test_characters_no_font_has_keep_their_parts_fonts_under_tags_of_their_own(tmp_path):
    """WeasyPrint draws them with fonts of its own encoding, which are not merged across parts."""
    odd = ("\U0010fffd未割当\u0378", "\U0001fae8新しい絵文字", "ふつうの目標です。")
    table = replace(
        hard_table(),
        departments=tuple(
            TableDepartment(
                f"{i}", f"部署{i}", (TableGoal(1, ("共通",), text, text, TableResult(done=text)), short_goal(2))
            )
            for i, text in enumerate(odd)
        ),
    )
    assembled = PdfExporter().render(table, cache=PartCache(tmp_path / "parts"))
    single = render_single_pass(table)
    assert differing_pages(assembled, single, tmp_path) == []
    assert font_type_mismatches(assembled) == []
    assert poppler_complaints(assembled, tmp_path) == ""
    path = tmp_path / "a.pdf"
    path.write_bytes(assembled)
    names = [row["name"] for row in pdf_fonts(path)]
    assert len(names) == len(set(names)) > 3  # each subset under a tag of its own


# --- Rendered once per content ------------------------------------------------------------------


def test_publishing_renders_every_part_once_then_a_correction_only_its_department(
    own_parts, tmp_path
):
    year = approved_year(departments=4)
    before = renders()
    first = publish(year)
    assert rendered_since(before) == {"front": 1, "department": 4}

    # The same table again (a correction of nothing but the note): everything comes from the cache.
    before = renders()
    publish(year, note="表記を確認しました。")
    assert rendered_since(before) == {"front": 0, "department": 0}

    sheet = GoalSheet.objects.filter(fiscal_year=year).order_by("department__sort_order")[2]
    Result.objects.filter(goal__sheet=sheet, goal__number=1).update(done="訂正した実施結果です。")
    before = renders()
    corrected = publish(year, note="3番目の部署の実施結果を訂正しました。")
    assert rendered_since(before) == {"front": 0, "department": 1}

    old = pdf_text(first.files.get(format=FileFormat.PDF).file.read(), tmp_path, "v1.pdf")
    new = pdf_text(corrected.files.get(format=FileFormat.PDF).file.read(), tmp_path, "v3.pdf")
    assert len(new) == len(old)
    assert "訂正した実施結果です。" in "".join(new) and "訂正した実施結果です。" not in "".join(old)
    changed = [i for i, (a, b) in enumerate(zip(old, new, strict=True)) if a != b]
    assert changed and all(sheet.department.name in new[i] for i in changed)


def test_changing_the_policy_renders_only_the_title_page(own_parts):
    year = approved_year(departments=3)
    table = build_table(year, PublicationKind.RESULT)
    PdfExporter().render(table)
    before = renders()
    PdfExporter().render(replace(table, policy=("新しい方針です。",)))
    assert rendered_since(before) == {"front": 1, "department": 0}


def test_approval_renders_the_department_ahead_of_publication(own_parts, settings):
    settings.PDF_RENDER_ON_APPROVAL = True
    year = approved_year(departments=3)
    sheet = GoalSheet.objects.filter(fiscal_year=year).order_by("department__sort_order").last()
    GoalSheet.objects.filter(pk=sheet.pk).update(result_status=SheetStatus.SUBMITTED)
    before = renders()
    with TestCase.captureOnCommitCallbacks(execute=True):
        sheet_approve(sheet=sheet, phase=Phase.RESULT, by=UserFactory())
    assert rendered_since(before) == {"front": 1, "department": 1}

    # 公表 then renders only the two departments approved before parts were made at approval.
    before = renders()
    publish(year)
    assert rendered_since(before) == {"front": 0, "department": 2}


def test_approval_renders_nothing_when_switched_off(own_parts, settings):
    settings.PDF_RENDER_ON_APPROVAL = False
    year = approved_year(departments=1)
    sheet = GoalSheet.objects.get(fiscal_year=year)
    GoalSheet.objects.filter(pk=sheet.pk).update(result_status=SheetStatus.SUBMITTED)
    before = renders()
    with TestCase.captureOnCommitCallbacks(execute=True):
        sheet_approve(sheet=sheet, phase=Phase.RESULT, by=UserFactory())
    assert rendered_since(before) == {"front": 0, "department": 0}


def test_a_damaged_or_missing_cached_part_is_rendered_again(own_parts, tmp_path):
    year = approved_year(departments=2)
    table = build_table(year, PublicationKind.RESULT)
    expected = PdfExporter().render(table)
    parts._remembered.clear()  # as a new worker process would: from the folder
    damaged, missing = sorted(own_parts.glob("parts/*/*.pdf"))[:2]
    damaged.write_bytes(damaged.read_bytes()[:-100])
    missing.unlink()
    before = renders()
    assert PdfExporter().render(table) == expected
    assert sum(rendered_since(before).values()) == 2


def test_worker_processes_render_the_same_parts(own_parts, settings, tmp_path):
    """Missing parts rendered by the long-lived processes, in parallel; the file is the same."""
    year = approved_year(departments=3, texts=["並行して作成する部署の目標です。"])
    table = build_table(year, PublicationKind.RESULT)
    settings.PDF_RENDER_PROCESSES = 2
    try:
        in_parallel = PdfExporter().render(table)
    finally:
        pool.shutdown()
    assert len(list(own_parts.glob("parts/*/*.json"))) == 4
    settings.PDF_RENDER_PROCESSES = 1
    parts._remembered.clear()
    alone = PdfExporter().render(table, cache=PartCache(tmp_path / "other"))
    assert in_parallel == alone


def test_the_page_numbers_count_every_part(own_parts, tmp_path):
    year = approved_year(
        departments=3, goals_per_department=3, texts=["長い目標の本文です。" * 120]
    )
    data = PdfExporter().render(build_table(year, PublicationKind.RESULT))
    pages = pdf_text(data, tmp_path, "a.pdf")
    assert len(pages) > 4  # departments run over more than one page
    assert [page.splitlines()[-1] for page in pages] == [
        f"{n} / {len(pages)}" for n in range(1, len(pages) + 1)
    ]


def test_prune_deletes_only_parts_unused_for_the_given_days(own_parts):
    year = approved_year(departments=2)
    table = build_table(year, PublicationKind.RESULT)
    PdfExporter().render(table)
    metas = sorted(own_parts.glob("parts/*/*.json"))
    assert len(metas) == 3
    old = metas[0]
    long_ago = time.time() - 401 * 24 * 3600
    os.utime(old, (long_ago, long_ago))
    out = io.StringIO()
    call_command("prune_pdf_parts", days=400, stdout=out)
    assert "1 個削除しました" in out.getvalue()
    assert not old.exists() and not old.with_suffix(".pdf").exists()
    assert len(list(own_parts.glob("parts/*/*.pdf"))) == 2
    # The next rendering makes the pruned part again, and the file is the same.
    parts._remembered.clear()
    before = renders()
    PdfExporter().render(table)
    assert sum(rendered_since(before).values()) == 1


# --- A correction replaces its part in the file published before ---------------------------------


def corrected_at(table, index, text):
    department = table.departments[index]
    goal = replace(department.goals[0], objective=text)
    department = replace(department, goals=(goal, *department.goals[1:]))
    return replace(
        table, departments=(*table.departments[:index], department, *table.departments[index + 1 :])
    )


@pytest.mark.parametrize(
    ("index", "text"),
    [
        (0, "訂正した目標です。"),  # the same pages
        (2, "訂正して長くなった目標です。" * 150),  # runs over more pages: every number moves
        (4, "訂正した最後の部署の目標です。𠮷"),  # a glyph no part used before
    ],
)
def test_a_correction_replaces_its_part_and_the_file_is_the_full_assembly(
    own_parts, tmp_path, index, text
):
    year = approved_year(
        departments=5, texts=["部署ごとに異なる目標の本文です。", "窓口の案内を改善します。"]
    )
    table = build_table(year, PublicationKind.RESULT)
    PdfExporter().render(table)  # the file published before, kept for the table
    corrected = corrected_at(table, index, text)
    before = dict(assembly.assembly_counts)
    replaced = PdfExporter().render(corrected)
    assert assembly.assembly_counts["replaced"] == before["replaced"] + 1
    assert assembly.assembly_counts["whole"] == before["whole"]

    whole = PdfExporter().render(corrected, cache=PartCache(tmp_path / "fresh"))
    assert pdf_text(replaced, tmp_path, "r.pdf") == pdf_text(whole, tmp_path, "w.pdf")
    assert differing_pages(replaced, whole, tmp_path) == []
    assert font_type_mismatches(replaced) == []
    assert structure_text(replaced, tmp_path, "r.pdf") == structure_text(whole, tmp_path, "w.pdf")
    assert outline(replaced) == outline(whole)
    assert named_destinations(replaced) == named_destinations(whole)
    assert len(replaced) <= 1.1 * len(whole)
    path = tmp_path / "r.pdf"
    path.write_bytes(replaced)
    fonts = [row["name"] for row in pdf_fonts(path)]
    assert len(fonts) == len(set(fonts))  # one subset per font, and one for the numbers
    path.write_bytes(whole)
    assert set(fonts) == {row["name"] for row in pdf_fonts(path)}
    # The structure tree is whole: parent-tree keys sorted, one per page, pages all in the file.
    with pikepdf.open(io.BytesIO(replaced)) as pdf:
        keys = [int(key) for key in pdf.Root.StructTreeRoot.ParentTree.Nums[::2]]
        assert keys == sorted(keys)
        assert {int(page.obj.StructParents) for page in pdf.pages} <= set(keys)
        pages = {page.obj.objgen for page in pdf.pages}
        assert all(
            e.Pg.objgen in pages for e in structure_elements(pdf.Root.StructTreeRoot) if "/Pg" in e
        )


def test_the_same_table_again_is_the_same_file_and_a_new_department_assembles_anew(own_parts):
    year = approved_year(departments=3)
    table = build_table(year, PublicationKind.RESULT)
    first = PdfExporter().render(table)
    assert PdfExporter().render(table) == first
    before = dict(assembly.assembly_counts)
    PdfExporter().render(replace(table, departments=table.departments[:2]))
    assert assembly.assembly_counts["whole"] == before["whole"] + 1
