"""Shared steps of the entry workbook tests: URLs, download, fill in, upload, 確定 (people: tests/personas.py)."""

import io
import zipfile

import openpyxl
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from reports.imports.workbook import ENTRY_SHEET, HEADER_ROW, VERSION_CELL

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def url(name, sheet):
    return reverse(
        f"publishing:{name}",
        kwargs={
            "office": sheet.fiscal_year.office.slug,
            "year": sheet.fiscal_year.year,
            "code": sheet.department.code,
        },
    )


def download(client, sheet):
    response = client.get(url("entry_workbook", sheet))
    assert response.status_code == 200
    assert response["Content-Type"] == XLSX
    assert (
        "attachment" in response["Content-Disposition"]
        and ".xlsx" in response["Content-Disposition"]
    )
    return b"".join(response.streaming_content)


def columns(ws):
    """{header label without the limit note: column letter}"""
    return {
        str(cell.value).split(" (")[0]: cell.column_letter
        for cell in ws[HEADER_ROW]
        if cell.value is not None
    }


# XML cannot hold U+FFFE and U+FFFF. openpyxl writes them anyway through the standard library's
# XML writer, but refuses through lxml's (used whenever lxml is installed): fill() writes markers
# and puts the characters in afterwards, so the file is the same either way, as broken as a
# program writing them would make it.
NOT_XML_MARKERS = {"\ufffe": "NOT-XML-FFFE-MARKER", "\uffff": "NOT-XML-FFFF-MARKER"}


def _marked(value):
    if isinstance(value, str):
        for character, marker in NOT_XML_MARKERS.items():
            value = value.replace(character, marker)
    return value


def _unmarked(workbook_bytes: bytes) -> bytes:
    source = zipfile.ZipFile(io.BytesIO(workbook_bytes))
    output = io.BytesIO()
    with zipfile.ZipFile(output, "w", zipfile.ZIP_DEFLATED) as target:
        for member in source.infolist():
            content = source.read(member)
            for character, marker in NOT_XML_MARKERS.items():
                content = content.replace(marker.encode(), character.encode())
            target.writestr(member, content)
    return output.getvalue()


def fill(data, rows, *, version=None, as_text=False):
    """The workbook with {row offset: {header label: value}} typed in, as bytes.

    as_text stores every str as a text cell, as Excel does for typed text: openpyxl would
    otherwise take a value starting with "=" for a formula.
    """
    workbook = openpyxl.load_workbook(io.BytesIO(data))
    ws = workbook[ENTRY_SHEET]
    letters = columns(ws)
    for offset, values in rows.items():
        for label, value in values.items():
            cell = ws[f"{letters[label]}{HEADER_ROW + 1 + offset}"]
            cell.value = _marked(value)
            if as_text and isinstance(value, str):
                cell.data_type = "s"
    if version is not None:
        ws[VERSION_CELL] = version
    output = io.BytesIO()
    workbook.save(output)
    return _unmarked(output.getvalue())


def upload(client, sheet, data, filename="記入.xlsx"):
    return client.post(
        url("entry_upload", sheet),
        {"workbook": SimpleUploadedFile(filename, data, content_type=XLSX)},
    )


def confirm(client, sheet, response, **extra):
    return client.post(url("entry_confirm", sheet), {"token": response.context["token"]}, **extra)


def first_tag(year):
    return year.categories.order_by("sort_order", "name").first()
