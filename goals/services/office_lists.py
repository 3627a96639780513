"""An office's departments and 区分 from a file: read, checked, previewed, written all or nothing.

The first installation of an office (docs/first-installation.md) and every later change of its
organisation come through here: the page 部署と区分の取込 (departments.views.setup) and the command
`import_departments`, with the same checks and the same preview.

A file is an Excel workbook with a sheet 「部署」 and/or a sheet 「区分」 (goals.office_list_files
writes the templates), or a CSV file of either list, recognised by its headings; the two lists
may come as two CSV files. The departments' list is departments.department_list's; the 区分 list is
区分名 and 表示順, a 区分 being known by its name. Registered departments and 区分 the file leaves
out are kept (departments are made inactive only when asked); nothing is ever deleted. Importing
the same file again changes nothing.

New 区分 are added to the office's newest fiscal year as well: its editors can choose them, and
the next year, opened from it, has them. Departments new to the office get their sheets when
the next year is opened (goals.services.years).
"""

import hashlib
import json
from dataclasses import dataclass, field

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction

from departments import department_list as departments
from departments.department_list import Action, Change
from departments.models import Office
from goals.models import Category, FiscalYear
from goals.services.errors import GoalsError
from wardservice.tabular import REFUSED, Cells, Layout, Problem, Table, read_lists

CATEGORY_NAME, CATEGORY_ORDER = "区分名", "表示順"
CATEGORY_LAYOUT = Layout(
    name="区分",
    columns=(CATEGORY_NAME, CATEGORY_ORDER),
    required=frozenset({CATEGORY_NAME}),
    max_rows=200,
    aliases={"区分": CATEGORY_NAME},
)
LAYOUTS = (departments.LAYOUT, CATEGORY_LAYOUT)
MAX_CATEGORY_NAME = Category._meta.get_field("name").max_length


class OfficeListsError(GoalsError):
    """The file(s) cannot be imported; `problems` lists every problem. Nothing was written."""

    def __init__(self, problems):
        self.problems = sorted(problems, key=_problem_order)
        super().__init__(
            f"取り込めません。{len(self.problems)} 件の問題があります (何も変更していません)。"
        )


class OfficeListsChanged(GoalsError):
    """The office's departments or 区分 changed since the preview; `plan` is what importing does now."""

    def __init__(self, plan):
        self.plan = plan
        super().__init__(
            "確認の画面を表示した後に、部署か区分の登録が変わりました。何も変更していません。"
            "今の登録に対する内容をもう一度確認して、確定してください。"
        )


@dataclass(frozen=True)
class SourceFile:
    """An uploaded file that passed wardservice.uploads.read_upload."""

    name: str
    kind: str  # "csv" or "xlsx"
    data: bytes


@dataclass
class CategoryLine:
    action: Action
    name: str
    sort_order: int
    row: int = 0
    changes: tuple[Change, ...] = ()
    existing: Category | None = field(default=None, repr=False, compare=False)

    def summary(self) -> tuple:
        return (
            self.action.value,
            self.name,
            self.sort_order,
            tuple((c.label, c.before, c.after) for c in self.changes),
        )


@dataclass
class OfficeListsPlan:
    """What importing the lists does; `departments` / `categories` are None for a list not given."""

    departments: departments.DepartmentPlan | None
    categories: list[CategoryLine] | None
    newest_year: FiscalYear | None  # where new 区分 are added too
    deactivate_missing: bool = False

    def new_categories(self) -> list[CategoryLine]:
        return [line for line in self.categories or () if line.action == Action.CREATE]

    @property
    def writes(self) -> bool:
        changed = any(
            line.action in (Action.CREATE, Action.CHANGE) for line in self.categories or ()
        )
        return changed or (self.departments is not None and self.departments.writes)

    def counts(self) -> str:
        """「部署 (新規 7、変更 1)、区分 (変更なし)」: what importing writes."""
        parts = []
        if self.departments is not None:
            parts.append(
                (
                    "部署",
                    _counts(
                        self.departments.lines, (Action.CREATE, Action.CHANGE, Action.DEACTIVATE)
                    ),
                )
            )
        if self.categories is not None:
            parts.append(("区分", _counts(self.categories, (Action.CREATE, Action.CHANGE))))
        return "、".join(f"{name} ({counts or '変更なし'})" for name, counts in parts)

    def done_message(self) -> str:
        """What importing wrote, in one sentence: the page after 確定, the command."""
        if not self.writes:
            lists = "と".join(
                name
                for name, given in (("部署", self.departments), ("区分", self.categories))
                if given is not None
            )
            return f"{lists}は登録済みの内容と同じため、何も変わりませんでした。"
        return f"取り込みました: {self.counts()}。"

    def digest(self) -> str:
        """A fingerprint of everything the preview shows: 確定 writes only what was previewed."""
        content = {
            "departments": [line.summary() for line in self.departments.lines]
            if self.departments
            else None,
            "categories": [line.summary() for line in self.categories]
            if self.categories is not None
            else None,
            "year": self.newest_year.pk if self.newest_year and self.new_categories() else None,
        }
        return hashlib.sha256(json.dumps(content, ensure_ascii=False).encode()).hexdigest()


def _counts(lines, actions) -> str:
    """「新規 3、変更 1」: how many lines of each action (those with none left out)."""
    counted = [(action, sum(line.action == action for line in lines)) for action in actions]
    return "、".join(f"{action.value} {count}" for action, count in counted if count)


# --- reading and checking ---------------------------------------------------------------------------


def office_lists_read(files) -> list[Table]:
    """The lists of one or two files (SourceFile), each list once; OfficeListsError if there is none,
    a file cannot be read, or a list comes twice."""
    tables, problems = [], []
    for file in files:
        found, file_problems = read_lists(
            file.data, kind=file.kind, source=file.name, layouts=LAYOUTS
        )
        problems += file_problems
        for table in found:
            earlier = next((t for t in tables if t.layout == table.layout), None)
            if earlier is not None:
                problems.append(
                    Problem(
                        "",
                        0,
                        "",
                        f"{table.layout.name}の一覧が {earlier.source} と {table.source} の両方にあります。1つにしてください。",
                    )
                )
            else:
                tables.append(table)
    if problems:
        raise OfficeListsError(problems)
    return tables


def office_lists_plan(*, office, tables, deactivate_missing=False) -> OfficeListsPlan:
    """Check the lists against the office (no writes); OfficeListsError listing every problem."""
    by_layout = {table.layout: table for table in tables}
    department_table = by_layout.get(departments.LAYOUT)
    category_table = by_layout.get(CATEGORY_LAYOUT)
    plan = OfficeListsPlan(
        departments=departments.departments_plan(
            office=office, table=department_table, deactivate_missing=deactivate_missing
        )
        if department_table is not None
        else None,
        categories=_categories_plan(office, category_table) if category_table is not None else None,
        newest_year=FiscalYear.objects.filter(office=office).order_by("-year").first(),
        deactivate_missing=deactivate_missing,
    )
    problems = [problem for table in tables for problem in table.problems]
    if problems:
        raise OfficeListsError(problems)
    return plan


def _categories_plan(office, table) -> list[CategoryLine]:
    registered = {category.name: category for category in Category.objects.filter(office=office)}
    cells, rows = Cells(table), {}  # name -> (row number, 表示順 or None)
    for row in table.rows:
        name = cells.line(row, CATEGORY_NAME, required=True, max_length=MAX_CATEGORY_NAME)
        order = cells.whole_number(row, CATEGORY_ORDER, maximum=departments.MAX_ORDER)
        if name in rows:
            table.problem(
                row.number,
                CATEGORY_NAME,
                f"区分名「{name}」が重複しています ({rows[name][0]}行目と同じ)。",
            )
        elif REFUSED not in (name, order):
            rows[name] = (row.number, order)
    # A new 区分 without a 表示順 goes after every other, in the list's order.
    given = [order for _, order in rows.values() if order is not None]
    next_order = max([category.sort_order for category in registered.values()] + given, default=0)
    lines = []
    for name, (number, order) in rows.items():
        existing = registered.get(name)
        if existing is None:
            if order is None:
                next_order += departments.ORDER_STEP
            lines.append(
                CategoryLine(Action.CREATE, name, next_order if order is None else order, number)
            )
            continue
        sort_order = existing.sort_order if order is None else order
        changes = (
            (Change(CATEGORY_ORDER, str(existing.sort_order), str(sort_order)),)
            if sort_order != existing.sort_order
            else ()
        )
        lines.append(
            CategoryLine(
                Action.CHANGE if changes else Action.SAME,
                name,
                sort_order,
                number,
                changes,
                existing,
            )
        )
    lines += [
        CategoryLine(Action.KEEP, category.name, category.sort_order, existing=category)
        for name, category in registered.items()
        if name not in rows
    ]
    return lines


def _problem_order(problem: Problem):
    lists = [layout.name for layout in LAYOUTS]
    place = lists.index(problem.list_name) + 1 if problem.list_name in lists else 0
    columns = [*departments.LAYOUT.columns, *CATEGORY_LAYOUT.columns]
    column = columns.index(problem.column) if problem.column in columns else -1
    return place, problem.row, column


# --- writing -----------------------------------------------------------------------------------------


@transaction.atomic
def office_lists_apply(
    *, office, tables, deactivate_missing=False, expected_digest=None
) -> OfficeListsPlan:
    """Check the lists again and write them, all or nothing; the plan that was written.

    The office's row is locked, so two imports for one office run one after the other and each
    checks against what the other wrote. With `expected_digest` (the previewed plan's), a plan
    that differs now raises OfficeListsChanged instead of writing what nobody saw.
    """
    office = Office.objects.select_for_update().get(pk=office.pk)
    plan = office_lists_plan(office=office, tables=tables, deactivate_missing=deactivate_missing)
    if expected_digest is not None and plan.digest() != expected_digest:
        raise OfficeListsChanged(plan)
    try:
        if plan.departments is not None:
            departments.departments_apply(office=office, plan=plan.departments)
        _categories_apply(office, plan)
    except (IntegrityError, ValidationError) as error:
        # Checked above under the office's lock; a change made meanwhile past that lock (the admin)
        # can still clash with a name. The transaction is rolled back as this leaves it.
        raise OfficeListsError(
            [
                Problem(
                    "",
                    0,
                    "",
                    "登録の途中で、ほかの変更とぶつかりました。もう一度ファイルを選んで確認してください。",
                )
            ]
        ) from error
    return plan


def _categories_apply(office, plan):
    created = []
    for line in plan.new_categories():
        category = Category(office=office, name=line.name, sort_order=line.sort_order)
        category.full_clean(exclude=["office"], validate_unique=False, validate_constraints=False)
        category.save()
        created.append(category)
    for line in plan.categories or ():
        if line.action == Action.CHANGE:
            Category.objects.filter(pk=line.existing.pk).update(sort_order=line.sort_order)
    if created and plan.newest_year is not None:
        plan.newest_year.categories.add(*created)
