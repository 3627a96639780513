"""取込 for staff: a year's table brought in from a file, previewed first and written on 確定.

Two pages under /staff/<office>/<year>/import/:

- the データ layout (CSV or the Excel データ sheet, reports.imports.table.import_table);
- a past year's published text (reports.imports.published_text + reports.imports.published.import_published_table).

Approvers (year.manage) import; viewers get a 403; anyone else a 404. The year need not exist
yet: the import creates it. An upload is checked (reports.imports.uploads) and validated without
writing anything; the preview keeps the bytes as a PendingUpload whose random token the 確定
form posts back, and 確定 re-runs the import for real, in one transaction, all or nothing.

The preview summarises (the first PREVIEW_DEPARTMENTS departments, the first PREVIEW_PROBLEMS
problems, and how many more), so that its page stays small whatever the file. 確定 of the データ
layout runs as a background job (reports.imports.jobs; its page: reports.views.import_jobs);
where the job has finished at once (tasks run immediately in development), the outcome is shown
straight away.
"""

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.db import transaction
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_http_methods, require_POST

from departments.models import Department, Office
from departments.permissions import require
from goals.models import FIRST_YEAR, LAST_YEAR, FiscalYear
from goals.rules import takes_entries
from goals.wareki import fiscal_year_label
from reports.imports.jobs import import_job_start, problem_rows
from reports.imports.published import TableImportError, import_published_table
from reports.imports.published_text import PublishedTableError, parse_published_table
from reports.imports.table import MAX_ROWS, import_table
from reports.imports.uploads import PendingUploadError, pending_upload_keep, pending_upload_take
from reports.models import ImportStatus, PendingUploadFlavor
from wardservice.uploads import UploadRejected, read_upload

TABLE, PUBLISHED = PendingUploadFlavor.DATA_TABLE, PendingUploadFlavor.PUBLISHED_TEXT
PREVIEW_DEPARTMENTS = 50  # listed in the preview; the rest are counted
PREVIEW_PROBLEMS = 100


class TableUploadForm(forms.Form):
    file = forms.FileField(label="ファイル (CSV または Excel)", required=False)
    create_tags = forms.BooleanField(
        label="区役所の区分にない区分を、新しい区分として作成する", required=False
    )
    policy = forms.CharField(
        label="区役所サービス向上方針 (CSV のとき)",
        required=False,
        max_length=20_000,
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text=(
            "CSV には方針が入らないため、年度にまだ方針がなければここに1行に1項目ずつ入力します (①などの番号は不要)。"
            "Excel ファイルはシート「方針」から読むので、入力は不要です。"
        ),
    )


class PublishedUploadForm(forms.Form):
    file = forms.FileField(label="ファイル (UTF-8 のテキスト)", required=False)


# --- access and the pending upload ------------------------------------------------------------


def import_office(request, office, year):
    """The office, for an approver (a viewer gets a 403, anyone else a 404); the year checked."""
    office_obj = Office.objects.filter(slug=office).first()
    if office_obj is None or not FIRST_YEAR <= year <= LAST_YEAR:
        raise Http404
    require(request, "year.manage", office=office_obj, visible_with="office.view")
    return office_obj


def import_context(office, year, **extra):
    fiscal_year = FiscalYear.objects.filter(office=office, year=year).first()
    return {
        "office": office,
        "year": year,
        "year_label": fiscal_year_label(year),
        "fiscal_year": fiscal_year,
        # a year being worked on gets the sheets submitted for review, not approved
        "for_review": fiscal_year is not None and takes_entries(fiscal_year),
        "max_rows": MAX_ROWS,
        **extra,
    }


def _keep(request, flavor, *, office, year, data, name, **options):
    """Keep the bytes for 確定 (one pending upload per person and kind of import); the token."""
    pending = pending_upload_keep(
        owner=request.user,
        flavor=flavor,
        office=office,
        year=year,
        data=data,
        filename=name,
        options=options,
    )
    return pending.token


def _take(request, flavor, *, office, year):
    """The kept upload for this person, token, office and year, now used up; else None."""
    try:
        return pending_upload_take(
            token=request.POST.get("token", ""),
            owner=request.user,
            flavor=flavor,
            office=office,
            year=year,
        )
    except PendingUploadError as error:
        messages.error(request, str(error))
        return None


def _dashboard_url(office, year):
    return reverse("goals:dashboard", kwargs={"office": office.slug, "year": year})


# --- the データ layout (CSV / Excel) ---------------------------------------------------------------


def _problems_context(problems, total=None, **extra):
    """The first PREVIEW_PROBLEMS problems (row/column/message dicts) and how many there are
    (`total`, where `problems` are the first of them only)."""
    total = len(problems) if total is None else total
    return {
        "problems": problems[:PREVIEW_PROBLEMS],
        "problem_count": total,
        "more_problems": max(0, total - PREVIEW_PROBLEMS),
        **extra,
    }


def _preview_context(summary):
    """The summary, the first PREVIEW_DEPARTMENTS departments and how many more (new ones too)."""
    listed = summary.listing[:PREVIEW_DEPARTMENTS]
    rest = summary.listing[PREVIEW_DEPARTMENTS:]
    return {
        "preview": summary,
        "departments": listed,
        "more_departments": len(rest),
        "more_new_departments": sum(line.new for line in rest),
    }


def success_message(filename, year, counts) -> str:
    """What the dashboard says after an import: the numbers of reports.imports.table's summary."""
    unchanged = counts.get("sheets_unchanged")
    message = (
        f"「{filename}」を取り込みました ({fiscal_year_label(year)}): 部署 {counts['departments']} "
        f"(うち新規 {counts['departments_created']})、シート {counts['sheets_imported']} 件、"
        f"目標 {counts['goals_imported']} 件。"
    )
    return message + (f"変更のなかったシート {unchanged} 件は、そのままです。" if unchanged else "")


@login_required
@require_http_methods(["GET", "POST"])
def table_upload(request, office, year):
    """The upload form; a POSTed file is checked without writing and shown as a preview."""
    office_obj = import_office(request, office, year)
    if request.method == "GET":
        return render(
            request, "staff/import_table.html", import_context(office_obj, year, form=TableUploadForm())
        )
    form = TableUploadForm(request.POST, request.FILES)
    context = import_context(office_obj, year, form=form)
    form.is_valid()
    create_tags = bool(form.cleaned_data.get("create_tags"))
    policy = form.cleaned_data.get("policy", "")
    if form.errors.get("policy"):
        context["rejected"] = f"区役所サービス向上方針: {form.errors['policy'][0]}"
        return render(request, "staff/import_table.html", context)
    upload = request.FILES.get("file")
    try:
        kind, data = read_upload(upload, allowed={"csv", "xlsx"})
    except UploadRejected as error:
        context["rejected"] = str(error)
        return render(request, "staff/import_table.html", context)
    try:
        summary = import_table(
            file=data,
            kind=kind,
            office=office_obj,
            year=year,
            dry_run=True,
            create_tags=create_tags,
            policy=policy or None,
        )
    except TableImportError as error:
        context.update(_problems_context(problem_rows(error), filename=upload.name))
        return render(request, "staff/import_table.html", context)
    token = _keep(
        request,
        TABLE,
        office=office_obj,
        year=year,
        data=data,
        name=upload.name,
        kind=kind,
        create_tags=create_tags,
        policy=policy,
    )
    context.update(_preview_context(summary), token=token, filename=upload.name, create_tags=create_tags)
    return render(request, "staff/import_table.html", context)


@login_required
@require_POST
def table_confirm(request, office, year):
    """確定: the kept file imported for real, all or nothing, as a background job."""
    office_obj = import_office(request, office, year)
    pending = _take(request, TABLE, office=office_obj, year=year)
    if pending is None:
        return redirect(
            reverse("publishing:import_table", kwargs={"office": office_obj.slug, "year": year})
        )
    job = import_job_start(pending=pending, by=request.user)
    if job.status == ImportStatus.DONE:
        messages.success(request, success_message(job.filename, year, job.summary))
        return redirect(_dashboard_url(office_obj, year))
    if job.status == ImportStatus.FAILED and job.problems:
        context = import_context(office_obj, year, form=TableUploadForm())
        context.update(_problems_context(job.problems, job.problem_count, filename=job.filename))
        return render(request, "staff/import_table.html", context)
    return redirect(
        reverse("publishing:import_job", kwargs={"office": office_obj.slug, "year": year, "pk": job.pk})
    )


# --- past years from the published text -------------------------------------------------------


def _published_preview(office, table):
    existing = set(Department.objects.filter(office=office).values_list("name", flat=True))
    departments = [
        {"line": d.line, "name": d.name, "goals": len(d.goals), "new": d.name not in existing}
        for d in table.departments
    ]
    return {
        "policy": table.policy,
        "departments": departments,
        "department_count": len(departments),
        "new_departments": sum(d["new"] for d in departments),
        "goal_count": sum(d["goals"] for d in departments),
        "has_results": table.has_results,
    }


def _parse(data):
    return parse_published_table(data.decode("utf-8-sig"))


@login_required
@require_http_methods(["GET", "POST"])
def published_upload(request, office, year):
    """The upload form for a published text; a POSTed file is parsed and shown as a preview."""
    office_obj = import_office(request, office, year)
    if request.method == "GET":
        return render(
            request,
            "staff/import_published.html",
            import_context(office_obj, year, form=PublishedUploadForm()),
        )
    form = PublishedUploadForm(request.POST, request.FILES)
    context = import_context(office_obj, year, form=form)
    upload = request.FILES.get("file")
    try:
        _, data = read_upload(upload, allowed={"txt"})
    except UploadRejected as error:
        context["rejected"] = str(error)
        return render(request, "staff/import_published.html", context)
    context["filename"] = upload.name
    try:
        table = _parse(data)
    except PublishedTableError as error:
        context["parse_error"] = {"line": error.line, "message": error.message}
        return render(request, "staff/import_published.html", context)
    token = _keep(request, PUBLISHED, office=office_obj, year=year, data=data, name=upload.name)
    context.update(preview=_published_preview(office_obj, table), token=token)
    return render(request, "staff/import_published.html", context)


@login_required
@require_POST
def published_confirm(request, office, year):
    """確定: the kept text imported for real, all or nothing."""
    office_obj = import_office(request, office, year)
    pending = _take(request, PUBLISHED, office=office_obj, year=year)
    if pending is None:
        return redirect(
            reverse("publishing:import_published", kwargs={"office": office_obj.slug, "year": year})
        )
    context = import_context(office_obj, year, form=PublishedUploadForm(), filename=pending.filename)
    try:
        table = _parse(pending.data)
        with transaction.atomic():
            summary = import_published_table(
                office=office_obj, year=year, table=table, by=request.user
            )
    except PublishedTableError as error:
        context["parse_error"] = {"line": error.line, "message": error.message}
        return render(request, "staff/import_published.html", context)
    except TableImportError as error:
        context["rejected"] = f"{error} (何も取り込んでいません)"
        return render(request, "staff/import_published.html", context)
    counts = {
        "departments": len(table.departments),
        "departments_created": summary.departments_created,
        "sheets_imported": summary.sheets_imported,
        "goals_imported": summary.goals_imported,
        "sheets_unchanged": summary.sheets_unchanged,
    }
    messages.success(request, success_message(pending.filename, year, counts))
    return redirect(_dashboard_url(office_obj, year))
