"""Uploads waiting for 確定: kept as PendingUpload rows, not in the session; one token, one use.

Through the pages (entry workbook, データ import, published text) and through the service
functions of reports.imports.uploads: another person's token, another page's token, an expired token
and a used token are refused with a Japanese message and write nothing; the session stays small.
"""

import datetime
import hashlib
from importlib import import_module

import pytest
from django.conf import settings
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import timezone

from departments.models import Role
from goals.models import FiscalYear, Goal, GoalSheet
from goals.selectors import sheet_content
from reports.imports.uploads import (
    PendingUploadError,
    pending_upload_keep,
    pending_upload_take,
    pending_uploads_cleanup,
)
from reports.models import PendingUpload, PendingUploadFlavor
from tests.factories import UserFactory
from tests.personas import KUMIN, SOUMU, client_for, member
from tests.reports.entry_helpers import (
    confirm,
    download,
    fill,
    upload,
    url,
)
from tests.reports.import_helpers import seed_csv
from tests.seed import SEED

MISSING = "取り込むファイルが見つかりません"
EXPIRED = "アップロードしてから1時間を過ぎたため、確定できませんでした。何も保存していません。"
LONG_OBJECTIVE = "来庁者に分かりやすい案内を行い、待ち時間を短くします。" * 14  # 392 characters


def previewed(client, sheet, objective="窓口の案内を分かりやすくします。"):
    response = upload(client, sheet, fill(download(client, sheet), {0: {"目標": objective}}))
    assert response.status_code == 200, response.content.decode()
    return response


def expire(token):
    PendingUpload.objects.filter(token=token).update(
        created_at=timezone.now() - PendingUpload.EXPIRES_AFTER - datetime.timedelta(seconds=1)
    )


def session_size(client) -> int:
    """Bytes of the client's session as the session engine stores it."""
    store = import_module(settings.SESSION_ENGINE).SessionStore(
        session_key=client.cookies[settings.SESSION_COOKIE_NAME].value
    )
    return len(store.encode(store.load()))


def import_url(name, year=2019):
    return reverse(f"publishing:{name}", kwargs={"office": "nakahara", "year": year})


def post_import(client, name, data, filename):
    return client.post(import_url(name), {"file": SimpleUploadedFile(filename, data)})


# --- the entry workbook ---------------------------------------------------------------------------


def test_the_upload_waits_in_the_database_not_in_the_session(editor, sheet):
    client = client_for(editor)
    response = previewed(client, sheet, LONG_OBJECTIVE)
    pending = PendingUpload.objects.get()
    data = bytes(pending.data)
    assert (pending.owner, pending.sheet, pending.flavor) == (
        editor,
        sheet,
        PendingUploadFlavor.ENTRY_WORKBOOK,
    )
    assert pending.sha256 == hashlib.sha256(data).hexdigest() and pending.size == len(data)
    assert pending.filename == "記入.xlsx"
    assert response.context["token"] == pending.token and len(pending.token) >= 40
    assert f'name="token" value="{pending.token}"' in response.content.decode()
    assert len(data) > 5000
    assert session_size(client) < 1000  # login and CSRF only; the workbook was ~len(data) * 4/3


def test_the_token_serves_once(editor, sheet):
    client = client_for(editor)
    response = previewed(client, sheet)
    assert confirm(client, sheet, response).status_code == 302
    assert not PendingUpload.objects.exists()
    version = GoalSheet.objects.get(pk=sheet.pk).version

    again = confirm(client, sheet, response, follow=True)

    assert MISSING in again.content.decode()
    assert GoalSheet.objects.get(pk=sheet.pk).version == version


def test_another_persons_token_is_refused_and_left_alone(editor, approver, sheet):
    response = previewed(client_for(editor), sheet)
    before = sheet_content(sheet)

    refused = confirm(client_for(approver), sheet, response, follow=True)

    assert MISSING in refused.content.decode()
    assert sheet_content(sheet) == before and not Goal.objects.filter(sheet=sheet).exists()
    assert PendingUpload.objects.filter(token=response.context["token"], owner=editor).exists()


def test_a_token_for_another_sheet_is_refused(approver, year, sheet):
    client = client_for(approver)
    response = previewed(client, sheet)
    other = year.sheets.get(department__name=KUMIN)

    refused = client.post(url("entry_confirm", other), {"token": response.context["token"]})

    assert refused.status_code == 302 and refused["Location"] == url("entry_upload", other)
    assert not Goal.objects.filter(sheet__in=[sheet, other]).exists()
    assert PendingUpload.objects.filter(token=response.context["token"]).exists()


def test_an_expired_token_is_refused_with_a_message(editor, sheet):
    client = client_for(editor)
    response = previewed(client, sheet)
    expire(response.context["token"])
    version = GoalSheet.objects.get(pk=sheet.pk).version

    refused = confirm(client, sheet, response, follow=True)

    assert refused.redirect_chain[-1][0] == url("entry_upload", sheet)
    assert EXPIRED in refused.content.decode()
    assert 'type="file"' in refused.content.decode()  # upload again from here
    assert not Goal.objects.filter(sheet=sheet).exists()
    assert GoalSheet.objects.get(pk=sheet.pk).version == version
    assert not PendingUpload.objects.exists()


def test_a_second_upload_replaces_the_first_preview(editor, sheet):
    client = client_for(editor)
    first = previewed(client, sheet, "一つ目のファイルです。")
    second = previewed(client, sheet, "二つ目のファイルです。")
    assert PendingUpload.objects.get().token == second.context["token"]

    assert MISSING in confirm(client, sheet, first, follow=True).content.decode()
    assert not Goal.objects.filter(sheet=sheet).exists()
    assert confirm(client, sheet, second).status_code == 302
    assert Goal.objects.get(sheet=sheet).objective == "二つ目のファイルです。"


# --- the import pages -----------------------------------------------------------------------------


@pytest.fixture
def importer(seed_year):
    return member(SOUMU, Role.APPROVER)


def test_data_table_preview_keeps_the_file_out_of_the_session(client, seed_year, importer):
    client.force_login(importer)
    data = seed_csv(seed_year)
    response = post_import(client, "import_table", data, "nakahara-2019.csv")
    assert response.context["preview"]
    pending = PendingUpload.objects.get(token=response.context["token"])
    assert bytes(pending.data) == data and len(data) > 20_000
    assert pending.options == {"kind": "csv", "create_tags": False, "policy": ""}
    assert (pending.flavor, pending.office, pending.year, pending.sheet) == (
        PendingUploadFlavor.DATA_TABLE,
        seed_year.office,
        2019,
        None,
    )
    assert session_size(client) < 1000


def test_data_table_token_of_another_approver_is_refused(client, seed_year, importer):
    client.force_login(importer)
    token = post_import(client, "import_table", seed_csv(seed_year), "a.csv").context["token"]
    client.force_login(member(SOUMU, Role.APPROVER))

    response = client.post(import_url("import_table_confirm"), {"token": token}, follow=True)

    assert MISSING in response.content.decode()
    assert not FiscalYear.objects.filter(year=2019).exists()


def test_data_table_expired_token_is_refused(client, seed_year, importer):
    client.force_login(importer)
    token = post_import(client, "import_table", seed_csv(seed_year), "a.csv").context["token"]
    expire(token)

    response = client.post(import_url("import_table_confirm"), {"token": token}, follow=True)

    assert EXPIRED in response.content.decode()
    assert not FiscalYear.objects.filter(year=2019).exists()
    assert not PendingUpload.objects.exists()


def test_published_text_token_is_for_its_own_page_only(client, seed_year, importer):
    client.force_login(importer)
    response = post_import(client, "import_published", SEED.read_bytes(), "2019.txt")
    token = response.context["token"]
    assert session_size(client) < 1000

    # Not for the データ page, and not for another year.
    for confirm_url in (
        import_url("import_table_confirm"),
        import_url("import_published_confirm", year=2018),
    ):
        refused = client.post(confirm_url, {"token": token}, follow=True)
        assert MISSING in refused.content.decode()
    assert not FiscalYear.objects.filter(year__in=[2018, 2019]).exists()

    done = client.post(import_url("import_published_confirm"), {"token": token})
    assert done.status_code == 302
    assert FiscalYear.objects.get(office=seed_year.office, year=2019).sheets.count() == 17

    again = client.post(import_url("import_published_confirm"), {"token": token}, follow=True)
    assert MISSING in again.content.decode()


# --- the service functions ------------------------------------------------------------------------


def keep(owner, office, year=2019):
    return pending_upload_keep(
        owner=owner,
        flavor=PendingUploadFlavor.PUBLISHED_TEXT,
        office=office,
        year=year,
        data=b"data",
        filename="a.txt",
    )


def test_cleanup_deletes_only_expired_uploads(seed_year, importer):
    office = seed_year.office
    other = member(KUMIN)
    fresh, old = keep(importer, office), keep(other, office)
    expire(old.token)

    assert pending_uploads_cleanup() == 1
    assert list(PendingUpload.objects.values_list("token", flat=True)) == [fresh.token]
    assert pending_uploads_cleanup() == 0


def test_a_new_upload_deletes_expired_ones(seed_year, importer):
    office = seed_year.office
    other = member(KUMIN)
    mine, theirs = keep(importer, office), keep(other, office, year=2018)
    expire(mine.token)
    expire(theirs.token)

    newest = pending_upload_keep(
        owner=importer,
        flavor=PendingUploadFlavor.DATA_TABLE,
        office=office,
        year=2019,
        data=b"x",
        filename="b.csv",
    )

    assert list(PendingUpload.objects.all()) == [newest]


def test_take_checks_every_part_of_the_page(seed_year, importer):
    office = seed_year.office
    pending = keep(importer, office)
    page = {
        "owner": importer,
        "flavor": PendingUploadFlavor.PUBLISHED_TEXT,
        "office": office,
        "year": 2019,
    }
    for wrong in (
        {"owner": member(KUMIN)},
        {"flavor": PendingUploadFlavor.DATA_TABLE},
        {"year": 2020},
        {"sheet": seed_year.sheets.first()},
    ):
        with pytest.raises(PendingUploadError, match=MISSING):
            pending_upload_take(token=pending.token, **{**page, **wrong})
    for token in ("", "x" * 65, pending.token[:-1]):
        with pytest.raises(PendingUploadError, match=MISSING):
            pending_upload_take(token=token, **page)

    taken = pending_upload_take(token=pending.token, **page)

    assert taken.data == b"data" and taken.filename == "a.txt"
    with pytest.raises(PendingUploadError, match=MISSING):
        pending_upload_take(token=pending.token, **page)


def test_a_token_just_inside_the_hour_is_accepted(seed_year, importer):
    pending = keep(importer, seed_year.office)
    PendingUpload.objects.filter(pk=pending.pk).update(
        created_at=timezone.now() - PendingUpload.EXPIRES_AFTER + datetime.timedelta(seconds=30)
    )
    taken = pending_upload_take(
        token=pending.token,
        owner=importer,
        flavor=PendingUploadFlavor.PUBLISHED_TEXT,
        office=seed_year.office,
        year=2019,
    )
    assert taken.pk == pending.pk


def test_the_admin_lists_pending_uploads_read_only(client, seed_year, importer):
    pending = keep(importer, seed_year.office)
    admin = UserFactory(is_staff=True, is_superuser=True)
    client.force_login(admin)
    listing = client.get(reverse("admin:reports_pendingupload_changelist"))
    assert listing.status_code == 200
    assert "a.txt" in listing.content.decode()
    detail = client.get(reverse("admin:reports_pendingupload_change", args=[pending.pk]))
    assert detail.status_code == 200
    assert pending.token not in detail.content.decode()
    assert client.get(reverse("admin:reports_pendingupload_add")).status_code == 403
