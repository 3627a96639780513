"""The writing aid: how easy a text is to read, and what could be said more plainly.

For one text field (a goal's 目標, a result's 実施結果 …) `analyse()` gives:

- a readability level, from the formula of Lee and Hasebe (Lee, J. & Hasebe, Y., "Readability
  measurement of Japanese texts based on levelled corpora", 2016; the measure of jreadability.net)
  as the `jreadability` package implements it over UniDic, shown as a word (LEVELS);
- hints: long sentences, double negatives, katakana loanwords outside a small list of everyday
  words, and the office's glossary words (plain.models.GlossaryTerm) with their plain wording.

Hints never block anything: the pages show them beside the text. The morphological analyser is the
process's one tagger (wardservice.japanese), loaded on first use; scores are kept per text in a
bounded cache, so a page that shows the same texts again (the dashboard) does not analyse them
again. One 800-character field takes a few milliseconds (`make bench`: "writing aid").
"""

import re
from dataclasses import dataclass, field
from functools import lru_cache

from wardservice import japanese

# A text longer than this is not analysed (the longest field holds 800 characters; a pasted
# document is not a field). The page says so instead of showing hints.
MAX_ANALYSED = 2_000
# Below this many characters the formula's averages say little: no level, hints only.
MIN_FOR_LEVEL = 15
# A sentence over this many characters is pointed out. 文化庁「公用文作成の考え方」(令和4年1月建議)
# gives 50〜60字 as the length to aim for in one sentence of public writing; the upper end is used,
# so that the hint means "really long".
LONG_SENTENCE = 60


@dataclass(frozen=True)
class Level:
    """A band of the readability score, in the words the pages use."""

    word: str  # やさしい / ふつう / やや難しい / 難しい
    key: str  # for CSS: easy / plain / harder / hard
    band: str  # the formula's own band(s) it covers
    lowest: float  # the band starts at this score (inclusive)


# The formula's published bands (jreadability.net; the jreadability package's README):
#   初級前半 5.5–6.4, 初級後半 4.5–5.4 (elementary), 中級前半 3.5–4.4, 中級後半 2.5–3.4
#   (intermediate), 上級前半 1.5–2.4, 上級後半 0.5–1.4 (advanced); a higher score is easier.
# Four words for staff: both 初級 bands are やさしい, each 中級 band a word of its own, and both
# 上級 bands (and anything below) are 難しい. Administrative writing usually scores 上級.
LEVELS = (
    Level("やさしい", "easy", "初級", 4.5),
    Level("ふつう", "plain", "中級前半", 3.5),
    Level("やや難しい", "harder", "中級後半", 2.5),
    Level("難しい", "hard", "上級", float("-inf")),
)
HARD = LEVELS[-1]


def level_of(score: float | None) -> Level | None:
    if score is None:
        return None
    return next(level for level in LEVELS if score >= level.lowest)


class HintKind:
    GLOSSARY = "glossary"
    KATAKANA = "katakana"
    NEGATIVE = "negative"
    LONG = "long"


@dataclass(frozen=True)
class Hint:
    """One thing that could be written more plainly."""

    kind: str  # a HintKind
    words: str  # what in the text: the word, the double negative, the long sentence's start
    advice: str  # for the writer, beside their text
    request: str  # for 総務課's 差戻し comment, after "目標2: "
    at: int = 0  # where in the text (for the order of hints)


@dataclass(frozen=True)
class Analysis:
    """A text's level and hints."""

    characters: int
    score: float | None = None
    hints: tuple[Hint, ...] = ()
    too_long: bool = False

    @property
    def level(self) -> Level | None:
        return level_of(self.score)

    @property
    def is_empty(self) -> bool:
        return self.characters == 0


# --- The glossary ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class Entry:
    term: str
    plain: str
    note: str = ""


@dataclass(frozen=True)
class Glossary:
    """An office's glossary, compiled into one pattern (the longest term wins where terms overlap:
    「来庁者」 rather than 「来庁」)."""

    entries: tuple[Entry, ...] = ()
    _pattern: re.Pattern | None = field(default=None, compare=False, repr=False)
    _by_term: dict = field(default_factory=dict, compare=False, repr=False)

    @classmethod
    def of(cls, entries) -> "Glossary":
        return _compiled(tuple(entries))

    def find(self, text):
        """(position, entry) of every glossary word in the text, in order."""
        if self._pattern is None:
            return []
        return [(match.start(), self._by_term[match.group()]) for match in self._pattern.finditer(text)]


@lru_cache(maxsize=64)
def _compiled(entries: tuple[Entry, ...]) -> Glossary:
    usable = [entry for entry in entries if entry.term]
    if not usable:
        return Glossary()
    terms = sorted({entry.term for entry in usable}, key=len, reverse=True)
    pattern = re.compile("|".join(map(re.escape, terms)))
    return Glossary(tuple(usable), pattern, {entry.term: entry for entry in usable})


NO_GLOSSARY = Glossary()


# --- The hints ------------------------------------------------------------------------------------

# Everyday loanwords that readers of every age know: not pointed out. A run of katakana made of
# these words alone (マイナンバーカード) is not pointed out either.
EVERYDAY_KATAKANA = frozenset(
    """
    サービス ホームページ ページ メール インターネット パソコン スマートフォン スマホ テレビ ラジオ
    ポスター チラシ パンフレット カード マイナンバー カウンター ロビー トイレ エレベーター エスカレーター
    コピー ファクス ファックス イベント ボランティア スポーツ ルール マナー アンケート ベビーカー バス
    タクシー ゴミ リサイクル コンビニ パスポート センター グループ クラブ ボタン マーク メモ ニュース
    レベル スケジュール ホール ビル ドア テーブル マスク ワクチン コロナ ウイルス スムーズ チェック
    """.split()
)
_LONGEST_EVERYDAY = max(map(len, EVERYDAY_KATAKANA))
# Latin letters before the katakana belong to the word (Eラーニング); the look-behind starts a run
# only at the first of them, so that a long run of letters is read once, not once per letter.
_KATAKANA_RUN = re.compile(r"(?<![A-Za-zＡ-Ｚａ-ｚ])[A-Za-zＡ-Ｚａ-ｚ]*[ァ-ヺー]{2,}")
# Double negatives (二重否定): "not that it is not" for "it is". Each alternative ends in a negative.
_DOUBLE_NEGATIVE = re.compile(
    r"な(?:い|かった)(?:わけ|訳)(?:では|でも|じゃ)(?:ない|なかった|ありません)"
    r"|なく(?:は|も)(?:ない|なかった|ありません)"
    r"|な(?:い|かった)(?:こと|事)(?:は|も)(?:ない|なかった|ありません)"
    r"|ないで(?:は|も)(?:ない|ありません)"
    r"|ないもので(?:は|も)(?:ない|ありません)"
    r"|ないと(?:は|も)(?:限らない|限りません|かぎらない|かぎりません|言えない|いえない|言えません|いえません)"
    r"|ないわけには(?:いかない|いきません|ゆかない)"
    r"|ざるを(?:得|え)(?:ない|ません)"
)
_SENTENCE = re.compile(r"[^。！？!?\n]+[。！？!?]*")
EXCERPT = 20  # characters of a long sentence quoted in its hint


def glossary_hints(text, glossary):
    hints, seen = [], set()
    for at, entry in glossary.find(text):
        if entry.term in seen:
            continue
        seen.add(entry.term)
        note = f" ({entry.note})" if entry.note else ""
        hints.append(
            Hint(
                HintKind.GLOSSARY,
                entry.term,
                f"「{entry.term}」は「{entry.plain}」など、やさしい言葉に言い換えられます。{note}",
                f"『{entry.term}』は『{entry.plain}』など、やさしい言葉にしてください。",
                at,
            )
        )
    return hints


def _everyday(run: str) -> bool:
    """Whether the katakana run is made of everyday words only (a word break anywhere)."""
    ends = {0}
    for end in range(1, len(run) + 1):
        starts = range(max(0, end - _LONGEST_EVERYDAY), end)
        if any(start in ends and run[start:end] in EVERYDAY_KATAKANA for start in starts):
            ends.add(end)
    return len(run) in ends


def katakana_hints(text, glossary):
    hints, seen = [], set()
    glossary_terms = {entry.term for entry in glossary.entries}
    for match in _KATAKANA_RUN.finditer(text):
        run = match.group().lstrip("ー")
        if len(run) < 2 or run in seen or run in glossary_terms or _everyday(run):
            continue
        seen.add(run)
        hints.append(
            Hint(
                HintKind.KATAKANA,
                run,
                f"カタカナ語「{run}」は、伝わらないことがあります。日本語に言い換えるか、説明を添えてください。",
                f"『{run}』などのカタカナ語は、日本語に言い換えるか、説明を添えてください。",
                match.start(),
            )
        )
    return hints


def negative_hints(text):
    hints, seen = [], set()
    for match in _DOUBLE_NEGATIVE.finditer(text):
        words = match.group()
        if words in seen:
            continue
        seen.add(words)
        hints.append(
            Hint(
                HintKind.NEGATIVE,
                words,
                f"「{words}」は二重否定です。「〜する」「〜できる」のように、はっきり書いてください。",
                f"『{words}』のような二重否定をやめて、はっきり書いてください。",
                match.start(),
            )
        )
    return hints


def sentences(text):
    """(position, sentence) for each sentence: up to 。！？ or the end of a line (an item of a list
    is a sentence of its own), without the spaces around it."""
    for match in _SENTENCE.finditer(text):
        sentence = match.group()
        stripped = sentence.strip()
        if stripped:
            yield match.start() + sentence.index(stripped[0]), stripped


def long_sentence_hints(text):
    hints = []
    for at, sentence in sentences(text):
        length = len(sentence)
        if length <= LONG_SENTENCE:
            continue
        start = sentence[:EXCERPT] + "…"
        hints.append(
            Hint(
                HintKind.LONG,
                start,
                f"一文が{length}文字あります (「{start}」)。{LONG_SENTENCE}文字以内を目安に、文を分けてください。",
                f"「{start}」の文 ({length}文字) を、短い文に分けてください。",
                at,
            )
        )
    return hints


# --- The level ------------------------------------------------------------------------------------


def _formula_text(text: str) -> str:
    """The text as the formula reads it: a line of its own (a list's item, a paragraph without a
    full stop) ends a sentence, as 。 would; the formula splits sentences at 。？！． only."""
    text = text.encode("utf-8", "replace").decode("utf-8")  # MeCab reads UTF-8: no lone surrogates
    lines = [line.strip() for line in text.splitlines()]
    return "".join(line if line[-1] in "。？！．!?" else line + "。" for line in lines if line)


@lru_cache(maxsize=4096)
def readability_score(text: str) -> float | None:
    """The formula's score of the text (higher is easier), or None when there is too little text
    to measure. Kept per text: the same text is measured once per process."""
    prepared = _formula_text(text)
    if len(prepared) < MIN_FOR_LEVEL:
        return None
    from jreadability import compute_readability

    with japanese.tagging() as tagger:
        return round(compute_readability(prepared, tagger), 2)


def analyse(text: str, glossary: Glossary = NO_GLOSSARY) -> Analysis:
    """The text's level and hints, in the order they occur in the text."""
    # MeCab reads UTF-8: a lone surrogate (never from a browser, perhaps from a program) becomes "?".
    text = (text or "").strip().encode("utf-8", "replace").decode("utf-8")
    if not text:
        return Analysis(characters=0)
    if len(text) > MAX_ANALYSED:
        return Analysis(characters=len(text), too_long=True)
    hints = [
        *glossary_hints(text, glossary),
        *katakana_hints(text, glossary),
        *negative_hints(text),
        *long_sentence_hints(text),
    ]
    hints.sort(key=lambda hint: hint.at)
    return Analysis(characters=len(text), score=readability_score(text), hints=tuple(hints))


def combined_level(texts) -> Level | None:
    """One level for several texts read as one (a sheet's plan or results): each text its own
    paragraph. None when there is nothing (or too little) to measure."""
    joined = "\n".join(text.strip() for text in texts if text and text.strip())
    if not joined or len(joined) > MAX_ANALYSED * 20:
        return None
    return level_of(readability_score(joined))
