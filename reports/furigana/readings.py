"""Readings (ふりがな) of Japanese text as ruby segments.

A text becomes a list of segments that, joined, give the text back exactly: a plain string, or a
[base, reading] pair whose reading (in hiragana) goes over the base. Only words with kanji get a
reading, and kana written in a word stay outside the ruby: 食べる → [["食", "た"], "べる"].

The office's dictionary (reports.models.ReadingEntry: 中原区 → なかはらく) is applied first and
wins over the analyser; the rest is read by UniDic through the process's one tagger
(wardservice.japanese). This runs when a version is published (reports.furigana.services), never
while a page is served.
"""

import re
from collections.abc import Iterable

from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe

from wardservice import japanese

# Kanji, and the marks written inside kanji words: 々 (各々), 〆, ヶ/ヵ (一ヶ月), 〇.
KANJI = "\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\U00020000-\U0003134f々〆ヵヶ〇"
_KANJI_CHAR = re.compile(f"[{KANJI}]")
_RUNS = re.compile(f"[{KANJI}]+|[^{KANJI}]+")
HIRAGANA_READING = re.compile(r"^[\u3041-\u3096ー]+$")


def has_kanji(text: str) -> bool:
    return _KANJI_CHAR.search(text) is not None


def hiragana(text: str) -> str:
    """カタカナ → かたかな (ー and everything else as they are)."""
    return "".join(chr(ord(c) - 0x60) if "ァ" <= c <= "ヶ" else c for c in text)


def align(surface: str, reading: str) -> list | None:
    """The segments of one word read as `reading`, kana of the word kept outside the ruby.

    取り組み + とりくみ → [["取", "と"], "り", ["組", "く"], "み"]. None when the reading does not
    fit the word's kana (then the caller puts the whole reading over the whole word)."""
    reading = hiragana(reading)
    runs = _RUNS.findall(surface)
    pattern = "".join(
        "(.+?)" if _KANJI_CHAR.match(run) else f"({re.escape(hiragana(run))})" for run in runs
    )
    match = re.fullmatch(pattern, reading)
    if match is None:
        return None
    return [
        [run, read] if _KANJI_CHAR.match(run) else run for run, read in zip(runs, match.groups())
    ]


def word_segments(surface: str, reading: str) -> list:
    """One word's segments: plain without kanji or reading, else aligned (or whole)."""
    if not reading or not has_kanji(surface):
        return [surface]
    return align(surface, reading) or [[surface, hiragana(reading)]]


class Readings:
    """Reads text with an office's dictionary ({word: reading in hiragana}) before the analyser."""

    def __init__(self, dictionary: dict[str, str] | None = None):
        self.dictionary = {word: hiragana(reading) for word, reading in (dictionary or {}).items() if word}
        words = sorted(self.dictionary, key=len, reverse=True)  # the longest word wins
        self._pattern = re.compile("|".join(map(re.escape, words))) if words else None

    def segments(self, text: str) -> list:
        """The text's segments (joined, they give `text` back exactly)."""
        out = []
        if not has_kanji(text):
            return [text] if text else []
        position = 0
        for match in self._pattern.finditer(text) if self._pattern else ():
            out += self._analysed(text[position : match.start()])
            out += word_segments(match.group(), self.dictionary[match.group()])
            position = match.end()
        out += self._analysed(text[position:])
        return merged(out)

    @staticmethod
    def _analysed(text: str) -> list:
        if not has_kanji(text):
            return [text] if text else []
        # Only the surface and the reading are read, inside the tagger's loan (wardservice.japanese).
        with japanese.tagging() as tagger:
            words = [(node.surface, node.feature.kana or "") for node in tagger(text)]
        out, position = [], 0
        for surface, kana in words:
            # The analyser leaves out white space: each word is found where it was written.
            at = text.find(surface, position)
            if at < 0 or not surface:
                continue
            if at > position:
                out.append(text[position:at])
            out += word_segments(surface, kana)
            position = at + len(surface)
        if position < len(text):
            out.append(text[position:])
        return out


def merged(segments: Iterable) -> list:
    """Adjacent plain strings joined, empty ones dropped."""
    out = []
    for segment in segments:
        if isinstance(segment, str):
            if not segment:
                continue
            if out and isinstance(out[-1], str):
                out[-1] += segment
                continue
        out.append(segment)
    return out


def plain_text(segments) -> str:
    """The text the segments were made from."""
    return "".join(s if isinstance(s, str) else s[0] for s in segments)


def ruby_html(segments) -> SafeString:
    """<ruby>食<rt>た</rt></ruby>べる, every part escaped."""
    return mark_safe(
        "".join(
            escape(s) if isinstance(s, str) else f"<ruby>{escape(s[0])}<rt>{escape(s[1])}</rt></ruby>"
            for s in segments
        )
    )


def reading_text(segments) -> str:
    """The text as it is read, in hiragana where it has ruby: for showing a dictionary entry."""
    return "".join(s if isinstance(s, str) else s[1] for s in segments)
