"""総務課's ふりがなの辞書 under /staff/<office>/furigana/: the list, adding, editing and removing
words (中原区 → なかはらく) that the readings of the public pages take before the analyser's.

Approvers of the office (readings.manage) use them; anyone else of the office gets a 403, anyone
outside it a 404. A word changed here is used by the versions published from then on; a version
published already keeps its readings until they are made again (manage.py make_furigana --again).
"""

from django.contrib import messages
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.views.decorators.http import require_GET, require_http_methods

from departments.permissions import office_page
from reports.furigana.forms import ReadingEntryForm
from reports.furigana.readings import Readings, ruby_html
from reports.models import ReadingEntry


dictionary_page = office_page("readings.manage")  # login; 404 outside the office, 403 without the permission


def _list_url(office):
    return reverse("furigana:dictionary", kwargs={"office": office.slug})


@require_GET
@dictionary_page
def dictionary(request, office):
    """The office's words, each shown as the public pages will show it. Two queries."""
    entries = list(ReadingEntry.objects.filter(office=office).order_by("word"))
    readings = Readings({entry.word: entry.reading for entry in entries})
    rows = [(entry, ruby_html(readings.segments(entry.word))) for entry in entries]
    return render(request, "staff/furigana/dictionary.html", {"office": office, "rows": rows})


@require_http_methods(["GET", "POST"])
@dictionary_page
def entry_new(request, office):
    return _entry_form(request, office, None)


@require_http_methods(["GET", "POST"])
@dictionary_page
def entry_edit(request, office, pk):
    return _entry_form(request, office, get_object_or_404(ReadingEntry, office=office, pk=pk))


def _entry_form(request, office, entry):
    """Add (entry None) or edit a word: the form, then the list with a message."""
    form = ReadingEntryForm(request.POST if request.method == "POST" else None, instance=entry, office=office)
    if form.is_valid():
        saved = form.save()
        done = "追加しました" if entry is None else "保存しました"
        messages.success(request, f"「{saved.word}」({saved.reading}) を{done}。")
        return redirect(_list_url(office))
    return render(
        request,
        "staff/furigana/entry_form.html",
        {"office": office, "form": form, "entry": entry},
        status=400 if request.method == "POST" else 200,
    )


@require_http_methods(["GET", "POST"])
@dictionary_page
def entry_delete(request, office, pk):
    """GET asks; POST removes the word."""
    entry = get_object_or_404(ReadingEntry, office=office, pk=pk)
    if request.method == "POST":
        entry.delete()
        messages.success(request, f"「{entry.word}」を辞書から削除しました。")
        return redirect(_list_url(office))
    return render(request, "staff/furigana/entry_delete.html", {"office": office, "entry": entry})
