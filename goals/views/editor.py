"""Editors' pages: the staff home, a sheet, its goals and results, the live preview and 提出.

Views stay thin: they fetch through the user's access (goals.access), validate with
goals.forms, change state only through goals.services and read through goals.selectors.
"""

from functools import partial

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.http import require_http_methods, require_POST, require_safe

from departments.permissions import get_access
from goals import printed, rules, selectors, writing
from goals.access import domain_error, get_phase, get_sheet
from goals.forms import VersionForm, plan_forms, result_forms
from goals.models import EventAction, Phase, SheetStatus
from goals.services import (
    GoalsError,
    StaleSheetError,
    sheet_save_plan,
    sheet_save_results,
    sheet_submit,
)
from plain.selectors import office_glossary


def _sheet_kwargs(sheet):
    return {"office": sheet.fiscal_year.office.slug, "year": sheet.fiscal_year.year, "code": sheet.department.code}


def _to_sheet(sheet):
    return redirect("goals:sheet", **_sheet_kwargs(sheet))


# --- Home -------------------------------------------------------------------------------------


@login_required
@require_safe
def home(request):
    """Per office: the current year and its deadlines, the user's sheets and what to do next."""
    access = get_access(request)
    offices = access.offices()
    years = selectors.current_fiscal_years(offices)
    departments = [m.department for m in access.memberships]
    sheets = selectors.home_sheets(fiscal_years=years.values(), departments=departments)
    today = timezone.localdate()
    context = {
        "offices": [_home_office(access, office, years.get(office.pk), sheets, today) for office in offices],
        "events": selectors.recent_events(departments=departments),
    }
    return render(request, "staff/home.html", context)


def _home_office(access, office, fiscal_year, sheets, today):
    """One office's block of the home page."""
    own = [sheet for sheet in sheets if fiscal_year and sheet.fiscal_year_id == fiscal_year.pk]
    can_review = access.has("sheet.review", office=office)
    return {
        "office": office,
        "fiscal_year": fiscal_year,
        "phases": selectors.fiscal_year_phases(fiscal_year, today=today) if fiscal_year else [],
        "sheets": [_home_sheet(access, sheet) for sheet in own],
        "can_view_dashboard": access.has("office.view", office=office),
        "can_manage_years": access.has("year.manage", office=office),
        "worklist": (
            selectors.review_worklist(fiscal_year=fiscal_year, today=today, by=access.user)
            if can_review and fiscal_year
            else None
        ),
    }


def _home_sheet(access, sheet):
    can_edit = access.has("sheet.edit", office=sheet.fiscal_year.office, department=sheet.department)
    return {
        "sheet": sheet,
        "next": selectors.next_step(sheet, can_edit=can_edit),
        "returned": selectors.latest_return(sheet, sheet.sent_back),
    }


# --- The sheet --------------------------------------------------------------------------------


@login_required
@require_safe
def sheet_detail(request, office, year, code):
    """The sheet as it will be published, its status, its history and the steps the user may take."""
    sheet = get_sheet(request, office, year, code)
    access = get_access(request)
    office_obj = sheet.fiscal_year.office
    events = selectors.sheet_events(sheet)
    goals = list(selectors.sheet_goals(sheet))  # the table's rows, and what 提出 needs written
    with_results = selectors.sheet_shows_results(sheet)
    context = {
        "sheet": sheet,
        "fiscal_year": sheet.fiscal_year,
        "table": printed.TableColumns(with_results=with_results),
        "department": printed.sheet_department(sheet, with_results, goals=goals),
        "events": events,
        "returned": selectors.latest_return(sheet, events),
        "returned_phases": {event.phase for event in events if event.action in selectors.RETURN_ACTIONS},
        "actions": selectors.sheet_actions(
            sheet,
            by=request.user,
            can_edit=access.has("sheet.edit", office=office_obj, department=sheet.department),
            can_review=access.has("sheet.review", office=office_obj, department=sheet.department),
            events=events,
            goals=goals,
        ),
        "SheetStatus": SheetStatus,
        "Phase": Phase,
        "drafts_saved": _drafts_saved(request),
    }
    context["approval_help"] = _approval_help(request, sheet, context["actions"], events)
    context["last_submit"] = next((e for e in reversed(events) if e.action == EventAction.SUBMIT), None)
    return render(request, "staff/sheet_detail.html", context)


def _approval_help(request, sheet, actions, events):
    """{phase: who may approve it} where 承認 waits and is refused to this reviewer (their note)."""
    return {
        phase: selectors.approval_help(sheet, phase, by=request.user, events=events)
        for phase, review in ((Phase.PLAN, actions.review_plan), (Phase.RESULT, actions.review_results))
        if review.note
    }


# --- What the browser keeps of the typing (static/js/draft-keeper.js) ---------------------------

# The forms' paths whose typing the server has just saved: the next page the person sees tells
# the browser to drop its copy of what they typed there (and only then: a save that never
# arrived, after the login expired, leaves the copy to be restored).
DRAFTS_SAVED = "drafts_saved"


def _draft_saved(request):
    request.session[DRAFTS_SAVED] = [*request.session.get(DRAFTS_SAVED, []), request.path][-10:]


def _drafts_saved(request) -> list[str]:
    return request.session.pop(DRAFTS_SAVED, [])


def _draft_was_saved(request) -> bool:
    """Whether this form's typing was just saved (said once)."""
    paths = request.session.get(DRAFTS_SAVED, [])
    if request.path not in paths:
        return False
    request.session[DRAFTS_SAVED] = [path for path in paths if path != request.path]
    return True


# --- 目標設定 -----------------------------------------------------------------------------------


@login_required
@require_http_methods(["GET", "POST"])
def plan_edit(request, office, year, code):
    """The goals form: 保存 (下書き) or 保存して提出. Whatever happens, what was typed stays."""
    sheet = get_sheet(request, office, year, code, "sheet.edit")
    refusal = rules.edit_plan_refusal(sheet)
    if request.method == "GET" and refusal:
        messages.info(request, refusal)
        return _to_sheet(sheet)
    data = request.POST if request.method == "POST" else None
    version_form, formset = plan_forms(sheet, selectors.sheet_goals(sheet), data)
    rerender = partial(_render_plan, request, sheet, version_form, formset)
    if data is None:
        return rerender()

    def save(version):
        return sheet_save_plan(sheet=sheet, goals=formset.goal_inputs(), expected_version=version, by=request.user)

    def nothing_to_submit():
        return rules.nothing_to_submit(Phase.PLAN, goals=len(formset.goal_inputs()))

    saved, problem = _save(request, version_form, formset, refusal, save, nothing_to_submit)
    if saved is None:
        return rerender(**problem)
    return _after_save(request, saved, Phase.PLAN, "goals:plan_edit", texts=writing.plan_form_texts(formset))


def _save(request, version_form, formset, refusal, save, nothing_to_submit):
    """The POST of an editing page: (saved sheet, None), or (None, what to show above the typed input).

    保存して提出 of a form with nothing to submit saves nothing either: an untouched sheet stays
    未着手 rather than becoming an empty 下書き.
    """
    if refusal:
        return None, {"error": refusal}
    if not (version_form.is_valid() and formset.is_valid()):
        return None, {}
    if request.POST.get("action") == "submit" and (empty := nothing_to_submit()):
        return None, {"error": empty}
    try:
        return save(version_form.cleaned_data["version"]), None
    except StaleSheetError as error:
        return None, {"error": str(error), "stale": error.sheet}
    except GoalsError as error:
        return None, {"error": str(error)}


def _render_plan(request, sheet, version_form, formset, *, error="", stale=None):
    context = {
        **_edit_context(request, sheet, version_form, formset, error=error, stale=stale, with_results=False),
        "preview_department": _plan_preview(sheet, formset),
        "max_goals": sheet.fiscal_year.max_goals,
    }
    return render(request, "staff/plan_edit.html", context)


def _edit_context(request, sheet, version_form, formset, *, error, stale, with_results):
    """What the plan and results pages share: the sheet, the forms, the errors, the other person's
    save, the 差戻し being answered, and whether the browser's copy of the typing was just saved."""
    context = {
        "sheet": sheet,
        "fiscal_year": sheet.fiscal_year,
        "version_form": version_form,
        "formset": formset,
        "error": error,
        "error_links": (formset.error_summary() if formset.is_bound else []) + version_form.error_links(),
        "table": printed.TableColumns(with_results=with_results),
        "returned": _return_notice(sheet, Phase.RESULT if with_results else Phase.PLAN, formset),
        "draft_saved": not formset.is_bound and _draft_was_saved(request),
        # やさしい日本語: the texts as typed (or as saved), field by field; live: goals.views.writing
        "writing_hints": writing.analyse_fields(
            (writing.result_form_texts if with_results else writing.plan_form_texts)(formset),
            office_glossary(sheet.fiscal_year.office),
        ),
    }
    if stale is not None:
        # The person has now seen the other version: their next save is a deliberate one and goes
        # through; a further save by someone else in the meantime is caught again.
        context["version_form"] = VersionForm(initial={"version": stale.version})
        saved_by, saved_at = selectors.sheet_last_saved(stale)
        context["stale"] = {
            "department": printed.sheet_department(stale, with_results, anchor="-current"),
            "by": saved_by,
            "at": saved_at,
        }
    return context


def _return_notice(sheet, phase, formset):
    """The 差戻し (or 承認取消) the department is answering, with links to the goals its comment
    names ("目標2の…"), or None when the phase is not returned."""
    if sheet.status_for(phase) != SheetStatus.RETURNED:
        return None
    event = selectors.latest_return_event(sheet, phase)
    if event is None:
        return None
    fieldsets = {}
    for form in formset:
        number = form.goal.number if phase == Phase.RESULT else form.initial.get("number")
        if number is not None and (phase == Phase.RESULT or not form.is_new):
            fieldsets[number] = f"{form.prefix}-fieldset"
    goals = [(n, fieldsets[n]) for n in selectors.goal_numbers_named(event.comment) if n in fieldsets]
    return {"event": event, "goals": goals}


def _after_save(request, sheet, phase, edit_view, *, texts=()):
    """After 保存: back to the sheet. After 保存して提出: submit the version just saved."""
    _draft_saved(request)
    if request.POST.get("action") != "submit":
        messages.success(request, "下書きを保存しました。")
        _writing_note(request, sheet, phase, texts)
        return _to_sheet(sheet)
    try:
        event = sheet_submit(sheet=sheet, phase=phase, by=request.user, expected_version=sheet.version)
    except GoalsError as error:
        messages.error(request, f"下書きは保存しましたが、提出できませんでした。{error}")
        return redirect(edit_view, **_sheet_kwargs(sheet))
    messages.success(request, _submitted(request, event, "保存して提出しました"))
    return _to_sheet(sheet)


def _writing_note(request, sheet, phase, texts):
    """After 保存 (with or without JavaScript): how many やさしい日本語 hints the saved text has, and
    where they are shown. Advice only: the draft is saved either way."""
    fields = writing.analyse_fields(texts, office_glossary(sheet.fiscal_year.office))
    count = sum(len(item.analysis.hints) for item in fields)
    if count:
        page = "目標の入力" if phase == Phase.PLAN else "実績の入力"
        messages.info(
            request,
            f"やさしい日本語のヒントが{count}件あります。「{page}」の画面の「やさしい日本語のヒント」で確かめてください。",
        )


def _submitted(request, event, done):
    """The message after 提出; after 代理入力, who may approve it (not the person who wrote it)."""
    if not event.on_behalf:
        return f"{done}。総務課の承認をお待ちください。"
    who = selectors.approval_help(event.sheet, event.phase, by=request.user)
    return f"{done} (代理入力)。{who}"


# --- 実績報告 -----------------------------------------------------------------------------------


@login_required
@require_http_methods(["GET", "POST"])
def results_edit(request, office, year, code):
    """The results form, one block per approved goal: 保存 (下書き) or 保存して提出."""
    sheet = get_sheet(request, office, year, code, "sheet.edit")
    refusal = rules.edit_results_refusal(sheet)
    if request.method == "GET" and refusal:
        messages.info(request, refusal)
        return _to_sheet(sheet)
    data = request.POST if request.method == "POST" else None
    goals = selectors.sheet_goals(sheet)
    version_form, formset = result_forms(sheet, goals, sheet.fiscal_year.rating_levels.all(), data)
    rerender = partial(_render_results, request, sheet, version_form, formset)
    if data is None:
        return rerender()

    def save(version):
        return sheet_save_results(sheet=sheet, results=formset.result_inputs(), expected_version=version, by=request.user)

    def nothing_to_submit():
        inputs = formset.result_inputs()
        written = [r for r in inputs if rules.has_result(done=r.done, is_omitted=bool(r.omitted_reason))]
        return rules.nothing_to_submit(Phase.RESULT, goals=len(inputs), results=len(written))

    saved, problem = _save(request, version_form, formset, refusal, save, nothing_to_submit)
    if saved is None:
        return rerender(**problem)
    return _after_save(request, saved, Phase.RESULT, "goals:results_edit", texts=writing.result_form_texts(formset))


def _render_results(request, sheet, version_form, formset, *, error="", stale=None):
    context = {
        **_edit_context(request, sheet, version_form, formset, error=error, stale=stale, with_results=True),
        "preview_department": _results_preview(sheet, formset),
    }
    return render(request, "staff/results_edit.html", context)


# --- Preview and 提出 --------------------------------------------------------------------------


@login_required
@require_POST
def preview(request, office, year, code):
    """The typed (unsaved) goals or results as the public table's rows. Writes nothing."""
    sheet = get_sheet(request, office, year, code)
    goals = selectors.sheet_goals(sheet)
    with_results = request.POST.get("phase") == Phase.RESULT
    if with_results:
        _, formset = result_forms(sheet, goals, sheet.fiscal_year.rating_levels.all(), request.POST)
        department = _results_preview(sheet, formset)
    else:
        _, formset = plan_forms(sheet, goals, request.POST)
        department = _plan_preview(sheet, formset)
    context = {"table": printed.TableColumns(with_results=with_results), "department": department}
    return render(request, "staff/_editor_preview_table.html", context)


def _plan_preview(sheet, formset):
    """The typed goals as the public table's rows."""
    rows = [printed.typed_goal(**goal) for goal in formset.typed_goals()]
    return printed.department_rows(sheet, rows, anchor="-preview")


def _results_preview(sheet, formset):
    """The approved goals with the typed results as the public table's rows."""
    typed = {number: printed.typed_result(**result) for number, result in formset.typed_results().items()}
    return printed.sheet_department(sheet, True, goals=formset.goals, results=typed, anchor="-preview")


@login_required
@require_http_methods(["GET", "POST"])
def submit(request, office, year, code, phase):
    """提出: GET says what will happen; POST submits the version the page was opened at, once."""
    phase = get_phase(phase)
    sheet = get_sheet(request, office, year, code, "sheet.edit")
    if request.method == "POST":
        return _submit(request, sheet, phase)
    goals = list(selectors.sheet_goals(sheet))
    refusal = rules.submit_refusal(sheet, phase, goals=goals)
    if refusal:
        messages.info(request, refusal)
        return _to_sheet(sheet)
    context = {
        "sheet": sheet,
        "fiscal_year": sheet.fiscal_year,
        "phase": phase,
        "subject": "目標" if phase == Phase.PLAN else "実績",
        "is_resubmission": sheet.status_for(phase) == SheetStatus.RETURNED,
        "version_form": VersionForm(initial={"version": sheet.version}),
        "table": printed.TableColumns(with_results=phase == Phase.RESULT),
        "department": printed.sheet_department(sheet, phase == Phase.RESULT, goals=goals),
    }
    return render(request, "staff/submit_confirm.html", context)


def _submit(request, sheet, phase):
    form = VersionForm(request.POST)
    if not form.is_valid():
        messages.error(request, "画面の情報が正しくありません。もう一度お試しください。")
        return _to_sheet(sheet)
    try:
        # A double click sends the same version twice: the service says the sheet is already
        # submitted rather than that the page is out of date.
        event = sheet_submit(
            sheet=sheet, phase=phase, by=request.user, expected_version=form.cleaned_data["version"]
        )
    except GoalsError as error:
        domain_error(request, error)
    else:
        messages.success(request, _submitted(request, event, "提出しました"))
    return _to_sheet(sheet)
