"""公表 in tests: through the real service and task, with the stored files in a temporary folder."""

import re
from types import SimpleNamespace

from django.test import TestCase
from django.urls import reverse

from departments.models import Role
from reports.publishing.services import publication_request, publication_retry
from tests.factories import DepartmentFactory, MembershipFactory, OfficeFactory


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


def shown_fingerprint(html: str) -> str:
    """The fingerprint of the table the 公表 confirmation page showed (its hidden field)."""
    field = re.search(r'<input[^>]*name="fingerprint"[^>]*>', html)
    assert field, "the page has no fingerprint field"
    return re.search(r'value="([0-9a-f]{64})"', field.group(0)).group(1)


def confirmed_publish(client, fiscal_year, kind="result", *, note=""):
    """公表 as an approver does it: the confirmation page opened, then posted with the confirmation."""
    url = reverse(
        "publishing:publish",
        kwargs={"office": fiscal_year.office.slug, "year": fiscal_year.year, "kind": kind},
    )
    fingerprint = shown_fingerprint(client.get(url).content.decode())
    data = {"fingerprint": fingerprint, "confirmed": "on"}
    if note:
        data["note"] = note
    return client.post(url, data)


def year_people(year):
    """An approver and a viewer of the year's office, an editor of its second department, and an
    approver of another office."""
    departments = list(year.office.departments.order_by("sort_order"))
    return SimpleNamespace(
        approver=MembershipFactory(department=departments[0], role=Role.APPROVER).user,
        viewer=MembershipFactory(department=departments[0], role=Role.VIEWER).user,
        editor=MembershipFactory(department=departments[1], role=Role.EDITOR).user,
        outsider=MembershipFactory(department=DepartmentFactory(office=OfficeFactory()), role=Role.APPROVER).user,
    )

