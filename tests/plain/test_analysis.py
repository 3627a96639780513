"""The writing aid's analyser (plain.analysis): a known hard sentence and a known plain one.

The level comes from the Lee–Hasebe formula (jreadability over UniDic Lite); the hints from the
text itself and the office's glossary. Nothing here touches the database.
"""

import statistics
import time

import pytest

from plain.analysis import (
    LEVELS,
    LONG_SENTENCE,
    MAX_ANALYSED,
    Entry,
    Glossary,
    HintKind,
    analyse,
    combined_level,
    level_of,
    readability_score,
)
from plain.standard import STANDARD_TERMS
from wardservice import japanese

pytestmark = pytest.mark.anydb

STANDARD = Glossary.of(Entry(*row) for row in STANDARD_TERMS)

# From the seed's own register, made harder on purpose: 83 characters in one sentence, a double
# negative, a loanword and three glossary words.
HARD = (
    "区役所サービス基準を遵守し、来庁者のニーズを的確に把握するとともに、窓口において各担当が"
    "不在にしている場合でも最低限の対応ができるよう知識の習熟と情報共有に努めます。"
    "電話での対応ができないわけではありません。ミーティングを毎週行います。"
)
PLAIN = "来た人の話をよく聞きます。わからないことは、やさしい言葉で説明します。"


def kinds(analysis):
    return {(hint.kind, hint.words) for hint in analysis.hints}


def test_a_hard_text_is_difficult_and_every_kind_of_hint_is_found():
    analysis = analyse(HARD, STANDARD)
    assert analysis.level.word == "難しい"
    assert analysis.score < 2.5  # the formula's 上級 bands
    found = kinds(analysis)
    assert {(HintKind.GLOSSARY, term) for term in ("遵守", "来庁者", "的確", "把握", "習熟")} <= found
    assert (HintKind.GLOSSARY, "来庁") not in found  # the longer term wins where two overlap
    assert {(HintKind.KATAKANA, "ニーズ"), (HintKind.KATAKANA, "ミーティング")} <= found
    assert (HintKind.KATAKANA, "サービス") not in {(k, w) for k, w in found}  # an everyday word
    assert (HintKind.NEGATIVE, "ないわけではありません") in found
    long = [hint for hint in analysis.hints if hint.kind == HintKind.LONG]
    assert len(long) == 1 and "一文が83文字あります" in long[0].advice
    # In the order of the text: the long first sentence, then 遵守, … , ミーティング last.
    assert [hint.at for hint in analysis.hints] == sorted(hint.at for hint in analysis.hints)
    assert analysis.hints[-1].words == "ミーティング"


def test_the_hints_say_what_to_do_in_japanese():
    by_word = {hint.words: hint for hint in analyse(HARD, STANDARD).hints}
    assert by_word["遵守"].advice == "「遵守」は「守る」など、やさしい言葉に言い換えられます。"
    assert by_word["遵守"].request == "『遵守』は『守る』など、やさしい言葉にしてください。"
    assert by_word["ミーティング"].advice.startswith("カタカナ語「ミーティング」は")
    assert "二重否定" in by_word["ないわけではありません"].advice


def test_a_plain_text_is_easy_and_has_no_hints():
    analysis = analyse(PLAIN, STANDARD)
    assert analysis.level.word == "やさしい"
    assert analysis.score >= 4.5
    assert analysis.hints == ()


@pytest.mark.parametrize(
    "text, negative",
    [
        ("説明できなくはない。", "なくはない"),
        ("来庁者が困らないこともない。", "ないこともない"),
        ("延期せざるを得ません。", "ざるを得ません"),
        ("混雑しないとは限らない。", "ないとは限らない"),
    ],
)
def test_double_negatives(text, negative):
    assert (HintKind.NEGATIVE, negative) in kinds(analyse(text))


def test_katakana_made_of_everyday_words_and_glossary_words_are_not_loanword_hints():
    glossary = Glossary.of([Entry("ワンストップ", "一か所で")])
    found = kinds(analyse("マイナンバーカードはワンストップで、Eラーニングも使います。", glossary))
    assert (HintKind.KATAKANA, "マイナンバーカード") not in found
    assert (HintKind.KATAKANA, "ワンストップ") not in found and (HintKind.GLOSSARY, "ワンストップ") in found
    assert (HintKind.KATAKANA, "Eラーニング") in found


def test_a_sentence_of_exactly_the_limit_is_not_long_and_a_line_ends_a_sentence():
    exact = "あ" * (LONG_SENTENCE - 1) + "。"
    assert not [h for h in analyse(exact).hints if h.kind == HintKind.LONG]
    assert [h for h in analyse(exact[:-1] + "いい。").hints if h.kind == HintKind.LONG]
    two_lines = "あ" * 40 + "\n" + "い" * 40
    assert not [h for h in analyse(two_lines).hints if h.kind == HintKind.LONG]


def test_empty_short_and_oversized_texts():
    assert analyse("").is_empty and analyse("  \n ").is_empty
    short = analyse("共通")
    assert short.level is None and short.hints == ()
    huge = analyse("あ" * (MAX_ANALYSED + 1))
    assert huge.too_long and huge.level is None and huge.hints == ()
    # MeCab reads UTF-8: a lone surrogate or a NUL is read past, not an error.
    assert analyse("遵守\ud800します。\x00わからないことは説明します。").level is not None
    assert combined_level(["遵守\ud800します。わからないことは、やさしく説明します。"]) is not None


def test_bands_and_a_sheets_combined_level():
    assert [level_of(score).word for score in (6.0, 4.5, 4.0, 3.0, 2.0, -1.0)] == [
        "やさしい", "やさしい", "ふつう", "やや難しい", "難しい", "難しい",
    ]
    assert level_of(None) is None and len(LEVELS) == 4
    assert combined_level([PLAIN, "", PLAIN]).word == "やさしい"
    assert combined_level(["", None]) is None


def test_the_tagger_is_one_per_process_and_an_800_character_field_takes_under_50_ms():
    with japanese.tagging() as first:
        pass
    with japanese.tagging() as second:
        pass
    assert first is second
    times = []
    for start in range(5):  # the median of five fields, each scored afresh (not remembered)
        field = (HARD * 5)[start * 7 : start * 7 + 800]
        readability_score.cache_clear()
        started = time.perf_counter()
        analysis = analyse(field, STANDARD)
        times.append(time.perf_counter() - started)
        assert analysis.level is not None and analysis.hints
    assert statistics.median(times) < 0.05, [f"{t * 1000:.1f} ms" for t in times]


@pytest.mark.parametrize("text", ["a" * MAX_ANALYSED, "ア" * MAX_ANALYSED, "ないわけではな" * 250, "漢" * MAX_ANALYSED])
def test_degenerate_text_is_analysed_in_bounded_time(text):
    # No pattern reads a run of letters once per letter (the katakana run starts at its first).
    started = time.perf_counter()
    analyse(text[:MAX_ANALYSED], STANDARD)
    assert time.perf_counter() - started < 0.5


def test_words_are_read_while_the_tagger_is_held():
    # A fugashi node's features are only valid until the tagger's next call: words() copies them.
    first = japanese.words("遵守します")
    japanese.words("まったく別の文です")
    assert [(w.surface, w.goshu) for w in first][:1] == [("遵守", "漢")]


def test_a_nul_neither_ends_the_text_for_the_analyser_nor_breaks_the_level():
    # MeCab reads C strings: before the tagger read NULs as spaces, a text of NULs and a full stop
    # gave no sentence at all (the formula divided by zero: a 500 on the goals form) and a NUL cut
    # off the words after it.
    measured = analyse("\x00" * 40 + "。" + "窓口で用件を伺い、担当へご案内します。" * 3)
    assert measured.score is not None
    assert analyse("\x00" * 492 + "。").characters == 493  # the fuzz test's text: measured, no error
    assert [word.surface for word in japanese.words("窓口\x00案内")][-1] == "案内"
