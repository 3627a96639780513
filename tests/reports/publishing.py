"""公表 in tests: through the real service and task, with the stored files in a temporary folder."""

from django.test import TestCase

from reports.publishing.services import publication_request, publication_retry


def use_tmp_media(settings, tmp_path):
    """Stored publication files go to the test's own folder, never the project's media/."""
    settings.MEDIA_ROOT = tmp_path / "media"


def publish(fiscal_year, kind="result", *, by=None, note=""):
    """公表 through the service, its task run as the transaction commits (ImmediateBackend)."""
    with TestCase.captureOnCommitCallbacks(execute=True):
        publication = publication_request(fiscal_year=fiscal_year, kind=kind, by=by, note=note)
    publication.refresh_from_db()
    return publication


def retry(publication):
    """再試行 through the service, its task run as the transaction commits."""
    with TestCase.captureOnCommitCallbacks(execute=True):
        publication_retry(publication=publication)
    publication.refresh_from_db()
    return publication
