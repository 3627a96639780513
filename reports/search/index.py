"""The public search's index: each published row's folded text and its grams.

Japanese has no spaces between words, and the words people look for are short: 窓口, 電話, 案内.
A published row (PublishedGoal) therefore keeps, when it is written:

- `search_text`: its texts (PUBLIC_TEXT_FIELDS) folded (reports.search.folding) and joined by
  line breaks. A word is found where its folded form occurs in it (STRPOS, instr on SQLite), on
  either engine alike. That alone is the whole answer, and on SQLite the whole search.
- `search_grams` (PostgreSQL): every character and every pair of adjacent characters of
  `search_text` (never across whitespace, which no word holds) as integers, in an integer
  array with a GIN index (reports/migrations/0008). A word's grams must all be in a row that
  holds it, so the index finds the few rows of a rare or absent word of any length among a
  million, without reading the others. For a word of one or two characters the grams say
  exactly whether the row holds it; a longer word is then checked in search_text.

Where a word is common the planner does not need the index: it walks the rows in the search's
order (publishedgoal_search_order) and stops after a page of hits. PostgreSQL's statistics of
`search_grams` (the most common grams and how often they occur) tell it which case it is in.

A gram is counted in UTF-16 code units, which is the same as characters for everything in the
Basic Multilingual Plane (all of Japanese but a few rare kanji): a unit is its own code
(0–0xFFFF); a pair of adjacent units a, b is a | b << 16 as a signed 32-bit integer, never in the
range of single units (b is never NUL). A character beyond the plane is two units,
so its grams are those of its surrogate pair: still exact, as text and words are counted alike.
"""

import sys
import time
from array import array

from django.db import NotSupportedError, models
from django.db.models.functions import StrIndex
from django.db.models.lookups import GreaterThan

from reports.search.folding import fold

# Every text of a published row that a word may be found in, in this order in search_text.
PUBLIC_TEXT_FIELDS = (
    "objective",
    "actions",
    "done",
    "achievement",
    "omitted_reason",
    "categories",
    "department_name",
)
# Between the fields in search_text: no word holds a line break, so none is found across two.
FIELD_SEPARATOR = "\n"


def search_text(row) -> str:
    """The folded text of a published row (any object with PUBLIC_TEXT_FIELDS)."""
    return fold(FIELD_SEPARATOR.join(getattr(row, field) or "" for field in PUBLIC_TEXT_FIELDS))


def index_row(row) -> None:
    """Set a published row's search_text and search_grams from its texts."""
    row.search_text = search_text(row)
    row.search_grams = grams(row.search_text)


def reindex(model, connection, *, batch: int = 2000) -> tuple[int, int]:
    """Set search_text and search_grams of every row of `model` (PublishedGoal, or its state in
    a migration) where they differ from what index_row makes: (rows read, rows written).

    For rows published before the index existed (reports/migrations/0008), and after a change
    of the folding table (`manage.py reindex_search`). Rows are read and written in batches.
    """
    grams_field = model._meta.get_field("search_grams")
    quote = connection.ops.quote_name
    update = (
        f"UPDATE {quote(model._meta.db_table)} SET {quote('search_text')} = %s, "
        f"{quote('search_grams')} = %s WHERE {quote(model._meta.pk.column)} = %s"
    )
    stored = ("pk", "search_text", "search_grams", *PUBLIC_TEXT_FIELDS)
    rows = model._base_manager.only(*stored).order_by("pk")
    read = written = 0
    last = None
    while found := list((rows.filter(pk__gt=last) if last is not None else rows)[:batch]):
        changed = []
        for row in found:
            before = (row.search_text, row.search_grams)
            index_row(row)
            stored_grams = grams_field.get_db_prep_value(row.search_grams, connection)
            if before != (row.search_text, stored_grams):
                changed.append(row)
        if changed:
            with connection.cursor() as cursor:
                cursor.executemany(
                    update,
                    [
                        (
                            row.search_text,
                            grams_field.get_db_prep_value(row.search_grams, connection),
                            row.pk,
                        )
                        for row in changed
                    ],
                )
        read, written, last = read + len(found), written + len(changed), found[-1].pk
    return read, written


# --- Grams ------------------------------------------------------------------------------------

_BIG_ENDIAN = sys.byteorder == "big"


def _read(typecode: str, data: bytes) -> array:
    """Little-endian items of `typecode` (H: one unit; i: two units as one int32)."""
    items = array(typecode, data)
    if _BIG_ENDIAN:
        items.byteswap()
    return items


_SPACE = 0x20


def _grams(text: str, *, singles: bool = True) -> set[int]:
    """The units (if `singles`) and the pairs of a text, none of them holding whitespace."""
    data = " ".join(text.split()).encode("utf-16-le")
    found = set(_read("H", data)) - {_SPACE} if singles else set()
    # The pairs that start at even units, then those that start at odd units: 4 bytes each.
    pairs = set(_read("i", data[: len(data) // 4 * 4]))
    pairs.update(_read("i", data[2 : 2 + (len(data) - 2) // 4 * 4]))
    found.update(
        pair for pair in pairs if pair & 0xFFFF != _SPACE and pair >> 16 & 0xFFFF != _SPACE
    )
    return found


def grams(text: str) -> list[int]:
    """The grams of a folded text: its units and its pairs of adjacent units, sorted."""
    return sorted(_grams(text))


def word_grams(word: str) -> list[int]:
    """What a row holding the folded word must have among its grams: the word's one unit, or
    its pairs (a pair holds its units)."""
    if len(word.encode("utf-16-le")) == 2:
        return [ord(word)]
    return sorted(_grams(word, singles=False))


def grams_are_exact(word: str) -> bool:
    """Whether a row's grams alone say that it holds the folded word: one or two units."""
    return len(word.encode("utf-16-le")) <= 4


def query_words(terms) -> list[str]:
    """The folded words of a query's terms (reports.search.terms.split_terms), in order, once each.

    Folding may split a term (a character can fold to a space and a mark); no word is empty.
    """
    return list(dict.fromkeys(word for term in terms for word in fold(term).split()))


# --- The stored grams -------------------------------------------------------------------------


class GramsField(models.Field):
    """An integer[] on PostgreSQL; elsewhere a column left empty (NULL) and never searched."""

    description = "search grams (PostgreSQL integer[])"

    def db_type(self, connection):
        return "integer[]" if connection.vendor == "postgresql" else "text"

    def get_db_prep_value(self, value, connection, prepared=False):
        if value is None or connection.vendor != "postgresql":
            return None
        return list(value)

    def from_db_value(self, value, expression, connection):
        return value

    def to_python(self, value):
        return value


@GramsField.register_lookup
class HasAllGrams(models.Lookup):
    """search_grams__has_all=[…]: the row has every one of these grams (PostgreSQL's @>, which
    the GIN index serves)."""

    lookup_name = "has_all"
    prepare_rhs = False

    def get_db_prep_lookup(self, value, connection):
        return "%s", [list(value)]

    def as_sql(self, compiler, connection):
        if connection.vendor != "postgresql":
            raise NotSupportedError("search grams are stored on PostgreSQL only")
        lhs, lhs_params = self.process_lhs(compiler, connection)
        rhs, rhs_params = self.process_rhs(compiler, connection)
        return f"{lhs} @> {rhs}::integer[]", [*lhs_params, *rhs_params]


# --- Which grams a query looks up -------------------------------------------------------------
#
# PostgreSQL estimates how many rows hold several grams by multiplying how often each occurs, as
# if they were independent. The pairs of one word are not: each of サー, ービ and ビス is in 39% of
# the national data's goals, and so is サービス, not the 6% their product says. Told that a common
# word is rare, the planner fetches and sorts every hit (a second for 30,000 of them) instead of
# walking the search's order and stopping after a page. So a word of three or more characters
# is looked up by its rarest pair only, as PostgreSQL's own statistics of search_grams rank them
# (pg_stats: the most common grams and their frequencies), together with any other pair too rare
# to be listed there; search_text then settles the word. The estimate is then that of the
# rarest pair: never below the truth, and close to it for common words made of common pairs.
# The statistics hold enough grams for this only with the target that migration 0008 sets.

STATISTICS_MAX_AGE = 600  # seconds: how long a process keeps the frequencies it read
_statistics = {"read_at": None, "frequencies": {}}


def gram_frequencies(connection) -> dict[int, float]:
    """The share of rows holding each common gram, from PostgreSQL's statistics of search_grams
    (empty before the table's first ANALYZE). One query, at most once in STATISTICS_MAX_AGE."""
    now = time.monotonic()
    read_at = _statistics["read_at"]
    if read_at is None or now - read_at > STATISTICS_MAX_AGE:
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT most_common_elems::text::integer[], most_common_elem_freqs FROM pg_stats"
                " WHERE schemaname = current_schema() AND tablename = %s AND attname = %s",
                ["reports_publishedgoal", "search_grams"],
            )
            found = cursor.fetchone()
        grams_, shares = found if found and found[0] else ([], [])
        _statistics.update(read_at=now, frequencies=dict(zip(grams_, shares)))
    return _statistics["frequencies"]


def lookup_grams(word: str, frequencies: dict[int, float]) -> list[int]:
    """The grams a word is looked up by: all of a word of one or two units (they settle it), else
    its rarest pair and every pair too rare to be listed in `frequencies`."""
    found = word_grams(word)
    if grams_are_exact(word):
        return found
    rarest = min(found, key=lambda gram: frequencies.get(gram, 0.0))
    return sorted({rarest, *(gram for gram in found if gram not in frequencies)})


def text_q(terms, connection) -> models.Q:
    """Rows whose search_text holds every word of the terms (AND).

    On PostgreSQL the words' grams (`lookup_grams`) come first, in one condition that the GIN
    index can serve; search_text is tested for the words the grams do not settle alone.
    Elsewhere, search_text for every word.
    """
    words = query_words(terms)
    condition = models.Q()
    if not words:
        return condition
    if connection.vendor == "postgresql":
        frequencies = gram_frequencies(connection)
        needed = sorted({gram for word in words for gram in lookup_grams(word, frequencies)})
        condition &= models.Q(search_grams__has_all=needed)
        # A word of one or two units is settled by its gram, and a common one is not tested
        # again: that would cost a read of search_text for every hit. A rare one (a gram too rare
        # to be listed) is tested again all the same, on its few hits, because PostgreSQL takes
        # an unlisted gram for as common as half the rarest listed one (1,500 of the national
        # data's 1.3 million goals): the second test divides that by three, and the planner
        # then probes the current publications row by row rather than hashing all of them.
        words = [
            word
            for word in words
            if not grams_are_exact(word) or not set(word_grams(word)) & frequencies.keys()
        ]
    for word in words:
        # STRPOS (instr on SQLite) rather than LIKE '%word%': the same test, but one that the
        # planner gives its default selectivity instead of multiplying the grams' estimate by
        # a LIKE pattern's, which would make a word of thirty thousand hits look like two hundred.
        condition &= models.Q(GreaterThan(StrIndex("search_text", models.Value(word)), 0))
    return condition
