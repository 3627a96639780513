"""A stored year page with ふりがな: the same page, its body's text given ruby.

The page is one rendered at 公表 (reports/year.html through reports.exporters.html): valid HTML
that the project wrote itself. Every text between tags in its <body> that holds kanji is read
(reports.furigana.readings) and written again with <ruby>; the markup, the attributes and text
without kanji stay byte for byte as they were. Text where ruby may not go (or means nothing) is
left alone: the <head> (the <title> is plain text), scripts and styles, form controls' text, and
ruby already there.
"""

import html
import re

from reports.furigana.readings import Readings, has_kanji, ruby_html

_TOKENS = re.compile(r"(<!--.*?-->|<[^>]*>)", re.S)
_TAG = re.compile(r"<\s*(/?)\s*([a-zA-Z][a-zA-Z0-9-]*)")
# Elements whose text is left as it is, with everything inside them.
SKIPPED = frozenset({"head", "title", "script", "style", "ruby", "rt", "rp", "textarea", "option", "select", "svg", "math"})


def ruby_page(page: bytes, readings: Readings) -> bytes:
    """The page with ruby over the kanji words of its body's text."""
    out = []
    in_body = False
    skipped = 0  # how deep inside SKIPPED elements
    for token in _TOKENS.split(page.decode("utf-8")):
        if not token:
            continue
        if token.startswith("<"):
            out.append(token)
            tag = _TAG.match(token)
            if tag is None:
                continue  # a comment or a doctype
            closing, name = tag.group(1) == "/", tag.group(2).lower()
            if name == "body":
                in_body = not closing
            elif name in SKIPPED and not token.rstrip(">").endswith("/"):
                skipped += -1 if closing else 1
                skipped = max(skipped, 0)
            continue
        if not in_body or skipped or not has_kanji(token):
            out.append(token)
            continue
        out.append(ruby_html(readings.segments(html.unescape(token))))
    return "".join(out).encode("utf-8")


# --- The toggle ---------------------------------------------------------------------------------

# The link under the title (templates/reports/_furigana_toggle.html), as a stored page has it.
_TOGGLE = re.compile(r'<p class="furigana-toggle[^"]*">.*?</p>', re.S)
AFTER_TITLE = "</h1>"
PARAM = "furigana"


def toggle_html(on: bool, href: str | None = None) -> str:
    """The link that turns ふりがな off (on=True) or on; by default to this page's own URL."""
    from django.template.loader import render_to_string

    href = href or f"?{PARAM}={'0' if on else '1'}"
    return render_to_string("reports/_furigana_toggle.html", {"on": on, "href": href}).strip()


def has_toggle(page: bytes) -> bool:
    return _TOGGLE.search(page.decode("utf-8")) is not None


def with_toggle(page: bytes, on: bool) -> bytes:
    """The page with the link for `on` under its title: in place of the link it has, or added
    after the title (a page published before ふりがな); a page with no title is left as it is."""
    text = page.decode("utf-8")
    link = toggle_html(on)
    if _TOGGLE.search(text):
        return _TOGGLE.sub(lambda _: link, text, count=1).encode("utf-8")
    at = text.find(AFTER_TITLE)
    if at < 0:
        return page
    at += len(AFTER_TITLE)
    return (text[:at] + "\n    " + link + text[at:]).encode("utf-8")
