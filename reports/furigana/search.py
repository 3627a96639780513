"""The public search's hits with ふりがな, from the readings stored with each version.

A page of hits (reports.search.selectors.public_hit_groups) is given its readings in one query
(PublishedGoalReadings of the page's rows): the department's name, the 区分 and the snippet get
ruby, the snippet cut and marked as the plain one is (reports.search.terms), never through a ruby
word. A row whose version has no readings stays as it was.
"""

from dataclasses import dataclass, replace

from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe

from reports.furigana.readings import ruby_html
from reports.models import PublishedGoal, PublishedGoalReadings
from reports.search.selectors import _published_texts
from reports.search.terms import SNIPPET_CONTEXT, SNIPPET_LENGTH, Snippet


@dataclass(frozen=True)
class RubyHit:
    """A hit as the search page shows it, with ruby (the same fields as PublicHit, and `name`)."""

    goal: PublishedGoal
    name: SafeString  # the department's name
    categories: list
    snippet: Snippet | None
    url: str


def hit_groups_with_readings(groups, matcher) -> list:
    """The groups, each hit with ruby where its version has readings. One query."""
    ids = [hit.goal.pk for group in groups for hit in group.hits]
    stored = dict(PublishedGoalReadings.objects.filter(goal_id__in=ids).values_list("goal_id", "texts"))
    return [
        replace(group, hits=[_hit(hit, stored.get(hit.goal.pk), matcher) for hit in group.hits])
        for group in groups
    ]


def _hit(hit, texts, matcher):
    if texts is None:
        return hit
    goal = hit.goal

    def ruby(text):
        segments = texts.get(text)
        return ruby_html(segments) if segments is not None else escape(text)

    snippet = hit.snippet
    if snippet is not None:
        text = dict(_published_texts(goal)).get(snippet.label, "")
        if text in texts:
            snippet = Snippet(snippet.label, ruby_excerpt(texts[text], matcher))
    return RubyHit(
        goal=goal,
        name=ruby(goal.department_name),
        categories=[ruby(tag) for tag in hit.categories],
        snippet=snippet,
        url=hit.url,
    )


def _units(segments):
    """(text, reading or None) units: a plain character each, a ruby word whole; white space
    run together into one space and trimmed, as reports.search.terms.excerpt does."""
    units, space = [], False
    for segment in segments:
        pieces = list(segment) if isinstance(segment, str) else [tuple(segment)]
        for piece in pieces:
            if isinstance(piece, str) and piece.isspace():
                space = bool(units)
                continue
            if space:
                units.append((" ", None))
                space = False
            units.append((piece, None) if isinstance(piece, str) else piece)
    return units


def ruby_excerpt(segments, matcher) -> SafeString:
    """The snippet of a text with ruby: the same cut around the first match (widened to whole
    words) and the same marks as the plain snippet."""
    units = _units(segments)
    text = "".join(base for base, _ in units)
    match = matcher.search(text) if matcher else None
    start = max(0, match[0] - SNIPPET_CONTEXT) if match else 0
    end = start + SNIPPET_LENGTH
    kept, offset, first = [], 0, None
    for unit in units:
        unit_end = offset + len(unit[0])
        if unit_end > start and offset < end:
            first = offset if first is None else first
            kept.append(unit)
        offset = unit_end
    start = first or 0
    cut_end = start + sum(len(base) for base, _ in kept)
    shown = "".join(base for base, _ in kept)
    marked = set()
    for span_start, span_end in (matcher.spans(shown) if matcher else ()):
        marked.update(range(span_start, span_end))
    parts, open_mark, position = [], False, 0

    def mark(on):
        nonlocal open_mark
        if on != open_mark:
            parts.append("<mark>" if on else "</mark>")
            open_mark = on

    for base, reading in kept:
        inside = [position + i in marked for i in range(len(base))]
        if reading is None or all(inside) or not any(inside):
            mark(all(inside))
            parts.append(escape(base) if reading is None else ruby_html([[base, reading]]))
        else:
            mark(False)
            chars = "".join(
                f"<mark>{escape(c)}</mark>" if hit else escape(c) for c, hit in zip(base, inside)
            ).replace("</mark><mark>", "")
            parts.append(f"<ruby>{chars}<rt>{escape(reading)}</rt></ruby>")
        position += len(base)
    mark(False)
    return mark_safe(("…" if start else "") + "".join(parts) + ("…" if cut_end < len(text) else ""))
