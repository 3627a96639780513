"""import_table reads back what the CSV and Excel exports write: all or nothing, errors by row and column."""

import csv
import io
import re

import pytest
from django.core.management import CommandError, call_command
from django.db import connection, transaction
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from openpyxl import load_workbook

from departments.models import Department
from goals.models import (
    MAX_OBJECTIVE,
    Category,
    FiscalYear,
    Goal,
    GoalSheet,
    PolicyPrinciple,
    Result,
    ReviewEvent,
    SheetStatus,
)
from goals.selectors import sheet_content
from goals.validators import has_control_characters
from goals.wareki import fiscal_year_label
from reports.exporters import EXPORTERS
from reports.exporters.spreadsheet import FORMULA_STARTS, neutralise_formula
from reports.exporters.xlsx import DATA_SHEET
from reports.imports.table import import_table
from reports.models import PublicationKind
from reports.table import DATA_COLUMNS, build_table
from tests.factories import OfficeFactory
from tests.reports.helpers import approved_year
from wardservice.text import normalise

COLUMNS = [column.name for column in DATA_COLUMNS]
COL = {name: index for index, name in enumerate(COLUMNS)}
FIELDS = ("objective", "actions", "categories", "result")


# --- helpers ----------------------------------------------------------------------------------


def export(fiscal_year, identifier, kind=PublicationKind.RESULT) -> bytes:
    return EXPORTERS[identifier].render(build_table(fiscal_year, kind))


def csv_rows(data: bytes) -> list[list[str]]:
    """The CSV's records as written (values still neutralised)."""
    return [list(row) for row in csv.reader(io.StringIO(data.decode("utf-8-sig"), newline=""))]


def csv_bytes(rows) -> bytes:
    buffer = io.StringIO()
    csv.writer(buffer, lineterminator="\r\n").writerows(rows)
    return buffer.getvalue().encode("utf-8-sig")


def with_year(rows, year):
    """The rows with 年度 and 年度(和暦) rewritten, the way one brings a table into another year."""
    return [rows[0]] + [
        [*row[: COL["年度"]], str(year), fiscal_year_label(year), *row[COL["年度(和暦)"] + 1 :]]
        for row in rows[1:]
    ]


def write(tmp_path, data: bytes, suffix="csv"):
    path = tmp_path / f"table.{suffix}"
    path.write_bytes(data)
    return path


def run(path, office, year, **options) -> str:
    out = io.StringIO()
    call_command("import_table", str(path), office=office, year=year, stdout=out, **options)
    return out.getvalue()


def contents(fiscal_year) -> dict:
    """Each department's sheet content by department code."""
    return {
        sheet.department.code: sheet_content(sheet)
        for sheet in GoalSheet.objects.filter(fiscal_year=fiscal_year).select_related("department")
    }


def assert_same_sheets(actual: dict, expected: dict):
    assert sorted(actual) == sorted(expected)
    for code, sheet in expected.items():
        assert len(actual[code]["goals"]) == len(sheet["goals"]), code
        for got, want in zip(actual[code]["goals"], sheet["goals"], strict=True):
            assert got["number"] == want["number"]
            for name in FIELDS:
                assert got[name] == want[name], (code, want["number"], name)


def counts():
    models = (
        FiscalYear,
        PolicyPrinciple,
        Department,
        Category,
        GoalSheet,
        Goal,
        Result,
        ReviewEvent,
    )
    return {model.__name__: model.objects.count() for model in models}


@pytest.fixture
def twin(db):
    """Another office with the same municipality code and no departments, tags or years."""
    return OfficeFactory(name="中原区役所 (移行先)", slug="twin", municipality_code="141330")


@pytest.fixture
def seed_csv_rows(seed_year):
    return csv_rows(export(seed_year, "csv"))


# --- round trips ------------------------------------------------------------------------------


def test_csv_export_imports_into_an_empty_office_as_identical_sheets(seed_year, twin, tmp_path):
    path = write(tmp_path, export(seed_year, "csv"))
    # The twin has none of the seed's tags yet: creating them has to be asked for.
    out = run(path, "twin", 2020, create_tags=True)

    imported = FiscalYear.objects.get(office=twin, year=2020)
    assert "年度を新規作成" in out
    assert not imported.principles.exists()
    assert_same_sheets(contents(imported), contents(seed_year))
    for sheet in GoalSheet.objects.filter(fiscal_year=imported).select_related("department"):
        original = GoalSheet.objects.get(
            fiscal_year=seed_year, department__code=sheet.department.code
        )
        assert sheet.department.name == original.department.name
        assert (sheet.plan_status, sheet.result_status) == (
            original.plan_status,
            original.result_status,
        )
        assert sheet.events.count() == 2  # 目標設定 and 実績報告, each 取込


def test_xlsx_export_imports_into_an_empty_year_as_identical_sheets(seed_year, tmp_path):
    workbook = load_workbook(io.BytesIO(export(seed_year, "xlsx")))
    sheet = workbook[DATA_SHEET]
    for row in sheet.iter_rows(min_row=2):
        row[COL["年度"]].value = 2019
        row[COL["年度(和暦)"]].value = fiscal_year_label(2019)
    buffer = io.BytesIO()
    workbook.save(buffer)
    path = write(tmp_path, buffer.getvalue(), "xlsx")

    departments = Department.objects.count()
    run(path, "nakahara", 2019)

    assert Department.objects.count() == departments  # the codes are the office's own
    assert_same_sheets(contents(seed_year.office.fiscal_years.get(year=2019)), contents(seed_year))


def test_omitted_results_come_back_as_omitted(seed_year, twin, tmp_path):
    run(write(tmp_path, export(seed_year, "csv")), "twin", 2020, create_tags=True)
    omitted = Result.objects.filter(goal__sheet__fiscal_year__office=twin, is_omitted=True)
    assert (
        omitted.count()
        == Result.objects.filter(goal__sheet__fiscal_year=seed_year, is_omitted=True).count()
        > 0
    )
    assert all(r.done == "" and "省略" in r.omitted_reason for r in omitted)


def test_tags_keep_the_goals_own_order_through_a_csv_round_trip(seed_year, seed_csv_rows, twin, tmp_path):
    rows = [list(row) for row in seed_csv_rows]
    # The seed's 児童家庭課 goal 1 prints 「電話・対面対応」; another goal is given 「電話・共通」,
    # against the office's tag order (共通 comes before 電話 there).
    jidou = next(i for i, row in enumerate(rows) if row[COL["部署名"]].endswith("児童家庭課"))
    assert rows[jidou][COL["区分"]] == "電話・対面対応"
    _set(rows[1], "区分", "電話・共通")
    common, phone = (Category.objects.get(office=seed_year.office, name=n) for n in ("共通", "電話"))
    assert common.sort_order < phone.sort_order
    Category.objects.bulk_create(
        Category(office=twin, name=c.name, sort_order=c.sort_order)
        for c in Category.objects.filter(office=seed_year.office)
    )

    run(write(tmp_path, csv_bytes(rows)), "twin", 2020)
    again = csv_rows(export(FiscalYear.objects.get(office=twin, year=2020), "csv"))

    assert again[jidou][COL["区分"]] == "電話・対面対応"
    assert again[1][COL["区分"]] == "電話・共通"
    goal = Goal.objects.get(sheet__fiscal_year__office=twin, sheet__department__code=rows[1][COL["部署コード"]], number=1)
    assert [c.name for c in goal.ordered_categories()] == ["電話", "共通"]


def test_a_result_that_mentions_an_omission_is_a_result(seed_csv_rows, twin, tmp_path):
    rows = [list(row) for row in seed_csv_rows[:2]]
    text = "※詳細は省略しますが、窓口の待ち時間を20%短縮しました。"
    _set(rows[1], "実施結果", text)
    _set(rows[1], "目標の達成度", "")
    run(write(tmp_path, csv_bytes(rows)), "twin", 2020, create_tags=True)
    result = Result.objects.get(goal__sheet__fiscal_year__office=twin)
    assert (result.is_omitted, result.done, result.omitted_reason) == (False, text, "")
    table = build_table(FiscalYear.objects.get(office=twin, year=2020), PublicationKind.RESULT)
    printed = table.departments[0].goals[0].result
    assert (printed.done, printed.omitted_reason) == (text, "")


def test_an_omission_is_the_column_that_says_so(seed_csv_rows, twin, tmp_path):
    rows = [list(row) for row in seed_csv_rows[:2]]
    _set(rows[1], "実施結果", "")
    _set(rows[1], "目標の達成度", "")
    _set(rows[1], "省略の理由", "組織改編により業務を移管したため、総括を省略とします")
    run(write(tmp_path, csv_bytes(rows)), "twin", 2020, create_tags=True)
    result = Result.objects.get(goal__sheet__fiscal_year__office=twin)
    assert (result.is_omitted, result.omitted_reason) == (True, "組織改編により業務を移管したため、総括を省略とします")


def test_a_file_without_the_omission_column_is_still_read(seed_year, twin, tmp_path):
    """Files written before 省略の理由 existed: every result comes in as written, none as omitted."""
    rows = [row[: COL["省略の理由"]] for row in csv_rows(export(seed_year, "csv"))]
    hygiene = [row for row in rows if row[COL["部署名"]].endswith("衛生課")]
    for row in hygiene:
        _set(row, "実施結果", "※新型コロナウイルス感染症対応状況を踏まえ、総括を省略とします")

    run(write(tmp_path, csv_bytes(rows)), "twin", 2020, create_tags=True)

    imported = Result.objects.filter(goal__sheet__fiscal_year__office=twin)
    assert imported.count() == 50
    assert not imported.filter(is_omitted=True).exists()


def test_plan_only_export_imports_as_approved_plans_without_results(seed_year, twin, tmp_path):
    run(
        write(tmp_path, export(seed_year, "csv", PublicationKind.PLAN)),
        "twin",
        2020,
        create_tags=True,
    )
    sheets = GoalSheet.objects.filter(fiscal_year__office=twin)
    assert sheets.exists()
    assert set(sheets.values_list("plan_status", "result_status")) == {
        (SheetStatus.APPROVED, SheetStatus.NOT_STARTED)
    }
    assert not Result.objects.filter(goal__sheet__in=sheets).exists()


@pytest.mark.parametrize("suffix", ["csv", "xlsx"])
def test_running_again_changes_nothing(seed_year, twin, tmp_path, suffix):
    path = write(tmp_path, export(seed_year, suffix), suffix)
    run(path, "twin", 2020, create_tags=True)
    before = counts()
    departments = GoalSheet.objects.filter(fiscal_year__office=twin).count()

    out = run(path, "twin", 2020)

    assert counts() == before
    assert f"取込 0 シート / 0 目標、変更なし {departments} シート" in out


def test_the_seed_year_itself_is_unchanged_when_its_own_export_comes_back(seed_year, tmp_path):
    before = counts()
    out = run(write(tmp_path, export(seed_year, "csv")), "nakahara", 2020)
    assert counts() == before
    assert "取込 0 シート" in out


def test_dry_run_reports_and_writes_nothing(seed_year, twin, tmp_path):
    before = counts()
    out = run(
        write(tmp_path, export(seed_year, "csv")), "twin", 2020, create_tags=True, dry_run=True
    )
    assert counts() == before
    assert "確認のみ" in out and "年度を新規作成" in out
    assert f"取込 {GoalSheet.objects.filter(fiscal_year=seed_year).count()} シート" in out


@pytest.mark.parametrize("kind", ["csv", "xlsx"])
def test_the_service_reads_bytes_and_file_objects_alike(seed_year, twin, kind):
    data = export(seed_year, kind)
    options = {"kind": kind, "office": twin, "year": 2020, "dry_run": True, "create_tags": True}

    from_bytes = import_table(file=data, **options)
    from_file = import_table(file=io.BytesIO(data), **options)

    assert from_bytes == from_file
    assert from_bytes.goals_imported == build_table(seed_year, PublicationKind.RESULT).goal_count


def test_a_workbook_edited_by_hand_imports_as_exactly_that_change(seed_year, twin, tmp_path):
    workbook = load_workbook(io.BytesIO(export(seed_year, "xlsx")))
    sheet = workbook[DATA_SHEET]
    rows = list(sheet.iter_rows(min_row=2))
    edited, tagged = rows[0], rows[4]
    edited[COL["目標"]].value = "窓口での案内を、より分かりやすくします。"
    tags = [t for t in tagged[COL["区分"]].value.split("・") if t]
    new_tag = Category.objects.filter(office=seed_year.office).exclude(name__in=tags).first().name
    tagged[COL["区分"]].value = "・".join([*tags, new_tag])
    buffer = io.BytesIO()
    workbook.save(buffer)
    Category.objects.bulk_create(
        Category(office=twin, name=c.name, sort_order=c.sort_order)
        for c in Category.objects.filter(office=seed_year.office)
    )

    run(write(tmp_path, buffer.getvalue(), "xlsx"), "twin", 2020)

    expected = contents(seed_year)
    goal = expected[edited[COL["部署コード"]].value]["goals"][0]
    goal["objective"] = "窓口での案内を、より分かりやすくします。"
    number = tagged[COL["目標番号"]].value
    goal = next(
        g for g in expected[tagged[COL["部署コード"]].value]["goals"] if g["number"] == number
    )
    goal["categories"] = [*goal["categories"], new_tag]  # added last, as it was typed
    assert_same_sheets(contents(FiscalYear.objects.get(office=twin, year=2020)), expected)


def test_a_formula_looking_value_round_trips(db, tmp_path):
    fiscal_year = approved_year(departments=1, goals_per_department=1, texts=["=1+1"])
    data = export(fiscal_year, "csv")
    assert "'=1+1" in data.decode("utf-8-sig")

    run(write(tmp_path, csv_bytes(with_year(csv_rows(data), 2022))), fiscal_year.office.slug, 2022)

    goal = Goal.objects.get(sheet__fiscal_year__year=2022)
    assert goal.objective == "=1+1"
    assert goal.actions == "具体的には、=1+1"
    assert goal.result.done == "=1+1"


def test_a_bom_less_csv_and_a_person_typed_apostrophe(seed_year, twin, tmp_path):
    rows = csv_rows(export(seed_year, "csv"))[:2]
    rows[1][COL["目標"]] = "''=A1 は数式ではありません"
    rows[1][COL["区分"]] = ""
    data = csv_bytes(rows).decode("utf-8-sig").encode("utf-8")
    run(write(tmp_path, data), "twin", 2020)
    assert (
        Goal.objects.get(sheet__fiscal_year__office=twin).objective == "'=A1 は数式ではありません"
    )


# --- refusals ---------------------------------------------------------------------------------


def _set(row, column, value):
    row[COL[column]] = value


BAD_INPUTS = {
    "unknown department without a name": (
        lambda rows: (_set(rows[1], "部署コード", "999"), _set(rows[1], "部署名", "")),
        "2行目「部署コード」",
        "登録されていません",
    ),
    "wrong municipality code": (
        lambda rows: _set(rows[2], "市区町村コード", "131016"),
        "3行目「市区町村コード」",
        "市区町村コード",
    ),
    "unknown tag": (
        lambda rows: _set(rows[2], "区分", "共通・存在しない区分"),
        "3行目「区分」",
        "区分「存在しない区分」",
    ),
    "duplicate goal number": (
        lambda rows: _set(rows[2], "目標番号", rows[1][COL["目標番号"]]),
        "3行目「目標番号」",
        "重複",
    ),
    "goal number not a number": (
        lambda rows: _set(rows[2], "目標番号", "一"),
        "3行目「目標番号」",
        "整数",
    ),
    "objective over the limit": (
        lambda rows: _set(rows[3], "目標", "あ" * (MAX_OBJECTIVE + 1)),
        "4行目「目標」",
        f"{MAX_OBJECTIVE}文字以内にしてください (現在 {MAX_OBJECTIVE + 1} 文字)",
    ),
    "wrong year": (
        lambda rows: _set(rows[2], "年度", "2021"),
        "3行目「年度」",
        "年度が取込先の年度と違います",
    ),
    "missing objective": (
        lambda rows: _set(rows[2], "目標", ""),
        "3行目「目標」",
        "目標は必須です",
    ),
    "control character": (
        lambda rows: _set(rows[2], "具体的な取組内容", "見えない\x0b文字"),
        "3行目「具体的な取組内容」",
        "制御文字",
    ),
    "omitted and a result at once": (
        lambda rows: _set(rows[3], "省略の理由", "※総括を省略とします"),
        "4行目「省略の理由」",
        "実施結果・達成度評価・目標の達成度を空欄にするか",
    ),
    "omission reason over the limit": (
        lambda rows: (_set(rows[3], "実施結果", ""), _set(rows[3], "目標の達成度", ""),
                      _set(rows[3], "省略の理由", "あ" * 201)),
        "4行目「省略の理由」",
        "省略の理由は200文字以内にしてください (現在 201 文字)",
    ),
    "unknown rating": (
        lambda rows: _set(rows[2], "達成度評価", "大変よい"),
        "3行目「達成度評価」",
        "達成度評価",
    ),
    # Codes and names that made pages answer 500 (NoReverseMatch), a member of the workbooks' zip a
    # path, and a mail header break (the exact inputs).
    "department code with a slash": (
        lambda rows: _set(rows[1], "部署コード", "9/1"),
        "2行目「部署コード」",
        "部署コードは半角数字10桁以内で入力してください",
    ),
    "department code that is a path": (
        lambda rows: _set(rows[1], "部署コード", "..\\..\\..\\..\\pwn"),
        "2行目「部署コード」",
        "部署コードは半角数字10桁以内で入力してください",
    ),
    "department name that is a path": (
        lambda rows: (_set(rows[1], "部署コード", "990"), _set(rows[1], "部署名", "..\\..\\..\\..\\pwn")),
        "2行目「部署名」",
        "部署名に「/」「\\」は使えません",
    ),
    "department name with a slash": (
        lambda rows: (_set(rows[1], "部署コード", "990"), _set(rows[1], "部署名", "9/1")),
        "2行目「部署名」",
        "部署名に「/」「\\」は使えません",
    ),
    "department name with a line break": (
        lambda rows: (_set(rows[1], "部署コード", "990"), _set(rows[1], "部署名", "区民\n課")),
        "2行目「部署名」",
        "改行やタブは使えません",
    ),
    "department name with a bidi override": (
        lambda rows: (_set(rows[1], "部署コード", "990"), _set(rows[1], "部署名", "区民\u202e課gnp.exe")),
        "2行目「部署名」",
        "文字の向きを変える制御文字 (U+202E",
    ),
    # Goal numbers that made the entry workbook answer 500 (and one the form never offers).
    "goal number superscript two": (
        lambda rows: _set(rows[2], "目標番号", "²"),
        "3行目「目標番号」",
        "目標番号は整数で入力してください",
    ),
    "goal number kharoshthi digit": (
        lambda rows: _set(rows[2], "目標番号", "𐩀"),
        "3行目「目標番号」",
        "目標番号は整数で入力してください",
    ),
    # The import creates the year: its goals may be numbered up to the most a year may have.
    "goal number of twenty digits": (
        lambda rows: _set(rows[2], "目標番号", "99999999999999999999"),
        "3行目「目標番号」",
        "目標番号は1〜10の整数で入力してください (「99999999999999999999」は範囲外です)",
    ),
    "goal number beyond the form's range": (
        lambda rows: _set(rows[2], "目標番号", "40000"),
        "3行目「目標番号」",
        "目標番号は1〜10の整数で入力してください (「40000」は範囲外です)",
    ),
    "control characters of a comment": (
        lambda rows: _set(rows[2], "目標", "見えない\x01文字と\x1b[31m色"),
        "3行目「目標」",
        "制御文字",
    ),
    "zero-width space in a tag": (
        lambda rows: _set(rows[2], "区分", "共通\u200b"),
        "3行目「区分」",
        "幅のない文字 (U+200B",
    ),
    "missing column": (
        lambda rows: [row.pop(COL["目標"]) for row in rows],
        "1行目「目標」",
        "列がありません",
    ),
    "unknown column": (
        lambda rows: rows[0].__setitem__(COL["区分"], "分類"),
        "1行目「分類」",
        "データの形式にありません",
    ),
}


@pytest.mark.parametrize("case", BAD_INPUTS)
def test_bad_input_is_refused_by_row_and_column_and_nothing_is_written(
    seed_csv_rows, twin, tmp_path, case
):
    # Tags exist in the twin, so that only the one bad value is wrong.
    for name in {t for row in seed_csv_rows[1:] for t in row[COL["区分"]].split("・") if t}:
        Category.objects.create(office=twin, name=name)
    rows = [list(row) for row in seed_csv_rows]
    change, where, message = BAD_INPUTS[case]
    change(rows)
    before = counts()

    with pytest.raises(CommandError) as error:
        run(write(tmp_path, csv_bytes(rows)), "twin", 2020)

    assert where in str(error.value)
    assert message in str(error.value)
    assert "何も取り込んでいません" in str(error.value)
    assert counts() == before


def test_every_problem_is_reported_at_once(seed_csv_rows, twin, tmp_path):
    rows = [list(row) for row in seed_csv_rows]
    _set(rows[1], "目標", "")
    _set(rows[5], "年度", "1999")
    before = counts()
    with pytest.raises(CommandError) as error:
        run(write(tmp_path, csv_bytes(rows)), "twin", 2020)  # the twin has no tags either
    message = str(error.value)
    assert "2行目「目標」" in message and "6行目「年度」" in message
    assert message.count("「区分」") == sum(1 for row in rows[1:] if row[COL["区分"]])
    assert counts() == before


def test_an_approved_sheet_is_never_written_over(seed_year, seed_csv_rows, tmp_path):
    rows = [list(row) for row in seed_csv_rows]
    _set(rows[4], "目標", "書き換えた目標")
    before, content = counts(), contents(seed_year)
    with pytest.raises(CommandError) as error:
        run(write(tmp_path, csv_bytes(rows)), "nakahara", 2020)
    assert "承認済みのシートがあるため取り込めません" in str(error.value)
    assert re.search(r"\d+行目「部署コード」", str(error.value))
    assert counts() == before
    assert contents(seed_year) == content


def test_a_department_name_other_than_the_registered_one_is_refused_by_row(seed_year, seed_csv_rows, tmp_path):
    rows = [list(row) for row in with_year(seed_csv_rows, 2019)]
    registered = rows[4][COL["部署名"]]
    for row in rows[4:7]:
        _set(row, "部署名", "まちづくり推進部 総務企画課")
    before = counts()
    with pytest.raises(CommandError) as error:
        run(write(tmp_path, csv_bytes(rows)), "nakahara", 2019)
    message = str(error.value)
    for row in (5, 6, 7):
        assert f"{row}行目「部署名」: 部署コード {rows[4][COL['部署コード']]} の部署は「{registered}」という名前で登録されています" in message
    assert counts() == before
    # Left empty, the registered name is used: nothing to tell.
    for row in rows[4:7]:
        _set(row, "部署名", "")
    run(write(tmp_path, csv_bytes(rows)), "nakahara", 2019)
    assert Department.objects.get(office=seed_year.office, code=rows[4][COL["部署コード"]]).name == registered


# --- the year's policy ------------------------------------------------------------------------


def test_an_excel_file_brings_the_policy_of_the_year_it_creates(seed_year, twin, tmp_path):
    run(write(tmp_path, export(seed_year, "xlsx"), "xlsx"), "twin", 2020, create_tags=True)
    imported = FiscalYear.objects.get(office=twin, year=2020)
    assert list(imported.principles.values_list("text", flat=True)) == list(
        seed_year.principles.values_list("text", flat=True)
    )
    assert build_table(imported, PublicationKind.RESULT).policy == build_table(seed_year, PublicationKind.RESULT).policy


def test_a_csv_gets_its_policy_beside_it(seed_year, twin, tmp_path):
    policy = tmp_path / "policy.txt"
    policy.write_text("① 公平に対応します。\n\n② 丁寧に説明します。\n", encoding="utf-8")
    out = run(write(tmp_path, export(seed_year, "csv")), "twin", 2020, create_tags=True, policy=str(policy))
    imported = FiscalYear.objects.get(office=twin, year=2020)
    assert list(imported.principles.order_by("number").values_list("number", "text")) == [
        (1, "公平に対応します。"), (2, "丁寧に説明します。")
    ]
    assert "区役所サービス向上方針 2 項目を登録" in out


def test_a_policy_other_than_the_years_own_is_refused(seed_year, tmp_path):
    policy = tmp_path / "policy.txt"
    policy.write_text("別の方針です。\n", encoding="utf-8")
    before = counts()
    with pytest.raises(CommandError, match="区役所サービス向上方針が登録済みで、取り込む方針と内容が違います"):
        run(write(tmp_path, export(seed_year, "csv")), "nakahara", 2020, policy=str(policy))
    assert counts() == before


def test_a_gap_in_the_policy_sheet_is_refused_with_its_row(seed_year, twin, tmp_path):
    workbook = load_workbook(io.BytesIO(export(seed_year, "xlsx")))
    workbook["方針"].delete_rows(4)  # ③: ④ would otherwise become ③
    buffer = io.BytesIO()
    workbook.save(buffer)
    with pytest.raises(CommandError) as error:
        run(write(tmp_path, buffer.getvalue(), "xlsx"), "twin", 2020, create_tags=True)
    assert "シート「方針」4行目「番号」: 方針の番号は1から順に付けてください (3 のはずが「4」)" in str(error.value)
    assert not FiscalYear.objects.filter(office=twin).exists()


def test_a_workbook_without_a_data_sheet_is_refused(seed_year, tmp_path):
    workbook = load_workbook(io.BytesIO(export(seed_year, "xlsx")))
    del workbook[DATA_SHEET]
    buffer = io.BytesIO()
    workbook.save(buffer)
    with pytest.raises(CommandError, match="シート「データ」がありません"):
        run(write(tmp_path, buffer.getvalue(), "xlsx"), "nakahara", 2019)
    assert not FiscalYear.objects.filter(year=2019).exists()


def test_formulas_in_a_workbook_are_never_evaluated(seed_year, twin, tmp_path):
    """A formula typed into the データ sheet is read as the value Excel saved, never computed here."""
    workbook = load_workbook(io.BytesIO(export(seed_year, "xlsx")))
    sheet = workbook[DATA_SHEET]
    sheet.delete_rows(3, sheet.max_row)
    sheet.cell(row=2, column=COL["目標"] + 1).value = '=HYPERLINK("http://example.invalid","x")'
    buffer = io.BytesIO()
    workbook.save(buffer)  # openpyxl saves no computed value: the cell reads as empty
    with pytest.raises(CommandError, match="2行目「目標」: 目標は必須です"):
        run(write(tmp_path, buffer.getvalue(), "xlsx"), "twin", 2020, create_tags=True)


def test_not_utf8_is_refused(twin, tmp_path):
    data = csv_bytes([COLUMNS]).decode("utf-8-sig").encode("utf-8") + "2020,令和2年度".encode(
        "shift_jis"
    )
    with pytest.raises(CommandError, match="UTF-8"):
        run(write(tmp_path, data), "twin", 2020)


# --- arbitrary text ---------------------------------------------------------------------------

HOSTILE = st.one_of(
    st.text(),
    st.builds(
        lambda start, rest: start + rest,
        st.sampled_from([*FORMULA_STARTS, "'", "''", "※"]),
        st.text(),
    ),
    st.text(min_size=MAX_OBJECTIVE - 5, max_size=MAX_OBJECTIVE + 5),
    st.text(alphabet=st.characters(max_codepoint=0x9F), max_size=20),
)


def one_goal_csv(office, objective) -> bytes:
    row = [
        2020,
        "令和2年度",
        office.municipality_code,
        office.name,
        "991",
        "試験課",
        1,
        "",
        objective,
        "",
        "",
        "",
        "",
    ]
    return csv_bytes([COLUMNS, [neutralise_formula(v) if isinstance(v, str) else v for v in row]])


@settings(
    max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(text=HOSTILE)
def test_any_objective_is_imported_exactly_or_refused_with_a_message(twin, tmp_path, text):
    if connection.vendor == "postgresql":
        text = text.replace("\x00", "")  # PostgreSQL text cannot hold NUL at all
    stored = normalise(text)  # as the application keeps text: NFC, line breaks as LF
    valid = bool(stored.strip()) and len(stored) <= MAX_OBJECTIVE and not has_control_characters(stored)
    path = write(tmp_path, one_goal_csv(twin, text))
    with transaction.atomic():
        try:
            run(path, "twin", 2020)
        except CommandError as error:
            assert not valid, str(error)
            assert "2行目「目標」" in str(error)
            assert not Goal.objects.filter(sheet__fiscal_year__office=twin).exists()
        else:
            assert valid
            assert Goal.objects.get(sheet__fiscal_year__office=twin).objective == stored
        transaction.set_rollback(True)


def test_an_approved_sheet_is_reported_with_the_other_problems(seed_year, seed_csv_rows, tmp_path):
    rows = [list(row) for row in seed_csv_rows]
    _set(rows[1], "目標", "")  # the first department: its own problem, not a conflict
    _set(rows[4], "目標", "書き換えた目標")  # another department: conflicts with its approved sheet
    with pytest.raises(CommandError) as error:
        run(write(tmp_path, csv_bytes(rows)), "nakahara", 2020)
    message = str(error.value)
    assert "2行目「目標」: 目標は必須です" in message
    assert message.count("承認済みのシートがあるため取り込めません") == 1
    assert rows[4][COL["部署名"]] in message
