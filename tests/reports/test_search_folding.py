"""The one written form search compares (reports.search.folding), the grams that index it
(reports.search.index), and highlighting in text as written. No database: run once (anydb)."""

import random
import unicodedata

import pytest

from reports.search import folding
from reports.search.folding import fold, fold_with_origins
from reports.search.index import grams, grams_are_exact, lookup_grams, query_words, word_grams
from reports.search.terms import MAX_SPELLINGS, highlight, snippet, term_matcher, term_variants

pytestmark = pytest.mark.anydb


def table_lines():
    tables = (folding.VARIANTS, folding.MARKS)
    return [line.split() for table in tables for line in table.strip().splitlines()]


def test_the_table_folds_each_character_one_way_to_a_form_that_is_not_folded_again():
    seen = {}
    for chars in table_lines():
        assert len(chars) >= 2, chars
        for char in chars:
            assert len(char) == 1, chars
            assert unicodedata.normalize("NFKC", char) == char, f"NFKC folds {char} already"
            assert char not in seen, f"{char} is in {seen.get(char)} and {chars}"
            seen[char] = chars
    targets = set(folding.FOLDED.values())
    assert not any(chr(code) in targets for code in folding.FOLDED)


@pytest.mark.parametrize(
    "written, folded",
    [
        ("ＳＮＳ", "sns"),  # full-width letters, and case
        ("OJT研修", "ojt研修"),
        ("ｿｰｼｬﾙﾃﾞｨｽﾀﾝｽ", "ソーシャルディスタンス"),  # half-width katakana and their voicing marks
        ("か\u3099", "が"),  # a combining voicing mark
        ("０３－１２３４", "03-1234"),
        ("03‐1234―5678", "03-1234-5678"),  # hyphens and dashes
        ("9時〜17時", "9時~17時"),
        ("3ヶ月、3ヵ月", "3ケ月、3カ月"),
        ("髙橋", "高橋"),
        ("山﨑と山嵜", "山崎と山崎"),
        ("德永", "徳永"),
        ("渡邊・渡邉", "渡辺・渡辺"),
        ("濵田・濱田", "浜田・浜田"),
        ("齋藤・齊藤・斉藤", "斎藤・斎藤・斎藤"),
        ("櫻井", "桜井"),
        ("國分寺", "国分寺"),
        ("𠮷野", "吉野"),  # beyond the Basic Multilingual Plane
        ("神奈川", "神奈川"),  # U+FA19, a compatibility ideograph: NFKC's own
        ("葛\U000e0100飾", "葛飾"),  # an ideographic variation selector
        ("擔當", "担当"),
        ("㈱", "(株)"),
    ],
)
def test_written_forms_fold_to_one(written, folded):
    assert fold(written) == folded


def random_texts(count, seed=0):
    alphabet = "窓口髙高ｶﾞﾊﾟｿ\u3099\uff9e葛\U000e0100\ufe00ＡaB𠮷㈱ 　\n-‐〜ヶ齋ß"
    rng = random.Random(seed)
    return ["".join(rng.choice(alphabet) for _ in range(rng.randint(0, 25))) for _ in range(count)]


def test_folding_with_origins_folds_the_same_and_points_inside_the_text():
    for text in random_texts(500):
        folded, starts, ends = fold_with_origins(text)
        assert folded == fold(text) == fold(fold(text)), text
        assert len(starts) == len(ends) == len(folded)
        assert all(0 <= s < e <= len(text) for s, e in zip(starts, ends))


def test_the_grams_of_a_text_hold_those_of_every_word_in_it_and_settle_short_words():
    rng = random.Random(1)
    letters = "窓口高ガ𠮷ab-"
    checked = {True: 0, False: 0}
    for text in map(fold, random_texts(300, seed=2)):
        stored = set(grams(text))
        for length in (1, 2, 3, 4):
            word = "".join(rng.choice(letters) for _ in range(length))
            found = set(word_grams(word)) <= stored
            if word in text:
                assert found, (word, text)
            elif grams_are_exact(word):
                assert not found, (word, text)
            checked[word in text] += 1
    assert min(checked.values()) > 50  # both cases were met often


def test_words_of_one_or_two_units_are_settled_by_grams_alone():
    assert grams_are_exact("窓") and grams_are_exact("窓口") and grams_are_exact("𠮷")
    assert not grams_are_exact("窓口で") and not grams_are_exact("𠮷野")
    # No gram crosses whitespace: a word never does.
    assert set(word_grams("口案")).isdisjoint(grams("窓口\n案内"))
    assert set(word_grams("口案")) <= set(grams("窓口案内"))


def test_a_query_is_read_as_folded_words():
    assert query_words(["ＳＮＳ", "髙橋", "sns"]) == ["sns", "高橋"]


def test_highlighting_marks_the_text_as_written_wherever_a_folded_word_occurs():
    matcher = term_matcher(["sns", "高橋", "ガイド", "渡辺"])
    html = highlight("ＳＮＳで髙橋さんがｶﾞｲﾄﾞ<b>を、渡邊も", matcher)
    assert html == (
        "<mark>ＳＮＳ</mark>で<mark>髙橋</mark>さんが<mark>ｶﾞｲﾄﾞ</mark>&lt;b&gt;を、"
        "<mark>渡邊</mark>も"
    )


def test_overlapping_matches_are_marked_once():
    assert highlight("窓口案内", term_matcher(["窓口案", "口案内"])) == "<mark>窓口案内</mark>"


def test_a_snippet_opens_at_the_first_match_in_any_written_form():
    found = snippet([("目標", "あ" * 100 + "髙橋" + "い" * 100)], term_matcher(["高橋"]))
    assert found.label == "目標"
    assert found.html.startswith("…" + "あ" * 30 + "<mark>髙橋</mark>")


def test_live_text_is_searched_in_every_spelling_of_a_variant_kanji():
    assert set(term_variants("斎藤")) == {"斎藤", "齋藤", "齊藤", "斉藤"}
    assert {"高橋sns", "髙橋sns", "高橋ＳＮＳ", "髙橋ｓｎｓ"} <= set(term_variants("高橋sns"))
    many = term_variants("齋齋齋齋齋")  # 4⁵ spellings: only the first few are looked for
    assert many[0] == "齋齋齋齋齋" and len(many) == MAX_SPELLINGS


def test_a_long_word_is_looked_up_by_its_rarest_pair_and_by_pairs_too_rare_to_be_listed():
    first, second, third = word_grams("サービス")  # sorted pairs
    listed = {first: 0.39, second: 0.30, third: 0.41}
    assert lookup_grams("サービス", listed) == [second]
    assert lookup_grams("サービス", {first: 0.39, second: 0.30}) == [third]
    assert lookup_grams("サービス", {}) == [first, second, third]  # no statistics yet: all
    assert lookup_grams("窓口", listed) == word_grams("窓口")  # settled by its one pair
