import io

import pytest
from django.core.management import CommandError, call_command
from django.test import RequestFactory

from departments.models import Membership, Role
from goals.models import FiscalYear, GoalSheet, SheetStatus
from tests.reports.publishing import use_tmp_media


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


@pytest.mark.django_db
def test_demo_accounts_can_log_in_with_their_roles(client):
    load()
    # django-axes checks every authentication against the request's address: pass one.
    login_request = RequestFactory().post("/accounts/login/")
    assert client.login(request=login_request, username="shonin", password="demo-pass-2020")
    assert Membership.objects.filter(user__username="shonin", role=Role.APPROVER).exists()
    assert Membership.objects.filter(user__username="kikaku", role=Role.EDITOR).count() == 2
    assert Membership.objects.filter(role=Role.VIEWER).exists()
    assert client.login(request=login_request, username="admin", password="demo-pass-2020")
    assert client.get("/admin/").status_code == 200


@pytest.mark.django_db
def test_demo_data_is_refused_outside_development(settings):
    settings.DEBUG = False
    settings.TESTING = False
    with pytest.raises(CommandError, match="開発環境"):
        load()
