"""The approver's (総務課) pages: the dashboard, 承認 / 差戻し / 承認取消, the changes since a return,
and the fiscal years.

Thin views: a GET shows what will happen, a POST calls the service, a refused step (GoalsError)
becomes a message, and a step that went through redirects to the dashboard. A review step posts
the version of the sheet its page showed; the service refuses it when the sheet changed since.
"""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from departments.permissions import get_access, office_permission_required, require
from goals import printed, rules, selectors
from goals.access import domain_error, get_fiscal_year, get_phase, get_sheet
from goals.diff import content_changes
from goals.forms_review import (
    ApproveForm,
    DashboardFilterForm,
    NextYearForm,
    PhaseForm,
    ReopenForm,
    ReturnForm,
)
from goals.models import EventAction, Phase, SheetStatus
from goals.services import (
    GoalsError,
    StaleSheetError,
    fiscal_year_open_next,
    fiscal_year_set_phase,
    sheet_approve,
    sheet_reopen,
    sheet_return,
)
from goals.wareki import fiscal_year_full_label
from wardservice.mail import undelivered_mail_count


def _dashboard_url(fiscal_year):
    return reverse(
        "goals:dashboard", kwargs={"office": fiscal_year.office.slug, "year": fiscal_year.year}
    )


def _years_url(office):
    return reverse("goals:years", kwargs={"office": office.slug})


# --- Dashboard ------------------------------------------------------------------------------


@login_required
@require_GET
def dashboard(request, office, year):
    """Every department's sheet of the year: statuses, submissions, deadlines, progress, actions."""
    fiscal_year = get_fiscal_year(request, office, year)
    access = get_access(request)
    can_review = access.has("sheet.review", office=fiscal_year.office)
    rows = selectors.dashboard_rows(
        fiscal_year=fiscal_year, today=timezone.localdate(), by=request.user, can_review=can_review
    )
    form = DashboardFilterForm(request.GET or None)
    return render(
        request,
        "staff/dashboard.html",
        {
            "fiscal_year": fiscal_year,
            "office": fiscal_year.office,
            "rows": selectors.filter_dashboard_rows(rows, **form.filters()),
            "total": len(rows),
            "progress": selectors.phase_progress(fiscal_year=fiscal_year, rows=rows),
            "form": form,
            "years": selectors.office_years(office=fiscal_year.office),
            "can_manage": access.has("year.manage", office=fiscal_year.office),
            "undelivered_mail": undelivered_mail_count(office=fiscal_year.office) if can_review else 0,
        },
    )


# --- 承認 / 差戻し / 承認取消 ----------------------------------------------------------------


def _reviewed_sheet(request, office, year, code, phase):
    """The sheet and phase in the URL, for someone who may review it (403 for a viewer, else 404)."""
    phase = get_phase(phase)
    return get_sheet(request, office, year, code, permission="sheet.review"), phase


def _done(request, sheet, phase, what):
    messages.success(request, f"{sheet.department} の{phase.label}を{what}")
    return redirect(_dashboard_url(sheet.fiscal_year))


def _review(request, sheet, phase, *, action, form_class, step, done):
    """A confirm page: GET shows the sheet and the form; POST takes the step against the version
    the page showed. A sheet changed since is shown again as it is now, with what changed since
    that version, and the typed comment kept; a refused step says why."""
    form = form_class(request.POST if request.method == "POST" else None, initial={"version": sheet.version})
    stale = None
    if form.is_valid():
        try:
            step(sheet, form.cleaned_data)
        except StaleSheetError as error:
            domain_error(request, error)
            stale = _changes_since(error.sheet, phase, form.cleaned_data["version"])
            sheet = error.sheet
            # The person has now been shown the current version: their next POST is a deliberate one.
            form = form_class({**request.POST.dict(), "version": sheet.version})
        except GoalsError as error:
            domain_error(request, error)  # the page is shown again with the comment as typed
        else:
            return _done(request, sheet, phase, done)
    return _confirm(request, sheet, phase, action=action, form=form, stale=stale)


def _changes_since(sheet, phase, version):
    """What changed in the sheet since the page showed it at `version` (goals.diff)."""
    seen = selectors.content_at_version(sheet, version)
    if seen is None:
        return {"known": False, "changes": [], "has_changes": True}
    changes = content_changes(seen, selectors.sheet_content(sheet), with_results=phase == Phase.RESULT)
    return {"known": True, "changes": changes, "has_changes": any(c.kind != "unchanged" for c in changes)}


@login_required
@require_http_methods(["GET", "POST"])
def approve(request, office, year, code, phase):
    """承認: GET shows the sheet and what approving does; POST approves the version shown."""
    sheet, phase = _reviewed_sheet(request, office, year, code, phase)

    def step(sheet, data):
        sheet_approve(sheet=sheet, phase=phase, by=request.user, expected_version=data["version"])

    return _review(
        request, sheet, phase, action=EventAction.APPROVE, form_class=ApproveForm, step=step, done="承認しました。"
    )


@login_required
@require_http_methods(["GET", "POST"])
def return_sheet(request, office, year, code, phase):
    """差戻し: GET shows the sheet and the comment form; POST returns the version shown with the comment."""
    sheet, phase = _reviewed_sheet(request, office, year, code, phase)

    def step(sheet, data):
        sheet_return(
            sheet=sheet, phase=phase, by=request.user, comment=data["comment"], expected_version=data["version"]
        )

    return _review(
        request, sheet, phase, action=EventAction.RETURN, form_class=ReturnForm, step=step, done="差し戻しました。"
    )


@login_required
@require_http_methods(["GET", "POST"])
def reopen(request, office, year, code, phase):
    """承認取消: GET shows the sheet and the reason form; POST sends the approved version shown back."""
    sheet, phase = _reviewed_sheet(request, office, year, code, phase)

    def step(sheet, data):
        sheet_reopen(
            sheet=sheet, phase=phase, by=request.user, reason=data["reason"], expected_version=data["version"]
        )

    return _review(
        request, sheet, phase, action=EventAction.REOPEN, form_class=ReopenForm, step=step, done="承認を取り消しました。"
    )


def _blocked_reason(sheet, phase, action, user, events):
    """Why this step cannot be taken now, in the service's words (goals.rules); "" when it can."""
    if action == EventAction.APPROVE:
        refusal = rules.approve_refusal(sheet, phase, by=user, events=events)
    elif action == EventAction.RETURN:
        refusal = rules.return_refusal(sheet, phase)
    else:
        refusal = rules.reopen_refusal(sheet, phase)
    return refusal or ""


def _confirm(request, sheet, phase, *, action, form, stale=None):
    events = list(selectors.sheet_phase_events(sheet, phase))
    submits = [e for e in events if e.action == EventAction.SUBMIT]
    returns = [e for e in events if e.action in selectors.RETURN_ACTIONS]
    return render(
        request,
        "staff/review_confirm.html",
        {
            "sheet": sheet,
            "fiscal_year": sheet.fiscal_year,
            "phase": phase,
            "action": action,
            "action_label": EventAction(action).label,
            "status": SheetStatus(sheet.status_for(phase)),
            "blocked_reason": _blocked_reason(sheet, phase, action, request.user, events),
            "last_submit": submits[-1] if submits else None,
            "last_return": returns[-1] if returns else None,
            "events": events,
            # the sheet as the public table will print it (the public table's row partial)
            "table": printed.TableColumns(with_results=phase == Phase.RESULT),
            "table_department": printed.sheet_department(sheet, phase == Phase.RESULT),
            "form": form,
            "stale": stale,
        },
    )


# --- Changes since the last return ------------------------------------------------------------


@login_required
@require_GET
def changes(request, office, year, code, phase):
    """What the department changed since the sheet was last returned (差戻し or 承認取消)."""
    phase = get_phase(phase)
    sheet = get_sheet(request, office, year, code)
    returned = selectors.last_return_event(sheet, phase)
    goal_changes = []
    if returned is not None:
        goal_changes = content_changes(
            returned.snapshot, selectors.sheet_content(sheet), with_results=phase == Phase.RESULT
        )
    return render(
        request,
        "staff/changes.html",
        {
            "sheet": sheet,
            "fiscal_year": sheet.fiscal_year,
            "phase": phase,
            "returned": returned,
            "changes": goal_changes,
            "has_changes": any(c.kind != "unchanged" for c in goal_changes),
            "can_review": get_access(request).has("sheet.review", office=sheet.fiscal_year.office),
            "status": SheetStatus(sheet.status_for(phase)),
        },
    )


# --- Fiscal years -----------------------------------------------------------------------------


def _phase_forms(fiscal_year):
    """The open/close form of each phase, filled with the year's current state."""
    forms = []
    for phase, is_open, deadline in (
        (Phase.PLAN, fiscal_year.plan_open, fiscal_year.plan_deadline),
        (Phase.RESULT, fiscal_year.result_open, fiscal_year.result_deadline),
    ):
        state = PhaseForm.OPEN if is_open else PhaseForm.CLOSED
        form = PhaseForm(
            initial={"state": state, "deadline": deadline},
            auto_id=f"id_{fiscal_year.year}_{phase}_%s",  # several of these forms share the page
        )
        forms.append({"phase": phase, "label": phase.label, "is_open": is_open, "form": form})
    return forms


@login_required
@require_http_methods(["GET", "POST"])
@office_permission_required("office.view")
def years(request, office):
    """The office's fiscal years; approvers open the next one (POST) and set each year's phases."""
    office = request.office
    can_manage = get_access(request).has("year.manage", office=office)
    if request.method == "POST" and not can_manage:
        raise PermissionDenied
    overview = list(selectors.fiscal_years_overview(office=office))
    newest = overview[0] if overview else None
    form = None
    if can_manage and newest is not None:
        form = NextYearForm(
            request.POST if request.method == "POST" else None,
            departments=selectors.departments_with_goals(fiscal_year=newest),
        )
    if form is not None and form.is_valid():
        try:
            opened = fiscal_year_open_next(
                previous=newest,
                copy_goals_for=list(form.cleaned_data["copy_goals_for"]),
                plan_deadline=form.cleaned_data["plan_deadline"],
                by=request.user,
            )
        except GoalsError as error:
            domain_error(request, error)
        else:
            messages.success(request, f"{opened.full_label} を開始しました。目標設定の受付中です。")
            return redirect(_dashboard_url(opened))
    return render(
        request,
        "staff/years.html",
        {
            "office": office,
            "years": [(fy, _phase_forms(fy) if can_manage else None) for fy in overview],
            "newest": newest,
            "next_year_label": _next_label(newest),
            "form": form,
            "can_manage": can_manage,
        },
    )


def _next_label(newest):
    return fiscal_year_full_label(newest.year + 1) if newest else ""


@login_required
@require_POST
def phase(request, office, year, phase):
    """Open or close 目標設定 or 実績報告 of a year, with its deadline; back to the years page."""
    fiscal_year = get_fiscal_year(request, office, year)
    require(request, "year.manage", office=fiscal_year.office, visible_with="office.view")
    phase = get_phase(phase)
    form = PhaseForm(request.POST)
    if not form.is_valid():
        for errors in form.errors.values():
            for error in errors:
                messages.error(request, f"{fiscal_year.label} {phase.label}: {error}")
    else:
        try:
            fiscal_year_set_phase(
                fiscal_year=fiscal_year,
                phase=phase,
                is_open=form.is_open,
                deadline=form.cleaned_data["deadline"],
                by=request.user,
            )
        except GoalsError as error:
            domain_error(request, error)
        else:
            what = "受付を開始しました" if form.is_open else "受付を終了しました"
            messages.success(request, f"{fiscal_year.label}の{phase.label}の{what}。")
    return redirect(f"{_years_url(fiscal_year.office)}#year-{fiscal_year.year}")
