"""A fiscal year's public table as plain data: what every format (HTML, PDF, XLSX, CSV) renders.

Built in a constant number of queries whatever the number of departments and goals, so that
exporters never touch the database themselves.
"""

import re
from dataclasses import asdict, dataclass

from goals.models import FiscalYear, SheetStatus
from goals.selectors import sheets_with_content
from goals.wareki import fiscal_year_label
from reports.models import PublicationKind

TITLE_SUFFIX = "サービス向上目標"
TABLE_HEADING = "区役所サービス向上目標"


# C0/C1 control characters other than tab and newline are invisible, break XML (XLSX, XHTML,
# PDF tags) and are never meant; every format drops them the same way.
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]")


def clean_text(text: str) -> str:
    """User text as every format prints it: newlines normalised, control characters removed."""
    return _CONTROL.sub("", text.replace("\r\n", "\n").replace("\r", "\n"))


def paragraphs(text: str) -> list[str]:
    """The non-empty lines of a text: each is printed as its own paragraph."""
    return [line for line in text.split("\n") if line.strip()]


@dataclass(frozen=True)
class TableResult:
    done: str
    achievement: str
    rating: str  # "" where the year has no scale or none was given
    omitted_reason: str  # printed in place of the result when it is not ""

    @property
    def done_paragraphs(self):
        return paragraphs(self.done)

    @property
    def achievement_paragraphs(self):
        return paragraphs(self.achievement)


@dataclass(frozen=True)
class TableGoal:
    number: int
    categories: tuple[str, ...]
    objective: str
    actions: str
    result: TableResult | None  # None in a goals-only (plan) table

    @property
    def objective_paragraphs(self):
        return paragraphs(self.objective)

    @property
    def actions_paragraphs(self):
        return paragraphs(self.actions)


@dataclass(frozen=True)
class TableDepartment:
    code: str
    name: str
    goals: tuple[TableGoal, ...]


@dataclass(frozen=True)
class PublicTable:
    office_name: str
    office_slug: str
    municipality_name: str
    municipality_code: str
    year: int
    kind: str  # PublicationKind
    policy: tuple[str, ...]
    departments: tuple[TableDepartment, ...]
    has_rating: bool

    @property
    def year_label(self):
        """令和2年度"""
        return fiscal_year_label(self.year)

    @property
    def title(self):
        """令和2年度 中原区役所サービス向上目標"""
        return f"{self.year_label} {self.office_name}{TITLE_SUFFIX}"

    @property
    def with_results(self):
        return self.kind == PublicationKind.RESULT

    @property
    def goal_count(self):
        return sum(len(d.goals) for d in self.departments)

    def to_json(self) -> dict:
        """The table as plain JSON data (dicts, lists, str, int, bool): what a publication freezes."""
        return _plain(asdict(self))

    @classmethod
    def from_json(cls, data: dict) -> "PublicTable":
        """The table that to_json() gave this data for, equal to the original."""
        return cls(
            **{
                **data,
                "policy": tuple(data["policy"]),
                "departments": tuple(_department_from_json(d) for d in data["departments"]),
            }
        )


def _plain(value):
    """JSON's own types only: tuples become lists and str subclasses (TextChoices) plain str."""
    if isinstance(value, dict):
        return {key: _plain(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [_plain(item) for item in value]
    if isinstance(value, str):
        return str(value)
    return value


def _department_from_json(data) -> TableDepartment:
    return TableDepartment(
        code=data["code"],
        name=data["name"],
        goals=tuple(_goal_from_json(goal) for goal in data["goals"]),
    )


def _goal_from_json(data) -> TableGoal:
    result = data["result"]
    return TableGoal(
        number=data["number"],
        categories=tuple(data["categories"]),
        objective=data["objective"],
        actions=data["actions"],
        result=TableResult(**result) if result is not None else None,
    )


def build_table(fiscal_year: FiscalYear, kind: str) -> PublicTable:
    """The year's table with the sheets approved for that kind, in published order. Five queries."""
    office = fiscal_year.office
    status_field = "result_status" if kind == PublicationKind.RESULT else "plan_status"
    sheets = sheets_with_content(fiscal_year=fiscal_year).filter(**{status_field: SheetStatus.APPROVED})
    departments = tuple(
        TableDepartment(
            code=sheet.department.code,
            name=clean_text(sheet.department.name),
            goals=tuple(_goal(goal, kind) for goal in sheet.goals.all()),
        )
        for sheet in sheets
    )
    return PublicTable(
        office_name=office.name,
        office_slug=office.slug,
        municipality_name=office.municipality_name,
        municipality_code=office.municipality_code,
        year=fiscal_year.year,
        kind=kind,
        policy=tuple(clean_text(p.text) for p in fiscal_year.principles.all()),
        departments=departments,
        has_rating=fiscal_year.rating_levels.exists(),
    )


def _goal(goal, kind):
    return TableGoal(
        number=goal.number,
        categories=tuple(c.name for c in sorted(goal.categories.all(), key=lambda c: (c.sort_order, c.name))),
        objective=clean_text(goal.objective),
        actions=clean_text(goal.actions),
        result=_result(goal) if kind == PublicationKind.RESULT else None,
    )


def _result(goal):
    result = getattr(goal, "result", None)
    if result is None:
        return TableResult(done="", achievement="", rating="", omitted_reason="")
    return TableResult(
        done=clean_text(result.done),
        achievement=clean_text(result.achievement),
        rating=result.rating.label if result.rating else "",
        omitted_reason=clean_text(result.omitted_reason) if result.is_omitted else "",
    )


# The machine-readable layout (総務省「統計表における機械判読可能なデータの表記方法の統一ルール」):
# one row per goal, one value per cell. It is also the import format.
@dataclass(frozen=True)
class DataColumn:
    name: str
    description: str
    example: str


DATA_COLUMNS = (
    DataColumn("年度", "年度 (西暦、4月始まり)", "2020"),
    DataColumn("年度(和暦)", "年度 (和暦)", "令和2年度"),
    DataColumn("市区町村コード", "全国地方公共団体コード (6桁)", "141330"),
    DataColumn("区役所", "区役所の名称", "中原区役所"),
    DataColumn("部署コード", "区役所内の部署コード", "003"),
    DataColumn("部署名", "公表時の部署名", "まちづくり推進部 総務課"),
    DataColumn("目標番号", "部署内の目標の番号 (1から)", "1"),
    DataColumn("区分", "目標の区分。複数ある場合は「・」で区切る。ない場合は空欄", "電話・対面"),
    DataColumn("目標", "目標の本文。段落は改行で区切る", "来庁者や市民からの要望等を的確に記録し…"),
    DataColumn("具体的な取組内容", "具体的な取組内容。ない場合は空欄", "具体的には、…"),
    DataColumn("実施結果", "実施結果。総括を省略した場合はその理由 (※で始まる)。目標のみの公表では空欄", "…対応しました。"),
    DataColumn("達成度評価", "達成度の評価段階 (評価段階を定めた年度のみ)", "達成"),
    DataColumn("目標の達成度", "目標の達成度 (記述)。ない場合は空欄", "…対応できます。"),
)
TAG_SEPARATOR = "・"


def data_rows(table: PublicTable):
    """The header, then one list of values per goal, in DATA_COLUMNS order."""
    yield [column.name for column in DATA_COLUMNS]
    for department in table.departments:
        for goal in department.goals:
            result = goal.result or TableResult("", "", "", "")
            yield [
                table.year,
                table.year_label,
                table.municipality_code,
                table.office_name,
                department.code,
                department.name,
                goal.number,
                TAG_SEPARATOR.join(goal.categories),
                goal.objective,
                goal.actions,
                result.omitted_reason or result.done,
                result.rating,
                result.achievement,
            ]
