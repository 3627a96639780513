"""Reading the glossary for the pages and the writing aid."""

from plain.analysis import Entry, Glossary
from plain.models import GlossaryTerm


def office_glossary(office) -> Glossary:
    """The office's glossary, compiled for the writing aid (one query)."""
    if office is None:
        return Glossary()
    rows = GlossaryTerm.objects.filter(office=office).order_by("term").values_list("term", "plain", "note")
    return Glossary.of(Entry(*row) for row in rows)


def glossary_terms(office):
    """The office's terms for the glossary page, in 用語 order."""
    return GlossaryTerm.objects.filter(office=office).select_related("updated_by").order_by("term")
