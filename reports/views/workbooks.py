"""The Excel entry workbook: download, upload with a preview of the changes, 確定, and a zip for 総務課.

Who: whoever may write the sheet (sheet.edit): the department's editors and the office's approvers,
who upload for a department as 代理入力. A viewer sees the sheet but gets a 403; anyone who may
not see the sheet gets a 404.

Between the preview and 確定 the uploaded bytes wait as a PendingUpload (reports.imports.uploads); the
確定 form posts back only its random token, which names exactly the file that was previewed and
serves once, for this person and this sheet. 確定 parses the bytes again and saves through the
same services as the web forms, against the version written in the workbook.
"""

import io
import zipfile

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import FileResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import dateformat, timezone
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from departments.people import person_name
from departments.permissions import get_access
from goals import writing
from goals.access import get_fiscal_year, get_sheet
from goals.diff import content_changes
from goals.models import EventChannel, Phase
from goals.rules import entry_workbook_refusal
from goals.selectors import sheet_content, sheet_last_event, sheets_with_content
from goals.services import sheet_save_plan, sheet_save_results
from goals.services.editing import (
    check_version,
    plan_content_after_save,
    results_content_after_save,
)
from goals.services.errors import GoalsError, StaleSheetError
from plain.selectors import office_glossary
from reports.imports.uploads import PendingUploadError, pending_upload_keep, pending_upload_take
from reports.imports.workbook import (
    build_entry_workbook,
    entry_filename,
    entry_phase,
    read_entry_workbook,
)
from reports.models import PendingUploadFlavor
from wardservice.uploads import MAX_UPLOAD_BYTES, UploadRejected, read_upload

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def _entry_sheet(request, office, year, code):
    """The sheet for whoever may write it: its editors, the office's approvers (viewers 403)."""
    return get_sheet(request, office, year, code, permission="sheet.edit")


def _urls(sheet):
    kwargs = {
        "office": sheet.fiscal_year.office.slug,
        "year": sheet.fiscal_year.year,
        "code": sheet.department.code,
    }
    return {
        "download": reverse("publishing:entry_workbook", kwargs=kwargs),
        "upload": reverse("publishing:entry_upload", kwargs=kwargs),
        "confirm": reverse("publishing:entry_confirm", kwargs=kwargs),
        "sheet": reverse("goals:sheet", kwargs=kwargs),
    }


@login_required
@require_GET
@never_cache
def download(request, office, year, code):
    sheet = _entry_sheet(request, office, year, code)
    data = build_entry_workbook(sheet)
    return FileResponse(
        io.BytesIO(data), as_attachment=True, filename=entry_filename(sheet), content_type=XLSX
    )


def outdated_workbook(sheet, file_version) -> str:
    """Why a workbook made from an earlier version of the sheet is refused, and what to do: the
    file is on the person's computer, untouched; a new one is made from the sheet as it is now."""
    if file_version > sheet.version:
        return (
            f"このファイルの版 (第{file_version}版) がシート (第{sheet.version}版) と合いません。ファイルの内容は"
            "取り込んでいません。最新の記入用ファイルをダウンロードし、灰色のセルは変更せずに入力してください。"
        )
    last = sheet_last_event(sheet)
    when = f"{dateformat.format(timezone.localtime(last.created_at), 'Y年n月j日 H:i')} に" if last else ""
    who = f"{person_name(last.actor)} さんが" if last and last.actor else ""
    changed = f"{who}{when}シートを更新しました" if who else f"{when}シートが更新されています"
    return (
        f"このファイルは、シートの今の内容より古い版から作られています (ファイルは第{file_version}版、"
        f"シートは第{sheet.version}版)。ファイルのダウンロード後に、{changed}。ファイルの内容は取り込んでいません。"
        "最新の記入用ファイルをダウンロードし、入力し直してからアップロードしてください。"
    )


def _render_upload(request, sheet, *, problems=(), error="", outdated=False, status=200):
    return render(
        request,
        "staff/entry_upload.html",
        {
            "sheet": sheet,
            "fiscal_year": sheet.fiscal_year,
            "phase_label": entry_phase(sheet).label,
            "refusal": entry_workbook_refusal(sheet),
            "problems": problems,
            "error": error,
            "outdated": outdated,
            "urls": _urls(sheet),
            "max_mb": MAX_UPLOAD_BYTES // (1024 * 1024),
        },
        status=status,
    )


@login_required
@require_http_methods(["GET", "POST"])
@never_cache
def upload(request, office, year, code):
    """GET: the upload form. POST: check and read the file, then show what saving it would change."""
    sheet = _entry_sheet(request, office, year, code)
    if request.method == "GET":
        return _render_upload(request, sheet)
    refusal = entry_workbook_refusal(sheet)
    if refusal:
        return _render_upload(request, sheet, error=refusal, status=400)
    try:
        _kind, data = read_upload(request.FILES.get("workbook"), allowed={"xlsx"})
    except UploadRejected as error:
        return _render_upload(request, sheet, error=str(error), status=400)
    inputs, version, problems = read_entry_workbook(data, sheet)
    if problems:
        return _render_upload(request, sheet, problems=problems, status=400)
    try:
        check_version(sheet, version)
    except StaleSheetError as error:
        return _render_upload(request, sheet, error=outdated_workbook(error.sheet, version), outdated=True, status=409)

    pending = pending_upload_keep(
        owner=request.user,
        flavor=PendingUploadFlavor.ENTRY_WORKBOOK,
        office=sheet.fiscal_year.office,
        year=sheet.fiscal_year.year,
        sheet=sheet,
        data=data,
        filename=getattr(request.FILES.get("workbook"), "name", ""),
    )
    phase, current = entry_phase(sheet), sheet_content(sheet)
    if phase == Phase.PLAN:
        after = plan_content_after_save(sheet=sheet, goals=inputs, current=current)
    else:
        after = results_content_after_save(sheet=sheet, results=inputs, current=current)
    changes = content_changes(current, after, with_results=phase == Phase.RESULT)
    return render(
        request,
        "staff/entry_preview.html",
        {
            "sheet": sheet,
            "fiscal_year": sheet.fiscal_year,
            "phase_label": phase.label,
            "changes": changes,
            "has_changes": any(c.kind != "unchanged" for c in changes),
            "token": pending.token,
            "version": version,
            "urls": _urls(sheet),
            # やさしい日本語: the file's texts as they would be saved, field by field
            "writing_hints": writing.analyse_fields(
                writing.content_texts(after, phase), office_glossary(sheet.fiscal_year.office)
            ),
        },
    )


@login_required
@require_POST
def confirm(request, office, year, code):
    """Save the previewed workbook as a draft, against the version written in it."""
    sheet = _entry_sheet(request, office, year, code)
    urls = _urls(sheet)
    try:
        pending = pending_upload_take(
            token=request.POST.get("token", ""),
            owner=request.user,
            flavor=PendingUploadFlavor.ENTRY_WORKBOOK,
            office=sheet.fiscal_year.office,
            year=sheet.fiscal_year.year,
            sheet=sheet,
        )
    except PendingUploadError as error:
        messages.error(request, str(error))
        return redirect(urls["upload"])
    inputs, version, problems = read_entry_workbook(pending.data, sheet)
    if problems or version is None:
        messages.error(
            request, "ファイルの内容に問題があります。もう一度アップロードしてください。"
        )
        return redirect(urls["upload"])
    try:
        # Recorded as the uploader's save through Excel: whoever uploads a department's content
        # is its author and cannot approve it.
        if entry_phase(sheet) == Phase.PLAN:
            sheet_save_plan(
                sheet=sheet,
                goals=inputs,
                expected_version=version,
                by=request.user,
                channel=EventChannel.WORKBOOK,
            )
        else:
            sheet_save_results(
                sheet=sheet,
                results=inputs,
                expected_version=version,
                by=request.user,
                channel=EventChannel.WORKBOOK,
            )
    except StaleSheetError as error:
        messages.error(request, outdated_workbook(error.sheet, version))
        return redirect(urls["upload"])
    except GoalsError as error:
        messages.error(request, str(error))
        return redirect(urls["upload"])
    messages.success(
        request,
        "Excelファイルの内容を下書きとして保存しました。内容を確認してから提出してください。",
    )
    return redirect(urls["sheet"])


@login_required
@require_GET
@never_cache
def workbooks_zip(request, office, year):
    """Every department's workbook of the year in one zip, for 総務課 (approvers)."""
    fiscal_year = get_fiscal_year(request, office, year, permission="office.view")
    if not get_access(request).has("sheet.review", office=fiscal_year.office):
        raise PermissionDenied
    output = io.BytesIO()
    with zipfile.ZipFile(output, "w", zipfile.ZIP_DEFLATED) as archive:
        for sheet in sheets_with_content(fiscal_year=fiscal_year).select_related(
            "fiscal_year__office"
        ):
            archive.writestr(entry_filename(sheet), build_entry_workbook(sheet))
    filename = f"{fiscal_year.year}_{fiscal_year.office.slug}_記入用.zip"
    return FileResponse(
        io.BytesIO(output.getvalue()),
        as_attachment=True,
        filename=filename,
        content_type="application/zip",
    )
