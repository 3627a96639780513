"""Uploaded files, checked by what they contain rather than what they are called.

read_upload() reads an uploaded file (at most MAX_UPLOAD_BYTES) and tells what it is:

- "csv" / "txt": UTF-8 text (a BOM is fine) without NUL characters — or, where the caller
  accepts it (`shift_jis=True`), Shift_JIS (CP932), as Excel saves 「CSV (コンマ区切り)」 in
  Japanese Windows; decode_text() then reads the bytes by the same rule;
- "xlsx": an Office Open XML workbook — a zip with [Content_Types].xml and xl/workbook.xml,
  without macros, small enough once unpacked (no zip bomb), and whose XML parts are
  well-formed XML without a DOCTYPE (the readers parse sheets lazily, row by row: a broken part
  found there would be an error half-way through reading instead of a message).

Anything else (a renamed PDF, an old .xls, an image, a workbook with macros, ...) is refused
with UploadRejected, whose message is Japanese and can be shown as it is.

Every app's uploads pass here (the table imports of reports.imports, the staff transfers of
departments), so it imports nothing but the standard library.
"""

import io
import zipfile
import zlib
from xml.parsers import expat

MAX_UPLOAD_BYTES = 5 * 1024 * 1024
MAX_XLSX_UNCOMPRESSED = 50 * 1024 * 1024  # all members together, once unpacked
MAX_XLSX_RATIO = 100  # unpacked / packed, for any one member ...
RATIO_FLOOR = 1024 * 1024  # ... of more than this once unpacked (small parts compress very well)
MAX_XLSX_MEMBERS = 1000

TEXT_KINDS = ("csv", "txt")
KINDS = {"csv", "txt", "xlsx"}

_ZIP = b"PK\x03\x04"
_PDF = b"%PDF"
_OLE2 = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"  # .xls, .doc and encrypted Office files


class UploadRejected(Exception):
    """The uploaded file is refused; the message (Japanese) says why."""


def _describe(allowed):
    names = {"csv": "CSV (.csv)", "txt": "テキスト (.txt)", "xlsx": "Excel (.xlsx)"}
    return "・".join(names[kind] for kind in ("csv", "xlsx", "txt") if kind in allowed)


def read_upload(uploaded_file, *, allowed: set[str], shift_jis=False) -> tuple[str, bytes]:
    """(kind, content) of the upload, kind being one of `allowed`; else UploadRejected.

    With `shift_jis`, text that is not UTF-8 may be CP932 instead (read it with decode_text).
    """
    unknown = set(allowed) - KINDS
    if not allowed or unknown:
        raise ValueError(f"unknown upload kinds: {sorted(unknown) or 'none'}")
    if uploaded_file is None:
        raise UploadRejected("ファイルを選んでください。")
    data = _read_limited(uploaded_file)
    if not data:
        raise UploadRejected("ファイルが空です。")
    expected = f"{_describe(allowed)} のファイルを選んでください。"
    if data.startswith(_PDF):
        raise UploadRejected(f"PDF ファイルは取り込めません。{expected}")
    if data.startswith(_OLE2):
        raise UploadRejected(
            "古い形式の Excel ファイル (.xls) か、パスワード付きのファイルは取り込めません。"
            f"{expected}"
        )
    if data.startswith(_ZIP):
        if "xlsx" not in allowed:
            raise UploadRejected(f"圧縮ファイル (Excel を含む) は取り込めません。{expected}")
        _check_xlsx(data)
        return "xlsx", data
    if data.startswith(b"PK"):
        raise UploadRejected(f"読めない圧縮ファイルです。{expected}")
    text_kinds = [kind for kind in TEXT_KINDS if kind in allowed]
    if not text_kinds:
        raise UploadRejected(f"テキストのファイルは取り込めません。{expected}")
    _check_text(data, shift_jis=shift_jis)
    return _text_kind(text_kinds, getattr(uploaded_file, "name", "") or ""), data


def _read_limited(uploaded_file) -> bytes:
    limit_message = f"ファイルが大きすぎます ({MAX_UPLOAD_BYTES // (1024 * 1024)} MB まで)。"
    size = getattr(uploaded_file, "size", None)
    if size is not None and size > MAX_UPLOAD_BYTES:
        raise UploadRejected(limit_message)
    if hasattr(uploaded_file, "seek"):
        uploaded_file.seek(0)
    chunks, total = [], 0
    if hasattr(uploaded_file, "chunks"):
        source = uploaded_file.chunks()
    else:
        source = iter(lambda: uploaded_file.read(64 * 1024), b"")
    for chunk in source:
        total += len(chunk)
        if total > MAX_UPLOAD_BYTES:
            raise UploadRejected(limit_message)
        chunks.append(chunk)
    return b"".join(chunks)


def _check_text(data: bytes, *, shift_jis=False):
    if b"\x00" in data:
        raise UploadRejected(
            "テキストのファイルではありません (NUL 文字が含まれています)。UTF-8 のテキストで保存してください。"
        )
    try:
        decode_text(data, shift_jis=shift_jis)
    except UnicodeDecodeError as error:
        if shift_jis:
            raise UploadRejected(
                "文字コードが UTF-8 でも Shift_JIS でもないため読めません。"
                "Excel で「CSV UTF-8 (コンマ区切り)」か「CSV (コンマ区切り)」を選んで保存し直してください。"
            ) from None
        raise UploadRejected(
            f"UTF-8 のテキストとして読めません ({error.start + 1} バイト目)。"
            "Shift_JIS などで保存されている場合は、UTF-8 で保存し直してください。"
        ) from None


def decode_text(data: bytes, *, shift_jis=False) -> str:
    """The text of checked bytes: UTF-8 (a BOM is dropped), else, with `shift_jis`, CP932.

    Japanese text in CP932 is practically never valid UTF-8, so trying UTF-8 first cannot misread
    a Shift_JIS file; UnicodeDecodeError when neither fits.
    """
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        if not shift_jis:
            raise
        return data.decode("cp932")


def _text_kind(kinds, name):
    if len(kinds) == 1:
        return kinds[0]
    return "txt" if name.lower().endswith(".txt") else "csv"


def _check_xlsx(data: bytes):
    not_xlsx = "Excel ファイル (.xlsx) として読めません。"
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
    except (zipfile.BadZipFile, zipfile.LargeZipFile, ValueError, OSError):
        raise UploadRejected(not_xlsx) from None
    with archive:
        members = archive.infolist()
        if len(members) > MAX_XLSX_MEMBERS:
            raise UploadRejected(
                f"Excel ファイルの中身の数が多すぎます ({MAX_XLSX_MEMBERS} 個まで)。"
            )
        total = 0
        for member in members:
            total += member.file_size
            ratio = member.file_size / max(member.compress_size, 1)
            if member.file_size > RATIO_FLOOR and ratio > MAX_XLSX_RATIO:
                raise UploadRejected(
                    "Excel ファイルの中身が不自然に大きく圧縮されています (取り込めません)。"
                )
        if total > MAX_XLSX_UNCOMPRESSED:
            raise UploadRejected(
                f"Excel ファイルの中身が大きすぎます (展開して {MAX_XLSX_UNCOMPRESSED // (1024 * 1024)} MB まで)。"
            )
        names = {member.filename for member in members}
        lower = {name.lower() for name in names}
        if "[Content_Types].xml" not in names or "xl/workbook.xml" not in names:
            raise UploadRejected(f"{not_xlsx} (Excel のブックではない圧縮ファイルです)")
        if "xl/vbaproject.bin" in lower or any(
            name.endswith(".bin") and "vba" in name for name in lower
        ):
            raise UploadRejected(
                "マクロを含む Excel ファイルは取り込めません。マクロなしの .xlsx で保存してください。"
            )
        try:
            content_types = archive.read("[Content_Types].xml")
        except (zipfile.BadZipFile, OSError, RuntimeError, NotImplementedError, EOFError):
            raise UploadRejected(not_xlsx) from None
        if b"macroenabled" in content_types.lower():
            raise UploadRejected(
                "マクロを含む Excel ファイルは取り込めません。マクロなしの .xlsx で保存してください。"
            )
        for member in members:
            if member.filename.lower().endswith((".xml", ".rels")):
                _check_xml_part(archive, member)


class _Doctype(Exception):
    pass


def _refuse_doctype(*_args):
    raise _Doctype


def _check_xml_part(archive, member):
    """Well-formed XML without a DOCTYPE (so no entities either), streamed through expat."""
    parser = expat.ParserCreate()
    parser.SetParamEntityParsing(expat.XML_PARAM_ENTITY_PARSING_NEVER)
    parser.StartDoctypeDeclHandler = _refuse_doctype
    try:
        with archive.open(member) as stream:
            parser.ParseFile(stream)
    except _Doctype:
        raise UploadRejected(
            f"Excel ファイル (.xlsx) として読めません (中身の {member.filename} に DOCTYPE 宣言があります)。"
        ) from None
    except expat.ExpatError as error:
        raise UploadRejected(
            f"Excel ファイル (.xlsx) の中身が壊れています ({member.filename} の {error.lineno}行目)。"
            "Excel で開いて、保存し直してください。"
        ) from None
    except (zipfile.BadZipFile, zlib.error, OSError, RuntimeError, NotImplementedError, EOFError):
        raise UploadRejected("Excel ファイル (.xlsx) として読めません。") from None
