"""The print publication's parts — the title page, and each department's pages — cached by content.

A part's key is a SHA-256 of everything that decides how it looks: the renderer (template,
stylesheet, WeasyPrint), the table's heading data and the department's own rows. A part is
rendered once per key — when its sheet is approved (reports.receivers), or at the latest when the
table is published — and publishing only assembles. A correction to one department changes that
department's key alone, so republishing renders that one part again.

A part is kept as WeasyPrint wrote it, but for three things the assembly needs: its table
header ids made unique, every table header given its scope (reports.exporters.pdf.tags), and its
fonts rewritten to the glyphs it uses and described beside it (reports.exporters.pdf.fonts).

Parts live in settings.PDF_PARTS_DIR (a cache: deleting it costs time, never data). Missing parts
are rendered in parallel by long-lived worker processes (reports.exporters.pdf.pool).
"""

import hashlib
import io
import json
import logging
import os
import tempfile
import time
from collections import OrderedDict
from dataclasses import dataclass, replace
from datetime import timedelta
from pathlib import Path

import pikepdf
from django.conf import settings

from goals.printed import TableDepartment
from reports.exporters.pdf import weasy
from reports.exporters.pdf.assembly import Layout
from reports.exporters.pdf.fonts import PartFont, compact_fonts
from reports.exporters.pdf.tags import add_header_scopes, unique_header_ids
from reports.table import PublicTable

logger = logging.getLogger(__name__)

FRONT = None  # the title page's place among a table's departments
# Folders in the cache: the parts, and the font page numbers are printed with (one per renderer).
PARTS, PAGE_NUMBERS = "parts", "page-numbers"


@dataclass(frozen=True)
class Part:
    key: str
    pdf: bytes
    pages: int
    fonts: tuple[PartFont, ...]


@dataclass(frozen=True)
class PartRequest:
    """One part of a table: its key, and what a worker process needs to render it."""

    key: str
    header: PublicTable  # the table without departments
    department: TableDepartment | None  # None for the title page


def part_requests(table: PublicTable) -> list[PartRequest]:
    """The table's parts in print order: the title page, then each department."""
    # The kind as plain text: a table built from the sheets holds PublicationKind, a frozen one
    # read back from JSON a str, and both must give the same keys.
    header = replace(table, departments=(), kind=str(table.kind))
    fingerprint = weasy.renderer_fingerprint()
    front = _key(fingerprint, repr(header), "front")
    # A department's pages do not print the policy: changing it re-renders the title page only.
    department_header = repr(replace(header, policy=()))
    return [PartRequest(front, header, FRONT)] + [
        PartRequest(_key(fingerprint, department_header, repr(department)), header, department)
        for department in table.departments
    ]


def _key(*material: str) -> str:
    # The frozen dataclasses' repr() lists every field, strings quoted: a faithful, fast key.
    return hashlib.sha256("\x00".join(material).encode()).hexdigest()


class PartCache:
    """Rendered parts in a folder: parts/ab/<key>.pdf with <key>.json beside it (page-numbers/ alike)."""

    def __init__(self, folder: Path | None = None):
        self.folder = Path(folder or settings.PDF_PARTS_DIR)

    def _paths(self, key, kind=PARTS):
        base = self.folder / kind / key[:2] / key
        return base.with_suffix(".pdf"), base.with_suffix(".json")

    def get(self, key: str, kind=PARTS) -> Part | None:
        """The part if it was rendered, from this process's memory or from the folder."""
        remembered = _remembered.get((self.folder, key))
        if remembered is not None:
            _remembered.move_to_end((self.folder, key))
            return remembered
        part = self._read(key, kind)
        if part is not None:
            _remember(self.folder, part)
        return part

    def _read(self, key: str, kind) -> Part | None:
        pdf_path, meta_path = self._paths(key, kind)
        found = _read_checked(pdf_path, meta_path)
        if found is None:
            return None
        pdf, meta = found
        os.utime(meta_path)  # used now: prune() keeps it
        fonts = tuple(PartFont.from_json(font) for font in meta["fonts"])
        return Part(key=key, pdf=pdf, pages=meta["pages"], fonts=fonts)

    def render(self, request: PartRequest) -> Part:
        """Render a part with WeasyPrint and keep it."""
        rendered = weasy.render_part(request.header, request.department)
        part = self._keep(request.key, rendered, prefix=request.key[:12])
        _count_render(request)
        return part

    def page_numbers(self) -> Part:
        """What the assembly prints page numbers with (weasy.render_page_numbers), made once."""
        key = _key(weasy.renderer_fingerprint(), PAGE_NUMBERS)
        return self.get(key, PAGE_NUMBERS) or self._keep(
            key, weasy.render_page_numbers(), prefix=key[:12], kind=PAGE_NUMBERS
        )

    def _keep(self, key, rendered, *, prefix, kind=PARTS) -> Part:
        pdf, fonts = finished_part(rendered.pdf, prefix=prefix)
        part = Part(key=key, pdf=pdf, pages=rendered.pages, fonts=fonts)
        pdf_path, meta_path = self._paths(key, kind)
        write_atomically(pdf_path, part.pdf)
        meta = {
            "pages": part.pages,
            "sha256": hashlib.sha256(part.pdf).hexdigest(),
            "fonts": [font.to_json() for font in part.fonts],
        }
        write_atomically(meta_path, json.dumps(meta, ensure_ascii=False).encode())
        _remember(self.folder, part)
        return part

    def assembled(self, identity: str):
        """The file last assembled for this table (office, year, kind) and its Layout, or None."""
        found = _read_checked(*self._assembled_paths(identity))
        if found is None:
            return None  # none yet, or damaged: assemble afresh
        pdf, meta = found
        return pdf, Layout.from_json(meta["layout"])

    def keep_assembled(self, identity: str, pdf: bytes, layout: Layout) -> None:
        pdf_path, meta_path = self._assembled_paths(identity)
        write_atomically(pdf_path, pdf)
        meta = {"sha256": hashlib.sha256(pdf).hexdigest(), "layout": layout.to_json()}
        write_atomically(meta_path, json.dumps(meta).encode())

    def _assembled_paths(self, identity):
        base = self.folder / "assembled" / identity
        return base.with_suffix(".pdf"), base.with_suffix(".json")

    def prune(self, *, unused_for: timedelta, dry_run=False) -> int:
        """Delete the parts not used for this long (with dry_run, only count them); how many.
        Parts in use are made again if needed."""
        cutoff = time.time() - unused_for.total_seconds()
        removed = 0
        for meta_path in self.folder.glob("parts/*/*.json"):
            if meta_path.stat().st_mtime < cutoff:
                if not dry_run:
                    meta_path.unlink(missing_ok=True)  # first: without it the PDF is never read
                    meta_path.with_suffix(".pdf").unlink(missing_ok=True)
                removed += 1
        return removed

    def ensure(self, request: PartRequest) -> str:
        """Render the part unless it is cached already; its key either way."""
        if not self._paths(request.key)[1].exists():
            self.render(request)
        self.page_numbers()  # made ahead too, with the first part
        return request.key


def _read_checked(pdf_path: Path, meta_path: Path):
    """(PDF, its description) if both are there and the PDF has the SHA-256 described, else None.

    The description is written last: where it is, the PDF was written whole before it.
    """
    try:
        meta = json.loads(meta_path.read_text(encoding="utf-8"))
        pdf = pdf_path.read_bytes()
    except FileNotFoundError:
        return None
    if hashlib.sha256(pdf).hexdigest() != meta["sha256"]:
        logger.warning("Cached PDF file %s is damaged; making it again", pdf_path.name)
        return None
    return pdf, meta


def finished_part(pdf: bytes, *, prefix: str) -> tuple[bytes, tuple[PartFont, ...]]:
    """A part as WeasyPrint wrote it, made ready to assemble; and its fonts' descriptions.

    Header ids get the part's own prefix, every header its scope, every font only the glyphs
    the part uses (reports.exporters.pdf.fonts.compact_fonts).
    """
    document = pikepdf.Pdf.open(io.BytesIO(pdf))
    unique_header_ids(document, prefix=prefix)
    add_header_scopes(document)
    fonts = compact_fonts(document)
    output = io.BytesIO()
    # Without object streams: a part is read at every assembly, and qpdf reads such a file three
    # times faster (it is twice as big, which matters little in the cache folder).
    document.save(
        output,
        compress_streams=True,
        object_stream_mode=pikepdf.ObjectStreamMode.disable,
        deterministic_id=True,
    )
    return output.getvalue(), fonts


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


def table_parts(table: PublicTable, cache: PartCache | None = None) -> list[Part]:
    """Every part of the table, in print order: cached ones read, the others rendered (in parallel)."""
    from reports.exporters.pdf import pool  # the pool imports this module

    cache = cache or PartCache()
    requests = part_requests(table)
    parts = {request.key: cache.get(request.key) for request in requests}
    missing = list({r.key: r for r in requests if parts[r.key] is None}.values())
    if missing:
        pool.render_all(cache, missing)
        for request in missing:
            parts[request.key] = cache.get(request.key)
            if parts[request.key] is None:
                raise RuntimeError(f"PDF part {request.key} was rendered but cannot be read back.")
    return [parts[request.key] for request in requests]


# The parts this process read or rendered last, so that a long-lived worker assembles the next
# version of a year without reading its parts again: a few tables' worth.
MEMORY_BYTES = 64 * 1024 * 1024
_remembered: OrderedDict = OrderedDict()
_remembered_bytes = 0


def _remember(folder, part):
    global _remembered_bytes
    if (folder, part.key) not in _remembered:
        _remembered_bytes += len(part.pdf)
    _remembered[(folder, part.key)] = part
    while _remembered_bytes > MEMORY_BYTES and len(_remembered) > 1:
        _, dropped = _remembered.popitem(last=False)
        _remembered_bytes -= len(dropped.pdf)


# How many parts this process has rendered, by kind: what the tests count to show that a
# correction re-renders only the department it changed.
render_counts = {"front": 0, "department": 0}


def _count_render(request):
    render_counts["front" if request.department is FRONT else "department"] += 1
