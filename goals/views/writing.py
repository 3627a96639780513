"""The writing aid's live hints: the goals or results form as typed, analysed field by field and
returned as an HTML fragment (static/js/writing-aid.js asks for it as the person types).

Like the live preview (goals.views.editor.preview) it writes nothing and needs only to see the
sheet. A request too large to be typing is refused in Japanese without being analysed (one
larger than DATA_UPLOAD_MAX_MEMORY_SIZE never gets this far: Django's 400 page).
"""

from django.contrib.auth.decorators import login_required
from django.shortcuts import render
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_POST

from goals import selectors, writing
from goals.access import get_sheet
from goals.forms import plan_forms, result_forms
from goals.models import Phase
from plain.selectors import office_glossary

# The largest form a person can type: 10 goals of 400 + 600 characters, every character encoded
# as 9 bytes (%E3%81%82), and the form's other fields. Anything larger is not typing.
MAX_HINTS_BODY = 256 * 1024
TOO_LARGE = "入力された文章が多すぎるため、ヒントを表示できません。文章を短くしてください (保存はできます)。"
BAD_PHASE = "画面の情報が正しくありません。ページを読み込み直してください。"


def _refusal(request, message, status):
    return render(request, "staff/_writing_hints.html", {"refusal": message}, status=status)


@never_cache
@login_required
@require_POST
def hints(request, office, year, code):
    """The hints of every text field of the posted form ("phase": plan or result)."""
    sheet = get_sheet(request, office, year, code)
    try:
        length = int(request.META.get("CONTENT_LENGTH") or 0)
    except ValueError:
        length = MAX_HINTS_BODY + 1
    if length > MAX_HINTS_BODY:
        return _refusal(request, TOO_LARGE, 413)
    phase = request.POST.get("phase")
    if phase not in Phase.values:
        return _refusal(request, BAD_PHASE, 400)
    goals = selectors.sheet_goals(sheet)
    if phase == Phase.RESULT:
        _, formset = result_forms(sheet, goals, sheet.fiscal_year.rating_levels.all(), request.POST)
        texts = writing.result_form_texts(formset)
    else:
        _, formset = plan_forms(sheet, goals, request.POST)
        texts = writing.plan_form_texts(formset)
    fields = writing.analyse_fields(texts, office_glossary(sheet.fiscal_year.office))
    return render(request, "staff/_writing_hints.html", {"fields": fields})
