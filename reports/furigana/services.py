"""Making a version's ふりがな once, and storing it with the version.

At 公表 the worker publishes the version (reports.publishing.services), then calls
publication_readings_make(): its stored year page is read with the office's dictionary and
stored again with ruby (PublicationReadings), and each of its rows' texts gets its segments for
the public search (PublishedGoalReadings). Pages are then served from storage only.

ふりがな is an aid beside the publication, never part of it: should making it fail, the version
stays published without it (its link 「ふりがなを表示」 then leads to the page as it is), and the
recovery run (recover_publications, every 5 minutes) or the command make_furigana makes it later.
Versions published before ふりがな existed (whose pages have no link) get theirs the same way, once.
"""

import hashlib
import logging
from dataclasses import dataclass
from pathlib import PurePosixPath

from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.db import IntegrityError, transaction

from reports.furigana.page import has_toggle, ruby_page, with_toggle
from reports.furigana.readings import Readings
from reports.models import (
    FileFormat,
    Publication,
    PublicationReadings,
    PublicationStatus,
    PublishedGoal,
    PublishedGoalReadings,
    ReadingEntry,
    artifact_name,
)
from reports.table import TAG_SEPARATOR

logger = logging.getLogger(__name__)

# The texts of a published row that the public search shows (reports.furigana.search).
ROW_TEXTS = ("department_name", "objective", "actions", "done", "achievement", "omitted_reason", "rating")


def office_readings(office) -> Readings:
    """The office's dictionary, ready to read text with. One query."""
    return Readings(dict(ReadingEntry.objects.filter(office=office).values_list("word", "reading")))


def publication_readings_make(publication, *, readings: Readings | None = None) -> PublicationReadings | None:
    """Make and store the ふりがな of a published version, unless it has them already.

    Returns what is stored (None for a version that is not published or has no page).
    """
    publication = Publication.objects.select_related("fiscal_year__office").defer("table").get(pk=publication.pk)
    if publication.status != PublicationStatus.PUBLISHED:
        return None
    existing = PublicationReadings.objects.filter(publication=publication).first()
    if existing is not None:
        return existing
    page_file = publication.files.filter(format=FileFormat.HTML).first()
    if page_file is None:
        return None
    readings = readings or office_readings(publication.fiscal_year.office)
    with page_file.file.open("rb") as handle:
        page = handle.read()
    rows = _row_readings(publication, readings)
    stem = PurePosixPath(page_file.file.name).stem
    ruby = _store(publication, f"{stem}-furigana.html", with_toggle(ruby_page(page, readings), on=True))
    # A page published before ふりがな gets the link to turn it on, in a copy served in its place.
    plain = None if has_toggle(page) else _store(publication, f"{stem}-with-toggle.html", with_toggle(page, on=False))
    try:
        with transaction.atomic():
            stored = PublicationReadings.objects.create(
                publication=publication,
                file=ruby.name,
                size=ruby.size,
                sha256=ruby.sha256,
                plain_file=plain.name if plain else "",
                plain_size=plain.size if plain else None,
                plain_sha256=plain.sha256 if plain else "",
            )
            PublishedGoalReadings.objects.bulk_create(rows, batch_size=500)
    except IntegrityError:
        # Made meanwhile by another process (the worker and a recovery run): theirs stays.
        for made in (ruby, plain):
            if made is not None:
                default_storage.delete(made.name)
        return PublicationReadings.objects.filter(publication=publication).first()
    logger.info("Made the readings of %s", publication)
    return stored


@dataclass(frozen=True)
class _Stored:
    name: str
    size: int
    sha256: str


def _store(publication, filename, data: bytes) -> _Stored:
    """Stored beside the files of the attempt that was published."""
    name = artifact_name(publication, publication.attempt, filename)
    default_storage.delete(name)
    name = default_storage.save(name, ContentFile(data))
    return _Stored(name, len(data), hashlib.sha256(data).hexdigest())


def _row_readings(publication, readings):
    """Each published row's texts with their segments (a text read once per version)."""
    known = {}

    def read(text):
        if text not in known:
            known[text] = readings.segments(text)
        return known[text]

    rows = []
    for goal in PublishedGoal.objects.filter(publication=publication).only(
        "pk", "categories", *ROW_TEXTS
    ):
        texts = [getattr(goal, name) for name in ROW_TEXTS]
        texts += [tag for tag in goal.categories.split(TAG_SEPARATOR) if tag]
        rows.append(
            PublishedGoalReadings(goal=goal, texts={text: read(text) for text in texts if text})
        )
    return rows


def publication_readings_after_publish(publication) -> None:
    """The worker's step after 公表: make the version's ふりがな, never failing the version."""
    try:
        publication_readings_make(publication)
    except Exception:
        logger.exception(
            "Making the readings of publication %s failed; it is published without them", publication.pk
        )


def publications_without_readings():
    """Published versions that have no ふりがな yet, oldest first."""
    return (
        Publication.objects.filter(
            status=PublicationStatus.PUBLISHED, readings__isnull=True, files__format=FileFormat.HTML
        )
        .select_related("fiscal_year__office")
        .order_by("published_at", "pk")
    )


def publication_readings_remove(publication) -> bool:
    """Remove a version's ふりがな (to make it again with a changed dictionary)."""
    stored = PublicationReadings.objects.filter(publication=publication).first()
    if stored is None:
        return False
    with transaction.atomic():
        PublishedGoalReadings.objects.filter(goal__publication=publication).delete()
        stored.delete()
    for name in (stored.file.name, stored.plain_file.name):
        if name:
            default_storage.delete(name)
    return True


# A recovery run makes at most this many versions' ふりがな (about a second each for a city), so
# that the run before the worker starts stays short after an upgrade: make_furigana does all.
READINGS_PER_RECOVERY = 20


def readings_recover(*, dry_run=False) -> list[tuple[Publication, bool]]:
    """The recovery run's part: make the ふりがな a published version is missing (its making
    failed after 公表, or it was published before ふりがな existed), READINGS_PER_RECOVERY at
    most. (version, made) pairs; in a dry run nothing is made."""
    done = []
    for publication in publications_without_readings().defer("table")[:READINGS_PER_RECOVERY]:
        if dry_run:
            done.append((publication, False))
            continue
        try:
            made = publication_readings_make(publication) is not None
        except Exception:
            logger.exception("Making the readings of publication %s failed", publication.pk)
            made = False
        done.append((publication, made))
    return done
