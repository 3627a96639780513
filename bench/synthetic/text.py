"""Japanese goal texts that read like the real ones: a Markov chain trained on the seed table.

A printed table is only as hard to render as its text: how long each field is, how many different
characters it holds (the PDF embeds a subset of the fonts with exactly those glyphs), where lines
break. Repeating one sentence would make every subset tiny and every page alike, so the text
here is generated, sentence by sentence, from a word-level chain trained on the real 2020 table
of Nakahara ward (fixtures/seeds/nakahara-2020.txt), and each field's length is drawn from the
lengths that field has in the seed. Nothing here touches the database.
"""

from __future__ import annotations

import random
import re
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

from reports.imports.published_text import ParsedTable, parse_published_table

SEED_PATH = Path(__file__).resolve().parents[2] / "fixtures" / "seeds" / "nakahara-2020.txt"

# The goal fields whose text is generated, each with its own chain and length distribution.
FIELDS = ("objective", "actions", "done", "achievement")
_SEED_FIELDS = {
    "objective": "objective",
    "actions": "actions",
    "done": "result_done",
    "achievement": "result_achievement",
}

# Runs of one script make a "word": Japanese has no spaces, but a switch between kanji, kana and
# Latin letters falls at a word boundary often enough for the chain to keep words whole.
_TOKEN = re.compile(
    r"[\u4e00-\u9fff\u3400-\u4dbf々〆ヶ]+"  # kanji
    r"|[\u3041-\u309f]+"  # hiragana
    r"|[\u30a1-\u30ffｦ-ﾟ]+"  # katakana (with ー)
    r"|[0-9A-Za-z０-９Ａ-Ｚａ-ｚ]+"
    r"|\S",  # punctuation, one character each
)
_SENTENCE = re.compile(r"[^。]*。|[^。]+$")
_BEGIN, _END = "\x02", "\x03"
_BRACKETS = ("「」", "()", "（）", "『』")


def tokens(sentence: str) -> list[str]:
    return _TOKEN.findall(sentence)


def sentences(text: str) -> list[str]:
    """The sentences of a text, paragraph by paragraph, each ending in 。 where the text has one."""
    return [
        found.strip()
        for paragraph in text.split("\n")
        for found in _SENTENCE.findall(paragraph)
        if found.strip()
    ]


@dataclass(frozen=True)
class SeedCorpus:
    """What the generator learns from the real table."""

    table: ParsedTable
    texts: dict  # field -> every goal's text of that field, "" included (the length distribution)
    tag_sets: tuple  # every goal's tags, in printed order
    newline_share: float  # how often a sentence boundary is also a paragraph break

    @classmethod
    def load(cls, path: Path = SEED_PATH) -> SeedCorpus:
        table = parse_published_table(path.read_text(encoding="utf-8"))
        goals = [goal for department in table.departments for goal in department.goals]
        texts = {field: [getattr(goal, _SEED_FIELDS[field]) for goal in goals] for field in FIELDS}
        filled = [text for field in FIELDS for text in texts[field] if text]
        breaks = sum(text.count("\n") for text in filled)
        boundaries = sum(max(len(sentences(text)) - 1, 0) for text in filled)
        return cls(
            table=table,
            texts=texts,
            tag_sets=tuple(goal.categories for goal in goals),
            newline_share=breaks / boundaries if boundaries else 0.0,
        )

    @property
    def tags(self) -> list[str]:
        """Every tag of the seed, most used first (ties in printed order)."""
        counts = Counter(tag for tags in self.tag_sets for tag in tags)
        order = {tag: i for i, tag in enumerate(dict.fromkeys(t for ts in self.tag_sets for t in ts))}
        return sorted(counts, key=lambda tag: (-counts[tag], order[tag]))

    @property
    def policy(self) -> tuple[str, ...]:
        return self.table.policy

    def all_sentences(self) -> set[str]:
        return {s for field in FIELDS for text in self.texts[field] for s in sentences(text)}


class SentenceChain:
    """An order-2 word chain for one field, backing off now and then to an order-1 chain over all
    fields, so that it recombines the seed's phrases instead of reciting its sentences."""

    def __init__(self, field_texts, all_texts, *, backoff=0.25):
        self._pairs: dict[tuple[str, str], list[str]] = {}
        self._singles: dict[str, list[str]] = {}
        self._backoff = backoff
        longest = 0
        for text in field_texts:
            for sentence in sentences(text):
                words = tokens(sentence)
                longest = max(longest, len(words))
                for state, word in self._steps(words):
                    self._pairs.setdefault(state, []).append(word)
        for text in all_texts:
            for sentence in sentences(text):
                for (_, previous), word in self._steps(tokens(sentence)):
                    self._singles.setdefault(previous, []).append(word)
        self._max_words = longest + longest // 2

    @staticmethod
    def _steps(words):
        chain = [_BEGIN, _BEGIN, *words, _END]
        return [((chain[i - 2], chain[i - 1]), chain[i]) for i in range(2, len(chain))]

    def sentence(self, rng: random.Random) -> str | None:
        """One sentence, or None when this walk ran too long (the caller draws again)."""
        first, second = _BEGIN, _BEGIN
        words = []
        while len(words) <= self._max_words:
            choices = self._pairs.get((first, second))
            if choices is None or (second != _BEGIN and rng.random() < self._backoff):
                choices = self._singles[second]
            word = rng.choice(choices)
            if word == _END:
                return "".join(words)
            words.append(word)
            first, second = second, word
        return None


class TextGenerator:
    """Goal texts of realistic length and character variety, the same for the same `seed`.

    Each field draws its sentences from a pool of distinct generated sentences (none copied from
    the seed) in a shuffled order, so no sentence repeats until the pool is used up; pool_size
    sets how many sentences each field has before that happens.
    """

    MIN_SENTENCE = 12  # characters: shorter walks are mostly fragments

    def __init__(self, corpus: SeedCorpus, *, seed: int = 0, pool_size: int = 5000):
        self.corpus = corpus
        self._seed = seed
        self._rng = random.Random(f"text-{seed}")
        all_texts = [text for field in FIELDS for text in corpus.texts[field]]
        self._lengths = {field: list(corpus.texts[field]) for field in FIELDS}
        self._seen = corpus.all_sentences()
        self._pools = {}
        for field in FIELDS:
            chain = SentenceChain(corpus.texts[field], all_texts)
            self._pools[field] = _Pool(self._fill(chain, pool_size), self._rng)

    def _fill(self, chain, size):
        pool, misses = [], 0
        # Past this many misses the chain has run dry: the pool stays smaller.
        while len(pool) < size and misses < 50 * size + 1000:
            sentence = chain.sentence(self._rng)
            if not self._acceptable(sentence):
                misses += 1
                continue
            self._seen.add(sentence)
            pool.append(sentence)
        return pool

    def _acceptable(self, sentence):
        return (
            sentence is not None
            and len(sentence) >= self.MIN_SENTENCE
            and sentence not in self._seen
            # A walk can leave a bracket open; no printed sentence does.
            and all(sentence.count(a) == sentence.count(b) for a, b in _BRACKETS)
        )

    def restart(self, key) -> None:
        """Go on as if just seeded with (seed, key): what follows depends on nothing drawn before,
        so parts of a data set can be generated apart, even in parallel, and come out the same."""
        self._rng.seed(f"text-{self._seed}-{key}")
        for pool in self._pools.values():
            pool.restart()

    def pool_size(self, field) -> int:
        return len(self._pools[field].sentences)

    def text(self, field: str, limit: int) -> str:
        """A text for the field, as long as a seed text of that field (chosen at random), at most
        `limit` characters; "" as often as the seed leaves the field empty."""
        target = len(self._rng.choice(self._lengths[field]))
        if target == 0:
            return ""
        target = round(target * self._rng.uniform(0.8, 1.2))
        pool = self._pools[field]
        parts, length = [], 0
        while length < target:
            sentence = pool.take(target - length)
            overshoot = length + len(sentence) - target
            if parts and (overshoot > target - length or length + len(sentence) + 1 > limit):
                pool.put_back(sentence)
                break
            if parts and self._rng.random() < self.corpus.newline_share:
                parts.append("\n")
                length += 1
            parts.append(sentence[:limit])
            length += len(sentence)
        return "".join(parts)


class _Pool:
    def __init__(self, sentences, rng):
        self.sentences = sentences
        self._rng = rng
        self._order: list[str] = []

    def restart(self):
        self._order = []

    def take(self, length: int, tries: int = 3) -> str:
        """The next sentence, or of the next few the one closest to `length` characters."""
        candidates = [self._next() for _ in range(tries)]
        best = min(candidates, key=lambda sentence: abs(len(sentence) - length))
        for sentence in reversed(candidates):
            if sentence is not best:
                self.put_back(sentence)
        return best

    def put_back(self, sentence: str) -> None:
        self._order.append(sentence)

    def _next(self) -> str:
        if not self._order:
            self._order = list(self.sentences)
            self._rng.shuffle(self._order)
        return self._order.pop()
