"""Storing the sheets of a table import: every department of a file at once.

sheets_write_imported() does for many sheets of one year what sheet_write_imported() does for
one — approved in a closed year, submitted on the departments' behalf in a year being worked
on — with the same rows, the same review events and the same field history (a record per object
and step, as the one-sheet path leaves them), but in a number of queries that grows with the
batches of sheets rather than with the rows: a city's ten years is thousands of goals, and a
full_clean with its queries plus a save per goal, tag and result outlasts any web request.

Each object is validated in Python (its fields' validators); what only the database can tell
(uniqueness, check constraints) is left to it, the caller having checked the file beforehand.
"""

from dataclasses import dataclass

from django.apps import apps
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import F, Value
from django.utils import timezone
from simple_history.utils import bulk_create_with_history

from departments.permissions import editor_department_ids
from goals import notifications, rules
from goals.models import (
    Category,
    EventAction,
    EventChannel,
    FiscalYear,
    Goal,
    GoalCategory,
    GoalSheet,
    Phase,
    Result,
    ReviewEvent,
    SheetStatus,
)
from goals.selectors import content_entry, result_entry
from goals.services.content import (
    SheetData,
    not_empty_refusal,
    result_from_data,
    unknown_rating_refusal,
)
from goals.services.errors import GoalsError
from goals.services.workflow import IMPORT_SUBMISSION

# Sheets written per round of bulk inserts: bounds the statements' size and the memory held.
BATCH_SHEETS = 500
CLEAN = {"validate_unique": False, "validate_constraints": False}
SNAPSHOT = ReviewEvent._meta.get_field("snapshot")


@dataclass(frozen=True)
class SheetImport:
    """One sheet to fill from an import: saved, of the year being written, holding nothing yet."""

    sheet: GoalSheet
    data: SheetData
    has_results: bool


class SheetImportError(GoalsError):
    """One sheet's content cannot be stored; `sheet` says which. Nothing has been written."""

    def __init__(self, sheet, message):
        super().__init__(message)
        self.sheet = sheet


def sheets_get_or_create(*, fiscal_year, departments, by=None) -> dict:
    """The year's sheet of each department ({department pk: sheet}), the missing ones created
    (with their history, as GoalSheet.objects.create would leave it)."""
    ids = [department.pk for department in departments]
    sheets = {}
    for chunk in batched(ids, BATCH_SHEETS):
        sheets.update(
            (sheet.department_id, sheet)
            for sheet in GoalSheet.objects.filter(fiscal_year=fiscal_year, department_id__in=chunk)
        )
    missing = [
        GoalSheet(department=d, fiscal_year=fiscal_year) for d in departments if d.pk not in sheets
    ]
    now = timezone.now()
    for sheet in missing:
        sheet.updated_at = now
    bulk_create_with_history(missing, GoalSheet, default_user=by)
    sheets.update((sheet.department_id, sheet) for sheet in missing)
    return sheets


@transaction.atomic
def sheets_write_imported(*, fiscal_year, imports, by=None, comment="", progress=None):
    """Store each sheet's imported content, as sheet_write_imported does one sheet's, all or nothing.

    `imports` are SheetImports of `fiscal_year`. SheetImportError names the sheet whose content
    was refused. `progress(done, total)` is called after each batch of sheets.
    """
    imports = list(imports)
    _check_goal_numbers(fiscal_year, imports)
    categories = _categories(fiscal_year, imports)
    ratings = {level.label: level for level in fiscal_year.rating_levels.all()}
    done = 0
    for batch in batched(imports, BATCH_SHEETS):
        _Batch(fiscal_year, batch, categories, ratings, by=by).write(comment)
        done += len(batch)
        if progress is not None:
            progress(done, len(imports))


def _check_goal_numbers(fiscal_year, imports):
    """Every goal within the year's 目標数の上限 as it is now: the year's row is locked, so the
    limit cannot be lowered under the import between the file's check and this write."""
    limit = FiscalYear.objects.select_for_update().values_list("max_goals", flat=True).get(pk=fiscal_year.pk)
    for item in imports:
        over = [goal.number for goal in item.data.goals if goal.number > limit]
        if over:
            raise SheetImportError(
                item.sheet,
                f"目標{over[0]}は、{fiscal_year.full_label}の目標数の上限 ({limit}件) を超えています。",
            )


def _categories(fiscal_year, imports) -> dict:
    """The office's tags by name, those the imports name first created at the end of its list (in
    the order they first appear, as category_get_or_create would make them); the year uses them."""
    office = fiscal_year.office
    known = {category.name: category for category in Category.objects.filter(office=office)}
    first_use = {}
    for item in imports:
        for goal in sorted(item.data.goals, key=lambda g: g.number):
            for name in goal.categories:
                first_use.setdefault(name, item.sheet)
    last = max((category.sort_order for category in known.values()), default=0)
    new = []
    for name in (name for name in first_use if name not in known):
        last += 10
        category = Category(office=office, name=name, sort_order=last)
        _clean(category, first_use[name], exclude=["office"])
        new.append(category)
    Category.objects.bulk_create(new)
    known.update((category.name, category) for category in new)
    used = [known[name] for name in first_use]
    if used:
        fiscal_year.categories.add(*used)
    return known


def _clean(obj, sheet, exclude):
    """The object's field validators; its foreign keys (each a query) are the caller's own objects."""
    try:
        obj.full_clean(exclude=list(exclude), **CLEAN)
    except ValidationError as error:
        raise SheetImportError(sheet, " ".join(error.messages)) from error


class _Batch:
    """One batch of sheets: locked and checked, their goals, tags and results inserted, then their
    statuses moved and their events written, each step a bulk statement with its history."""

    def __init__(self, fiscal_year, imports, categories, ratings, *, by):
        self.fiscal_year = fiscal_year
        self.categories = categories
        self.ratings = ratings
        self.by = by
        # 代理入力: the importer's 保存 and 提出 for departments they are not an editor of.
        self.own_departments = editor_department_ids(by)
        locked = self._locked_empty_sheets([item.sheet.pk for item in imports])
        # In the file's order, as the one-sheet path would have written them.
        self.items = [(locked[item.sheet.pk], item) for item in imports]
        self.rows = {}  # sheet pk -> [(goal, [GoalCategory], Result | None)] in number order
        self.contents = {}  # sheet pk -> its content once written

    def write(self, comment):
        for sheet, item in self.items:
            self.rows[sheet.pk] = [
                self._goal(sheet, data, item.has_results)
                for data in sorted(item.data.goals, key=lambda g: g.number)
            ]
        self._insert()
        if rules.takes_entries(self.fiscal_year):
            self._submit(comment)
        else:
            self._approve(comment)

    def _locked_empty_sheets(self, ids):
        sheets = {
            sheet.pk: sheet
            for sheet in GoalSheet.objects.select_for_update()
            .select_related("fiscal_year__office", "department")
            .filter(pk__in=ids)
        }
        with_goals = set(
            Goal.objects.filter(sheet_id__in=ids)
            .order_by()
            .values_list("sheet_id", flat=True)
            .distinct()
        )
        for sheet in sheets.values():
            if sheet.fiscal_year_id != self.fiscal_year.pk:
                raise ValueError(f"{sheet} is not a sheet of {self.fiscal_year}")
            if sheet.plan_status != SheetStatus.NOT_STARTED or sheet.pk in with_goals:
                raise SheetImportError(sheet, not_empty_refusal(sheet))
        return sheets

    def _goal(self, sheet, data, with_result):
        goal = Goal(sheet=sheet, number=data.number, objective=data.objective, actions=data.actions)
        _clean(goal, sheet, exclude=["sheet"])
        links = [
            GoalCategory(goal=goal, category=self.categories[name], position=place)
            for place, name in enumerate(dict.fromkeys(data.categories), 1)
        ]
        result = None
        if with_result and data.result is not None:
            result = self._result(sheet, goal, data.result)
        return goal, links, result

    def _result(self, sheet, goal, data):
        rating = None
        if data.rating:
            rating = self.ratings.get(data.rating)
            if rating is None:
                raise SheetImportError(sheet, unknown_rating_refusal(data.rating))
        result = result_from_data(goal=goal, data=data, rating=rating)
        _clean(result, sheet, exclude=["goal", "rating"])
        return result

    def _insert(self):
        """Goals, then their tags, then their results, each with the history the one-sheet path
        leaves: a goal's record on creation and, where it has tags, one more holding them."""
        rows = [row for sheet, _ in self.items for row in self.rows[sheet.pk]]
        bulk_create_with_history([goal for goal, _, _ in rows], Goal, default_user=self.by)
        tagged = [(goal, links) for goal, links, _ in rows if links]
        # Each link takes its goal's new primary key as it is inserted.
        GoalCategory.objects.bulk_create([link for _, links in tagged for link in links])
        if tagged:
            records = Goal.history.bulk_history_create(
                [goal for goal, _ in tagged], update=True, default_user=self.by
            )
            _history_links(records, tagged)
        results = [result for _, _, result in rows if result is not None]
        bulk_create_with_history(results, Result, default_user=self.by)

    def _approve(self, comment):
        """A closed year holds a published record: approved as it was, one 取込 event per phase."""
        self._step(
            plan_status=SheetStatus.APPROVED,
            result_status=lambda item: (
                SheetStatus.APPROVED if item.has_results else SheetStatus.NOT_STARTED
            ),
        )
        ReviewEvent.objects.bulk_create(
            self._event(sheet, phase, EventAction.IMPORT, comment)
            for sheet, item in self.items
            for phase in _phases(item)
        )

    def _submit(self, comment):
        """A year being worked on: saved (保存, channel 取込) and submitted on the department's behalf."""
        self._step(plan_status=SheetStatus.DRAFT)
        saves = [
            self._event(sheet, phase, EventAction.SAVE, comment)
            for sheet, item in self.items
            for phase in _phases(item)
        ]
        for sheet, _ in self.items:
            goals = [goal for goal, _, _ in self.rows[sheet.pk]]
            if refusal := rules.submit_refusal(sheet, Phase.PLAN, goals=goals):
                raise SheetImportError(sheet, refusal)
        self._step(plan_status=SheetStatus.SUBMITTED)
        submits = [
            self._event(sheet, Phase.PLAN, EventAction.SUBMIT, IMPORT_SUBMISSION)
            for sheet, _ in self.items
        ]
        ReviewEvent.objects.bulk_create(saves + submits)
        for event in submits:
            transaction.on_commit(lambda event=event: notifications.sheet_event(event))

    def _step(self, **statuses):
        """One workflow step on every sheet: the statuses set (a value, or a function of the
        SheetImport), the version moved on, and a history record each, as a save leaves them."""
        now = timezone.now()
        groups = {}
        for sheet, item in self.items:
            values = {
                name: value(item) if callable(value) else value for name, value in statuses.items()
            }
            for name, value in values.items():
                setattr(sheet, name, value)
            sheet.version += 1
            sheet.updated_at = now
            groups.setdefault(tuple(values.items()), []).append(sheet.pk)
        for values, ids in groups.items():
            GoalSheet.objects.filter(pk__in=ids).update(
                **dict(values), version=F("version") + 1, updated_at=now
            )
        GoalSheet.history.bulk_history_create(
            [sheet for sheet, _ in self.items], update=True, default_user=self.by
        )

    def _event(self, sheet, phase, action, comment):
        return ReviewEvent(
            sheet=sheet,
            phase=phase,
            action=action,
            actor=self.by,
            channel=EventChannel.IMPORT,
            comment=comment,
            on_behalf=(
                self.by is not None
                and action in (EventAction.SAVE, EventAction.SUBMIT)
                and sheet.department_id not in self.own_departments
            ),
            sheet_version=sheet.version,
            # As an expression: a bulk insert on PostgreSQL would otherwise send the snapshots as
            # one array, which psycopg quotes in Python, every quote of the JSON one by one.
            snapshot=Value(self._content(sheet), output_field=SNAPSHOT),
        )

    def _content(self, sheet):
        """What sheet_content() reads back from the rows just written."""
        if sheet.pk not in self.contents:
            self.contents[sheet.pk] = {
                "goals": [
                    _goal_content(goal, links, result)
                    for goal, links, result in self.rows[sheet.pk]
                ]
            }
        return self.contents[sheet.pk]


def _phases(item):
    return [Phase.PLAN, Phase.RESULT] if item.has_results else [Phase.PLAN]


def _goal_content(goal, links, result):
    return content_entry(
        number=goal.number,
        categories=[link.category.name for link in links],
        objective=goal.objective,
        actions=goal.actions,
        result=None
        if result is None
        else result_entry(
            done=result.done,
            achievement=result.achievement,
            rating=result.rating.label if result.rating else None,
            omitted_reason=result.omitted_reason if result.is_omitted else "",
        ),
    )


def batched(items, size):
    """Consecutive slices of at most `size` items (itertools.batched from Python 3.12 on)."""
    items = list(items)
    return [items[start : start + size] for start in range(0, len(items), size)]


def _history_links(records, tagged):
    """The tags each new history record holds, as simple_history stores them on a save."""
    model = apps.get_model("goals", "HistoricalGoalCategory")
    model.objects.bulk_create(
        model(history=record, id=link.pk, goal=goal, category=link.category, position=link.position)
        for record, (goal, links) in zip(records, tagged, strict=True)
        for link in links
    )
