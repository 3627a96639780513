"""A fiscal year's public table as plain data: what every format (HTML, PDF, XLSX, CSV) renders.

Built in a constant number of queries whatever the number of departments and goals, so that
exporters never touch the database themselves.
"""

from dataclasses import asdict, dataclass

from goals.models import FiscalYear, GoalSheet, SheetStatus
from goals.printed import TableDepartment, TableGoal, TableResult, clean_text, sheet_department
from goals.selectors import sheets_with_content
from goals.wareki import fiscal_year_label
from reports.models import PublicationKind

TITLE_SUFFIX = "サービス向上目標"
TABLE_HEADING = "区役所サービス向上目標"


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
    approved = {GoalSheet.status_field(kind): SheetStatus.APPROVED}
    sheets = sheets_with_content(fiscal_year=fiscal_year).filter(**approved)
    with_results = kind == PublicationKind.RESULT
    departments = tuple(sheet_department(sheet, with_results, goals=sheet.goals.all()) for sheet in sheets)
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
    DataColumn("実施結果", "実施結果。総括を省略した目標と、目標のみの公表では空欄", "…対応しました。"),
    DataColumn("達成度評価", "達成度の評価段階 (評価段階を定めた年度のみ)", "達成"),
    DataColumn("目標の達成度", "目標の達成度 (記述)。ない場合は空欄", "…対応できます。"),
    DataColumn(
        "省略の理由",
        "総括 (実施結果と目標の達成度) を省略した目標だけ、その理由 (公表する表に実施結果の代わりに載る文)。"
        "省略していない目標は空欄。この列のない以前の形式のファイルも取り込めます (すべての目標を省略なしとして取り込みます)",
        "※新型コロナウイルス感染症対応状況を踏まえ、総括を省略とします",
    ),
)
# Columns a file may leave out: files written before the column existed are still read.
OPTIONAL_DATA_COLUMNS = ("省略の理由",)
TAG_SEPARATOR = "・"

# The year's 区役所サービス向上方針 beside the rows: the Excel file's sheet 方針, one principle a row.
POLICY_COLUMNS = (
    DataColumn("番号", "方針の番号 (1から順に)", "1"),
    DataColumn("区役所サービス向上方針", "方針の文 (①などの番号は付けない)", "全体の奉仕者としての自覚を常に持ち、…"),
)


def data_rows(table: PublicTable):
    """The header, then one list of values per goal, in DATA_COLUMNS order."""
    yield [column.name for column in DATA_COLUMNS]
    for department in table.departments:
        for goal in department.goals:
            result = goal.result or TableResult()
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
                result.done,
                result.rating,
                result.achievement,
                result.omitted_reason,
            ]


def policy_rows(table: PublicTable):
    """The header, then the number and text of each principle of the year's policy."""
    yield [column.name for column in POLICY_COLUMNS]
    for number, text in enumerate(table.policy, 1):
        yield [number, text]
