import io
from datetime import date

import pytest
from django.contrib.auth import get_user_model
from django.core.management import CommandError, call_command
from django.test import RequestFactory

from departments.models import Membership, Role, StaffProfile
from goals.models import FiscalYear, GoalSheet, Phase, ReviewEvent, SheetStatus
from goals.services import fiscal_year_set_phase, sheet_approve, sheet_submit
from plain.models import GlossaryTerm
from plain.standard import STANDARD_TERMS
from reports.imports.table import import_table
from reports.management.commands.load_demo import DEMO_FILE
from reports.models import PublicationKind
from reports.selectors import publication_readiness
from tests.reports.publishing import use_tmp_media

DEMO_RESULTS = DEMO_FILE.parent / "demo-2021-results.csv"


@pytest.fixture(autouse=True)
def _media(settings, tmp_path):
    """The demo publishes its first year: its files go to the test's folder, not media/."""
    use_tmp_media(settings, tmp_path)


def load():
    call_command("load_demo", stdout=io.StringIO())


@pytest.mark.django_db
def test_demo_data_is_the_seed_year_and_an_open_next_year(client):
    load()
    load()  # idempotent
    years = {fy.year: fy for fy in FiscalYear.objects.all()}
    assert set(years) == {2020, 2021}
    assert years[2021].plan_open
    approved = GoalSheet.objects.filter(fiscal_year=years[2020], plan_status=SheetStatus.APPROVED)
    assert approved.count() == 17
    assert GoalSheet.objects.filter(fiscal_year=years[2021]).count() == 17
    assert GoalSheet.objects.get(fiscal_year=years[2021], department__name__endswith="企画課").goals.count() == 3
    # The writing aid's standard glossary (plain.standard), once however often the demo is loaded.
    assert GlossaryTerm.objects.filter(office__slug="nakahara").count() == len(STANDARD_TERMS)
    run_2021_as_the_readme_says(years[2021])


def run_2021_as_the_readme_says(year):
    """README's デモで1年を回す, through the services its pages call: 総務課 submits every sheet
    (代理入力 where the department has no editor), the other approver approves, 目標 can be
    published; 実績報告 opens, the demo's results come in through 表の取込, are approved, and
    目標と実績 can be published: two versions."""
    shonin, shonin2 = (get_user_model().objects.get(username=name) for name in ("shonin", "shonin2"))
    sheets = list(year.sheets.select_related("department"))
    edited = set(Membership.objects.filter(role=Role.EDITOR).values_list("department", flat=True))
    assert sum(sheet.department_id not in edited for sheet in sheets) == 13
    assert year.plan_open and year.plan_deadline is None and all(sheet.plan_status == SheetStatus.DRAFT for sheet in sheets)
    for sheet in sheets:
        sheet_submit(sheet=sheet, phase=Phase.PLAN, by=shonin)
        sheet_approve(sheet=sheet, phase=Phase.PLAN, by=shonin2)
    assert publication_readiness(year, PublicationKind.PLAN).ok
    assert ReviewEvent.objects.filter(sheet__fiscal_year=year, action="submit", on_behalf=True).count() == 17

    fiscal_year_set_phase(fiscal_year=year, phase=Phase.PLAN, is_open=False)
    fiscal_year_set_phase(fiscal_year=year, phase=Phase.RESULT, is_open=True, deadline=date(2022, 4, 28))
    import_table(file=DEMO_RESULTS.read_bytes(), kind="csv", office=year.office, year=2021, by=shonin)
    for sheet in sheets:
        sheet_approve(sheet=sheet, phase=Phase.RESULT, by=shonin2)
    assert publication_readiness(year, PublicationKind.RESULT).ok


@pytest.mark.django_db
def test_demo_accounts_can_log_in_with_their_roles(client):
    load()
    # django-axes checks every authentication against the request's address: pass one.
    login_request = RequestFactory().post("/accounts/login/")
    assert client.login(request=login_request, username="shonin", password="demo-pass-2020")
    assert Membership.objects.filter(user__username="shonin", role=Role.APPROVER).exists()
    assert Membership.objects.filter(user__username="kikaku", role=Role.EDITOR).count() == 2
    assert Membership.objects.filter(role=Role.VIEWER).exists()
    assert StaffProfile.objects.get(user__username="kikaku").employee_number == "100201"  # for 人事異動
    assert client.login(request=login_request, username="admin", password="demo-pass-2020")
    assert client.get("/admin/").status_code == 200


@pytest.mark.django_db
def test_demo_data_is_refused_outside_development(settings):
    settings.DEBUG = False
    settings.TESTING = False
    with pytest.raises(CommandError, match="開発環境"):
        load()
