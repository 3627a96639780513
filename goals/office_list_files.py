"""The files of 部署と区分の取込 to download: the templates with an example, and the office's lists.

Each is the layout goals.services.office_lists reads (departments.department_list.LAYOUT and
CATEGORY_LAYOUT): an Excel workbook with the sheets 「記入方法」, 「部署」 and 「区分」, or a CSV
file per list (UTF-8 with a BOM, which Excel opens as it is). The office's own lists are the same
files filled with what is registered now, so that a clerk can download them, edit them in Excel
and import them again.
"""

from dataclasses import dataclass

from departments import department_list as departments
from goals.models import Category
from goals.services.office_lists import CATEGORY_LAYOUT
from wardservice.tabular import csv_bytes, xlsx_bytes

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
CSV = "text/csv; charset=utf-8"

EXAMPLE_DEPARTMENTS = [
    ["001", "まちづくり推進部", "", 10, departments.NO],
    ["002", "まちづくり推進部 総務課", "まちづくり推進部", 20, departments.YES],
    ["003", "まちづくり推進部 企画課", "001", 30, departments.YES],
    ["004", "まちづくり推進部 地域振興課", "まちづくり推進部", 40, departments.YES],
    ["005", "区民サービス部", "", 50, departments.NO],
    ["006", "区民サービス部 区民課", "区民サービス部", 60, departments.YES],
    ["007", "区民サービス部 保険年金課", "005", 70, departments.YES],
]
EXAMPLE_CATEGORIES = [
    ["共通", 10],
    ["対面対応", 20],
    ["応対", 30],
    ["電話", 40],
    ["庁内体制", 50],
    ["お知らせ", 60],
]

INSTRUCTIONS = (
    "部署と区分の一覧 — 記入方法",
    "",
    "シート「部署」: 部署を1行に1件ずつ入力します (見出しの行は変えないでください)。",
    f"  {departments.CODE}: 半角数字10桁以内 (例: 001)。部署を見分ける番号で、登録した後は変えません。この列は文字列の書式にしてあるので、先頭の0も残ります。",
    f"  {departments.NAME}: 公表する表のとおりの名前 (例: まちづくり推進部 総務課)。「/」「\\」は使えません。",
    f"  {departments.PARENT}: 課の上の部・センターを、部署コードか部署名で書きます。部・センター自身の行は空欄にします。",
    f"  {departments.ORDER}: 公表する表での順番 (小さい順)。空欄なら、新しい部署は最後に並び、登録済みの部署は今の順番のままです。",
    f"  {departments.WRITES_GOALS}: 目標シートを作る部署は「{departments.YES}」、部・センターのようにまとめるだけの組織は「{departments.NO}」。空欄なら、新しい部署は「{departments.YES}」、登録済みの部署は今のままです。",
    "",
    "シート「区分」: 目標に付ける区分 (共通、電話 など) を1行に1件ずつ入力します。",
    f"  {CATEGORY_LAYOUT.columns[0]}: 30文字以内。{CATEGORY_LAYOUT.columns[1]}: 選ぶときの並び順 (空欄なら最後)。",
    "",
    "取り込むと: 一覧にない登録済みの部署や区分は、そのまま残ります (削除はしません)。部署を無効にするときは、取込の画面で「一覧にない部署を無効にする」を選びます。",
    "同じファイルをもう一度取り込んでも、何も変わりません。値は数式ではなく、文字や数字で入力してください。",
    "CSV で取り込むときは、部署と区分を別々のファイルにして、2つとも選びます (どちらか一方だけでもかまいません)。",
)


@dataclass(frozen=True)
class Download:
    filename: str  # as the browser saves it
    content_type: str
    content: bytes


# The names in the URL (ASCII) and the names the files are saved under.
FILES = {
    "example.xlsx": ("部署と区分の一覧 (記入例).xlsx", "xlsx", None),
    "example-departments.csv": ("部署の一覧 (記入例).csv", "csv", departments.LAYOUT),
    "example-categories.csv": ("区分の一覧 (記入例).csv", "csv", CATEGORY_LAYOUT),
    "current.xlsx": ("部署と区分の一覧.xlsx", "xlsx", None),
}


def office_list_file(name: str, *, office) -> Download | None:
    """The download called `name` (a key of FILES), or None for a name that is not one."""
    if name not in FILES:
        return None
    filename, kind, layout = FILES[name]
    if name.startswith("current"):
        lists = [
            (departments.LAYOUT, departments.departments_list_rows(office=office)),
            (CATEGORY_LAYOUT, _category_rows(office)),
        ]
        filename = f"{office.name} {filename}"
    else:
        lists = [(departments.LAYOUT, EXAMPLE_DEPARTMENTS), (CATEGORY_LAYOUT, EXAMPLE_CATEGORIES)]
    if kind == "csv":
        rows = dict(lists)[layout]
        return Download(filename, CSV, csv_bytes(layout, rows))
    content = xlsx_bytes(lists, instructions=INSTRUCTIONS, text_columns={departments.CODE})
    return Download(filename, XLSX, content)


def _category_rows(office) -> list[list]:
    return [
        [c.name, c.sort_order]
        for c in Category.objects.filter(office=office).order_by("sort_order", "name")
    ]
