"""A department that appears only in a past year's table is not one of the office's current ones:
imported into a year older than the office's newest, it is created inactive, so opening the next
year gives it no sheet and 公表 never waits for it — until someone makes it active in the admin."""

import io

from django.core.management import call_command

from departments.models import Department
from goals.models import GoalSheet, SheetStatus
from goals.services import fiscal_year_open_next
from reports.imports.published import import_published_table
from reports.imports.published_text import parse_published_table
from reports.imports.table import import_table
from reports.models import PublicationKind
from reports.selectors import publication_readiness
from reports.table import build_table
from tests.factories import FiscalYearFactory, OfficeFactory
from tests.reports.import_helpers import synthetic_csv
from tests.seed import SEED

X = "777777"  # a department of 2015 that 2021 no longer has


def approve_plans(fiscal_year):
    GoalSheet.objects.filter(fiscal_year=fiscal_year).update(plan_status=SheetStatus.APPROVED)


def test_a_department_only_in_2015_gets_no_sheet_in_2022_and_blocks_no_publication(year, people):
    # 2021 (`year`) is being planned with the seed's departments; 2015 is brought in afterwards.
    data = synthetic_csv(1, year=2015, first_code=int(X))
    import_table(file=data, kind="csv", office=year.office, year=2015, by=people.approver)

    x = Department.objects.get(office=year.office, code=X)
    assert not x.is_active
    assert x.sheets.get().plan_status == SheetStatus.APPROVED
    past = build_table(x.sheets.get().fiscal_year, PublicationKind.RESULT)
    assert [d.name for d in past.departments] == [x.name]  # 2015 keeps it, as it was published

    approve_plans(year)
    assert publication_readiness(year, PublicationKind.PLAN).ok
    next_year = fiscal_year_open_next(previous=year)

    assert not GoalSheet.objects.filter(fiscal_year=next_year, department=x).exists()
    assert next_year.sheets.count() == year.sheets.count()
    approve_plans(next_year)
    assert publication_readiness(next_year, PublicationKind.PLAN).ok

    # Someone who knows it is still there says so in the admin: the year after gets its sheet.
    Department.objects.filter(pk=x.pk).update(is_active=True)
    assert fiscal_year_open_next(previous=next_year).sheets.filter(department=x).exists()


def test_the_command_says_new_departments_of_a_past_year_are_made_inactive(seed_year, tmp_path):
    path = tmp_path / "2015.csv"
    path.write_bytes(synthetic_csv(2, year=2015))
    out = io.StringIO()
    call_command("import_table", str(path), office="nakahara", year=2015, stdout=out)
    assert "2015年度より後の年度があるため「無効」として登録しました" in out.getvalue()
    assert not Department.objects.filter(
        office=seed_year.office, code__in=["100000", "100001"], is_active=True
    ).exists()


def test_departments_of_the_newest_year_are_current(seed_year):
    import_table(file=synthetic_csv(2, year=2021), kind="csv", office=seed_year.office, year=2021)
    new = Department.objects.filter(office=seed_year.office, code__in=["100000", "100001"])
    assert new.count() == 2 and all(d.is_active for d in new)


def test_an_existing_departments_flag_is_left_as_it_is(seed_year):
    # A seed department (current) in a 2015 file stays active; only departments new to the office
    # are judged by the year they first appear in.
    department = Department.objects.filter(office=seed_year.office, writes_goals=True).first()
    rows = synthetic_csv(1, year=2015).decode("utf-8-sig")
    rows = rows.replace("100000,試験部 第100000課", f"{department.code},{department.name}")
    import_table(file=rows.encode(), kind="csv", office=seed_year.office, year=2015)
    department.refresh_from_db()
    assert department.is_active
    assert department.sheets.filter(fiscal_year__year=2015).exists()


def test_a_past_year_from_its_published_text_creates_inactive_departments(db):
    office = OfficeFactory(name="高津区役所", slug="takatsu", municipality_code="141348")
    FiscalYearFactory(office=office, year=2021)

    import_published_table(
        office=office, year=2020, table=parse_published_table(SEED.read_text(encoding="utf-8"))
    )

    departments = Department.objects.filter(office=office)
    assert departments.count() > 17 and not departments.filter(is_active=True).exists()
