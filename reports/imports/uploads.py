"""Uploaded files, checked by what they contain rather than what they are called.

read_upload() reads an uploaded file (at most MAX_UPLOAD_BYTES) and tells what it is:

- "csv" / "txt": UTF-8 text (a BOM is fine) without NUL characters;
- "xlsx": an Office Open XML workbook — a zip with [Content_Types].xml and xl/workbook.xml,
  without macros, small enough once unpacked (no zip bomb), and whose XML parts are
  well-formed XML without a DOCTYPE (the readers parse sheets lazily, row by row: a broken part
  found there would be an error half-way through reading instead of a message).

Anything else (a renamed PDF, an old .xls, an image, a workbook with macros, ...) is refused
with UploadRejected, whose message is Japanese and can be shown as it is.

A file that passed and was previewed waits for 確定 as a PendingUpload (pending_upload_keep):
the page posts back only its random token, and pending_upload_take gives the bytes back once,
to the same person, for the same page, within PendingUpload.EXPIRES_AFTER.
"""

import hashlib
import io
import secrets
import zipfile
import zlib
from xml.parsers import expat

from django.db import transaction
from django.utils import timezone

from reports.models import PendingUpload
from wardservice.text import as_one_line

__all__ = [
    "MAX_UPLOAD_BYTES",
    "MAX_XLSX_MEMBERS",
    "MAX_XLSX_RATIO",
    "MAX_XLSX_UNCOMPRESSED",
    "PendingUploadError",
    "UploadRejected",
    "pending_upload_keep",
    "pending_upload_take",
    "pending_uploads_cleanup",
    "read_upload",
]

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


class PendingUploadError(Exception):
    """確定 without a usable pending upload (unknown, someone else's, used, expired); Japanese."""


def _describe(allowed):
    names = {"csv": "CSV (.csv)", "txt": "テキスト (.txt)", "xlsx": "Excel (.xlsx)"}
    return "・".join(names[kind] for kind in ("csv", "xlsx", "txt") if kind in allowed)


def read_upload(uploaded_file, *, allowed: set[str]) -> tuple[str, bytes]:
    """(kind, content) of the upload, kind being one of `allowed`; else UploadRejected."""
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
    _check_text(data)
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


def _check_text(data: bytes):
    if b"\x00" in data:
        raise UploadRejected(
            "テキストのファイルではありません (NUL 文字が含まれています)。UTF-8 のテキストで保存してください。"
        )
    try:
        data.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        raise UploadRejected(
            f"UTF-8 のテキストとして読めません ({error.start + 1} バイト目)。"
            "Shift_JIS などで保存されている場合は、UTF-8 で保存し直してください。"
        ) from None


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


# --- waiting for 確定 -----------------------------------------------------------------------------

PENDING_MISSING = (
    "取り込むファイルが見つかりません (既に確定したか、別の画面でアップロードし直しました)。"
    "もう一度アップロードしてください。"
)
PENDING_EXPIRED = (
    "アップロードしてから{hours}時間を過ぎたため、確定できませんでした。何も保存していません。"
    "もう一度アップロードしてください。"
)


def pending_upload_keep(
    *, owner, flavor, office, year, data: bytes, filename: str, sheet=None, options=None
) -> PendingUpload:
    """Keep checked bytes until 確定; the page posts back only the returned upload's token.

    One pending upload per person and page: an earlier one for the same page is replaced (its
    preview can no longer be confirmed). Every expired upload, anyone's, is deleted on the way.
    """
    now = timezone.now()
    with transaction.atomic():
        pending_uploads_cleanup(now=now)
        PendingUpload.objects.filter(
            owner=owner, flavor=flavor, office=office, year=year, sheet=sheet
        ).delete()
        return PendingUpload.objects.create(
            token=secrets.token_urlsafe(32),
            owner=owner,
            flavor=flavor,
            office=office,
            year=year,
            sheet=sheet,
            # The name the browser sent, kept to show it again: printable, one line.
            filename=as_one_line(filename or "")[:200],
            data=data,
            size=len(data),
            sha256=hashlib.sha256(data).hexdigest(),
            options=options or {},
            created_at=now,
        )


def pending_upload_take(*, token, owner, flavor, office, year, sheet=None) -> PendingUpload:
    """The kept upload behind `token` for this person and page, deleted so it serves only once.

    PendingUploadError (Japanese) when there is none — unknown, someone else's, for another
    page, already used — or it has expired, or its bytes no longer match their SHA-256.
    """
    if not token or not isinstance(token, str) or len(token) > 64:
        raise PendingUploadError(PENDING_MISSING)
    pending = PendingUpload.objects.filter(
        token=token, owner=owner, flavor=flavor, office=office, year=year, sheet=sheet
    ).first()
    # Of two 確定 racing with the same token, only the one whose delete removes the row goes on.
    if pending is None or PendingUpload.objects.filter(pk=pending.pk).delete()[0] != 1:
        raise PendingUploadError(PENDING_MISSING)
    if pending.is_expired():
        hours = int(PendingUpload.EXPIRES_AFTER.total_seconds() // 3600)
        raise PendingUploadError(PENDING_EXPIRED.format(hours=hours))
    pending.data = bytes(pending.data)
    if not secrets.compare_digest(hashlib.sha256(pending.data).hexdigest(), pending.sha256):
        raise PendingUploadError(PENDING_MISSING)
    return pending


def pending_uploads_cleanup(*, now=None) -> int:
    """Delete every expired pending upload; how many were deleted."""
    cutoff = (now or timezone.now()) - PendingUpload.EXPIRES_AFTER
    deleted, _ = PendingUpload.objects.filter(created_at__lte=cutoff).delete()
    return deleted
