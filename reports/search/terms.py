"""How a search query is read and matched, the same on SQLite and PostgreSQL, public and staff.

Japanese has no spaces between words, so stemming or a full-text parser built for English would
miss most of it. Instead every whitespace-separated term must occur somewhere in the goal as a
case-insensitive substring (icontains: LIKE on SQLite, UPPER() LIKE UPPER() on PostgreSQL).

The query is NFKC-normalised, so ｶﾀｶﾅ becomes カタカナ and ＡＢＣ becomes ABC. Published text is
not normalised, though, and may hold full-width letters and digits ("ＳＮＳ"), so each term is
also looked for in its full-width form. SQLite folds the case of ASCII letters only, hence the
upper- and lower-case full-width forms.
"""

import re
import unicodedata
from dataclasses import dataclass
from functools import reduce
from operator import or_

from django.db.models import Q
from django.utils.html import escape, format_html
from django.utils.safestring import SafeString, mark_safe

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


def term_variants(term: str) -> list[str]:
    """The forms a term may take in stored text: as typed (normalised) and in full-width letters."""
    forms = (
        term,
        term.translate(_FULL_WIDTH),
        term.translate(_ASCII_UPPER).translate(_FULL_WIDTH),
        term.translate(_ASCII_LOWER).translate(_FULL_WIDTH),
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


def term_pattern(terms) -> re.Pattern | None:
    """A regex finding any form of any term, longest first so that "AB" wins over "A"."""
    forms = sorted({form for term in terms for form in term_variants(term)}, key=len, reverse=True)
    if not forms:
        return None
    return re.compile("|".join(re.escape(form) for form in forms), re.IGNORECASE)


SNIPPET_LENGTH = 120
SNIPPET_CONTEXT = 30  # characters shown before the first match


@dataclass(frozen=True)
class Snippet:
    label: str  # which field it comes from: 目標, 実施結果 …
    html: SafeString


def highlight(text: str, pattern: re.Pattern | None) -> SafeString:
    """The text escaped, with every match wrapped in <mark>."""
    if pattern is None:
        return escape(text)
    parts, position = [], 0
    for match in pattern.finditer(text):
        parts.append(escape(text[position : match.start()]))
        parts.append(format_html("<mark>{}</mark>", match.group()))
        position = match.end()
    parts.append(escape(text[position:]))
    return mark_safe("".join(parts))  # every part above is escaped


def excerpt(text: str, pattern: re.Pattern | None) -> str:
    """Up to SNIPPET_LENGTH characters of the text around its first match, with "…" where cut."""
    text = " ".join(text.split())  # paragraphs run together in a one-line snippet
    match = pattern.search(text) if pattern else None
    start = max(0, match.start() - SNIPPET_CONTEXT) if match else 0
    end = start + SNIPPET_LENGTH
    return ("…" if start else "") + text[start:end] + ("…" if end < len(text) else "")


def snippet(fields, pattern: re.Pattern | None) -> Snippet | None:
    """The first of the (label, text) fields that matches, else the first non-empty one, highlighted."""
    filled = [(label, text) for label, text in fields if text]
    if not filled:
        return None
    matching = [(label, text) for label, text in filled if pattern and pattern.search(text)]
    label, text = (matching or filled)[0]
    return Snippet(label, highlight(excerpt(text, pattern), pattern))
