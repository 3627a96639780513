"""Tests for the parser of published 区役所サービス向上目標 text dumps."""

import re
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from reports.imports.published_text import (
    ParsedTable,
    PublishedTableError,
    parse_published_table,
)

# The text parser alone.
pytestmark = pytest.mark.anydb

SEED = Path(__file__).resolve().parents[2] / "fixtures" / "seeds" / "nakahara-2020.txt"
SEED_TEXT = SEED.read_text(encoding="utf-8")
SEED_LINES = SEED_TEXT.split("\n")

# Data rows read straight from the file, independently of the parser.
RAW_ROWS = [
    (number, line.split("\t"))
    for number, line in enumerate(SEED_LINES, start=1)
    if "\t" in line and not line.startswith("部署名")
]

EXPECTED_POLICY = (
    "全体の奉仕者としての自覚を常に持ち、公平・公正で適切な区役所サービスを提供します。",
    "市民の視点に立ち、地域や現場における市民の声をよく聴き、市民のニーズを的確に把握します。",
    "市民ニーズに的確に応えるため組織間や職種間の連携を図るとともに、"
    "丁寧かつ効果的な区役所サービスを提供します。",
    "区役所来庁者が快適さを実感できるよう庁舎施設の環境整備に努めるとともに"
    "区役所サービス基準を遵守し、応接能力の向上に努めます。",
)

CENTER = "地域みまもり支援センター"
CENTER_OFFICE = "地域みまもり支援センター(福祉事務所・保健所支所)"
# (display name, parent_name, local_name, number of goals), in file order.
EXPECTED_DEPARTMENTS = [
    ("危機管理担当", "", "危機管理担当", 3),
    ("まちづくり推進部 総務課", "まちづくり推進部", "総務課", 3),
    ("まちづくり推進部 企画課", "まちづくり推進部", "企画課", 3),
    ("まちづくり推進部 地域振興課", "まちづくり推進部", "地域振興課", 3),
    ("まちづくり推進部 生涯学習支援課", "まちづくり推進部", "生涯学習支援課", 3),
    ("区民サービス部 区民課", "区民サービス部", "区民課", 3),
    ("区民サービス部 保険年金課", "区民サービス部", "保険年金課", 3),
    (f"{CENTER} 地域ケア推進課", CENTER, "地域ケア推進課", 3),
    (f"{CENTER_OFFICE} 地域支援課", CENTER, "地域支援課", 3),
    (f"{CENTER_OFFICE} 児童家庭課", CENTER, "児童家庭課", 3),
    (f"{CENTER} 高齢・障害課", CENTER, "高齢・障害課", 3),
    (f"{CENTER} 保護課", CENTER, "保護課", 3),
    (f"{CENTER} 衛生課", CENTER, "衛生課", 3),
    (f"{CENTER} 保育所等・地域連携担当", CENTER, "保育所等・地域連携担当", 3),
    (f"{CENTER} 学校・地域連携", CENTER, "学校・地域連携", 3),
    ("中原区役所 道路公園センター 管理課", "道路公園センター", "管理課", 3),
    ("中原区役所 道路公園センター 整備課", "道路公園センター", "整備課", 2),
]

# Category tuples of all 50 goals, in file order.
EXPECTED_CATEGORIES = [
    ("共通",), ("共通",), ("対面対応",),  # 危機管理担当
    ("応対",), ("共通",), ("お知らせ",),  # 総務課
    ("対面対応",), ("庁内体制",), ("庁内体制",),  # 企画課
    ("対面対応",), ("庁内体制",), ("お知らせ",),  # 地域振興課
    ("対応",), ("共通",), ("庁内体制",),  # 生涯学習支援課
    (), (), (),  # 区民課
    ("対応",), ("電話",), ("庁内体制",),  # 保険年金課
    ("電話", "対面"), ("庁内体制",), ("共通",),  # 地域ケア推進課
    ("対面応対",), ("対面応対",), ("共通",),  # 地域支援課
    ("電話", "対面対応"), ("共通",), ("共通",),  # 児童家庭課
    ("対応",), ("対応",), ("対応",),  # 高齢・障害課
    ("対面対応",), ("庁内体制",), ("庁内体制",),  # 保護課
    ("共通",), ("対面",), ("共通",),  # 衛生課
    ("お知らせ",), ("共通",), ("庁内体制",),  # 保育所等・地域連携担当
    ("対応",), ("共通",), ("共通",),  # 学校・地域連携
    ("庁内体制",), ("応対",), ("共通",),  # 管理課
    ("対面応対",), ("お知らせ",),  # 整備課
]

OMITTED = "※新型コロナウイルス感染症対応状況を踏まえ、総括を省略とします"


def squash(text: str) -> str:
    """Text without whitespace or <p> tags, to compare content only."""
    return re.sub(r"\s+|</?p>", "", text)


@pytest.fixture(scope="module")
def seed() -> ParsedTable:
    return parse_published_table(SEED_TEXT)


@pytest.fixture(scope="module")
def goals(seed):
    return [goal for department in seed.departments for goal in department.goals]


def department(seed: ParsedTable, local_name: str):
    (found,) = [d for d in seed.departments if d.local_name == local_name]
    return found


def table(*rows: str) -> str:
    """A minimal table whose data rows start on line 5."""
    head = ["区役所サービス向上方針", "| ① 公平に対応します。 |", "## 区役所サービス向上目標"]
    header = "部署名\t目標及び具体的な取組内容\t\t実施結果及び目標の達成度"
    return "\n".join([*head, header, *rows])


def seed_with(line: int, replacement: str) -> str:
    lines = list(SEED_LINES)
    lines[line - 1] = replacement
    return "\n".join(lines)


# --- the seed file ----------------------------------------------------------


def test_seed_has_the_four_principles(seed):
    assert seed.policy == EXPECTED_POLICY
    assert seed.has_results is True


def test_seed_departments_in_file_order(seed):
    actual = [
        (d.name, d.parent_name, d.local_name, len(d.goals)) for d in seed.departments
    ]
    assert actual == EXPECTED_DEPARTMENTS
    assert [d.line for d in seed.departments][:3] == [15, 22, 29]


def test_seed_has_fifty_goals_numbered_per_department(seed, goals):
    assert len(RAW_ROWS) == 50
    assert len(goals) == 50
    for parsed in seed.departments:
        assert [g.number for g in parsed.goals] == list(range(1, len(parsed.goals) + 1))
    assert [g.line for g in goals] == [number for number, _ in RAW_ROWS]


def test_seed_categories(goals):
    assert [g.categories for g in goals] == EXPECTED_CATEGORIES


@pytest.mark.parametrize("index", range(50))
def test_goal_text_is_kept_whole(goals, index):
    _, fields = RAW_ROWS[index]
    raw = re.sub(r"【目標】|【具体的な取組内容】|【具体的な取組】", "", squash(fields[2]))
    label = "・".join(EXPECTED_CATEGORIES[index])
    assert raw.startswith(label)
    goal = goals[index]
    assert squash(goal.objective + goal.actions) == raw[len(label):]
    assert goal.objective


@pytest.mark.parametrize("index", range(50))
def test_result_text_is_kept_whole(goals, index):
    _, fields = RAW_ROWS[index]
    raw = re.sub(r"・実施結果|・目標の達成度", "", squash(fields[3]))
    goal = goals[index]
    assert squash(goal.result_done + goal.result_achievement + goal.omitted_reason) == raw


def test_text_fields_are_clean_paragraphs(goals):
    for goal in goals:
        for text in (goal.objective, goal.actions, goal.result_done, goal.result_achievement):
            assert "<" not in text and "  " not in text and "【" not in text
            if text:
                assert all(p and p == p.strip() for p in text.split("\n"))


def test_marked_goal_split_in_chiiki_shinko(seed):
    goal = department(seed, "地域振興課").goals[0]
    assert goal.objective == (
        "来庁者がスムーズに目的を達成できるよう、迅速・的確な対応を行うとともに、"
        "市民等との協働が業務の主軸となる地域振興課に不可欠な親しみやすさや"
        "信頼感を構築するコミュニケーションを図ります。"
    )
    assert goal.actions == (
        "(1) 市役所業務全体を理解し、様々な問い合わせに対し適切に対応・引継ぎができるよう"
        "各職員がアンテナを張り常に情報収集を行うとともに、随時職員間の情報共有を行います。\n"
        "(2) 所管する行事の申込・募集等の受付対応マニュアルを作成・共有する等、"
        "担当者不在時にも適切な対応ができるようルール化を図ります。"
    )


def test_marked_result_split_in_chiiki_shinko(seed):
    goal = department(seed, "地域振興課").goals[0]
    assert goal.result_done == (
        "(1) 職員の業務に関する知識を深めるため、各職員も積極的な情報収集に努め"
        "課長・係長ミーティングで情報共有を図りました。\n"
        "(2) 所管する行事等を課内で情報共有できるよう、週に1回実施している"
        "課長・係長ミーティングで共有しました。また募集等の際には受付対応マニュアルを"
        "作成して回覧するなど、情報共有に努め、担当不在時にも、問合せや受付に"
        "適切に対応できるようにしました。"
    )
    assert goal.result_achievement == (
        "課内情報共有やマニュアル整備により、担当外業務の問合せについても適切に対応できます。"
    )
    assert goal.omitted_reason == ""


def test_concretely_starts_the_actions(seed):
    goal = department(seed, "危機管理担当").goals[0]
    assert goal.objective == (
        "窓口において、各担当が不在にしている場合でも、"
        "最低限の対応ができるよう知識の習熟と情報共有に努めます。"
    )
    assert goal.actions.startswith("具体的には、定期的なミーティングを行い")
    # "具体的には" in the middle of a paragraph (no space after "。").
    care = department(seed, "地域ケア推進課").goals[0]
    assert care.objective.endswith("分かりやすい説明を行います。")
    assert care.actions.startswith("具体的には、プライバシーや個人情報を守りながら")


def test_goal_without_label_in_kumin(seed):
    first, second, _ = department(seed, "区民課").goals
    assert first.categories == ()
    assert first.objective == "1 待合環境の快適化 2 窓口混雑の緩和"
    assert "待合環境の快適化" in first.objective
    assert first.actions.split("\n")[0].startswith("1 市民が快適に庁舎内を移動できるよう")
    assert len(first.actions.split("\n")) == 3
    assert second.objective == "親切、丁寧で信頼される窓口業務を行います。"
    assert second.actions.startswith("具体的には、①市民ニーズ")


def test_goals_without_paragraph_markers(seed):
    goal = department(seed, "保育所等・地域連携担当").goals[0]
    assert goal.categories == ("お知らせ",)
    assert goal.objective == (
        "子ども施策に関する部署や関係機関と情報共有を密に行い、総合的な情報提供に努めます。"
    )
    assert goal.actions.startswith("具体的には、子ども・子育てに関する情報")
    assert goal.result_done.startswith("オンラインを活用した方法として")


def test_omitted_results_in_eisei(seed):
    for goal in department(seed, "衛生課").goals:
        assert goal.omitted_reason == OMITTED
        assert goal.result_done == ""
        assert goal.result_achievement == ""


def test_line_wraps_become_paragraphs(seed):
    goal = department(seed, "総務課").goals[0]
    assert goal.result_done.split("\n") == [
        "来庁者や市民からの要望等は応接後に情報をwordへ記録し、供覧することで課内誰もが"
        "適切に対応することができた。また、関係課に迅速かつ適切に情報提供しました。",
        "上記のwordや、メール等で情報を共有することで、課内誰もが適切に対応できるようにしました。",
    ]


# --- other valid inputs -------------------------------------------------------


def test_goals_only_table():
    lines = [
        "\t".join(line.split("\t")[:3]) if "\t" in line else line for line in SEED_LINES
    ]
    parsed = parse_published_table("\n".join(lines))
    assert parsed.has_results is False
    goals = [g for d in parsed.departments for g in d.goals]
    assert len(goals) == 50
    assert all(g.result_done == g.result_achievement == g.omitted_reason == "" for g in goals)
    with_results = parse_published_table(SEED_TEXT)
    assert [g.objective for d in with_results.departments for g in d.goals] == [
        g.objective for g in goals
    ]


def test_crlf_and_bom_are_tolerated(seed):
    assert parse_published_table("\ufeff" + SEED_TEXT.replace("\n", "\r\n")) == seed


def test_names_entities_and_fullwidth_numbers():
    text = table(
        "<p>川崎区役所</p> <p>まちづくり推進部（総務） 地域 振興課</p>\t１\t"
        "<p>電話・対面</p> <p>A&amp;Bを行います。</p>\t<p>行いました。</p>",
    )
    (parsed,) = parse_published_table(text).departments
    assert parsed.name == "川崎区役所 まちづくり推進部（総務） 地域振興課"
    assert (parsed.parent_name, parsed.local_name) == ("まちづくり推進部", "地域振興課")
    (goal,) = parsed.goals
    assert (goal.number, goal.categories, goal.objective) == (1, ("電話", "対面"), "A&Bを行います。")
    assert goal.line == 5


def test_paragraph_breaks_and_concretely_split():
    row = (
        "A課\t1\t<p>共通</p> <p>目標です。 続きは1 項目 2 項目  次の行</p> "
        "<p>具体的には、一つ目。</p> <p>二つ目。</p>\t<p>結果1 結果2</p>"
    )
    (goal,) = parse_published_table(table(row)).departments[0].goals
    assert goal.objective == "目標です。\n続きは1 項目 2 項目\n次の行"
    assert goal.actions == "具体的には、一つ目。\n二つ目。"
    assert goal.result_done == "結果1 結果2"


def test_markers_followed_by_text_in_the_same_paragraph():
    row = (
        "A課\t1\t<p>【目標】目的です。</p> <p>【具体的な取組】(1) 取組です。</p> <p>(2) 次です。</p>"
        "\t<p>・実施結果</p> <p>・実施結果の報告を行いました。</p> <p>・目標の達成度：</p> <p>達成。</p>"
    )
    (goal,) = parse_published_table(table(row)).departments[0].goals
    assert (goal.categories, goal.objective) == ((), "目的です。")
    assert goal.actions == "(1) 取組です。\n(2) 次です。"
    assert goal.result_done == "・実施結果の報告を行いました。"
    assert goal.result_achievement == "達成。"


def test_a_lone_short_paragraph_is_the_goal_not_a_label():
    (goal,) = parse_published_table(table("A課\t1\t<p>窓口対応</p>\t")).departments[0].goals
    assert (goal.categories, goal.objective) == ((), "窓口対応")


def test_a_departments_rows_split_apart_are_refused_saying_so():
    text = table("A課\t1\t共通です。\t", "B課\t1\t共通です。\t", "A課\t2\t共通です。\t")
    assert_error(
        text,
        7,
        "「A課」の行が5行目からの行と離れていて、間に「B課」の行があります。同じ部署の行は続けて並べてください。",
    )


# --- malformed inputs -------------------------------------------------------


def assert_error(text: str, line: int, message: str) -> None:
    with pytest.raises(PublishedTableError) as caught:
        parse_published_table(text)
    assert (caught.value.line, caught.value.message) == (line, message)
    assert str(caught.value) == f"{line}行目: {message}"


WIDTH_MESSAGE = (
    "タブ区切りの列が{}列あります。"
    "部署名・目標番号・目標・実施結果の4列（実施結果のない表は3列）にしてください。"
)


def test_wrong_field_count_in_seed():
    assert_error(seed_with(16, "危機管理担当\t2\t<p>共通</p>\t<p>結果</p>\t余分"), 16,
                 WIDTH_MESSAGE.format(5))
    assert_error(seed_with(16, "危機管理担当 2 共通"), 16, WIDTH_MESSAGE.format(1))


def test_mixed_three_and_four_fields():
    assert_error(seed_with(16, "危機管理担当\t2\t<p>共通</p> <p>目標</p>"), 16,
                 "この行は3列ですが、ほかの行は4列です。"
                 "すべての行を部署名・目標番号・目標・実施結果の4列にそろえてください。")


def line_break(line: int) -> str:
    return (
        f"セルの中で改行しています ({line}行目の行が{line + 1}行目に続いています)。"
        "1つの目標は1行に収まるよう、セルの中の改行を取り除いてください (段落は <p>…</p> で区切ります)。"
    )


def broken(line: int, at: str) -> str:
    """The seed with a line break typed into line `line` just before `at`."""
    lines = list(SEED_LINES)
    before, after = lines[line - 1].split(at, 1)
    lines[line - 1 : line] = [before, at + after]
    return "\n".join(lines)


def test_a_line_break_inside_a_goal_cell_is_named_as_such():
    # Line 16 is 危機管理担当's goal 2: the break cuts its goal text in two.
    assert_error(broken(16, "具体的には、個人情報"), 16, line_break(16))


def test_a_line_break_inside_a_result_cell_is_named_as_such():
    assert_error(broken(16, "完全性や機密性"), 16, line_break(16))


def test_a_line_break_inside_a_department_name_is_named_as_such():
    # The first row of a department, after the column header.
    assert_error(broken(22, "総務課"), 22, line_break(22))


def test_a_line_break_in_the_first_row_is_named_as_such():
    assert_error(table("A課\t1\t目標の前半", "後半\t結果", "A課\t2\t目標\t結果"), 5, line_break(5))
    assert_error(table("A課\t1\t目標\t結果の", "続き", "A課\t2\t目標\t結果"), 5, line_break(5))


@pytest.mark.parametrize("number", ["二", "0", "-1", "1.5", "²", "𐩀"])
def test_goal_number_must_be_a_positive_integer(number):
    text = table("A課\t1\t目標です。\t", f"A課\t{number}\t目標です。\t")
    assert_error(
        text, 6, f"目標番号「{number}」は数字ではありません。目標番号は1、2、3 …のように数字で入れてください。"
    )


@pytest.mark.parametrize("number", ["12345678901", "99999999999999999999", "40000"])
def test_a_huge_goal_number_is_read_as_a_number_out_of_order(number):
    text = table("A課\t1\t目標です。\t", f"A課\t{number}\t目標です。\t")
    assert_error(
        text,
        6,
        f"「A課」の目標番号1の次が{number}になっています。"
        "目標番号2の行が抜けていないか確かめ、目標番号を1から順に付け直してください。",
    )


def test_an_empty_goal_number_asks_for_one():
    text = table("A課\t1\t目標です。\t", "A課\t\t目標です。\t")
    assert_error(text, 6, "目標番号が空です。2列目に目標番号 (1、2、3 …) を入れてください。")


@pytest.mark.parametrize("row", ["B課\t\t\t", "B課\t\t", "B課\t <p></p>\t\t "])
def test_a_department_without_goal_rows_is_named(row):
    assert_error(
        table("A課\t1\t目標です。\t", row) if row.count("\t") == 3 else table("A課\t1\t目標です。", row),
        6,
        "「B課」に目標の行がありません。目標番号・目標・実施結果を入れるか、部署名だけのこの行を削除してください。",
    )


def test_duplicate_goal_number():
    assert_error(seed_with(16, SEED_LINES[15].replace("\t2\t", "\t1\t")), 16,
                 "「危機管理担当」の目標番号1が15行目と重複しています。目標番号を1から順に付け直してください。")


def test_a_gap_in_the_goal_numbers_is_refused():
    assert_error(seed_with(16, SEED_LINES[15].replace("\t2\t", "\t3\t")), 16,
                 "「危機管理担当」の目標番号1の次が3になっています。"
                 "目標番号2の行が抜けていないか確かめ、目標番号を1から順に付け直してください。")
    assert_error(table("A課\t2\t目標です。\t"), 5,
                 "「A課」の最初の目標番号が2になっています。"
                 "目標番号1の行が抜けていないか確かめ、目標番号を1から順に付け直してください。")


def test_a_missing_principle_is_refused_not_renumbered():
    # The seed without ③: ④ would otherwise be printed as ③.
    lines = [line for line in SEED_LINES if not line.startswith("| ③")]
    assert_error("\n".join(lines), 9,
                 "方針の番号が③を飛ばして④になっています。方針③の行が抜けていないか確かめ、番号を①から順に付け直してください。")


def test_a_repeated_principle_number_is_refused():
    lines = list(SEED_LINES)
    lines[8] = lines[8].replace("③", "②")
    assert_error("\n".join(lines), 9, "方針の番号②が重複しています。方針の番号を①から順に付け直してください。")


def test_empty_goal_cell():
    assert_error(table("A課\t1\t<p></p> <p> </p>\t結果"), 5, "「A課」の目標1の目標の欄が空です。目標の文を入れてください。")


def test_empty_department_name():
    assert_error(table("<p></p>\t1\t目標です。\t結果"), 5, "部署名が空です。1列目に部署名を入れてください。")


NO_POLICY = "区役所サービス向上方針（①〜④のような番号付きの項目）が見つかりません。"


def test_empty_file_has_no_policy():
    assert_error("", 1, NO_POLICY)


def test_missing_principles_point_at_the_policy_title():
    lines = [line for line in SEED_LINES if not line.startswith("| ")]
    assert_error("\n".join(lines), 3, NO_POLICY)


def test_unnumbered_policy_row():
    text = seed_with(8, "| 市民の視点に立ちます。 |")
    assert_error(text, 8, "方針の表の行に①〜④のような番号付きの文がありません。")


def test_no_department_rows():
    assert_error("\n".join(SEED_LINES[:14]), 14, "部署の行（タブ区切りの目標の行）がありません。")


# --- robustness -------------------------------------------------------------

INTERESTING = st.sampled_from(
    ["\t", " ", "  ", "\n", "\r", "<p>", "</p>", "1", "０", "①", "|", "#", "-", "。", "、",
     "・", "【目標】", "【具体的な取組】", "具体的には", "・実施結果", "・目標の達成度", "※省略",
     "部", "センター", "区役所", "(", "）", "&amp;", "&#", "部署名", "区役所サービス向上方針"]
)
FRAGMENTS = st.one_of(st.text(), st.lists(INTERESTING).map("".join))


def parse_or_fail_cleanly(text: str) -> None:
    try:
        parsed = parse_published_table(text)
    except PublishedTableError as error:
        assert error.line >= 1 and error.message
    else:
        assert parsed.policy and parsed.departments


@settings(deadline=None)
@given(FRAGMENTS)
def test_arbitrary_text_raises_only_published_table_error(text):
    parse_or_fail_cleanly(text)


MUTATION = st.tuples(
    st.integers(min_value=0, max_value=len(SEED_LINES) - 1),
    st.sampled_from(["replace", "insert", "delete", "splice"]),
    st.integers(min_value=0, max_value=2000),
    FRAGMENTS,
)


def mutate(lines: list[str], mutation) -> None:
    index, kind, at, fragment = mutation
    index %= len(lines)
    if kind == "replace":
        lines[index] = fragment
    elif kind == "insert":
        lines.insert(index, fragment)
    elif kind == "delete" and len(lines) > 1:
        del lines[index]
    else:
        at %= len(lines[index]) + 1
        lines[index] = lines[index][:at] + fragment + lines[index][at:]


@settings(deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(MUTATION, min_size=1, max_size=6))
def test_mutated_seed_raises_only_published_table_error(mutations):
    lines = list(SEED_LINES)
    for mutation in mutations:
        mutate(lines, mutation)
    parse_or_fail_cleanly("\n".join(lines))
