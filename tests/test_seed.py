"""`seed_year` writes again what the importer wrote once per session: the same year, to the letter."""

import io

from django.core.management import call_command

from goals.models import GoalSheet
from goals.selectors import sheet_content
from tests.factories import OfficeFactory
from tests.seed import SEED


def year_contents(fiscal_year):
    """Everything about the year that tests read, keys and timestamps aside."""
    sheets = {}
    for sheet in GoalSheet.objects.filter(fiscal_year=fiscal_year).select_related("department"):
        department = sheet.department
        sheets[department.code] = (
            (department.name, department.sort_order, department.is_active, department.writes_goals),
            department.parent.code if department.parent else None,
            (sheet.plan_status, sheet.result_status, sheet.version),
            sheet_content(sheet),
            [(e.phase, e.action, e.actor_id, e.comment, e.snapshot) for e in sheet.events.order_by("pk")],
            list(sheet.history.order_by("history_id").values_list("history_type", "version")),
            sorted(goal.history.count() for goal in sheet.goals.all()),
        )
    return {
        "year": (fiscal_year.year, fiscal_year.plan_open, fiscal_year.result_open, fiscal_year.max_goals),
        "categories": sorted((c.name, c.sort_order) for c in fiscal_year.categories.all()),
        "principles": list(fiscal_year.principles.values_list("number", "text")),
        "departments": sorted(fiscal_year.office.departments.values_list("code", "name")),
        "sheets": sheets,
    }


def import_seed(office):
    out = io.StringIO()
    call_command("import_published_table", str(SEED), office=office.slug, year=2020, stdout=out)
    return out.getvalue()


def test_the_restored_seed_is_the_imported_one_and_the_importer_finds_nothing_to_change(seed_year):
    office = OfficeFactory(slug="kakunin")
    import_seed(office)
    imported = year_contents(office.fiscal_years.get(year=2020))

    assert len(imported["sheets"]) == 17
    assert year_contents(seed_year) == imported
    assert "変更なし 17 シート" in import_seed(seed_year.office)
