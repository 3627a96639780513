"""Changes to an office's glossary (用語集), by 総務課 on the glossary pages or by a command."""

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction

from plain.models import GlossaryTerm
from plain.standard import STANDARD_TERMS


class GlossaryError(Exception):
    """A change refused, with the reason in Japanese."""


DUPLICATE = "「{term}」は、すでに用語集にあります。一覧から編集してください。"


def _save(term: GlossaryTerm):
    term.full_clean(exclude=["office", "updated_by"], validate_unique=False, validate_constraints=False)
    if GlossaryTerm.objects.filter(office=term.office_id, term=term.term).exclude(pk=term.pk).exists():
        raise GlossaryError(DUPLICATE.format(term=term.term))
    try:
        with transaction.atomic():
            term.save()
    except IntegrityError:  # the same term saved by someone else at the same moment
        raise GlossaryError(DUPLICATE.format(term=term.term)) from None
    return term


def glossary_term_create(*, office, term, plain, note="", by=None) -> GlossaryTerm:
    """Add a word to the office's glossary; refused when the office has it already."""
    return _save(GlossaryTerm(office=office, term=term, plain=plain, note=note, updated_by=by))


def glossary_term_update(*, entry: GlossaryTerm, term, plain, note="", by=None) -> GlossaryTerm:
    """Change a word of the glossary (its term too); refused when the new term is there already."""
    entry.term, entry.plain, entry.note, entry.updated_by = term, plain, note, by
    return _save(entry)


def glossary_term_delete(*, entry: GlossaryTerm) -> None:
    entry.delete()


@transaction.atomic
def glossary_add_standard(*, office, by=None) -> int:
    """Add the standard words (plain.standard) the office's glossary does not have yet; the words
    it has, edited or not, are left as they are. Returns how many were added."""
    have = set(GlossaryTerm.objects.filter(office=office).values_list("term", flat=True))
    missing = [
        GlossaryTerm(office=office, term=term, plain=plain, note=note, updated_by=by)
        for term, plain, note in STANDARD_TERMS
        if term not in have
    ]
    for entry in missing:
        try:
            entry.full_clean(exclude=["office", "updated_by"], validate_unique=False, validate_constraints=False)
        except ValidationError as error:  # a mistake in plain.standard, not the person's
            raise GlossaryError(f"標準の用語「{entry.term}」が正しくありません: {error}") from None
    GlossaryTerm.objects.bulk_create(missing)
    return len(missing)
