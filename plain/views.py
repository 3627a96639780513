"""総務課's glossary pages under /staff/<office>/glossary/: the list, adding, editing and removing
words, and adding the standard words.

Approvers of the office (glossary.manage) use them; anyone else of the office gets a 403, anyone
outside it a 404. Thin views: a GET shows the page, a POST calls plain.services, a refused change
is shown on the page with what was typed, and a change that went through redirects with a message.
"""

from django.contrib import messages
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from departments.permissions import office_page
from plain import selectors
from plain.forms import GlossaryTermForm
from plain.models import GlossaryTerm
from plain.services import (
    GlossaryError,
    glossary_add_standard,
    glossary_term_create,
    glossary_term_delete,
    glossary_term_update,
)
from plain.standard import STANDARD_TERMS


glossary_page = office_page("glossary.manage")  # login; 404 outside the office, 403 without the permission


def _list_url(office):
    return reverse("plain:glossary", kwargs={"office": office.slug})


@require_GET
@glossary_page
def glossary(request, office):
    """The office's glossary: every word with its plain wording."""
    terms = list(selectors.glossary_terms(office))
    return render(
        request,
        "plain/glossary.html",
        {"office": office, "terms": terms, "standard_count": len(STANDARD_TERMS)},
    )


@require_http_methods(["GET", "POST"])
@glossary_page
def term_new(request, office):
    return _term_form(request, office, None)


@require_http_methods(["GET", "POST"])
@glossary_page
def term_edit(request, office, pk):
    return _term_form(request, office, get_object_or_404(GlossaryTerm, office=office, pk=pk))


def _term_form(request, office, entry):
    """Add (entry None) or edit a word: the form, then the list with a message."""
    form = GlossaryTermForm(request.POST if request.method == "POST" else None, instance=entry)
    if form.is_valid():
        data = {key: form.cleaned_data[key] for key in ("term", "plain", "note")}
        try:
            if entry is None:
                saved = glossary_term_create(office=office, by=request.user, **data)
            else:
                saved = glossary_term_update(entry=entry, by=request.user, **data)
        except GlossaryError as error:
            form.add_error("term", str(error))  # shown at the field and in the summary
        else:
            done = "追加しました" if entry is None else "保存しました"
            messages.success(request, f"用語「{saved.term}」を{done}。")
            return redirect(_list_url(office))
    return render(
        request,
        "plain/term_form.html",
        {"office": office, "form": form, "entry": entry},
        status=400 if request.method == "POST" else 200,
    )


@require_http_methods(["GET", "POST"])
@glossary_page
def term_delete(request, office, pk):
    """GET asks; POST removes the word from the glossary."""
    entry = get_object_or_404(GlossaryTerm, office=office, pk=pk)
    if request.method == "POST":
        glossary_term_delete(entry=entry)
        messages.success(request, f"用語「{entry.term}」を用語集から削除しました。")
        return redirect(_list_url(office))
    return render(request, "plain/term_delete.html", {"office": office, "entry": entry})


@require_POST
@glossary_page
def add_standard(request, office):
    """Add the standard words the glossary does not have yet."""
    added = glossary_add_standard(office=office, by=request.user)
    if added:
        messages.success(request, f"標準の用語を{added}語追加しました。")
    else:
        messages.info(request, "標準の用語は、すべて用語集にあります。追加したものはありません。")
    return redirect(_list_url(office))
