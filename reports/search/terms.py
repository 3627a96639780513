"""How a search query is read and matched, and how matches are highlighted, public and staff.

Japanese has no spaces between words, so stemming or a full-text parser built for English would
miss most of it. Instead every whitespace-separated term must occur somewhere in the goal as a
substring, whatever its written form.

The query is NFKC-normalised first (`split_terms`), so ｶﾀｶﾅ becomes カタカナ and ＡＢＣ becomes
ABC. The public search then compares folded forms (reports.search.folding: NFKC, case, variant
kanji such as 髙 and 高) of the term and of the published text (reports.search.index).

The staff search and the office filter look in live text, which is not folded: there a term is
looked for in each of its spellings (`term_variants`: full-width letters, both cases, variant
kanji) with a case-insensitive LIKE (icontains). SQLite folds the case of ASCII letters only,
hence the upper- and lower-case full-width forms.

Highlighting folds the shown text the same way and marks what was written where a folded term
was found, so ＳＮＳ, 髙橋 and ｶﾞｲﾄﾞ are marked for the words sns, 高橋 and ガイド.
"""

import unicodedata
from dataclasses import dataclass
from functools import reduce
from itertools import islice, product
from operator import or_

from django.db.models import Q
from django.utils.html import escape, format_html
from django.utils.safestring import SafeString, mark_safe

from reports.search.folding import KANJI_VARIANTS, fold_with_origins, variant_groups
from reports.search.index import query_words

MAX_QUERY_LENGTH = 100
MAX_TERMS = 10

# ASCII "!" … "~" and their full-width forms U+FF01 … U+FF5E are the same distance apart.
_FULL_WIDTH = {code: code + 0xFEE0 for code in range(0x21, 0x7F)}
_ASCII_UPPER = {code: code - 32 for code in range(ord("a"), ord("z") + 1)}
_ASCII_LOWER = {code: code + 32 for code in range(ord("A"), ord("Z") + 1)}


def normalise(text: str) -> str:
    """The query as it is matched: NFKC (half-width kana, full-width letters and spaces folded)."""
    return unicodedata.normalize("NFKC", text or "").strip()


def split_terms(text: str) -> list[str]:
    """The distinct terms of a query, in order. NFKC turns U+3000 (全角スペース) into a space first."""
    return list(dict.fromkeys(normalise(text).split()))


# A term's spellings in unfolded text are the product of its characters' variants: at most
# this many of them are looked for (a term of several variant kanji could have dozens).
MAX_SPELLINGS = 16
_GROUPS = {target: sorted(group) for target, group in variant_groups().items()}


def _spellings(term: str) -> list[str]:
    """The term as typed, then with its variant kanji in their other forms."""
    choices = [
        [c, *(v for v in _GROUPS.get(KANJI_VARIANTS.get(ord(c), c), ()) if v != c)] for c in term
    ]
    return ["".join(chars) for chars in islice(product(*choices), MAX_SPELLINGS)]


def term_variants(term: str) -> list[str]:
    """The forms a term may take in stored text that is not folded: its spellings (variant
    kanji), each as typed (normalised) and in full-width letters of both cases."""
    forms = []
    for spelling in _spellings(term):
        forms += (
            spelling,
            spelling.translate(_FULL_WIDTH),
            spelling.translate(_ASCII_UPPER).translate(_FULL_WIDTH),
            spelling.translate(_ASCII_LOWER).translate(_FULL_WIDTH),
        )
    return list(dict.fromkeys(forms))


def contains_q(fields, term: str) -> Q:
    """Any of the fields contains any form of the term."""
    return reduce(
        or_,
        (Q(**{f"{field}__icontains": form}) for field in fields for form in term_variants(term)),
    )


def all_terms_q(fields, terms) -> Q:
    """Every term occurs in at least one of the fields (not necessarily the same one)."""
    return reduce(lambda q, term: q & contains_q(fields, term), terms, Q())


def tag_q(field: str, tag: str, separator: str = "・") -> Q:
    """A "・"-joined list of tags in `field` holds exactly this tag (not just a tag containing it)."""
    return (
        Q(**{field: tag})
        | Q(**{f"{field}__startswith": tag + separator})
        | Q(**{f"{field}__endswith": separator + tag})
        | Q(**{f"{field}__contains": separator + tag + separator})
    )


# --- Highlighting ---------------------------------------------------------------------------


class TermMatcher:
    """Finds the terms of a query in text as it is written, by their folded forms."""

    def __init__(self, terms):
        # Longest first, so that of two overlapping words the longer one decides the mark.
        self.words = sorted(query_words(terms), key=len, reverse=True)

    def spans(self, text: str) -> list[tuple[int, int]]:
        """Where the words occur in `text`: (start, end) pairs, sorted, none overlapping."""
        folded, starts, ends = fold_with_origins(text)
        found = []
        for word in self.words:
            at = folded.find(word)
            while at != -1:
                found.append((starts[at], ends[at + len(word) - 1]))
                at = folded.find(word, at + 1)
        merged = []
        for start, end in sorted(found):
            if merged and start <= merged[-1][1]:
                merged[-1] = (merged[-1][0], max(end, merged[-1][1]))
            else:
                merged.append((start, end))
        return merged

    def search(self, text: str) -> tuple[int, int] | None:
        """The first place a word occurs in `text`, or None."""
        spans = self.spans(text)
        return spans[0] if spans else None


def term_matcher(terms) -> TermMatcher | None:
    """The matcher of a query's terms, or None for no terms."""
    matcher = TermMatcher(terms)
    return matcher if matcher.words else None


SNIPPET_LENGTH = 120
SNIPPET_CONTEXT = 30  # characters shown before the first match


@dataclass(frozen=True)
class Snippet:
    label: str  # which field it comes from: 目標, 実施結果 …
    html: SafeString


def highlight(text: str, matcher: TermMatcher | None) -> SafeString:
    """The text escaped, with every match wrapped in <mark>."""
    if matcher is None:
        return escape(text)
    parts, position = [], 0
    for start, end in matcher.spans(text):
        parts.append(escape(text[position:start]))
        parts.append(format_html("<mark>{}</mark>", text[start:end]))
        position = end
    parts.append(escape(text[position:]))
    return mark_safe("".join(parts))  # every part above is escaped


def excerpt(text: str, matcher: TermMatcher | None) -> str:
    """Up to SNIPPET_LENGTH characters of the text around its first match, with "…" where cut."""
    text = " ".join(text.split())  # paragraphs run together in a one-line snippet
    match = matcher.search(text) if matcher else None
    start = max(0, match[0] - SNIPPET_CONTEXT) if match else 0
    end = start + SNIPPET_LENGTH
    return ("…" if start else "") + text[start:end] + ("…" if end < len(text) else "")


def snippet(fields, matcher: TermMatcher | None) -> Snippet | None:
    """The first of the (label, text) fields that matches, else the first non-empty one, highlighted."""
    filled = [(label, text) for label, text in fields if text]
    if not filled:
        return None
    matching = [(label, text) for label, text in filled if matcher and matcher.search(text)]
    label, text = (matching or filled)[0]
    return Snippet(label, highlight(excerpt(text, matcher), matcher))
