"""Uploaded files waiting for 確定 (the checks every upload passes first: wardservice.uploads).

A file that passed and was previewed waits for 確定 as a PendingUpload (pending_upload_keep):
the page posts back only its random token, and pending_upload_take gives the bytes back once,
to the same person, for the same page, within PendingUpload.EXPIRES_AFTER.
"""

import hashlib
import secrets

from django.db import transaction
from django.utils import timezone

from reports.models import PendingUpload
from wardservice.text import as_one_line


class PendingUploadError(Exception):
    """確定 without a usable pending upload (unknown, someone else's, used, expired); Japanese."""


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
