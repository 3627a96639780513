"""Japanese morphological analysis: one MeCab tagger per process (fugashi with UniDic Lite).

Loaded on first use (the dictionary is memory-mapped: about 50 ms once per process), never at
import, so a process that never analyses Japanese never pays for it. Shared by every part of the
project that needs words rather than characters (the writing aid in `plain`, readings).

A fugashi tagger is not safe to use from two threads at once, and the nodes it returns read their
features from the tagger's own buffer: a node's `feature` is only valid until the tagger's next
call (an earlier node then reads the later text's features). So the tagger is only lent inside
`with tagging() as tagger:`, under a lock, and everything needed from its nodes is read there;
`words()` does that and returns plain values.
"""

import threading
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

_lock = threading.Lock()
_tagger = None


class _LentTagger:
    """The tagger as lent: called with a text, its nodes.

    MeCab reads a C string, so a NUL ends the text there: what follows it would be left out (and
    a text of NULs gives no node at all). Text typed or sent is not yet checked against the text
    policy when it is analysed, so each NUL is read as a space, which MeCab skips.
    """

    def __init__(self, tagger):
        self._tagger = tagger

    def __call__(self, text):
        return self._tagger(text.replace("\x00", " "))


def _load():
    """The process's tagger, made on first call (the caller holds the lock)."""
    global _tagger
    if _tagger is None:
        import unidic_lite
        from fugashi import Tagger

        # UniDic Lite named explicitly: fugashi would prefer the full `unidic` package when it is
        # installed, whose dictionary is a separate download that a server may not have.
        dicdir = Path(unidic_lite.DICDIR)
        _tagger = _LentTagger(Tagger(f'-r "{dicdir / "mecabrc"}" -d "{dicdir}"'))
    return _tagger


@contextmanager
def tagging():
    """The process's tagger, for the time of the `with` block only (see the module's note)."""
    with _lock:
        yield _load()


@dataclass(frozen=True)
class Word:
    """One token as UniDic analyses it."""

    surface: str  # as written
    pos1: str  # 品詞 (名詞, 動詞, 助詞, …)
    pos2: str  # its subdivision (普通名詞, 非自立可能, …)
    goshu: str  # 語種: 和 (native), 漢 (Sino-Japanese), 外 (loanword), 混, 固, 記号, or ""
    lemma: str  # dictionary form ("" for unknown words)
    kana: str  # reading in katakana ("" for unknown words)


def words(text: str) -> list[Word]:
    """The text's tokens, read out of the tagger while it is held."""
    with tagging() as tagger:
        return [
            Word(
                surface=node.surface,
                pos1=node.feature.pos1 or "",
                pos2=node.feature.pos2 or "",
                goshu=node.feature.goshu or "",
                lemma=node.feature.lemma or "",
                kana=node.feature.kana or "",
            )
            for node in tagger(text)
        ]
