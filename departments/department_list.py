"""The office's departments from a list (部署の一覧): checked against the office, previewed, applied.

A row names a department by its 部署コード: a code the office has is that department, whose name,
上位組織, 表示順 and 目標シートを作成 may change; a new code is a new department. 上位組織 (the 部
or センター above a 課) is written as a code or a name, of a department in the list or already
registered. A blank 表示順 or 目標シートを作成 leaves a registered department as it is and gives a
new one the next place at the end / a sheet; a blank 上位組織 means none.

Departments the list leaves out are left as they are, unless the person asks for them to be made
inactive (`deactivate_missing`): no department is ever deleted, because past years and people's
memberships name them. A department in the list is active, so listing an inactive one again
makes it active. Running the same list twice changes nothing the second time.

The whole list is checked before anything is written; its problems are noted on the Table
(wardservice.tabular) by row and column. goals.services.office_lists writes it together with the
区分, in one transaction.
"""

import unicodedata
from dataclasses import dataclass, field
from enum import StrEnum

from django.core.exceptions import ValidationError

from departments.models import (
    Department,
    validate_department_code,
    validate_department_name,
)
from wardservice.tabular import REFUSED, Cells, Layout, Table

CODE, NAME, PARENT, ORDER, WRITES_GOALS = (
    "部署コード",
    "部署名",
    "上位組織",
    "表示順",
    "目標シートを作成",
)
YES, NO = "する", "しない"
LAYOUT = Layout(
    name="部署",
    columns=(CODE, NAME, PARENT, ORDER, WRITES_GOALS),
    required=frozenset({CODE, NAME}),
    max_rows=1000,  # a ward has a few dozen; a whole city's in one office a few hundred
    aliases={"部": PARENT, "部・センター": PARENT, "目標シート": WRITES_GOALS},
)
MAX_ORDER = 999_999
MAX_NAME = Department._meta.get_field("name").max_length
ORDER_STEP = 10  # new departments without a 表示順 follow the last one, ten apart
# A renamed department holds this name for a moment, so that two departments can swap names in
# one list. A list can never give it ("=" starts a formula: wardservice.tabular refuses it).
RENAMING = "=改名中{pk}"


class Action(StrEnum):
    CREATE = "新規"
    CHANGE = "変更"
    SAME = "変更なし"
    DEACTIVATE = "無効にする"
    KEEP = "そのまま"  # registered, not in the list


@dataclass(frozen=True)
class Change:
    label: str
    before: str
    after: str


@dataclass
class DepartmentLine:
    """A department as the import leaves it, and what it changes."""

    action: Action
    code: str
    name: str
    parent_code: str  # "" for none
    parent_name: str
    sort_order: int
    writes_goals: bool
    row: int = 0  # the list's row; 0 for a department the list leaves out
    changes: tuple[Change, ...] = ()
    existing: Department | None = field(default=None, repr=False, compare=False)

    def summary(self) -> tuple:
        """What the preview shows of it: two plans with the same summaries do the same."""
        return (
            self.action.value,
            self.code,
            self.name,
            self.parent_code,
            self.sort_order,
            self.writes_goals,
            tuple((c.label, c.before, c.after) for c in self.changes),
        )


@dataclass
class DepartmentPlan:
    lines: list[DepartmentLine]  # the list's rows in order, then the registered ones it leaves out

    def of(self, *actions) -> list[DepartmentLine]:
        return [line for line in self.lines if line.action in actions]

    @property
    def writes(self) -> bool:
        return bool(self.of(Action.CREATE, Action.CHANGE, Action.DEACTIVATE))


@dataclass
class _Entry:
    row: int
    code: str
    name: str
    parent_ref: str | None  # as written; None when blank
    sort_order: int | None
    writes_goals: bool | None
    parent_code: str = ""


def departments_plan(*, office, table: Table, deactivate_missing=False) -> DepartmentPlan:
    """What importing the list would do to the office's departments; its problems go on `table`.

    One query: the office's departments. The plan is only to be applied when the table has no
    problems.
    """
    registered = {
        d.code: d for d in Department.objects.filter(office=office).select_related("parent")
    }
    entries = _read_entries(table, registered)
    listed = {entry.code for entry in entries}
    left_out = [d for code, d in registered.items() if code not in listed]
    _check_names_free(table, entries, left_out)
    _resolve_parents(table, entries, registered, left_out, deactivate_missing)
    if table.problems:
        return DepartmentPlan(lines=[])
    _check_cycles(table, entries, registered)
    return DepartmentPlan(
        lines=_lines(entries, registered, left_out, deactivate_missing, table.has(PARENT))
    )


def _read_entries(table, registered) -> list[_Entry]:
    cells = Cells(table)
    entries, codes, names = [], {}, {}
    for row in table.rows:
        code = _code(table, cells, row, registered)
        name = cells.line(row, NAME, required=True, max_length=MAX_NAME)
        if name not in (None, REFUSED) and not _valid(
            table, row, NAME, validate_department_name, name
        ):
            name = REFUSED
        parent = cells.line(row, PARENT, max_length=MAX_NAME)
        order = cells.whole_number(row, ORDER, maximum=MAX_ORDER)
        writes_goals = cells.yes_no(row, WRITES_GOALS, yes=YES, no=NO)
        if code in codes:
            table.problem(
                row.number, CODE, f"部署コード {code} が重複しています ({codes[code]}行目と同じ)。"
            )
            code = REFUSED
        if name in names:
            table.problem(
                row.number, NAME, f"部署名「{name}」が重複しています ({names[name]}行目と同じ)。"
            )
            name = REFUSED
        if REFUSED in (code, name, parent, order, writes_goals):
            continue
        codes[code], names[name] = row.number, row.number
        entries.append(_Entry(row.number, code, name, parent, order, writes_goals))
    return entries


def _code(table, cells, row, registered):
    code = cells.line(row, CODE, required=True, max_length=100)
    if code in (None, REFUSED):
        return REFUSED
    code = unicodedata.normalize("NFKC", code)  # full-width digits typed with a Japanese IME
    if not _valid(table, row, CODE, validate_department_code, code):
        return REFUSED
    padded = next((c for c in registered if c != code and c.lstrip("0") == code.lstrip("0")), None)
    if padded is not None and code not in registered:
        # Excel holds "001" typed into a cell of the General format as the number 1, in the
        # workbook and in the CSV it saves: a new code that is a registered one without its zeros.
        table.problem(
            row.number,
            CODE,
            f"部署コード {code} は、登録済みの {padded} の先頭の0が消えたもののようです (Excel が数値として扱うと消えます)。"
            f"セルの書式を文字列にして「{padded}」と入力してください。",
        )
        return REFUSED
    return code


def _valid(table, row, column, validator, value) -> bool:
    try:
        validator(value)
    except ValidationError as error:
        table.problem(row.number, column, " ".join(error.messages))
        return False
    return True


def _check_names_free(table, entries, left_out):
    """A name of a department the list leaves out stays that department's."""
    kept = {d.name: d for d in left_out}
    for entry in entries:
        other = kept.get(entry.name)
        if other is not None:
            table.problem(
                entry.row,
                NAME,
                f"部署名「{entry.name}」は、一覧にない登録済みの部署 (部署コード {other.code}) の名前です。"
                "その部署も一覧に入れて名前を変えるか、別の名前にしてください。",
            )


def _resolve_parents(table, entries, registered, left_out, deactivate_missing):
    """Each entry's 上位組織 as a code: of a department in the list, or of a registered one."""
    by_name = {d.name: d.code for d in left_out} | {entry.name: entry.code for entry in entries}
    listed = {entry.code for entry in entries}
    for entry in entries:
        ref = entry.parent_ref
        if ref is None:
            continue
        code = ref if ref in listed or ref in registered else by_name.get(ref)
        if code is None:
            table.problem(
                entry.row,
                PARENT,
                f"上位組織「{ref}」は、一覧にも登録済みの部署にもありません (部署コードか部署名で書きます)。",
            )
        elif code == entry.code:
            table.problem(entry.row, PARENT, "上位組織に、その部署自身は指定できません。")
        elif code not in listed and not registered[code].is_active:
            table.problem(
                entry.row,
                PARENT,
                f"上位組織「{registered[code].name}」は無効の部署です。一覧に加えると有効になります。",
            )
        elif code not in listed and deactivate_missing:
            table.problem(
                entry.row,
                PARENT,
                f"上位組織「{registered[code].name}」は一覧にないため、無効になってしまいます。一覧に加えてください。",
            )
        else:
            entry.parent_code = code


def _check_cycles(table, entries, registered):
    """A 上位組織 that leads back to the department itself would make the 部 a part of its 課."""
    parents = {code: (d.parent.code if d.parent else "") for code, d in registered.items()}
    parents |= {entry.code: entry.parent_code for entry in entries}
    names = {code: d.name for code, d in registered.items()} | {
        entry.code: entry.name for entry in entries
    }
    for entry in entries:
        path, code = [entry.code], entry.parent_code
        while code and code not in path:
            path.append(code)
            code = parents.get(code, "")
        if code == entry.code:
            shown = " → ".join(names[c] for c in [*path, code])
            table.problem(
                entry.row, PARENT, f"上位組織をたどると、この部署に戻ってしまいます ({shown})。"
            )


def _lines(
    entries, registered, left_out, deactivate_missing, has_parent_column
) -> list[DepartmentLine]:
    names = {code: d.name for code, d in registered.items()} | {
        entry.code: entry.name for entry in entries
    }
    # A new department without a 表示順 goes after every other, in the list's order.
    given = [entry.sort_order for entry in entries if entry.sort_order is not None]
    next_order = max([d.sort_order for d in registered.values()] + given, default=0)
    lines = []
    for entry in entries:
        existing = registered.get(entry.code)
        if existing is None:
            if entry.sort_order is None:
                next_order += ORDER_STEP
            sort_order = entry.sort_order if entry.sort_order is not None else next_order
            writes_goals = True if entry.writes_goals is None else entry.writes_goals
            parent_code = entry.parent_code
        else:
            sort_order = existing.sort_order if entry.sort_order is None else entry.sort_order
            writes_goals = (
                existing.writes_goals if entry.writes_goals is None else entry.writes_goals
            )
            current_parent = existing.parent.code if existing.parent else ""
            parent_code = entry.parent_code if has_parent_column else current_parent
        line = DepartmentLine(
            action=Action.CREATE,
            code=entry.code,
            name=entry.name,
            parent_code=parent_code,
            parent_name=names.get(parent_code, ""),
            sort_order=sort_order,
            writes_goals=writes_goals,
            row=entry.row,
            existing=existing,
        )
        if existing is not None:
            line.changes = _changes(existing, line, names)
            line.action = Action.CHANGE if line.changes else Action.SAME
        lines.append(line)
    for department in left_out:
        if department.is_active:
            lines.append(
                _left_out_line(department, Action.DEACTIVATE if deactivate_missing else Action.KEEP)
            )
    return lines


def _changes(existing, line, names) -> tuple[Change, ...]:
    changes = []
    if existing.name != line.name:
        changes.append(Change(NAME, existing.name, line.name))
    before = existing.parent.code if existing.parent else ""
    if before != line.parent_code:
        changes.append(
            Change(
                PARENT,
                existing.parent.name if existing.parent else "なし",
                names.get(line.parent_code, "なし"),
            )
        )
    if existing.sort_order != line.sort_order:
        changes.append(Change(ORDER, str(existing.sort_order), str(line.sort_order)))
    if existing.writes_goals != line.writes_goals:
        changes.append(
            Change(WRITES_GOALS, _yes_no(existing.writes_goals), _yes_no(line.writes_goals))
        )
    if not existing.is_active:
        changes.append(Change("有効", "無効", "有効"))
    return tuple(changes)


def _left_out_line(department, action) -> DepartmentLine:
    return DepartmentLine(
        action=action,
        code=department.code,
        name=department.name,
        parent_code=department.parent.code if department.parent else "",
        parent_name=department.parent.name if department.parent else "",
        sort_order=department.sort_order,
        writes_goals=department.writes_goals,
        changes=(Change("有効", "有効", "無効"),) if action == Action.DEACTIVATE else (),
        existing=department,
    )


def _yes_no(value: bool) -> str:
    return YES if value else NO


def departments_apply(*, office, plan: DepartmentPlan):
    """Write a checked plan (departments_plan) in the caller's transaction: new departments, the
    changes of registered ones, their 上位組織, and the departments to make inactive."""
    changed = plan.of(Action.CHANGE)
    for line in changed:
        if line.existing.name != line.name:
            Department.objects.filter(pk=line.existing.pk).update(
                name=RENAMING.format(pk=line.existing.pk)
            )
    departments = {line.code: line.existing for line in plan.lines if line.existing is not None}
    for line in plan.of(Action.CREATE):
        department = Department(
            office=office,
            code=line.code,
            name=line.name,
            sort_order=line.sort_order,
            writes_goals=line.writes_goals,
        )
        # Codes, names and parents were checked against the office and each other already.
        department.full_clean(
            exclude=["office", "parent"], validate_unique=False, validate_constraints=False
        )
        department.save()
        departments[line.code] = department
    for line in [*plan.of(Action.CREATE), *changed]:
        department = departments[line.code]
        department.name = line.name
        department.parent = departments[line.parent_code] if line.parent_code else None
        department.sort_order = line.sort_order
        department.writes_goals = line.writes_goals
        department.is_active = True
        department.save(update_fields=["name", "parent", "sort_order", "writes_goals", "is_active"])
    deactivated = [line.existing.pk for line in plan.of(Action.DEACTIVATE)]
    if deactivated:
        Department.objects.filter(pk__in=deactivated).update(is_active=False)


def departments_list_rows(*, office) -> list[list]:
    """The office's active departments as rows of the list, to download, edit and import again."""
    rows = []
    for department in Department.objects.filter(office=office, is_active=True).select_related(
        "parent"
    ):
        parent = department.parent.name if department.parent else ""
        rows.append(
            [
                department.code,
                department.name,
                parent,
                department.sort_order,
                _yes_no(department.writes_goals),
            ]
        )
    return rows
