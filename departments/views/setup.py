"""部署と区分の取込 for 総務課: the office's departments and 区分 from a file, previewed, then written.

/staff/<office>/setup/import/ — approvers of the office (year.manage; a viewer gets a 403,
anyone else a 404). GET shows the form and the files to download (goals.office_list_files). A
POSTed file is checked (wardservice.uploads), read and checked against the office without
writing anything (goals.services.office_lists), and shown as a preview. Its 確定 form posts the
checked lists back, signed (django.core.signing): only for this person and this office, within
the hour, and never altered. 確定 checks them again against the office as it is then and writes
them in one transaction; where the office changed since the preview, it shows the new preview
instead of writing what nobody saw.

The page works on goals' 区分 as well as departments, so this view reaches into goals: the
setup pages of 総務課 live here (departments.urls), the writing in goals.services.office_lists.
"""

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core import signing
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import content_disposition_header
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from departments.department_list import Action
from departments.models import Office
from departments.permissions import require
from goals.office_list_files import FILES, office_list_file
from goals.services.office_lists import (
    LAYOUTS,
    OfficeListsChanged,
    OfficeListsError,
    SourceFile,
    office_lists_apply,
    office_lists_plan,
    office_lists_read,
)
from wardservice.tabular import tables_dump, tables_load
from wardservice.uploads import MAX_UPLOAD_BYTES, UploadRejected, read_upload

PREVIEW_MAX_AGE = 60 * 60  # seconds between the preview and its 確定
PREVIEW_PROBLEMS = 200  # listed; the rest are counted
_ACCEPT = ".csv,.xlsx,text/csv,application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


class OfficeListsUploadForm(forms.Form):
    file = forms.FileField(
        label="ファイル",
        required=False,
        widget=forms.ClearableFileInput(attrs={"accept": _ACCEPT}),
        help_text=(
            f"Excel (.xlsx: シート「部署」「区分」) か CSV (部署の一覧か区分の一覧)。{MAX_UPLOAD_BYTES // (1024 * 1024)} MB まで。"
            "CSV は UTF-8 でも、Excel の「CSV (コンマ区切り)」(Shift_JIS) でもかまいません。"
        ),
    )
    second_file = forms.FileField(
        label="2つ目のファイル (CSV で部署と区分を別々のファイルにしたとき)",
        required=False,
        widget=forms.ClearableFileInput(attrs={"accept": _ACCEPT}),
    )
    deactivate_missing = forms.BooleanField(
        label="一覧にない部署を無効にする",
        required=False,
        help_text=(
            "無効にした部署は、次に開始する年度から目標シートが作られません。削除はしないので、過去の年度の表や"
            "今の年度のシートはそのまま残ります。チェックしなければ、一覧にない部署は今のままです。"
        ),
    )


def _office(request, slug):
    office = Office.objects.filter(slug=slug).first()
    if office is None:
        raise Http404
    require(request, "year.manage", office=office, visible_with="office.view")
    return office


def _page_url(office):
    return reverse("departments:setup_import", kwargs={"office": office.slug})


def _salt(request, office):
    return f"departments.setup.import:{office.pk}:{request.user.pk}"


def _render(request, office, **context):
    return render(
        request,
        "staff/setup_import.html",
        {
            "office": office,
            "form": context.pop("form", None) or OfficeListsUploadForm(),
            "downloads": [(name, label) for name, (label, _kind, _layout) in FILES.items()],
            **context,
        },
    )


@login_required
@require_http_methods(["GET", "POST"])
def setup_import(request, office):
    """The form; a POSTed file is read and checked without writing, and shown as a preview."""
    office = _office(request, office)
    if request.method == "GET":
        return _render(request, office)
    form = OfficeListsUploadForm(request.POST, request.FILES)
    form.is_valid()
    deactivate_missing = bool(form.cleaned_data.get("deactivate_missing"))
    files = []
    for name in ("file", "second_file"):
        upload = request.FILES.get(name)
        if upload is None:
            continue
        try:
            kind, data = read_upload(upload, allowed={"csv", "xlsx"}, shift_jis=True)
        except UploadRejected as error:
            form.add_error(name, f"{upload.name}: {error}")
        else:
            files.append(SourceFile(name=upload.name, kind=kind, data=data))
    if not files and not form.errors:
        form.add_error("file", "取り込むファイルを選んでください。")
    if form.errors:
        return _render(request, office, form=form)
    try:
        tables = office_lists_read(files)
        plan = office_lists_plan(
            office=office, tables=tables, deactivate_missing=deactivate_missing
        )
    except OfficeListsError as error:
        return _render(request, office, form=form, **_problems(error, files))
    return _preview(request, office, tables, plan, files=[file.name for file in files])


def _problems(error, files):
    return {
        "problems": error.problems[:PREVIEW_PROBLEMS],
        "problem_count": len(error.problems),
        "more_problems": max(0, len(error.problems) - PREVIEW_PROBLEMS),
        "filenames": [getattr(file, "name", file) for file in files],
    }


def _preview(request, office, tables, plan, *, files):
    token = signing.dumps(
        {
            "tables": tables_dump(tables),
            "deactivate_missing": plan.deactivate_missing,
            "digest": plan.digest(),
            "files": files,
        },
        salt=_salt(request, office),
        compress=True,
    )
    return _render(
        request, office, plan=plan, preview=_preview_context(plan), token=token, filenames=files
    )


def _preview_context(plan):
    """The plan's lines by what happens to them, for the page."""
    departments = plan.departments.lines if plan.departments else []
    categories = plan.categories or []

    def by(lines, *actions):
        return [line for line in lines if line.action in actions]

    return {
        "departments_given": plan.departments is not None,
        "categories_given": plan.categories is not None,
        "department_writes": by(departments, Action.CREATE, Action.CHANGE, Action.DEACTIVATE),
        "department_same": by(departments, Action.SAME),
        "department_kept": by(departments, Action.KEEP),
        "department_counts": {
            action.name.lower(): len(by(departments, action)) for action in Action
        },
        "category_writes": by(categories, Action.CREATE, Action.CHANGE),
        "category_same": by(categories, Action.SAME),
        "category_kept": by(categories, Action.KEEP),
        "category_counts": {action.name.lower(): len(by(categories, action)) for action in Action},
        "new_categories_year": plan.newest_year if plan.new_categories() else None,
    }


@login_required
@require_POST
def setup_import_confirm(request, office):
    """確定: the previewed lists checked again and written, all or nothing."""
    office = _office(request, office)
    try:
        kept = signing.loads(
            request.POST.get("token", ""), salt=_salt(request, office), max_age=PREVIEW_MAX_AGE
        )
        tables = tables_load(kept["tables"], LAYOUTS)
    except signing.SignatureExpired:
        messages.error(
            request,
            "確認の画面を表示してから1時間を過ぎたため、確定できませんでした。何も変更していません。もう一度ファイルを選んでください。",
        )
        return redirect(_page_url(office))
    except (signing.BadSignature, ValueError, KeyError, TypeError):
        messages.error(
            request,
            "確定する内容が見つかりません。何も変更していません。もう一度ファイルを選んでください。",
        )
        return redirect(_page_url(office))
    files = [str(name) for name in kept.get("files", [])]
    try:
        plan = office_lists_apply(
            office=office,
            tables=tables,
            deactivate_missing=bool(kept["deactivate_missing"]),
            expected_digest=kept["digest"],
        )
    except OfficeListsChanged as changed:
        messages.warning(request, str(changed))
        return _preview(request, office, tables, changed.plan, files=files)
    except OfficeListsError as error:
        return _render(request, office, **_problems(error, files))
    messages.success(request, plan.done_message())
    return redirect(reverse("goals:years", kwargs={"office": office.slug}))


@login_required
@require_GET
def setup_file(request, office, filename):
    """A template with an example, or the office's lists as registered now (goals.office_list_files)."""
    office = _office(request, office)
    download = office_list_file(filename, office=office)
    if download is None:
        raise Http404
    response = HttpResponse(download.content, content_type=download.content_type)
    response["Content-Disposition"] = content_disposition_header(True, download.filename)
    return response
