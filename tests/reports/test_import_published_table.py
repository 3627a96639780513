"""The seed table, brought in through the command, is stored without losing or altering text."""

import io
import re

import pytest
from django.core.management import CommandError, call_command

from departments.models import Department
from goals.models import EventAction, FiscalYear, Goal, GoalSheet, ReviewEvent, SheetStatus
from tests.seed import SEED

WS = re.compile(r"\s+")
GOAL_MARKERS = re.compile(r"【目標】|【具体的な取組内容】|【具体的な取組】")
RESULT_MARKERS = re.compile(r"・実施結果|・目標の達成度")
OMITTED = "※新型コロナウイルス感染症対応状況を踏まえ、総括を省略とします"


def squash(text):
    return WS.sub("", re.sub(r"</?p>", "", text))


def seed_rows():
    """(department cell, number, goal cell, result cell) straight from the file, independent of the parser."""
    for line in SEED.read_text(encoding="utf-8").splitlines():
        fields = line.split("\t")
        if len(fields) == 4 and fields[1].strip().isdigit():
            yield fields[0], int(fields[1]), fields[2], fields[3]


def stored_goals(fiscal_year):
    return list(
        Goal.objects.filter(sheet__fiscal_year=fiscal_year)
        .select_related("sheet__department", "result")
        .prefetch_related("categories")
        .order_by("sheet__department__sort_order", "number")
    )


def test_seed_has_four_principles(seed_year):
    texts = list(seed_year.principles.order_by("number").values_list("text", flat=True))
    assert len(texts) == 4
    assert texts[0] == "全体の奉仕者としての自覚を常に持ち、公平・公正で適切な区役所サービスを提供します。"
    assert texts[3].startswith("区役所来庁者が快適さを実感できるよう")


def test_seventeen_departments_in_published_order(seed_year):
    sheets = GoalSheet.objects.filter(fiscal_year=seed_year).order_by("department__sort_order")
    names = [s.department.name for s in sheets]
    assert len(names) == 17
    assert names[0] == "危機管理担当"
    assert names[1] == "まちづくり推進部 総務課"
    assert names[12] == "地域みまもり支援センター 衛生課"
    assert names[-1] == "中原区役所 道路公園センター 整備課"
    printed = list(dict.fromkeys(squash(row[0]) for row in seed_rows()))
    assert [squash(n) for n in names] == printed


def test_departments_sit_under_their_bu_or_center(seed_year):
    kumin = Department.objects.get(name="区民サービス部 区民課")
    assert kumin.parent.name == "区民サービス部"
    assert not kumin.parent.writes_goals
    assert Department.objects.get(name="危機管理担当").parent is None
    care = Department.objects.get(name="地域みまもり支援センター 地域ケア推進課")
    hoken = Department.objects.get(name__endswith="地域支援課")
    assert care.parent == hoken.parent
    assert care.parent.name == "地域みまもり支援センター"


def test_fifty_goals_and_every_sheet_approved(seed_year):
    assert Goal.objects.filter(sheet__fiscal_year=seed_year).count() == 50
    statuses = set(GoalSheet.objects.filter(fiscal_year=seed_year).values_list("plan_status", "result_status"))
    assert statuses == {(SheetStatus.APPROVED, SheetStatus.APPROVED)}


def test_every_goal_paragraph_and_tag_is_stored(seed_year):
    goals = stored_goals(seed_year)
    rows = list(seed_rows())
    assert len(goals) == len(rows) == 50
    for goal, (dept, number, goal_cell, _) in zip(goals, rows, strict=True):
        assert squash(goal.sheet.department.name) == squash(dept)
        assert goal.number == number
        printed = squash(GOAL_MARKERS.sub("", goal_cell))
        stored = squash(goal.objective + goal.actions)
        assert stored and printed.endswith(stored), (dept, number)
        label = printed[: len(printed) - len(stored)]
        tags = label.split("・") if label else []
        assert [c.name for c in goal.ordered_categories()] == tags, (dept, number)


def test_tags_keep_the_order_the_table_prints_them_in(seed_year):
    """児童家庭課's goal 1 prints 「電話・対面対応」, though 対面対応 comes first in the office's list."""
    goal = Goal.objects.get(sheet__fiscal_year=seed_year, sheet__department__name__endswith="児童家庭課", number=1)
    assert [c.name for c in goal.ordered_categories()] == ["電話", "対面対応"]
    office_order = [c.name for c in seed_year.office.categories.order_by("sort_order", "name")]
    assert office_order.index("対面対応") < office_order.index("電話")


def test_every_result_paragraph_is_stored(seed_year):
    for goal, (dept, number, _, result_cell) in zip(stored_goals(seed_year), seed_rows(), strict=True):
        result = goal.result
        printed = squash(RESULT_MARKERS.sub("", result_cell))
        if result.is_omitted:
            assert squash(result.omitted_reason) == printed
        else:
            assert squash(result.done + result.achievement) == printed, (dept, number)


def test_tag_counts_per_goal(seed_year):
    counts = [g.categories.count() for g in stored_goals(seed_year)]
    assert counts.count(0) == 3  # 区民課 prints no label on any of its goals
    assert counts.count(2) == 2  # 電話・対面 and 電話・対面対応
    assert counts.count(1) == 45
    kumin = [g for g in stored_goals(seed_year) if g.sheet.department.name == "区民サービス部 区民課"]
    assert [g.categories.count() for g in kumin] == [0, 0, 0]


def test_line_wrapped_labels_are_joined(seed_year):
    names = set(seed_year.categories.values_list("name", flat=True))
    assert {"対面対応", "庁内体制", "電話", "対面", "共通", "お知らせ"} <= names
    assert not any(" " in n for n in names)


def test_hygiene_results_are_omitted_with_their_reason(seed_year):
    goals = Goal.objects.filter(sheet__fiscal_year=seed_year, sheet__department__name__endswith="衛生課")
    assert goals.count() == 3
    for goal in goals:
        assert goal.result.is_omitted
        assert goal.result.omitted_reason == OMITTED
        assert goal.result.done == ""


def test_objective_and_actions_are_split_where_marked(seed_year):
    chiiki = Goal.objects.get(sheet__department__name__endswith="地域振興課", number=1)
    assert chiiki.objective.startswith("来庁者がスムーズに目的を達成できるよう")
    assert chiiki.actions.startswith("(1) 市役所業務全体を理解し")
    assert chiiki.result.achievement.startswith("課内情報共有やマニュアル整備により")
    kiki = Goal.objects.get(sheet__department__name="危機管理担当", number=1)
    assert kiki.actions.startswith("具体的には")


def test_import_events_are_recorded_for_both_phases(seed_year):
    events = ReviewEvent.objects.filter(sheet__fiscal_year=seed_year)
    assert events.count() == 34
    assert set(events.values_list("action", flat=True)) == {EventAction.IMPORT}
    assert events.first().snapshot["goals"]


def test_running_twice_changes_nothing(seed_year):
    def state():
        return (
            Goal.objects.count(),
            ReviewEvent.objects.count(),
            Goal.history.count(),
            GoalSheet.history.count(),
            Department.objects.count(),
            list(GoalSheet.objects.values_list("pk", "version")),
        )

    before = state()
    out = io.StringIO()
    call_command("import_published_table", str(SEED), office="nakahara", year=2020, stdout=out)
    assert state() == before
    assert "変更なし 17 シート" in out.getvalue()


def test_a_different_table_never_overwrites_approved_sheets(seed_year, tmp_path):
    changed = tmp_path / "changed.txt"
    changed.write_text(SEED.read_text(encoding="utf-8").replace("最低限の対応ができるよう", "対応ができるよう"))
    before = list(Goal.objects.values_list("objective", flat=True).order_by("pk"))
    with pytest.raises(CommandError, match="既に内容があるため"):
        call_command("import_published_table", str(changed), office="nakahara", year=2020)
    assert list(Goal.objects.values_list("objective", flat=True).order_by("pk")) == before


def test_malformed_file_names_the_line_and_writes_nothing(nakahara, tmp_path):
    lines = SEED.read_text(encoding="utf-8").splitlines()
    index = next(i for i, line in enumerate(lines) if line.startswith("まちづくり推進部 企画課\t2"))
    lines[index] = lines[index].replace("\t2\t", "\t二\t", 1)
    broken = tmp_path / "broken.txt"
    broken.write_text("\n".join(lines), encoding="utf-8")
    with pytest.raises(CommandError, match=f"{index + 1}行目"):
        call_command("import_published_table", str(broken), office="nakahara", year=2020)
    assert not FiscalYear.objects.exists()
    assert not Department.objects.exists()


def test_failure_half_way_rolls_back_everything(nakahara, tmp_path):
    """A department the database refuses (a name over the limit) is found after others were written."""
    text = SEED.read_text(encoding="utf-8").replace("地域みまもり支援センター衛生課", "衛生課" * 80)
    bad = tmp_path / "long-name.txt"
    bad.write_text(text, encoding="utf-8")
    with pytest.raises(CommandError, match="99行目 .*200 文字以下"):
        call_command("import_published_table", str(bad), office="nakahara", year=2020)
    assert not Goal.objects.exists()
    assert not Department.objects.exists()


def test_unknown_office_is_a_clear_error(db):
    with pytest.raises(CommandError, match="登録されていません"):
        call_command("import_published_table", str(SEED), office="nowhere", year=2020)


# --- Names that would break pages, file names and mail headers --------------------------------


def _seed_with_first_department_named(cell, tmp_path):
    """The seed with 危機管理担当's rows (lines 15–17) under another department cell."""
    lines = [
        f"{cell}\t{line.split(chr(9), 1)[1]}" if line.startswith("危機管理担当\t") else line
        for line in SEED.read_text(encoding="utf-8").splitlines()
    ]
    path = tmp_path / "renamed.txt"
    path.write_text("\n".join(lines), encoding="utf-8")
    return path


@pytest.mark.parametrize(
    "cell, message",
    [
        ("9/1", "15行目 1列目 (部署名): 部署名に「/」「\\」は使えません"),
        ("..\\..\\..\\..\\pwn", "15行目 1列目 (部署名): 部署名に「/」「\\」は使えません"),
        ("区民\u202e課gnp.exe", "15行目: 1列目 (部署名)に文字の向きを変える制御文字 (U+202E"),
        ("区民&#x202E;課gnp.exe", "15行目: 1列目 (部署名)に文字の向きを変える制御文字 (U+202E"),
        ("区民&#x200B;課", "15行目: 1列目 (部署名)に幅のない文字 (U+200B"),
        ("区民\x1b課", "15行目: 1列目 (部署名)に制御文字"),
    ],
)
def test_a_department_name_that_would_break_pages_is_refused_with_its_line(
    nakahara, tmp_path, cell, message
):
    with pytest.raises(CommandError) as error:
        call_command(
            "import_published_table",
            str(_seed_with_first_department_named(cell, tmp_path)),
            office="nakahara",
            year=2020,
        )
    assert message in str(error.value)
    assert not FiscalYear.objects.exists()
    assert not Department.objects.exists()


@pytest.mark.parametrize("cell", ["危機管理&#10;担当", "危機管理&#13;&#10;担当"])
def test_a_line_break_in_a_department_cell_is_a_wrap_and_the_name_one_line(nakahara, tmp_path, cell):
    call_command(
        "import_published_table",
        str(_seed_with_first_department_named(cell, tmp_path)),
        office="nakahara",
        year=2020,
        stdout=io.StringIO(),
    )
    assert Department.objects.filter(name="危機管理担当").exists()
    assert not Department.objects.filter(name__regex=r"[\r\n]").exists()


def four_goals(tmp_path):
    """The seed with a fourth goal for 危機管理担当, and the line it is on."""
    lines = SEED.read_text(encoding="utf-8").splitlines()
    third = next(i for i, line in enumerate(lines) if line.startswith("危機管理担当\t3\t"))
    lines.insert(third + 1, lines[third].replace("\t3\t", "\t4\t", 1))
    path = tmp_path / "four.txt"
    path.write_text("\n".join(lines), encoding="utf-8")
    return path, third + 2


def test_more_goals_than_the_year_takes_are_refused_with_their_line(nakahara, tmp_path):
    """目標番号 4 where the year has 3 goals a department, as the editors' form offers them."""
    FiscalYear.objects.create(office=nakahara, year=2020, max_goals=3)
    path, line = four_goals(tmp_path)
    with pytest.raises(CommandError) as error:
        call_command("import_published_table", str(path), office="nakahara", year=2020)
    assert (
        f"{line}行目 2列目 (目標番号): 目標番号は1〜3の整数で入力してください (「4」は範囲外です)。 "
        "(令和2年度 (2020年度)の目標は1部署3件までです。上限は「年度の管理」で変更できます)"
    ) in str(error.value)
    assert not Department.objects.exists()


def test_a_year_the_import_creates_takes_the_tables_number_of_goals(nakahara, tmp_path):
    path, _line = four_goals(tmp_path)
    call_command("import_published_table", str(path), office="nakahara", year=2020, stdout=io.StringIO())
    fiscal_year = FiscalYear.objects.get(office=nakahara, year=2020)
    assert fiscal_year.max_goals == 4
    assert fiscal_year.sheets.get(department__name="危機管理担当").goals.count() == 4
