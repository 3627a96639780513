"""公表: freezing a year's table as a new version and rendering its files in the background.

A version goes PENDING (requested: table frozen, rows for search written) → RENDERING (a worker
renders PDF, XLSX, CSV, then the HTML page that lists them) → PUBLISHED (files stored with their
SHA-256, and only now public). If rendering fails the version becomes FAILED with its files
removed and nothing of it public; publication_retry() queues it again, from the same frozen
table, so what is finally published is what was approved when 公表 was pressed.
"""

import hashlib
import json
import logging
from dataclasses import dataclass, replace

from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.db import transaction
from django.urls import reverse
from django.utils import timezone

from goals.models import FiscalYear, GoalSheet, Phase
from goals.validators import normalise_text, text_problem
from reports.exporters import EXPORTERS
from reports.exporters.html import EarlierVersion, PublishedPage
from reports.exporters.pdf.parts import PartCache, part_requests, table_parts
from reports.furigana.services import publication_readings_after_publish
from reports.models import (
    FileFormat,
    Publication,
    PublicationFile,
    PublicationKind,
    PublicationStatus,
    PublishedGoal,
    artifact_name,
)
from reports.search.index import index_row
from reports.selectors import publication_readiness, published_versions_before
from reports.table import TAG_SEPARATOR, PublicTable, build_table
from wardservice.text import remove_refused

logger = logging.getLogger(__name__)

# The files rendered before the HTML page (which shows their sizes), with the share of the
# progress bar each takes: the PDF is by far the slowest.
FILE_STEPS = ((FileFormat.PDF, 60), (FileFormat.XLSX, 20), (FileFormat.CSV, 5))
CLAIMED_PROGRESS = 5  # shown as soon as a worker has taken the version
MAX_ERROR_LENGTH = 2000


class PublishingError(Exception):
    """A 公表 step that is not allowed now; the message is Japanese and shown as is."""


class StalePreviewError(PublishingError):
    """The table to freeze is no longer the one the confirmation page showed (table_fingerprint)."""


NOTE_REQUIRED = "公表済みの表を訂正するときは、訂正内容を入力してください。"
STALE_PREVIEW = (
    "確認のページを開いた後に、公表する表の内容 (または版) が変わりました。"
    "表示し直した現在の内容を確認してから、もう一度公表してください。"
)


# --- Request ----------------------------------------------------------------------------------


def publication_request(*, fiscal_year, kind, by, note="", fingerprint=None) -> Publication:
    """公表: freeze the year's table of this kind as the next version and queue its rendering.

    Allowed when every sheet of an active department is approved for the phase and no earlier
    version is left unfinished. Publishing a kind that is already public is a correction (訂正)
    and needs `note`, which the public page prints; a first publication keeps no note.
    The frozen table and its search rows are written in the same transaction, so the version
    never changes afterwards, whatever happens to the sheets.

    `fingerprint` is table_fingerprint() of what the person confirmed (the 公表 confirmation
    page): when given, a table or version that differs from it now is refused
    (StalePreviewError), so nothing is published that was not seen.
    """
    kind = PublicationKind(kind)
    note = normalise_text(note)
    with transaction.atomic():
        # One request per year at a time: versions are numbered per year.
        fiscal_year = FiscalYear.objects.select_for_update().get(pk=fiscal_year.pk)
        # Approval cannot be withdrawn (承認取消) while the table is being frozen.
        list(
            GoalSheet.objects.select_for_update().filter(fiscal_year=fiscal_year).values_list("pk")
        )
        readiness = publication_readiness(fiscal_year, kind)
        if not readiness.ok:
            raise PublishingError(readiness.refusal())
        table = frozen_table(fiscal_year, kind)
        if fingerprint is not None and fingerprint != table_fingerprint(table, readiness.next_version):
            raise StalePreviewError(STALE_PREVIEW)
        if readiness.is_correction and not note:
            raise PublishingError(NOTE_REQUIRED)
        refusal = note_refusal(note)
        if refusal:
            raise PublishingError(refusal)
        publication = Publication(
            fiscal_year=fiscal_year,
            kind=kind,
            version=readiness.next_version,
            published_by=by,
            note=note if readiness.is_correction else "",
            table=table.to_json(),
        )
        publication.save()
        PublishedGoal.objects.bulk_create(published_goals(publication, table))
        enqueue_render_on_commit(publication)
    return publication


def frozen_table(fiscal_year, kind) -> PublicTable:
    """The table a 公表 of this kind would freeze now: what publication_request() stores and what
    the confirmation page and its preview PDF show (reports.publishing.preview)."""
    table = build_table(fiscal_year, kind)
    if not table.departments:
        raise PublishingError("承認済みのシートが1件もありません。")
    return table


def table_fingerprint(table: PublicTable, version: int) -> str:
    """A SHA-256 of the frozen table and the version it would become: what the confirmation page
    posts back, so that a sheet changed (or another version published) since is noticed."""
    data = json.dumps(
        {"version": version, "table": table.to_json()},
        ensure_ascii=False,
        sort_keys=True,
        separators=(",", ":"),
    )
    return hashlib.sha256(data.encode()).hexdigest()


def note_refusal(note) -> str:
    """Why this 訂正内容 (normalised) cannot be stored, or "": too long, or characters refused."""
    limit = Publication._meta.get_field("note").max_length
    if len(note) > limit:
        return f"訂正内容は{limit}文字以内で入力してください (現在 {len(note)} 文字)。"
    problem = text_problem(note)
    return f"訂正内容に{problem}" if problem else ""


def published_goals(publication, table: PublicTable):
    """One frozen, searchable row per goal of the table, in table order, indexed for search."""
    position = 0
    for department in table.departments:
        for goal in department.goals:
            position += 1
            result = goal.result
            row = PublishedGoal(
                publication=publication,
                year=table.year,
                municipality_code=table.municipality_code,
                office_name=table.office_name,
                position=position,
                department_code=department.code,
                department_name=department.name,
                number=goal.number,
                categories=TAG_SEPARATOR.join(goal.categories),
                objective=goal.objective,
                actions=goal.actions,
                done=result.done if result else "",
                rating=result.rating if result else "",
                achievement=result.achievement if result else "",
                omitted_reason=result.omitted_reason if result else "",
            )
            index_row(row)
            yield row


def enqueue_render_on_commit(publication):
    """Queue the version's rendering once the current transaction commits."""
    # Imported here: the task module imports this one.
    from reports.tasks import render_publication

    publication_id = publication.pk
    # Only a committed version can be rendered: the worker reads it from the database.
    transaction.on_commit(lambda: render_publication.enqueue(publication_id))


# --- PDF parts ahead of 公表 -----------------------------------------------------------------


def sheet_part_render(*, sheet_id, phase) -> None:
    """Render the PDF part of an approved sheet's department, and the year's title page.

    Run in the background when a sheet is approved, so that 公表 finds the parts cached and
    only assembles them. Does nothing if the sheet is no longer approved for the phase.
    """
    sheet = (
        GoalSheet.objects.select_related("fiscal_year__office", "department")
        .filter(pk=sheet_id)
        .first()
    )
    if sheet is None:
        return
    kind = PublicationKind.RESULT if phase == Phase.RESULT else PublicationKind.PLAN
    table = build_table(sheet.fiscal_year, kind)
    departments = tuple(d for d in table.departments if d.code == sheet.department.code)
    if not departments:
        return
    cache = PartCache()
    for request in part_requests(replace(table, departments=departments)):
        cache.ensure(request)


def table_parts_render(*, fiscal_year_id, kind) -> None:
    """Render every missing PDF part of the table a 公表 of this kind would freeze now.

    Queued by the preview PDF (reports.publishing.preview) when too many parts are missing to
    render them within a web request. Does nothing if the table cannot be frozen now.
    """
    fiscal_year = FiscalYear.objects.select_related("office").filter(pk=fiscal_year_id).first()
    if fiscal_year is None:
        return
    try:
        table = frozen_table(fiscal_year, kind)
    except PublishingError:
        return
    table_parts(table, PartCache())


# --- Retry ------------------------------------------------------------------------------------


def publication_retry(*, publication, by=None, worker_lost=False) -> Publication:
    """再試行: queue a FAILED version (or one whose worker was lost or has stopped) to be rendered
    again.

    A version still rendering may be retried once it has not moved for Publication.STALLED_AFTER.
    With worker_lost the caller knows that no worker holds the version (the recovery run as the
    only worker starts), so a version waiting or rendering is queued again at once.

    It keeps its version number and its frozen table; files of earlier attempts are removed
    when the new attempt starts.
    """
    with transaction.atomic():
        publication = Publication.objects.select_for_update().get(pk=publication.pk)
        if publication.status == PublicationStatus.PUBLISHED:
            raise PublishingError(f"第{publication.version}版は公表済みです。")
        if not (publication.can_retry or worker_lost):
            updated = timezone.localtime(publication.updated_at).strftime("%H:%M")
            raise PublishingError(
                f"第{publication.version}版は{publication.get_status_display()}です (最終更新: {updated})。"
                f"{Publication.stalled_after_minutes()}分間進まないときに再試行できます。"
                "しばらく待ってから状態を確認してください。"
            )
        publication.status = PublicationStatus.PENDING
        publication.progress = 0
        publication.error = ""
        publication.save(update_fields=["status", "progress", "error", "updated_at"])
        enqueue_render_on_commit(publication)
    logger.info("Publication %s queued again by %s", publication.pk, by or "the command line")
    return publication


# --- Rendering (run by the worker) ---------------------------------------------------------


@dataclass(frozen=True)
class _Stored:
    format: str
    name: str  # in default storage
    size: int
    sha256: str


def publication_render(publication_id) -> Publication | None:
    """Render, store and publish a queued version: the work of the background task.

    Does nothing unless the version is PENDING (a duplicate or late task finds it taken). On any
    error the files of this attempt are deleted, the version is marked FAILED with the error, and
    the error is raised again so that the task is recorded as failed too.
    """
    publication = _claim(publication_id)
    if publication is None:
        return None
    attempt = publication.attempt
    try:
        for earlier in range(1, attempt):  # left by a worker that was killed, if any
            _delete_attempt(publication, earlier)
        table = PublicTable.from_json(publication.table)
        stored = _render_files(publication, table)
        published_at = timezone.now()
        stored.append(_render_page(publication, table, stored, published_at))
        published = _publish(publication, attempt, stored, published_at)
    except Exception as error:
        # Recorded first: should deleting the files fail too, the version is still FAILED, and
        # the next attempt removes what this one left.
        _fail(publication, attempt, error)
        _delete_attempt(publication, attempt)
        raise
    # The page with ふりがな, made from the page just stored: never a reason to fail the version.
    publication_readings_after_publish(published)
    return published


@transaction.atomic
def _claim(publication_id):
    """Take a PENDING version for this worker: RENDERING, with a new attempt number."""
    publication = Publication.objects.select_for_update().filter(pk=publication_id).first()
    if publication is None or publication.status != PublicationStatus.PENDING:
        logger.info("Publication %s is not waiting to be rendered; nothing to do", publication_id)
        return None
    publication.status = PublicationStatus.RENDERING
    publication.attempt += 1
    publication.progress = CLAIMED_PROGRESS
    publication.error = ""
    publication.save(update_fields=["status", "attempt", "progress", "error", "updated_at"])
    return publication


def _render_files(publication, table):
    """PDF, XLSX and CSV, each stored as soon as it is rendered, the progress moving after each."""
    stored, progress = [], CLAIMED_PROGRESS
    for fmt, share in FILE_STEPS:
        exporter = EXPORTERS[fmt]
        stored.append(_store(publication, fmt, exporter.filename(table), exporter.render(table)))
        progress += share
        _set_progress(publication, progress)
    return stored


def _render_page(publication, table, stored, published_at):
    """The HTML page, which shows the version, its date, the versions before and the file sizes."""
    exporter = EXPORTERS[FileFormat.HTML]
    page = PublishedPage(
        version=publication.version,
        kind_label=publication.get_kind_display(),
        published_at=published_at,
        note=publication.note,
        sizes={file.format: file.size for file in stored},
        earlier=tuple(
            _earlier(publication, earlier) for earlier in published_versions_before(publication)
        ),
    )
    return _store(
        publication,
        FileFormat.HTML,
        exporter.filename(table),
        exporter.render(table, publication=page),
    )


def _earlier(publication, earlier):
    fiscal_year = publication.fiscal_year
    return EarlierVersion(
        version=earlier.version,
        kind_label=earlier.get_kind_display(),
        published_at=earlier.published_at,
        note=earlier.note,
        url=reverse(
            "reports:version",
            kwargs={
                "office": fiscal_year.office.slug,
                "year": fiscal_year.year,
                "version": earlier.version,
            },
        ),
    )


def _store(publication, fmt, filename, data: bytes) -> _Stored:
    name = artifact_name(publication, publication.attempt, filename)
    # Replaced rather than kept beside under another name, should the name be taken.
    default_storage.delete(name)
    name = default_storage.save(name, ContentFile(data))
    return _Stored(fmt, name, len(data), hashlib.sha256(data).hexdigest())


def _set_progress(publication, progress):
    # Outside any transaction, so whoever watches the progress page sees it move at once.
    Publication.objects.filter(pk=publication.pk, attempt=publication.attempt).update(
        progress=progress, updated_at=timezone.now()
    )


@transaction.atomic
def _publish(publication, attempt, stored, published_at):
    """PUBLISHED, with its files, in one step — unless a retry took the version over meanwhile."""
    current = Publication.objects.select_for_update().get(pk=publication.pk)
    if current.status != PublicationStatus.RENDERING or current.attempt != attempt:
        raise PublishingError(f"第{current.version}版は別の作成処理に引き継がれました。")
    PublicationFile.objects.bulk_create(
        PublicationFile(
            publication=current,
            format=file.format,
            file=file.name,
            size=file.size,
            sha256=file.sha256,
        )
        for file in stored
    )
    current.status = PublicationStatus.PUBLISHED
    current.published_at = published_at
    current.progress = 100
    current.save(update_fields=["status", "published_at", "progress", "updated_at"])
    logger.info("Published %s", current)
    return current


def _fail(publication, attempt, error):
    logger.exception("Rendering publication %s (attempt %s) failed", publication.pk, attempt)
    # Stored as any text is (wardservice.text): an exception's message may quote anything.
    message = remove_refused(f"{type(error).__name__}: {error}")[:MAX_ERROR_LENGTH]
    # Only this attempt's own state: a retry that took over meanwhile is left alone.
    Publication.objects.filter(
        pk=publication.pk, attempt=attempt, status=PublicationStatus.RENDERING
    ).update(status=PublicationStatus.FAILED, error=message, updated_at=timezone.now())


def _delete_attempt(publication, attempt):
    """Delete every file an attempt stored: an unfinished attempt leaves nothing behind."""
    folder = artifact_name(publication, attempt, "")
    try:
        _, files = default_storage.listdir(folder)
    except FileNotFoundError:
        return  # the attempt stored nothing
    for filename in files:
        default_storage.delete(folder + filename)
