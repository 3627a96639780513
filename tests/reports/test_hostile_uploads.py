"""Hostile files through every upload page: each is refused on the page, in Japanese, and nothing changes.

The three pages — the entry workbook (記入用Excel), the データ import (CSV/Excel) and the past-year
import (published text) — each get a renamed PDF, a zip bomb, a macro-enabled workbook, a
workbook with broken XML, an oversized file and an empty file. The page shows the reason, still
offers the upload form, and no row of any model the pages write (pending uploads included) is
added or changed. After a refusal the same person can upload a good file from the same page.
"""

import functools
import io
import re
import zipfile

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from openpyxl import Workbook

from goals.selectors import sheet_content
from reports.exporters import EXPORTERS
from reports.models import PendingUpload, PublicationKind
from reports.table import build_table
from tests.personas import client_for
from tests.reports.entry_helpers import (
    download,
    fill,
)
from tests.reports.entry_helpers import upload as upload_workbook
from tests.reports.entry_helpers import url as entry_url
from tests.reports.import_helpers import all_counts, seed_csv
from tests.reports.import_helpers import url as import_url
from tests.seed import SEED
from wardservice.uploads import MAX_UPLOAD_BYTES

ENTRY, TABLE, PUBLISHED = "entry", "table", "published"
MACRO_CONTENT_TYPE = b"application/vnd.ms-excel.sheet.macroEnabled.main+xml"


def rezip(data: bytes, *, add=(), change=None) -> bytes:
    change = change or {}
    source = zipfile.ZipFile(io.BytesIO(data))
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as target:
        for info in source.infolist():
            content = source.read(info.filename)
            if info.filename in change:
                content = change[info.filename](content)
            target.writestr(info.filename, content)
        for name, content in add:
            target.writestr(name, content)
    return buffer.getvalue()


@functools.cache
def zip_bomb() -> bytes:
    """A workbook with a member that expands to 200 MB of zeros (about 200 KB packed), built once.

    Any workbook will do for every page: the sizes are checked before a single cell is read.
    """
    workbook = Workbook()
    workbook.active.title = "データ"
    buffer = io.BytesIO()
    workbook.save(buffer)
    buffer.seek(0, io.SEEK_END)
    with zipfile.ZipFile(buffer, "a", zipfile.ZIP_DEFLATED) as archive:
        with archive.open("xl/media/image1.png", "w", force_zip64=True) as member_file:
            block = b"\0" * (1024 * 1024)
            for _ in range(200):
                member_file.write(block)
    return buffer.getvalue()


def macro_workbook(workbook: bytes) -> bytes:
    """What Excel saves as .xlsm: a VBA project and the macro-enabled content type."""
    return rezip(
        workbook,
        add=[("xl/vbaProject.bin", b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\0" * 512)],
        change={
            "[Content_Types].xml": lambda xml: xml.replace(
                b"application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml",
                MACRO_CONTENT_TYPE,
            )
        },
    )


def broken_xml_workbook(workbook: bytes) -> bytes:
    """A sheet cut in the middle of its XML, as a failed copy or a careless program leaves it."""
    names = zipfile.ZipFile(io.BytesIO(workbook)).namelist()
    sheet = next(name for name in names if name.startswith("xl/worksheets/sheet"))
    return rezip(workbook, change={sheet: lambda xml: xml[: len(xml) // 2]})


PDF = b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n1 0 obj\n<< /Type /Catalog >>\nendobj\ntrailer\n%%EOF\n"
TOO_LARGE = "ファイルが大きすぎます (5 MB まで)。"
PACKED = "圧縮ファイル (Excel を含む) は取り込めません。"

# (name of the case, the file's bytes from a real workbook of the page, its file name, the
# expected message on each page)
CASES = {
    "renamed_pdf": (
        lambda workbook: PDF,
        {ENTRY: "記入.xlsx", TABLE: "table.csv", PUBLISHED: "2019.txt"},
        {page: "PDF ファイルは取り込めません。" for page in (ENTRY, TABLE, PUBLISHED)},
    ),
    "zip_bomb": (
        lambda workbook: zip_bomb(),
        {ENTRY: "記入.xlsx", TABLE: "table.xlsx", PUBLISHED: "2019.txt"},
        {
            ENTRY: "Excel ファイルの中身が不自然に大きく圧縮されています",
            TABLE: "Excel ファイルの中身が不自然に大きく圧縮されています",
            PUBLISHED: PACKED,
        },
    ),
    "macro_workbook": (
        macro_workbook,
        {ENTRY: "記入.xlsm", TABLE: "table.xlsx", PUBLISHED: "2019.txt"},
        {
            ENTRY: "マクロを含む Excel ファイルは取り込めません。",
            TABLE: "マクロを含む Excel ファイルは取り込めません。",
            PUBLISHED: PACKED,
        },
    ),
    "broken_xml": (
        broken_xml_workbook,
        {ENTRY: "記入.xlsx", TABLE: "table.xlsx", PUBLISHED: "2019.txt"},
        {
            ENTRY: "Excel ファイル (.xlsx) の中身が壊れています",
            TABLE: "Excel ファイル (.xlsx) の中身が壊れています",
            PUBLISHED: PACKED,
        },
    ),
    "oversized": (
        lambda workbook: b"a," * (MAX_UPLOAD_BYTES // 2 + 1),
        {ENTRY: "記入.xlsx", TABLE: "table.csv", PUBLISHED: "2019.txt"},
        {page: TOO_LARGE for page in (ENTRY, TABLE, PUBLISHED)},
    ),
    "empty": (
        lambda workbook: b"",
        {ENTRY: "記入.xlsx", TABLE: "table.csv", PUBLISHED: "2019.txt"},
        {page: "ファイルが空です。" for page in (ENTRY, TABLE, PUBLISHED)},
    ),
}


def good_file(page, client, sheet, seed_year):
    if page == ENTRY:
        return fill(download(client, sheet), {0: {"目標": "窓口の案内を分かりやすくします。"}})
    if page == TABLE:
        return seed_csv(seed_year)
    return SEED.read_bytes()


def workbook_for(page, client, sheet, seed_year):
    """A real workbook of the kind the page takes (the 公表 Excel for the text page too)."""
    if page == ENTRY:
        return download(client, sheet)
    return EXPORTERS["xlsx"].render(build_table(seed_year, PublicationKind.RESULT))


def post(page, client, sheet, data, filename):
    if page == ENTRY:
        return upload_workbook(client, sheet, data, filename)
    name = "import_table" if page == TABLE else "import_published"
    return client.post(import_url(name), {"file": SimpleUploadedFile(filename, data)})


def assert_refused(page, response, message):
    body = response.content.decode()
    assert response.status_code == (400 if page == ENTRY else 200), body
    assert message in body
    # The upload form is still there, and there is nothing to confirm.
    assert 'type="file"' in body and 'enctype="multipart/form-data"' in body
    assert 'name="token"' not in body


@pytest.mark.parametrize("page", [ENTRY, TABLE, PUBLISHED])
@pytest.mark.parametrize("case", list(CASES))
def test_a_hostile_file_is_refused_on_the_page(page, case, approver, sheet, seed_year):
    make, filenames, messages = CASES[case]
    client = client_for(approver)
    data = make(workbook_for(page, client, sheet, seed_year))
    before, content, version = all_counts(), sheet_content(sheet), sheet.version

    response = post(page, client, sheet, data, filenames[page])

    assert_refused(page, response, messages[page])
    assert all_counts() == before
    sheet.refresh_from_db()
    assert (sheet_content(sheet), sheet.version) == (content, version)


@pytest.mark.parametrize("page", [ENTRY, TABLE, PUBLISHED])
def test_after_a_refusal_the_same_page_takes_a_good_file(page, approver, sheet, seed_year):
    client = client_for(approver)
    refused = post(page, client, sheet, PDF, "renamed.xlsx")
    assert_refused(page, refused, "PDF ファイルは取り込めません。")

    response = post(page, client, sheet, good_file(page, client, sheet, seed_year), "good.txt")

    assert response.status_code == 200, response.content.decode()
    assert response.context["token"] == PendingUpload.objects.get().token


def test_the_zip_bomb_is_small_to_send_and_huge_unpacked():
    data = zip_bomb()
    sizes = [info.file_size for info in zipfile.ZipFile(io.BytesIO(data)).infolist()]
    assert len(data) < MAX_UPLOAD_BYTES // 10
    assert max(sizes) == 200 * 1024 * 1024


def test_entry_page_links_stay_usable_after_a_refusal(approver, sheet):
    client = client_for(approver)
    response = upload_workbook(client, sheet, b"", "empty.xlsx")
    body = response.content.decode()
    assert entry_url("entry_workbook", sheet) in body  # download a fresh workbook
    assert f'action="{entry_url("entry_upload", sheet)}"' in body


def bad_number_workbook(workbook: bytes) -> bytes:
    """Well-formed XML, but a number cell whose value is "abc" in the sheet the page reads.

    Both pages read their workbook's second sheet (記入, データ); openpyxl fails on that row.
    """

    def spoil(xml):
        spoilt, count = re.subn(rb'(<c [^>]*t="n"[^>]*>)<v>\d+</v>', rb"\1<v>abc</v>", xml, count=1)
        assert count == 1
        return spoilt

    return rezip(workbook, change={"xl/worksheets/sheet2.xml": spoil})


@pytest.mark.parametrize("page", [ENTRY, TABLE])
def test_a_workbook_with_an_unreadable_value_is_refused(page, approver, sheet, seed_year):
    client = client_for(approver)
    client.raise_request_exception = False
    data = bad_number_workbook(workbook_for(page, client, sheet, seed_year))
    before = all_counts()

    response = post(page, client, sheet, data, "value.xlsx")

    assert response.status_code != 500
    assert_refused(page, response, "として読")
    assert all_counts() == before
