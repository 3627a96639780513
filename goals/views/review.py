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
from goals import printed, rules, selectors, writing
from goals.access import get_fiscal_year, get_phase, get_sheet
from goals.diff import content_changes
from goals.forms import ErrorLink, field_error_links
from goals.forms_review import (
    ApproveForm,
    DashboardFilterForm,
    FirstYearForm,
    MaxGoalsForm,
    NextYearForm,
    PhaseForm,
    ReopenForm,
    ReturnForm,
)
from goals.models import MAX_GOALS_PER_SHEET, EventAction, Phase, SheetStatus
from goals.services import (
    GoalsError,
    StaleSheetError,
    fiscal_year_open_first,
    fiscal_year_open_next,
    fiscal_year_set_max_goals,
    fiscal_year_set_phase,
    sheet_approve,
    sheet_reopen,
    sheet_return,
)
from goals.wareki import fiscal_year_full_label
from plain.selectors import office_glossary
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
            # やさしい日本語: each sheet's plan and results read as one text (one query)
            "readability": writing.year_levels(fiscal_year),
        },
    )


# --- 承認 / 差戻し / 承認取消 ----------------------------------------------------------------


def _reviewed_sheet(request, office, year, code, phase):
    """The sheet and phase in the URL, for someone who may review it (403 for a viewer, else 404)."""
    phase = get_phase(phase)
    return get_sheet(request, office, year, code, permission="sheet.review"), phase


def _done(request, sheet, phase, what, url=None):
    """"区民サービス部 区民課の目標設定を承認しました。": `what` says it of "{subject}". Then the
    dashboard, or `url` where the step leads somewhere else."""
    messages.success(request, what.format(subject=f"{sheet.department.name}の{phase.label}"))
    return redirect(url or _dashboard_url(sheet.fiscal_year))


def _review(request, sheet, phase, *, action, form_class, step, done):
    """A confirm page: GET shows the sheet and the form; POST takes the step against the version
    the page showed. A sheet changed since is shown again as it is now, with what changed since
    that version, and the typed comment kept; a refused step says why."""
    form = form_class(request.POST if request.method == "POST" else None, initial={"version": sheet.version})
    stale, refused = None, ""
    if form.is_valid():
        try:
            # A step may lead on elsewhere than the dashboard: (what it says, where it goes).
            then = step(sheet, form.cleaned_data)
        except StaleSheetError as error:
            refused = str(error)
            stale = _changes_since(error.sheet, phase, form.cleaned_data["version"])
            sheet = error.sheet
            # The person has now been shown the current version: their next POST is a deliberate one.
            form = form_class({**request.POST.dict(), "version": sheet.version})
        except GoalsError as error:
            refused = str(error)  # the page is shown again with the comment as typed
        else:
            if then is not None:
                done, url = then
                return _done(request, sheet, phase, done, url)
            return _done(request, sheet, phase, done)
    return _confirm(request, sheet, phase, action=action, form=form, stale=stale, refused=refused)


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
        correction = sheet.correction == phase
        sheet_approve(sheet=sheet, phase=phase, by=request.user, expected_version=data["version"])
        if correction:
            # The sheet's correction is over: on to 公表 of the corrected version (訂正版), of the
            # table of this phase (a plan can be reopened only while no result is written).
            return (
                "{subject}の訂正を承認しました。公表済みの表を直すには、続けて訂正版を公表してください。",
                reverse("publishing:publish", kwargs={"office": office, "year": year, "kind": phase.value}),
            )
        return None

    return _review(
        request, sheet, phase, action=EventAction.APPROVE, form_class=ApproveForm, step=step, done="{subject}を承認しました。"
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
        request, sheet, phase, action=EventAction.RETURN, form_class=ReturnForm, step=step, done="{subject}を差し戻しました。"
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
        if request.POST.get("then") == "edit":
            # 「取り消して代理入力で直す」: 総務課 corrects it for the department, on its edit form.
            view = "goals:plan_edit" if phase == Phase.PLAN else "goals:results_edit"
            return (
                "{subject}の承認を取り消しました。直してから「保存して提出」を押してください (代理入力として記録されます)。",
                reverse(view, kwargs={"office": office, "year": year, "code": code}),
            )
        return None

    return _review(
        request, sheet, phase, action=EventAction.REOPEN, form_class=ReopenForm, step=step, done="{subject}の承認を取り消しました。"
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


def _review_error_links(form, *, refused, stale):
    """The error summary of a confirm page after a POST that did not go through: why the step was
    refused (linking to what changed, when the sheet did), then each field's errors."""
    links = [ErrorLink("stale-notice" if stale else "action-heading", refused)] if refused else []
    if form.is_bound:
        links += field_error_links(form, hidden_target="action-heading")
    return links


def _confirm(request, sheet, phase, *, action, form, stale=None, refused=""):
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
            # 承認 refused to its writer or submitter: who may approve instead.
            "approval_help": (
                selectors.approval_help(sheet, phase, by=request.user, events=events)
                if action == EventAction.APPROVE
                else ""
            ),
            # 差戻し or 承認取消 while the ward's phase is closed: it opens this sheet alone (訂正).
            "correction_note": rules.correction_note(sheet, phase) if action != EventAction.APPROVE else "",
            # 差戻し: the sheet's やさしい日本語 hints as sentences to quote in the comment
            "writing_requests": (
                writing.sheet_field_hints(sheet, phase, office_glossary(sheet.fiscal_year.office))
                if action == EventAction.RETURN
                else []
            ),
            "last_submit": submits[-1] if submits else None,
            "last_return": returns[-1] if returns else None,
            "events": events,
            # the sheet as the public table will print it (the public table's row partial)
            "table": printed.TableColumns(with_results=phase == Phase.RESULT),
            "table_department": printed.sheet_department(sheet, phase == Phase.RESULT),
            "form": form,
            "stale": stale,
            "error_links": _review_error_links(form, refused=refused, stale=stale),
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
    goal_changes, since = [], []
    if returned is not None:
        goal_changes = content_changes(
            returned.snapshot, selectors.sheet_content(sheet), with_results=phase == Phase.RESULT
        )
        since = selectors.changed_since(sheet, phase, returned)
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
            "since": since,
            "can_review": get_access(request).has("sheet.review", office=sheet.fiscal_year.office),
            "status": SheetStatus(sheet.status_for(phase)),
        },
    )


# --- Fiscal years -----------------------------------------------------------------------------


def _phase_auto_id(fiscal_year, phase):
    return f"id_{fiscal_year.year}_{phase}_%s"  # several of these forms share the page


def _phase_forms(fiscal_year, failed=None):
    """The open/close form of each phase, filled with the year's current state. `failed`, a phase
    form that did not go through as (year id, phase, form), is shown as sent, with its errors."""
    forms = []
    for phase, is_open, deadline in (
        (Phase.PLAN, fiscal_year.plan_open, fiscal_year.plan_deadline),
        (Phase.RESULT, fiscal_year.result_open, fiscal_year.result_deadline),
    ):
        if failed and failed[:2] == (fiscal_year.pk, phase):
            form = failed[2]
        else:
            state = PhaseForm.OPEN if is_open else PhaseForm.CLOSED
            form = PhaseForm(
                initial={"state": state, "deadline": deadline}, auto_id=_phase_auto_id(fiscal_year, phase)
            )
        forms.append({"phase": phase, "label": phase.label, "is_open": is_open, "form": form})
    return forms


@login_required
@require_http_methods(["GET", "POST"])
@office_permission_required("office.view")
def years(request, office):
    """The office's fiscal years; approvers open the next one (POST), or the first where there is
    none (_first_year), and set each year's phases."""
    office = request.office
    can_manage = get_access(request).has("year.manage", office=office)
    if request.method == "POST" and not can_manage:
        raise PermissionDenied
    overview = list(selectors.fiscal_years_overview(office=office))
    newest = overview[0] if overview else None
    if can_manage and newest is None:
        return _first_year(request, office)
    form = None
    if can_manage and newest is not None:
        form = NextYearForm(
            request.POST if request.method == "POST" else None,
            departments=selectors.departments_with_goals(fiscal_year=newest),
        )
    error_links = []
    if form is not None and form.is_valid():
        try:
            opened = fiscal_year_open_next(
                previous=newest,
                copy_goals_for=list(form.cleaned_data["copy_goals_for"]),
                plan_deadline=form.cleaned_data["plan_deadline"],
                by=request.user,
            )
        except GoalsError as error:
            error_links = [ErrorLink("next-year-heading", str(error))]
        else:
            messages.success(request, f"{opened.full_label} を開始しました。目標設定の受付中です。")
            _warn_past_deadline(request, opened, Phase.PLAN, opened.plan_deadline, is_open=True)
            return redirect(_dashboard_url(opened))
    elif form is not None and form.is_bound:
        error_links = field_error_links(form)
    return _render_years(request, office, overview, can_manage=can_manage, form=form, error_links=error_links)


def _first_year(request, office):
    """An office without a year: its first one is opened here, with no year before it to copy."""
    form = FirstYearForm(request.POST or None, initial={"year": _current_fiscal_year()})
    error_links = []
    if form.is_valid():
        data = form.cleaned_data
        try:
            opened = fiscal_year_open_first(
                office=office,
                year=data["year"],
                principles=data["principles"],
                rating_labels=data["rating_labels"],
                max_goals=data["max_goals"],
                plan_deadline=data["plan_deadline"],
                by=request.user,
            )
        except GoalsError as error:
            error_links = [ErrorLink("first-year-heading", str(error))]
        else:
            messages.success(request, f"最初の年度として{opened.full_label}を開始しました。目標設定の受付中です。")
            _warn_past_deadline(request, opened, Phase.PLAN, opened.plan_deadline, is_open=True)
            return redirect(_dashboard_url(opened))
    elif form.is_bound:
        error_links = field_error_links(form)
    departments = selectors.departments_for_first_year(office=office)
    first_year = {
        "form": form,
        "departments": departments,
        "categories": list(office.categories.order_by("sort_order", "name")),
        "refusal": rules.first_year_refusal(has_year=False, departments=len(departments)),
    }
    return _render_years(request, office, [], can_manage=True, form=None, error_links=error_links, first_year=first_year)


def _current_fiscal_year():
    """The 年度 of today: April to the next March."""
    today = timezone.localdate()
    return today.year if today.month >= 4 else today.year - 1


def _render_years(request, office, overview, *, can_manage, form, failed=None, error_links=(), first_year=None):
    """The years page; after a form that did not go through, the summary of what went wrong on top
    and, for a phase form (`failed`, see _phase_forms), its year's section open."""
    newest = overview[0] if overview else None
    return render(
        request,
        "staff/years.html",
        {
            "office": office,
            "years": [(fy, _phase_forms(fy, failed) if can_manage else None) for fy in overview],
            "newest": newest,
            "next_year_label": _next_label(newest),
            "form": form,
            "can_manage": can_manage,
            "max_goals_limit": MAX_GOALS_PER_SHEET,
            "open_year": failed[0] if failed else None,
            "error_links": error_links,
            "first_year": first_year,
        },
    )


def _deadline(fiscal_year, phase):
    return fiscal_year.plan_deadline if phase == Phase.PLAN else fiscal_year.result_deadline


def _warn_past_deadline(request, fiscal_year, phase, deadline, *, is_open):
    """After saving: a deadline before today is accepted (history gets corrected) but said."""
    note = selectors.past_deadline_note(
        what=f"{fiscal_year.label}の{phase.label}", deadline=deadline, today=timezone.localdate(), is_open=is_open
    )
    if note:
        messages.warning(request, note)


def _next_label(newest):
    return fiscal_year_full_label(newest.year + 1) if newest else ""


@login_required
@require_POST
def phase(request, office, year, phase):
    """Open or close 目標設定 or 実績報告 of a year, with its deadline; back to the years page."""
    fiscal_year = get_fiscal_year(request, office, year)
    require(request, "year.manage", office=fiscal_year.office, visible_with="office.view")
    phase = get_phase(phase)
    form = PhaseForm(request.POST, auto_id=_phase_auto_id(fiscal_year, phase))
    refused = ""
    if form.is_valid():
        previous = _deadline(fiscal_year, phase)
        try:
            fiscal_year_set_phase(
                fiscal_year=fiscal_year,
                phase=phase,
                is_open=form.is_open,
                deadline=form.cleaned_data["deadline"],
                by=request.user,
            )
        except GoalsError as error:
            refused = str(error)
        else:
            what = "受付を開始しました" if form.is_open else "受付を終了しました"
            messages.success(request, f"{fiscal_year.label}の{phase.label}の{what}。")
            # A past date is worth a word when it is new, or while it makes every sheet overdue.
            if form.is_open or form.cleaned_data["deadline"] != previous:
                _warn_past_deadline(request, fiscal_year, phase, form.cleaned_data["deadline"], is_open=form.is_open)
            return redirect(f"{_years_url(fiscal_year.office)}#year-{fiscal_year.year}")
    return _phase_refused(request, fiscal_year, phase, form, refused)


def _phase_refused(request, fiscal_year, phase, form, refused):
    """The years page again, at this address, after a phase form that did not go through: its
    year's section open, the choice and the date as sent, and why, linked from the summary."""
    what = f"{fiscal_year.label} {phase.label}"
    links = [ErrorLink(f"phase-{fiscal_year.year}-{phase}", f"{what}: {refused}")] if refused else []
    links += field_error_links(form, prefix=what)
    overview = list(selectors.fiscal_years_overview(office=fiscal_year.office))
    next_year = NextYearForm(departments=selectors.departments_with_goals(fiscal_year=overview[0]))
    return _render_years(
        request,
        fiscal_year.office,
        overview,
        can_manage=True,
        form=next_year,
        failed=(fiscal_year.pk, phase, form),
        error_links=links,
    )


@login_required
@require_http_methods(["GET", "POST"])
def max_goals(request, office, year):
    """目標数の上限 of a year: GET shows it with the goals the sheets have; POST sets it and goes
    back to the years page. A refused number is shown again as typed, with why, beside the field."""
    fiscal_year = get_fiscal_year(request, office, year)
    require(request, "year.manage", office=fiscal_year.office, visible_with="office.view")
    form = MaxGoalsForm(request.POST if request.method == "POST" else None, initial={"max_goals": fiscal_year.max_goals})
    if form.is_valid():
        try:
            fiscal_year_set_max_goals(fiscal_year=fiscal_year, max_goals=form.cleaned_data["max_goals"], by=request.user)
        except GoalsError as error:
            form.add_error("max_goals", str(error))
        else:
            messages.success(
                request, f"{fiscal_year.label}の目標数の上限を{form.cleaned_data['max_goals']}件にしました。"
            )
            return redirect(f"{_years_url(fiscal_year.office)}#year-{fiscal_year.year}")
    highest = selectors.highest_goal_number(fiscal_year=fiscal_year)
    return render(
        request,
        "staff/max_goals.html",
        {
            "office": fiscal_year.office,
            "fiscal_year": fiscal_year,
            "form": form,
            "highest": highest,
            # The sheets that hold the limit where it is: (department name, status, its label).
            "sheets_at_highest": [
                (name, status, SheetStatus(status).label)
                for name, _number, status in selectors.sheets_with_goals_past(
                    fiscal_year=fiscal_year, number=highest - 1
                )
            ],
        },
    )
