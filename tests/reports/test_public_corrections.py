"""「訂正する」 on a year's public page: for the office's approvers only, added to the stored page
under its title; everyone else gets the stored file byte for byte, as before.

The whole correction through a browser: tests/browser/test_correction_path.py.
"""

import hashlib

import pytest
from django.core.files.base import ContentFile
from django.urls import reverse
from django.utils import timezone

from departments.models import Role
from goals.models import Phase, SheetStatus
from goals.services import sheet_reopen
from reports.models import FileFormat, Publication, PublicationFile, PublicationKind, PublicationStatus
from tests.factories import DepartmentFactory, FiscalYearFactory, GoalSheetFactory, MembershipFactory, UserFactory
from tests.personas import client_for
from tests.reports.publishing import use_tmp_media

PAGE = "<!DOCTYPE html><html lang=\"ja\"><body><main id=\"main\"><h1>令和3年度 表</h1><p>目標</p></main></body></html>".encode()


@pytest.fixture
def ward(db, settings, tmp_path):
    """A year whose goals table is published (a stored page), its three sheets approved."""
    use_tmp_media(settings, tmp_path)
    year = FiscalYearFactory(plan_open=False)
    soumu = DepartmentFactory(office=year.office, name="総務部 総務課")
    sheets = [GoalSheetFactory(fiscal_year=year, department=department) for department in
              (soumu, DepartmentFactory(office=year.office), DepartmentFactory(office=year.office))]
    for sheet in sheets:
        type(sheet).objects.filter(pk=sheet.pk).update(plan_status=SheetStatus.APPROVED)
    publication = Publication.objects.create(
        fiscal_year=year, kind=PublicationKind.PLAN, version=1, status=PublicationStatus.PUBLISHED,
        progress=100, published_at=timezone.now(),
    )
    stored = PublicationFile(publication=publication, format=FileFormat.HTML, size=len(PAGE),
                             sha256=hashlib.sha256(PAGE).hexdigest())
    stored.file.save("table.html", ContentFile(PAGE))

    def person(role, department=soumu):
        user = UserFactory()
        MembershipFactory(user=user, department=department, role=role)
        return user

    return {
        "year": year,
        "sheets": sheets,
        "url": reverse("reports:year", kwargs={"office": year.office.slug, "year": year.year}),
        "approver": person(Role.APPROVER),
        "viewer": person(Role.VIEWER),
        "editor": person(Role.EDITOR, sheets[1].department),
    }


def reopen_url(sheet):
    fy = sheet.fiscal_year
    return reverse("goals:reopen", kwargs={"office": fy.office.slug, "year": fy.year, "code": sheet.department.code, "phase": "plan"})


def test_approvers_get_a_correction_link_per_department_and_nobody_else_sees_a_change(ward, client, django_assert_num_queries):
    anonymous = client.get(ward["url"])
    assert b"".join(anonymous.streaming_content) == PAGE and anonymous["ETag"]
    for persona in ("viewer", "editor"):
        response = client_for(ward[persona]).get(ward["url"])
        assert b"".join(response.streaming_content) == PAGE, persona

    approver = client_for(ward["approver"])
    # The stored file, the session (read and saved), the user, the memberships, the year's sheets.
    with django_assert_num_queries(8):
        response = approver.get(ward["url"])
    page = response.content.decode()
    assert page.startswith(PAGE.decode().split("</h1>")[0] + "</h1>")
    assert "職員用: この表を訂正する" in page and "部署を選ぶ (3部署)" in page
    for sheet in ward["sheets"]:
        assert f'href="{reopen_url(sheet)}"' in page
    assert "no-store" in response["Cache-Control"] and "private" in response["Cache-Control"]
    assert not response.has_header("ETag")
    for _ in range(4):  # more departments, the same queries
        GoalSheetFactory(fiscal_year=ward["year"], department=DepartmentFactory(office=ward["year"].office))
    with django_assert_num_queries(8):
        assert "部署を選ぶ (7部署)" in approver.get(ward["url"]).content.decode()

    # A sheet being corrected links to its page instead (its 承認取消 is done).
    sheet = ward["sheets"][1]
    sheet.refresh_from_db()
    sheet_reopen(sheet=sheet, phase=Phase.PLAN, by=ward["approver"], reason="誤字の訂正")
    page = approver.get(ward["url"]).content.decode()
    assert f'href="{reopen_url(sheet)}"' not in page and "シートを見る (訂正中)" in page
