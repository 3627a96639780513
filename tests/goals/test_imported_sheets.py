"""sheets_write_imported (every sheet of an import at once, in bulk) writes what sheet_write_imported
(one sheet) writes: the same goals, tags, results, statuses, review events and field history,
in a closed year (approved) and in a year being worked on (submitted on the department's behalf)."""

from collections import Counter

import pytest
from django.apps import apps
from django.db import connection
from django.test.utils import CaptureQueriesContext

from departments.models import Department
from goals.models import Category, EventAction, Goal, GoalCategory, GoalSheet, Result, ReviewEvent
from goals.selectors import sheet_content
from goals.services import (
    GoalData,
    ResultData,
    SheetData,
    SheetImport,
    SheetImportError,
    fiscal_year_get_or_create,
    sheet_write_imported,
    sheets_get_or_create,
    sheets_write_imported,
)
from tests.factories import OfficeFactory

COMMENT = "データ (CSV/Excel) から取込"


def seed_data(seed_year):
    """Each seed department's content as an import brings it: (code, name, SheetData, has_results)."""
    sheets = GoalSheet.objects.filter(fiscal_year=seed_year).select_related("department")
    return [
        (sheet.department.code, sheet.department.name, _sheet_data(sheet_content(sheet)), True)
        for sheet in sheets.order_by("department__sort_order")
    ]


def _sheet_data(content):
    return SheetData(
        goals=tuple(
            GoalData(
                number=goal["number"],
                objective=goal["objective"],
                actions=goal["actions"],
                categories=tuple(goal["categories"]),
                result=None
                if goal["result"] is None
                else ResultData(
                    done=goal["result"]["done"],
                    achievement=goal["result"]["achievement"],
                    omitted_reason=goal["result"]["omitted_reason"],
                ),
            )
            for goal in content["goals"]
        )
    )


def office_with_departments(slug, data):
    office = OfficeFactory(slug=slug, name=f"{slug}区役所")
    Department.objects.bulk_create(
        Department(office=office, code=code, name=name, sort_order=n * 10)
        for n, (code, name, _, _) in enumerate(data, 1)
    )
    return office


def one_by_one(office, year, data, by, *, open_year=False):
    fiscal_year = _year(office, year, open_year)
    for code, _, sheet_data, has_results in data:
        sheet, _ = GoalSheet.objects.get_or_create(
            department=office.departments.get(code=code), fiscal_year=fiscal_year
        )
        sheet_write_imported(
            sheet=sheet, data=sheet_data, has_results=has_results, by=by, comment=COMMENT
        )
    return fiscal_year


def in_bulk(office, year, data, by, *, open_year=False):
    fiscal_year = _year(office, year, open_year)
    departments = {d.code: d for d in office.departments.all()}
    sheets = sheets_get_or_create(
        fiscal_year=fiscal_year, departments=[departments[code] for code, *_ in data], by=by
    )
    sheets_write_imported(
        fiscal_year=fiscal_year,
        imports=[
            SheetImport(sheets[departments[code].pk], sheet_data, has_results)
            for code, _, sheet_data, has_results in data
        ],
        by=by,
        comment=COMMENT,
    )
    return fiscal_year


def _year(office, year, open_year):
    fiscal_year, _ = fiscal_year_get_or_create(office=office, year=year)
    if open_year:
        fiscal_year.plan_open = True
        fiscal_year.save(update_fields=["plan_open"])
    return fiscal_year


def written(fiscal_year):
    """Everything an import wrote into a year, keyed by department code rather than by id."""
    sheets = GoalSheet.objects.filter(fiscal_year=fiscal_year).select_related("department")
    goals = Goal.objects.filter(sheet__fiscal_year=fiscal_year)
    history = {
        model.__name__: Counter(
            (row.history_type, row.history_user_id)
            for row in model.history.model.objects.filter(**{lookup: fiscal_year})
        )
        for model, lookup in (
            (GoalSheet, "fiscal_year"),
            (Goal, "sheet__fiscal_year"),
            (Result, "goal__sheet__fiscal_year"),
        )
    }
    tag_history = apps.get_model("goals", "HistoricalGoalCategory").objects.filter(
        goal__sheet__fiscal_year=fiscal_year
    )
    return {
        "sheets": sorted(
            (s.department.code, s.plan_status, s.result_status, s.version) for s in sheets
        ),
        "goals": sorted(
            goals.values_list("sheet__department__code", "number", "objective", "actions")
        ),
        "tags": sorted(
            GoalCategory.objects.filter(goal__in=goals).values_list(
                "goal__sheet__department__code", "goal__number", "category__name", "position"
            )
        ),
        "results": sorted(
            Result.objects.filter(goal__in=goals).values_list(
                "goal__sheet__department__code",
                "goal__number",
                "done",
                "achievement",
                "is_omitted",
                "omitted_reason",
            )
        ),
        "events": {
            sheet.department.code: [
                (e.phase, e.action, e.actor_id, e.channel, e.comment, e.sheet_version, e.snapshot)
                for e in sheet.events.order_by("created_at", "pk")
            ]
            for sheet in sheets
        },
        "content": {sheet.department.code: sheet_content(sheet) for sheet in sheets},
        "year_tags": sorted(fiscal_year.categories.values_list("name", flat=True)),
        "office_tags": list(
            Category.objects.filter(office=fiscal_year.office)
            .order_by("sort_order")
            .values_list("name", "sort_order")
        ),
        "history": history,
        "tag_history": sorted(
            Counter(
                (row.history.history_type, row.goal.number, row.category.name, row.position)
                for row in tag_history.select_related("history", "goal", "category")
            ).items()
        ),
    }


def without_history_users(state):
    """history_user comes from the request (HistoryRequestMiddleware) on the one-by-one path, and
    a test has none; the bulk path takes the importer. Compared on their own."""
    return {
        **state,
        "history": {
            model: Counter({kind: n for (kind, _), n in counts.items()})
            for model, counts in state["history"].items()
        },
    }


@pytest.mark.parametrize("open_year", [False, True], ids=["closed year", "year being planned"])
def test_the_bulk_path_writes_exactly_what_the_one_sheet_path_writes(seed_year, people, open_year):
    data = seed_data(seed_year)
    if open_year:
        data = [
            (
                code,
                name,
                SheetData(
                    goals=tuple(
                        GoalData(g.number, g.objective, g.actions, g.categories)
                        for g in sheet_data.goals
                    )
                ),
                False,
            )
            for code, name, sheet_data, _ in data
        ]
    first = office_with_departments("first", data)
    second = office_with_departments("second", data)

    old = written(one_by_one(first, 2019, data, people.approver, open_year=open_year))
    new = written(in_bulk(second, 2019, data, people.approver, open_year=open_year))

    assert without_history_users(new) == without_history_users(old)
    assert {user for counts in new["history"].values() for _, user in counts} == {
        people.approver.pk
    }
    assert old["goals"] and old["tags"] and old["events"]
    expected = (
        [EventAction.SAVE, EventAction.SUBMIT]
        if open_year
        else [EventAction.IMPORT, EventAction.IMPORT]
    )
    assert [e[1] for e in new["events"][data[0][0]]] == expected


def test_a_submitted_import_tells_the_approvers_once_committed(
    seed_year, people, mailoutbox, django_capture_on_commit_callbacks
):
    data = [
        (code, name, SheetData(goals=sheet_data.goals[:1]), False)
        for code, name, sheet_data, _ in seed_data(seed_year)[:3]
    ]
    office = office_with_departments("third", data)
    with django_capture_on_commit_callbacks(execute=True):
        in_bulk(office, 2019, data, people.approver, open_year=True)
    submitted = ReviewEvent.objects.filter(
        sheet__fiscal_year__office=office, action=EventAction.SUBMIT
    )
    assert submitted.count() == 3
    assert (
        ReviewEvent.objects.filter(
            sheet__fiscal_year__office=office, action=EventAction.SAVE
        ).count()
        == 3
    )


def test_a_sheet_with_content_is_refused_by_name_and_nothing_is_written(seed_year, people):
    data = seed_data(seed_year)[:2]
    office = office_with_departments("fourth", data)
    fiscal_year = in_bulk(office, 2019, data[:1], people.approver)
    before = Goal.objects.filter(sheet__fiscal_year=fiscal_year).count()

    with pytest.raises(SheetImportError) as error:
        in_bulk(office, 2019, data, people.approver)

    assert error.value.sheet.department.code == data[0][0]
    assert "既に内容があるため" in str(error.value)
    assert Goal.objects.filter(sheet__fiscal_year=fiscal_year).count() == before


def queries_for(seed_year, people, slug, departments):
    """The queries of writing `departments` sheets (3 goals each, tags and results) in bulk."""
    template = seed_data(seed_year)[0][2]
    data = [(f"{n:05d}", f"試験部 第{n}課", template, True) for n in range(1, departments + 1)]
    office = office_with_departments(slug, data)
    with CaptureQueriesContext(connection) as queries:
        in_bulk(office, 2019, data, people.approver)
    assert Goal.objects.filter(sheet__fiscal_year__office=office).count() == departments * len(
        template.goals
    )
    return len(queries)


def test_the_queries_do_not_grow_with_the_rows(seed_year, people):
    # Both sizes fit in one bulk statement per table on SQLite (999 parameters) and in one batch.
    assert queries_for(seed_year, people, "small", 5) == queries_for(
        seed_year, people, "larger", 20
    )
