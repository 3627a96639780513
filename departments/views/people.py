"""総務課's staff pages under /staff/<office>/people/: the list, registering, editing departments
and roles, leaving (退職・転出), temporary passwords, and 人事異動 from a file.

Approvers of the office (staff.manage) and superusers use them; anyone else of the office gets a
403, anyone outside it a 404 (departments.staff.rules). Thin views: a GET shows the page, a POST
calls departments.staff.services or .transfers, a refused change (StaffError) is shown on the page
with what was typed, and a change that went through redirects with a message. Changes whose date
has come are applied when the pages are opened (as well as nightly by `manage.py housekeeping`).
"""

from functools import wraps

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from departments.models import Office, StaffChange, StaffProfile
from departments.staff import rules, selectors, transfers
from departments.staff.forms import (
    LeaveForm,
    StaffCreateForm,
    StaffDetailsForm,
    StaffFilterForm,
    TransferUploadForm,
    assignment_formset,
)
from departments.staff.services import (
    StaffError,
    staff_change_cancel,
    staff_changes_apply_due,
    staff_create,
    staff_leave,
    staff_password_issue,
    staff_update,
)
from wardservice.uploads import UploadRejected, read_upload

PER_PAGE = 50
PREVIEW_ROWS = 500  # rows listed in a 人事異動 preview; the rest are counted
PREVIEW_PROBLEMS = 200


def staff_page(view):
    """Login, then the office of the URL for someone who may manage its staff (else 403 / 404);
    the changes whose date has come are applied first, so the page shows today's staff."""

    @login_required
    @wraps(view)
    def wrapper(request, office, *args, **kwargs):
        office_obj = Office.objects.filter(slug=office).first()
        if office_obj is None or not rules.may_see_staff_pages(request, office_obj):
            raise Http404
        if not rules.may_manage_staff(request, office_obj):
            raise PermissionDenied
        staff_changes_apply_due(office=office_obj)
        return view(request, office_obj, *args, **kwargs)

    return wrapper


def _people_url(office):
    return reverse("departments:people", kwargs={"office": office.slug})


def _person_url(office, user):
    return reverse("departments:person", kwargs={"office": office.slug, "pk": user.pk})


# --- the list -----------------------------------------------------------------------------------


@require_GET
@staff_page
def people(request, office):
    """The office's staff, filtered and searched, a page at a time."""
    form = StaffFilterForm(request.GET or None, office=office)
    filters = form.filters()
    page = Paginator(selectors.office_staff(office=office, **filters), PER_PAGE).get_page(
        request.GET.get("page")
    )
    query = request.GET.copy()
    query.pop("page", None)
    return render(
        request,
        "staff/people/list.html",
        {
            "office": office,
            "form": form,
            "page": page,
            "filtered": bool(filters["query"] or filters["department"] or filters["role"])
            or filters["status"] != selectors.Status.ACTIVE,
            "query": query.urlencode(),
            "pending_count": StaffChange.objects.filter(
                office=office, applied_at__isnull=True, cancelled_at__isnull=True
            ).count(),
        },
    )


# --- one person ---------------------------------------------------------------------------------


def _errors(*forms):
    return [link for form in forms for link in form.error_links()]


@never_cache
@require_http_methods(["GET", "POST"])
@staff_page
def person_new(request, office):
    """Register a member of staff; a temporary password is shown once, on the page that follows."""
    data = request.POST if request.method == "POST" else None
    form = StaffCreateForm(data, office=office)
    formset = assignment_formset(office=office, data=data)
    problem = ""
    if data is not None and form.is_valid() & formset.is_valid():
        details = form.cleaned_data
        try:
            user, password = staff_create(
                office=office,
                username=details["username"],
                last_name=details["last_name"],
                first_name=details["first_name"],
                email=details["email"],
                employee_number=details["employee_number"],
                assignments=formset.assignments(),
                issue_password=details["password"] == StaffCreateForm.PASSWORD_ISSUE,
                by=request.user,
            )
        except StaffError as error:
            problem = str(error)
        else:
            if password:
                return _password_page(request, office, user, password, created=True)
            messages.success(request, f"{user.last_name} {user.first_name} さん ({user.username}) を登録しました。")
            return redirect(_person_url(office, user))
    return render(
        request,
        "staff/people/form.html",
        {
            "office": office,
            "form": form,
            "formset": formset,
            "creating": True,
            "problem": problem,
            "error_links": _errors(form, formset) if data is not None else [],
        },
    )


@require_http_methods(["GET", "POST"])
@staff_page
def person(request, office, pk):
    """A person's record: name, mail, 職員番号, departments and roles (from today), history."""
    member = selectors.staff_member(office=office, pk=pk)
    profile = StaffProfile.objects.filter(user=member).first()
    data = request.POST if request.method == "POST" else None
    form = StaffDetailsForm(
        data,
        office=office,
        user=member,
        initial={
            "last_name": member.last_name,
            "first_name": member.first_name,
            "email": member.email,
            "employee_number": profile.employee_number if profile else "",
        },
    )
    if profile is not None and profile.office_id != office.pk:
        form.fields["employee_number"].disabled = True
        form.fields["employee_number"].help_text = f"{profile.office.name}の職員番号です (その区役所で変更します)。"
    formset = assignment_formset(office=office, data=data, memberships=member.office_memberships)
    problem = ""
    if data is not None and form.is_valid() & formset.is_valid():
        details = form.cleaned_data
        try:
            change = staff_update(
                office=office,
                user=member,
                last_name=details["last_name"],
                first_name=details["first_name"],
                email=details["email"],
                employee_number=details["employee_number"],
                assignments=formset.assignments(),
                by=request.user,
            )
        except StaffError as error:
            problem = str(error)
        else:
            reactivated = change is not None and not member.is_active
            messages.success(request, _saved_message(member, change, reactivated))
            return redirect(_person_url(office, member))
    return render(
        request,
        "staff/people/form.html",
        {
            "office": office,
            "member": member,
            "profile": profile,
            "form": form,
            "formset": formset,
            "problem": problem,
            "error_links": _errors(form, formset) if data is not None else [],
            "history": selectors.membership_history(office=office, user=member),
            "pending": selectors.staff_changes(office=office, user=member, pending=True),
            "is_self": member.pk == request.user.pk,
        },
    )


def _saved_message(member, change, reactivated):
    name = f"{member.last_name} {member.first_name}".strip() or member.username
    if change is None:
        return f"{name} さんの情報を保存しました。"
    if reactivated:
        return (
            f"{name} さんの所属を保存し、利用を再開しました。"
            "ディレクトリでログインしない人には、パスワードを発行してください。"
        )
    return f"{name} さんの情報と所属を保存しました。所属と役割は今日から有効です。"


@require_http_methods(["GET", "POST"])
@staff_page
def person_leave(request, office, pk):
    """退職・転出 on a date: today or earlier at once (access ends now), later on that day."""
    member = selectors.staff_member(office=office, pk=pk)
    data = request.POST if request.method == "POST" else None
    form = LeaveForm(data, initial={"effective_on": timezone.localdate().isoformat()})
    blocked = rules.self_leave_problem(user=member, actor=request.user) or ""
    problem = blocked
    if data is not None and not blocked and form.is_valid():
        try:
            change = staff_leave(
                office=office,
                user=member,
                kind=form.cleaned_data["kind"],
                effective_on=form.cleaned_data["effective_on"],
                by=request.user,
            )
        except StaffError as error:
            problem = str(error)
        else:
            messages.success(request, _leave_message(member, change))
            return redirect(_people_url(office))
    return render(
        request,
        "staff/people/leave.html",
        {
            "office": office,
            "member": member,
            "form": form,
            "problem": problem,
            "blocked": blocked,
            "error_links": form.error_links() if data is not None else [],
        },
    )


def _leave_message(member, change):
    name = f"{member.last_name} {member.first_name}".strip() or member.username
    label = change.get_kind_display()
    if change.applied_at is None:
        return f"{name} さんの{label}を{change.effective_on.year}年{change.effective_on.month}月{change.effective_on.day}日付で登録しました。その日からログインできなくなります。"
    return f"{name} さんの{label}を登録しました。ログインできなくなり、ログイン中の画面も終了しました。"


@never_cache
@require_POST
@staff_page
def person_password(request, office, pk):
    """A new temporary password, shown once; the person's sessions end."""
    member = selectors.staff_member(office=office, pk=pk)
    if not member.is_active:
        messages.error(request, "停止中の職員にはパスワードを発行できません。先に所属を設定して利用を再開してください。")
        return redirect(_person_url(office, member))
    password = staff_password_issue(user=member)
    return _password_page(request, office, member, password, created=False)


def _password_page(request, office, user, password, *, created):
    """Shown in the response to the POST and stored nowhere: reloading does not show it again."""
    return render(
        request,
        "staff/people/password.html",
        {"office": office, "member": user, "password": password, "created": created},
    )


# --- dated changes ------------------------------------------------------------------------------


@require_GET
@staff_page
def changes(request, office):
    """人事異動 waiting for their date (with 取消), and the latest recorded."""
    return render(
        request,
        "staff/people/changes.html",
        {
            "office": office,
            "pending": selectors.staff_changes(office=office, pending=True),
            "recorded": selectors.staff_changes(office=office, pending=False, limit=100),
        },
    )


@require_POST
@staff_page
def change_cancel(request, office, pk):
    change = get_object_or_404(StaffChange.objects.select_related("user"), office=office, pk=pk)
    try:
        staff_change_cancel(change=change, by=request.user)
    except StaffError as error:
        messages.error(request, str(error))
    else:
        name = f"{change.user.last_name} {change.user.first_name}".strip() or change.user.username
        day = change.effective_on
        messages.success(request, f"{name} さんの{day.year}年{day.month}月{day.day}日付の{change.get_kind_display()}を取り消しました。")
    return redirect(reverse("departments:staff_changes", kwargs={"office": office.slug}))


# --- 人事異動 from a file ---------------------------------------------------------------------------


@require_http_methods(["GET", "POST"])
@staff_page
def transfer_upload(request, office):
    """The upload form; a POSTed file is read and checked (nothing written) and previewed."""
    context = {"office": office, "form": TransferUploadForm(), "max_rows": transfers.MAX_ROWS}
    if request.method == "GET":
        return render(request, "staff/people/transfers.html", context)
    upload = request.FILES.get("file")
    filename = getattr(upload, "name", "") or ""
    try:
        kind, data = read_upload(upload, allowed={"csv", "xlsx"}, shift_jis=True)
        rows, ignored = transfers.read_transfer_file(data, kind=kind)
    except UploadRejected as error:
        context["rejected"] = str(error)
        return render(request, "staff/people/transfers.html", context)
    except transfers.TransferFileError as error:
        return render(request, "staff/people/transfers.html", _problems(context, error.problems, filename))
    plan = transfers.check_transfers(office=office, rows=rows, actor=request.user)
    if plan.problems:
        return render(request, "staff/people/transfers.html", _problems(context, plan.problems, filename))
    kept = transfers.transfer_upload_keep(office=office, owner=request.user, filename=filename, rows=rows)
    context.update(
        plan=plan,
        listed=plan.rows[:PREVIEW_ROWS],
        more_rows=max(0, len(plan.rows) - PREVIEW_ROWS),
        ignored=ignored,
        upload=kept,
        filename=kept.filename,
    )
    return render(request, "staff/people/transfers.html", context)


def _problems(context, problems, filename):
    return {
        **context,
        "problems": problems[:PREVIEW_PROBLEMS],
        "problem_count": len(problems),
        "more_problems": max(0, len(problems) - PREVIEW_PROBLEMS),
        "filename": filename,
    }


@require_POST
@staff_page
def transfer_confirm(request, office):
    """確定: the kept rows checked again against today's staff, then written, all or nothing."""
    context = {"office": office, "form": TransferUploadForm(), "max_rows": transfers.MAX_ROWS}
    try:
        upload = transfers.transfer_upload_take(office=office, owner=request.user, pk=request.POST.get("upload"))
    except StaffError as error:
        context["rejected"] = str(error)
        return render(request, "staff/people/transfers.html", context)
    plan = transfers.check_transfers(office=office, rows=upload.rows, actor=request.user)
    if plan.problems:
        context["changed_since"] = True
        return render(request, "staff/people/transfers.html", _problems(context, plan.problems, upload.filename))
    outcome = transfers.transfers_apply(
        office=office, plan=plan, by=request.user, source=f"人事異動ファイル {upload.filename}".strip()
    )
    messages.success(
        request,
        f"{upload.filename} の人事異動を確定しました: すぐに適用 {outcome.applied} 人、"
        f"異動日に適用 {outcome.scheduled} 人、変更なし {outcome.unchanged} 人"
        f"{f' (新しく登録した職員 {outcome.created} 人を含みます)' if outcome.created else ''}。",
    )
    return redirect(reverse("departments:staff_changes", kwargs={"office": office.slug}))
