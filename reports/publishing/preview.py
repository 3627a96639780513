"""See before you publish: the table a 公表 would freeze, what a 訂正 changes, and a preview PDF.

Everything here is made from frozen_table() — the very function publication_request() freezes
the version with — so the confirmation page shows what will be published, not a second
rendering of the sheets. table_fingerprint() of it goes with the page's form, and the service
refuses a 公表 whose table (or version) is no longer the one shown.

The preview PDF is the publication's own PDF (the same parts, the same assembly) with
「公表前のプレビュー」 drawn over every page and put in its title. It is made on request for an
approver, never stored as a version and never served to the public.
"""

import io
from dataclasses import asdict, dataclass
from functools import cache

import pikepdf
from pikepdf import Name, Pdf

from goals.diff import GoalChange, Segment, content_changes, text_diff
from reports.exporters import EXPORTERS
from reports.exporters.pdf.parts import PartCache, part_requests
from reports.models import FileFormat, Publication, PublicationKind, PublicationStatus
from reports.publishing.services import PublishingError, frozen_table, table_fingerprint
from reports.selectors import Readiness, publication_readiness, year_publications
from reports.table import PublicTable

WATERMARK = "公表前のプレビュー"
# Missing PDF parts rendered within the request (a second or so each); more are rendered by the
# background worker, so that the request stays well within the web server's timeout.
MAX_PARTS_IN_REQUEST = 4
# Drawn in the top margin of every page, above the centre, where the table's own running header
# (left) and the department's name (right) leave room, and across the page, faintly.
WATERMARK_HEADER = f"{WATERMARK} — 公表された表ではありません"
WATERMARK_HTML = f"""<!DOCTYPE html>
<html lang="ja"><head><meta charset="utf-8"><title>{WATERMARK}</title></head>
<body><p class="header">{WATERMARK_HEADER}</p><p class="mark">{WATERMARK}</p></body></html>"""
WATERMARK_CSS = """
@page { size: A4 landscape; margin: 0 }
html { font-family: "Noto Sans CJK JP", "IPAexGothic", "DejaVu Sans", sans-serif; font-weight: 700 }
body { margin: 0 }
.header { position: absolute; top: 4mm; left: 0; right: 0; margin: 0; text-align: center;
          font-size: 10pt; color: #b02a37 }
.mark { position: absolute; top: 88mm; left: 0; right: 0; margin: 0; text-align: center;
        font-size: 72pt; color: rgba(176, 42, 55, 0.13); transform: rotate(-24deg) }
"""


# --- What the confirmation page shows ----------------------------------------------------------


@dataclass(frozen=True)
class DepartmentChange:
    """One department of a 訂正, compared by its code with the version it corrects."""

    code: str
    name: str
    kind: str  # "added", "removed", "changed", "unchanged"
    old_name: str = ""  # when the name itself changed
    goals: tuple[GoalChange, ...] = ()  # the goals added, removed or changed, in number order

    @property
    def label(self):
        return {
            "added": "追加された部署",
            "removed": "削除された部署",
            "changed": "変更あり",
            "unchanged": "変更なし",
        }[self.kind]

    @property
    def renamed(self):
        return bool(self.old_name) and self.old_name != self.name

    @property
    def name_segments(self) -> list[Segment]:
        return text_diff(self.old_name, self.name)


@dataclass(frozen=True)
class TableChanges:
    """What a 訂正 changes, per department, against the last published version of its kind."""

    version: int  # the version corrected
    departments: tuple[DepartmentChange, ...]  # this table's departments in order, then the removed
    policy: tuple[Segment, ...] = ()  # the policy's diff, empty when unchanged

    def _of(self, kind):
        return [d for d in self.departments if d.kind == kind]

    @property
    def changed(self):
        return self._of("changed")

    @property
    def added(self):
        return self._of("added")

    @property
    def removed(self):
        return self._of("removed")

    @property
    def unchanged(self):
        return self._of("unchanged")

    @property
    def has_changes(self):
        return bool(self.policy) or len(self.unchanged) != len(self.departments)


def table_changes(previous: PublicTable, table: PublicTable, *, version: int) -> TableChanges:
    """Each department of `table` against `previous` (goals.diff, goal by goal), then those gone."""
    old = {department.code: department for department in previous.departments}
    codes = {department.code for department in table.departments}
    departments = []
    for department in table.departments:
        before = old.get(department.code)
        if before is None:
            departments.append(DepartmentChange(department.code, department.name, "added"))
            continue
        goals = tuple(
            change
            for change in content_changes(
                asdict(before), asdict(department), with_results=table.with_results
            )
            if change.kind != "unchanged"
        )
        renamed = before.name != department.name
        departments.append(
            DepartmentChange(
                department.code,
                department.name,
                "changed" if goals or renamed else "unchanged",
                old_name=before.name if renamed else "",
                goals=goals,
            )
        )
    departments += [
        DepartmentChange(department.code, department.name, "removed")
        for department in previous.departments
        if department.code not in codes
    ]
    policy = ()
    if previous.policy != table.policy:
        policy = tuple(text_diff("\n".join(previous.policy), "\n".join(table.policy)))
    return TableChanges(version=version, departments=tuple(departments), policy=policy)


@dataclass(frozen=True)
class PublicationPreview:
    """The confirmation page's content for one kind of a year's table."""

    readiness: Readiness
    table: PublicTable | None = None  # None when the table cannot be published now
    fingerprint: str = ""
    refusal: str = ""  # why not, when table is None
    corrected: Publication | None = None  # the published version a 訂正 replaces
    changes: TableChanges | None = None

    @property
    def ok(self):
        return self.table is not None


def publication_preview(fiscal_year, kind) -> PublicationPreview:
    """What publishing this kind now would freeze, its fingerprint and, for a 訂正, its changes.

    A constant number of queries whatever the number of departments and goals.
    """
    kind = PublicationKind(kind)
    publications = year_publications(fiscal_year)
    readiness = publication_readiness(fiscal_year, kind, publications)
    if not readiness.ok:
        return PublicationPreview(readiness=readiness, refusal=readiness.refusal())
    try:
        table = frozen_table(fiscal_year, kind)
    except PublishingError as error:
        return PublicationPreview(readiness=readiness, refusal=str(error))
    corrected, changes = None, None
    if readiness.is_correction:
        corrected = (
            Publication.objects.filter(
                fiscal_year=fiscal_year, kind=kind, status=PublicationStatus.PUBLISHED
            )
            .order_by("-version")
            .first()
        )
        changes = table_changes(
            PublicTable.from_json(corrected.table), table, version=corrected.version
        )
    return PublicationPreview(
        readiness=readiness,
        table=table,
        fingerprint=table_fingerprint(table, readiness.next_version),
        corrected=corrected,
        changes=changes,
    )


# --- The preview PDF ---------------------------------------------------------------------------


class PreviewNotReady(Exception):
    """Too many of the table's PDF parts are missing to render them within a web request: they
    are being rendered in the background. The message is Japanese and shown as is."""


def preview_pdf(fiscal_year, table: PublicTable) -> bytes:
    """The table's PDF as 公表 would make it, marked 「公表前のプレビュー」 on every page.

    Usually every part is cached already, rendered when its sheet was approved, and this only
    assembles. A few missing parts are rendered here, in this process (a web request starts no
    pool of rendering processes, reports.exporters.pdf.pool); more are left to the background
    worker (PreviewNotReady), as after a release that changed how the parts look.
    """
    part_cache = PartCache()
    requests = part_requests(table)
    missing = [request for request in requests if part_cache.get(request.key) is None]
    if len(missing) > MAX_PARTS_IN_REQUEST:
        # Imported here: the task module imports the services, which this module imports.
        from reports.tasks import render_table_parts

        render_table_parts.enqueue(fiscal_year.pk, str(table.kind))
        # Rendered at once where tasks run at once (development); else later, by the worker.
        missing = [request for request in missing if part_cache.get(request.key) is None]
        if len(missing) > MAX_PARTS_IN_REQUEST:
            raise PreviewNotReady(
                f"プレビューのPDFを作成しています ({len(missing)}部署分)。"
                "1〜2分ほど待ってから、もう一度「プレビューのPDFを開く」を押してください。"
            )
    for request in missing:
        part_cache.ensure(request)
    pdf = EXPORTERS[FileFormat.PDF].render(table, part_cache)
    return watermarked(pdf, title=f"{WATERMARK}: {table.title}")


def watermarked(data: bytes, *, title: str) -> bytes:
    """The PDF with the watermark page drawn over each page (as a watermark artifact, which screen
    readers skip) and `title` as its title, which they read."""
    pdf = Pdf.open(io.BytesIO(data))
    overlay = Pdf.open(io.BytesIO(_watermark_page()))
    mark = overlay.pages[0]
    form = pdf.copy_foreign(mark.as_form_xobject())
    _own_subset_tags(form)
    mark_left, mark_bottom, mark_right, mark_top = (float(v) for v in mark.mediabox)
    for page in pdf.pages:
        left, bottom, right, top = (float(v) for v in page.mediabox)
        sx = (right - left) / (mark_right - mark_left)
        sy = (top - bottom) / (mark_top - mark_bottom)
        name = page.add_resource(form, Name.XObject, prefix="Preview")
        page.contents_add(
            (
                f"/Artifact <</Type /Pagination /Subtype /Watermark>> BDC\n"
                f"q {sx:.5f} 0 0 {sy:.5f} {left - mark_left * sx:.3f} {bottom - mark_bottom * sy:.3f} cm "
                f"{name} Do Q\nEMC\n"
            ).encode()
        )
    with pdf.open_metadata(set_pikepdf_as_editor=False) as meta:
        meta["dc:title"] = title
    output = io.BytesIO()
    pdf.save(output, compress_streams=True, object_stream_mode=pikepdf.ObjectStreamMode.generate)
    return output.getvalue()


def _own_subset_tags(form):
    """The watermark's fonts under a subset tag of their own: WeasyPrint may have given its subset
    the tag of the table's subset of the same font, and two subsets must not share a name."""
    for font in form.Resources.get("/Font", {}).values():
        name = Name("/PREVIW+" + str(font.BaseFont).lstrip("/").split("+", 1)[-1])
        font.BaseFont = name
        for descendant in font.get("/DescendantFonts", ()):
            descendant.BaseFont = name
            descendant.FontDescriptor.FontName = name


@cache
def _watermark_page() -> bytes:
    """One A4 landscape page with the watermark alone (untagged: it is drawn as an artifact)."""
    from weasyprint import CSS, HTML  # only where a PDF is made (reports.exporters.pdf.weasy)

    return HTML(string=WATERMARK_HTML).write_pdf(stylesheets=[CSS(string=WATERMARK_CSS)])
