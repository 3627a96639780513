"""The staff pages and the 人事異動 pages are valid HTML (the Nu Html Checker), with and without
errors on them."""

from datetime import timedelta

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from departments.models import StaffChangeKind
from departments.staff.services import staff_leave
from tests.departments.staff_helpers import new_person, url
from tests.markup.vnu import check, format_messages, missing_tools
from tests.personas import client_for

pytestmark = [pytest.mark.anydb, pytest.mark.django_db]


def test_the_staff_pages_are_valid_html(ward):
    reason = missing_tools()
    if reason:
        pytest.fail(f"cannot run the Nu Html Checker: {reason}")
    staff_leave(
        office=ward["office"], user=ward["viewer"], kind=StaffChangeKind.RETIRE,
        effective_on=timezone.localdate() + timedelta(days=3), by=ward["approver"],
    )
    client = client_for(ward["approver"])
    editor = ward["editor"].pk
    today = timezone.localdate().isoformat()

    def csv(*lines):
        content = "\r\n".join(["職員番号,氏名,メール,部署コード,役割,異動日", *lines, ""])
        return SimpleUploadedFile("jinji.csv", content.encode())

    pages = {
        "list": client.get(url("people", ward), {"status": "all"}),
        "person": client.get(url("person", ward, pk=editor)),
        "new": client.get(url("person_new", ward)),
        "new, with errors": client.post(url("person_new", ward), new_person(ward, username="", email="x@")),
        "leave": client.get(url("person_leave", ward, pk=editor)),
        "leave, with errors": client.post(url("person_leave", ward, pk=editor), {"effective_on": "x"}),
        "password": client.post(url("person_password", ward, pk=editor)),
        "changes": client.get(url("staff_changes", ward)),
        "transfers": client.get(url("transfers", ward)),
        "preview": client.post(
            url("transfers", ward), {"file": csv(f"1002,,,003,部署担当者,{today}", f"3001,新任 一郎,,002,閲覧者,{today}")}
        ),
        "problems": client.post(url("transfers", ward), {"file": csv("1002,,,099,課長,来月")}),
    }
    for name, response in pages.items():
        assert response.status_code == 200, name
    results = check({name: response.content for name, response in pages.items()})
    errors = {name: [m for m in messages if m.is_error] for name, messages in results.items()}
    errors = {name: messages for name, messages in errors.items() if messages}
    assert not errors, "\n".join(f"{name}\n{format_messages(messages)}" for name, messages in errors.items())
