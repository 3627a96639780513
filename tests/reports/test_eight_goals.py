"""A year of 8 goals a sheet with 5 区分 each, through every way in and out: the goals form and its
preview, the Excel entry workbook (download, fill in, upload, 確定), every export (HTML, PDF,
Excel, CSV), the public search, the データ import and the published-text import.

The exports are rendered from one table built once for the module (its rows rolled back); the
paths that write run per test, each on a small year of its own."""

import csv
import html
import io
import re
import subprocess

import openpyxl
import pytest
from django.core.management import CommandError, call_command
from django.db import transaction
from django.urls import reverse

from departments.models import Role
from goals.models import Category, FiscalYear, Goal, GoalSheet, Result, SheetStatus
from goals.selectors import sheet_content
from goals.services import fiscal_year_set_max_goals, goal_set_categories
from reports.exporters import EXPORTERS
from reports.exporters.xlsx import DATA_SHEET, LAYOUT_SHEET
from reports.imports.workbook import ENTRY_SHEET, FIRST_GOAL_ROW, LISTS_SHEET
from reports.models import PublicationKind
from reports.table import build_table
from tests.factories import DepartmentFactory, FiscalYearFactory, MembershipFactory, OfficeFactory
from tests.personas import client_for
from tests.reports.entry_helpers import columns, confirm, download, fill, upload
from tests.reports.pdf_pages import rendered_pages
from tests.reports.published_helpers import publish

GOALS = 8
TAGS = ("共通", "対面対応", "応対", "電話", "庁内体制")
CODE, DEPARTMENT = "101", "区民サービス部 区民課"


def tags_of(number):
    """Goal n's five tags in an order of its own (rotated), so that every path must keep it."""
    shift = number % len(TAGS)
    return [*TAGS[shift:], *TAGS[:shift]]


def objective(number):
    return f"窓口改善その{number}として、来庁者への案内を見直します。"


def content(number, *, with_result=True):
    """Goal n as goals.selectors.sheet_content gives it."""
    result = {"done": f"取組{number}を行いました。", "achievement": f"目標{number}は概ね達成しました。",
              "rating": None, "is_omitted": False, "omitted_reason": ""} if with_result else None  # fmt: skip
    return {
        "number": number,
        "categories": tags_of(number),
        "objective": objective(number),
        "actions": f"具体的には、取組{number}を進めます。",
        "result": result,
    }


def eight_by_five(office=None, *, approved=True):
    """A year with 8 goals a sheet and 5 tags, and one department's sheet: every goal written, with
    its 5 tags and (approved) its result; or an empty sheet open for planning."""
    office = office or OfficeFactory(name="第八区役所", slug="eight", municipality_code="990801")
    fiscal_year = FiscalYearFactory(office=office, year=2021, max_goals=GOALS, plan_open=not approved)
    tags = {name: Category.objects.create(office=office, name=name, sort_order=n) for n, name in enumerate(TAGS)}
    fiscal_year.categories.set(tags.values())
    department = DepartmentFactory(office=office, code=CODE, name=DEPARTMENT)
    status = SheetStatus.APPROVED if approved else SheetStatus.NOT_STARTED
    sheet = GoalSheet.objects.create(
        department=department, fiscal_year=fiscal_year, plan_status=status, result_status=status
    )
    if approved:
        for number in range(1, GOALS + 1):
            data = content(number)
            goal = Goal.objects.create(sheet=sheet, number=number, objective=data["objective"], actions=data["actions"])
            goal_set_categories(goal, [tags[name] for name in data["categories"]])
            Result.objects.create(goal=goal, done=data["result"]["done"], achievement=data["result"]["achievement"])
    return fiscal_year


def expected_goals(with_result=True):
    return [content(number, with_result=with_result) for number in range(1, GOALS + 1)]


@pytest.fixture(scope="module")
def table(django_db_setup, django_db_blocker):
    """The year's full table (goals and results), built once; its database rows are rolled back."""
    with django_db_blocker.unblock(), transaction.atomic():
        built = build_table(eight_by_five(), PublicationKind.RESULT)
        transaction.set_rollback(True)
    return built


# --- exports ------------------------------------------------------------------------------------


@pytest.mark.anydb
def test_the_html_table_has_every_goal_with_its_five_tags_in_order(table):
    page = EXPORTERS["html"].render(table).decode()
    rows = re.findall(r'<tr class="goal" id="dept-101-goal-(\d+)">(.*?)</tr>', page, re.S)
    assert [int(number) for number, _ in rows] == list(range(1, GOALS + 1))
    for number, row in rows:
        printed = [html.unescape(tag) for tag in re.findall(r'<span class="category">([^<]*)</span>', row)]
        assert printed == tags_of(int(number))
        assert objective(int(number)) in row and f"取組{number}を行いました。" in row


@pytest.mark.anydb
def test_the_csv_has_a_row_per_goal_with_its_five_tags(table):
    rows = list(csv.DictReader(io.StringIO(EXPORTERS["csv"].render(table).decode("utf-8-sig"), newline="")))
    assert len(rows) == GOALS
    assert [(int(row["目標番号"]), row["区分"], row["目標"]) for row in rows] == [
        (n, "・".join(tags_of(n)), objective(n)) for n in range(1, GOALS + 1)
    ]


@pytest.mark.anydb
def test_the_excel_workbook_has_every_goal_in_both_sheets(table):
    workbook = openpyxl.load_workbook(io.BytesIO(EXPORTERS["xlsx"].render(table)))
    data = list(workbook[DATA_SHEET].iter_rows(values_only=True))
    header = data[0]
    number, tags = header.index("目標番号"), header.index("区分")
    assert [(row[number], row[tags]) for row in data[1:]] == [(n, "・".join(tags_of(n))) for n in range(1, GOALS + 1)]
    layout = "\n".join(str(cell) for row in workbook[LAYOUT_SHEET].iter_rows(values_only=True) for cell in row if cell)
    for n in range(1, GOALS + 1):
        assert "・".join(tags_of(n)) in layout and objective(n) in layout


@pytest.mark.anydb
def test_the_pdf_prints_every_goal_with_its_five_tags(table, tmp_path):
    data = EXPORTERS["pdf"].render(table)
    path = tmp_path / "eight.pdf"
    path.write_bytes(data)
    text = subprocess.run(
        ["pdftotext", "-raw", "-enc", "UTF-8", str(path), "-"], capture_output=True, text=True, check=True, timeout=60
    ).stdout
    squeezed = re.sub(r"\s+", "", text)
    at = 0
    for n in range(1, GOALS + 1):  # in order, each goal's tags on their line before its text
        at = squeezed.index("・".join(tags_of(n)) + "【目標】" + objective(n), at)
        assert f"取組{n}を行いました。" in squeezed
    # Poppler draws every page (A4 landscape) without a complaint.
    pages, complaints = rendered_pages(data, tmp_path, "eight")
    assert complaints == ""
    assert len(pages) >= 2 and all(page.width > page.height for page in pages)


# --- the goals form ------------------------------------------------------------------------------


def plan_post(sheet, tags):
    data = {
        "version": sheet.version,
        "phase": "plan",
        "action": "save",
        "goals-TOTAL_FORMS": GOALS,
        "goals-INITIAL_FORMS": 0,
        "goals-MIN_NUM_FORMS": 0,
        "goals-MAX_NUM_FORMS": 1000,
    }
    for i, goal in enumerate(expected_goals(with_result=False)):
        data[f"goals-{i}-number"] = goal["number"]
        data[f"goals-{i}-objective"] = goal["objective"]
        data[f"goals-{i}-actions"] = goal["actions"]
        data[f"goals-{i}-categories"] = [tags[name].pk for name in goal["categories"]]
    return data


def sheet_url(name, sheet):
    fiscal_year = sheet.fiscal_year
    return reverse(
        name, kwargs={"office": fiscal_year.office.slug, "year": fiscal_year.year, "code": sheet.department.code}
    )


def test_the_goals_form_offers_eight_goals_and_saves_them_with_five_tags(db):
    fiscal_year = eight_by_five(approved=False)
    sheet = fiscal_year.sheets.get()
    tags = {tag.name: tag for tag in fiscal_year.categories.all()}
    client = client_for(MembershipFactory(department=sheet.department, role=Role.EDITOR).user)

    page = client.get(sheet_url("goals:plan_edit", sheet)).content.decode()
    assert "目標は8件まで入力できます。" in page
    assert page.count("data-goal-form") == GOALS
    assert page.count('name="goals-7-categories"') == len(TAGS)
    assert '<option value="8">8</option>' in page

    data = plan_post(sheet, tags)
    preview = client.post(sheet_url("goals:preview", sheet), data).content.decode()
    assert preview.count('<tr class="goal"') == GOALS
    assert preview.count('<span class="category">') == GOALS * len(TAGS)

    response = client.post(sheet_url("goals:plan_edit", sheet), data)
    assert response.status_code == 302, response.content.decode()[:3000]
    # Ticked boxes carry no order: new tags take the year's, then keep theirs on later saves.
    stored = sheet_content(GoalSheet.objects.get(pk=sheet.pk))["goals"]
    assert [(g["number"], g["categories"], g["objective"]) for g in stored] == [
        (n, list(TAGS), objective(n)) for n in range(1, GOALS + 1)
    ]

    # A ninth goal is one too many for the year.
    sheet.refresh_from_db()
    ninth = plan_post(sheet, tags) | {"goals-TOTAL_FORMS": GOALS + 1, "goals-INITIAL_FORMS": GOALS,
                                      "goals-8-number": 8, "goals-8-objective": "九つ目の目標です。"}  # fmt: skip
    refused = client.post(sheet_url("goals:plan_edit", sheet), ninth).content.decode()
    assert "目標は8件までです (現在 9 件)。" in refused and "九つ目の目標です。" in refused
    assert Goal.objects.filter(sheet=sheet).count() == GOALS


# --- the Excel entry workbook ------------------------------------------------------------------------


def test_the_entry_workbook_round_trip_keeps_eight_goals_and_five_tags_in_order(db):
    fiscal_year = eight_by_five(approved=False)
    sheet = fiscal_year.sheets.get()
    client = client_for(MembershipFactory(department=sheet.department, role=Role.EDITOR).user)

    blank = download(client, sheet)
    ws = openpyxl.load_workbook(io.BytesIO(blank))[ENTRY_SHEET]
    letters = columns(ws)
    tag_columns = [f"区分{i}" for i in range(1, len(TAGS) + 1)]
    assert set(tag_columns) <= letters.keys() and "区分6" not in letters
    assert [ws[f"A{FIRST_GOAL_ROW + i}"].value for i in range(GOALS + 1)] == [*range(1, GOALS + 1), None]
    lists = [v for v in ws.data_validations.dataValidation if v.type == "list"]
    for label in tag_columns:  # each 区分 column of every goal row picks from the year's five
        letter = letters[label]
        (validation,) = [v for v in lists if f"{letter}{FIRST_GOAL_ROW}:{letter}{FIRST_GOAL_ROW + GOALS - 1}" in str(v.sqref)]
        assert validation.formula1 == f"'{LISTS_SHEET}'!$A$2:$A${len(TAGS) + 1}"

    typed = {
        n - 1: {"目標": goal["objective"], "具体的な取組内容": goal["actions"]}
        | dict(zip(tag_columns, goal["categories"], strict=True))
        for n, goal in enumerate(expected_goals(with_result=False), 1)
    }
    response = upload(client, sheet, fill(blank, typed))
    assert response.status_code == 200, response.content.decode()[:3000]
    assert confirm(client, sheet, response).status_code == 302
    sheet.refresh_from_db()
    assert sheet_content(sheet)["goals"] == expected_goals(with_result=False)

    # Downloaded again, the workbook holds what was typed, cell for cell.
    again = openpyxl.load_workbook(io.BytesIO(download(client, sheet)))[ENTRY_SHEET]
    for offset, values in typed.items():
        for label, value in values.items():
            assert again[f"{letters[label]}{FIRST_GOAL_ROW + offset}"].value == value


# --- search and imports ---------------------------------------------------------------------------


def test_the_published_rows_serve_the_search_and_the_open_data_with_eight_goals(client, db):
    fiscal_year = eight_by_five()
    publish(fiscal_year)
    search = reverse("reports:search")

    data = b"".join(client.get(reverse("reports:opendata_all_csv"))).decode("utf-8-sig")
    rows = list(csv.DictReader(io.StringIO(data, newline="")))
    assert [(int(row["目標番号"]), row["区分"]) for row in rows] == [(n, "・".join(tags_of(n))) for n in range(1, GOALS + 1)]

    page = client.get(search, {"q": "窓口改善その8"}).content.decode()
    assert '<span class="result-count">1 件</span>' in page
    assert f'href="/reports/eight/2021/#dept-{CODE}-goal-8"' in page

    page = client.get(search, {"category": TAGS[4]}).content.decode()
    assert f'<span class="result-count">{GOALS} 件</span>' in page


def test_the_data_import_brings_the_csv_back_into_a_year_it_creates(db, tmp_path):
    fiscal_year = eight_by_five()
    path = tmp_path / "eight.csv"
    path.write_bytes(EXPORTERS["csv"].render(build_table(fiscal_year, PublicationKind.RESULT)))
    twin = OfficeFactory(name="第八区役所 (移行先)", slug="twin", municipality_code=fiscal_year.office.municipality_code)
    for n, name in enumerate(TAGS):
        Category.objects.create(office=twin, name=name, sort_order=n)

    call_command("import_table", str(path), office="twin", year=2021, stdout=io.StringIO())

    imported = FiscalYear.objects.get(office=twin, year=2021)
    assert imported.max_goals == GOALS  # the file's highest goal number
    assert sheet_content(imported.sheets.get())["goals"] == expected_goals()


def test_the_data_import_into_a_year_of_three_goals_says_where_to_raise_the_limit(db, tmp_path):
    fiscal_year = eight_by_five()
    path = tmp_path / "eight.csv"
    path.write_bytes(EXPORTERS["csv"].render(build_table(fiscal_year, PublicationKind.RESULT)))
    twin = OfficeFactory(name="第八区役所 (移行先)", slug="twin", municipality_code=fiscal_year.office.municipality_code)
    three = FiscalYearFactory(office=twin, year=2021, max_goals=3, plan_open=False)
    three.categories.set(Category.objects.create(office=twin, name=name, sort_order=n) for n, name in enumerate(TAGS))

    with pytest.raises(CommandError) as error:
        call_command("import_table", str(path), office="twin", year=2021, stdout=io.StringIO())
    assert (
        "5行目「目標番号」: 目標番号は1〜3の整数で入力してください (「4」は範囲外です)。"
        "令和3年度 (2021年度)の目標数の上限は3件です (上限は「年度の管理」で変更できます)。"
    ) in str(error.value)
    assert not Goal.objects.filter(sheet__fiscal_year=three).exists()

    fiscal_year_set_max_goals(fiscal_year=three, max_goals=GOALS)
    call_command("import_table", str(path), office="twin", year=2021, stdout=io.StringIO())
    assert sheet_content(three.sheets.get())["goals"] == expected_goals()


def published_text():
    """The year as the ward's published table reads in its text dump (the seed's format)."""
    rows = [
        f"{DEPARTMENT}\t{goal['number']}\t<p>{'・'.join(goal['categories'])}</p> <p>{goal['objective']}</p>"
        f" <p>{goal['actions']}</p>\t<p>・実施結果</p> <p>{goal['result']['done']}</p>"
        f" <p>・目標の達成度</p> <p>{goal['result']['achievement']}</p>"
        for goal in expected_goals()
    ]
    head = ["区役所サービス向上方針", "| ① 公平に対応します。 |", "## 区役所サービス向上目標"]
    return "\n".join([*head, "部署名\t目標及び具体的な取組内容\t\t実施結果及び目標の達成度", *rows])


def test_the_published_table_import_reads_eight_goals_with_five_tags(db, tmp_path):
    office = OfficeFactory(name="第八区役所", slug="eight", municipality_code="990801")
    path = tmp_path / "eight.txt"
    path.write_text(published_text(), encoding="utf-8")

    call_command("import_published_table", str(path), office="eight", year=2019, stdout=io.StringIO())

    imported = FiscalYear.objects.get(office=office, year=2019)
    assert imported.max_goals == GOALS
    assert sheet_content(imported.sheets.get())["goals"] == expected_goals()
