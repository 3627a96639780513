"""人事異動 from a file (departments.staff.transfers through its pages): the preview row by row, the
problems in Japanese, 確定 all or nothing, CP932 and Excel files, and changes effective on their
date (applied by `manage.py housekeeping`)."""

import io
import re
from datetime import date, datetime, timedelta

import pytest
from django.contrib.auth import get_user_model
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command
from django.test import Client
from django.urls import reverse
from django.utils import timezone
from openpyxl import Workbook

from departments.models import Membership, Role, StaffChange, StaffProfile, TransferUpload
from departments.staff.dates import parse_day
from departments.staff.selectors import memberships_on
from goals.models import Phase
from goals.services import GoalInput, sheet_save_plan, sheet_submit
from tests.departments.staff_helpers import body, log_in, url
from tests.factories import GoalSheetFactory
from tests.personas import client_for

pytestmark = pytest.mark.django_db

HEADER = "職員番号,氏名,メール,部署コード,役割,異動日"
TODAY = timezone.localdate


def csv_file(*lines, encoding="utf-8", name="jinji.csv"):
    return SimpleUploadedFile(name, "\r\n".join([HEADER, *lines, ""]).encode(encoding))


def upload(ward, file, who="approver"):
    return client_for(ward[who]).post(url("transfers", ward), {"file": file})


def confirm(ward, preview, who="approver"):
    token = re.search(r'name="upload" value="(\d+)"', body(preview)).group(1)
    return client_for(ward[who]).post(url("transfers_confirm", ward), {"upload": token}, follow=True)


def state(ward):
    """Every membership of the office and every account's activity, to compare before and after."""
    return (
        sorted(Membership.objects.filter(department__office=ward["office"]).values_list("user__username", "department__code", "role")),
        sorted(get_user_model().objects.values_list("username", "is_active", "last_name")),
        StaffChange.objects.count(),
    )


def day(offset=0):
    return (TODAY() + timedelta(days=offset)).isoformat()


def test_a_file_is_previewed_row_by_row_then_confirmed(ward):
    preview = upload(ward, csv_file(
        f"1002,,,003,部署担当者,{day()}",  # 企画 進: 企画課 → 区民課
        f"1004,,,002,承認者,{day()}",  # 閲覧 見子: 閲覧者 → 承認者 in the same department
        f"1003,区民 窓子,,003,部署担当者,{day()}",  # as she is
        f"2001,新任 一郎,shinnin@example.jp,002・003,担当者,{day()}",  # new, in two departments
        f"1001,,,,退職,{day(30)}",  # 承認 花子 leaves in a month (閲覧 見子 will be approver)
    ))
    page = body(preview)
    assert preview.status_code == 200 and "取込内容の確認" in page and "まだ何も変更していません" in page
    for text in ("新規: 1 人", "異動: 1 人", "役割の変更: 1 人", "退職: 1 人", "変更なし: 1 人"):
        assert text in page
    assert "総務部 企画課 (部署担当者)" in page and "新しいアカウント 2001" in page
    before = state(ward)
    assert state(ward) == before  # the preview wrote nothing

    done = confirm(ward, preview)
    assert "すぐに適用 3 人、異動日に適用 1 人、変更なし 1 人 (新しく登録した職員 1 人を含みます)" in body(done)
    memberships = state(ward)[0]
    assert ("kikaku", "003", Role.EDITOR) in memberships and ("kikaku", "002", Role.EDITOR) not in memberships
    assert ("etsuran", "002", Role.APPROVER) in memberships
    assert ("2001", "002", Role.EDITOR) in memberships and ("2001", "003", Role.EDITOR) in memberships
    newcomer = get_user_model().objects.get(username="2001")
    assert newcomer.is_active and not newcomer.has_usable_password() and newcomer.email == "shinnin@example.jp"
    assert StaffProfile.objects.get(user=newcomer).employee_number == "2001"
    assert ward["approver"].memberships.exists()  # her date has not come
    assert StaffChange.objects.filter(user=ward["approver"], applied_at__isnull=True).count() == 1
    assert not TransferUpload.objects.exists()


@pytest.mark.parametrize(
    "line, column, message",
    [
        ("1002,,,099,部署担当者,{today}", "部署コード", "部署コード「099」の部署は試験区役所にありません。"),
        ("1002,,,002,課長,{today}", "役割", "役割「課長」はありません。部署担当者・承認者・閲覧者、または退職・転出のいずれかを入力してください。"),
        ("1002,,,002,部署担当者,2025/2/30", "異動日", "異動日「2025/2/30」はありえない日付です。"),
        ("1002,,,002,部署担当者,来月", "異動日", "異動日「来月」を日付として読めません。"),
        ("1002,,,002,部署担当者,", "異動日", "異動日を入力してください"),
        ("1002,,,,部署担当者,{today}", "部署コード", "部署コードを入力してください"),
        ("1002,,,⁹ " + "9" * 5000 + ",部署担当者,{today}", "部署コード", "部署コード「9」の部署は試験区役所にありません。"),
        (",,,002,部署担当者,{today}", "職員番号", "職員番号を入力してください。"),
        ("9999,,,,退職,{today}", "職員番号", "職員番号 9999 の職員は登録されていません"),
        ("9999,,,002,部署担当者,{today}", "氏名", "新しい職員の氏名を入力してください"),
        ("1002,企画\u202e進,,002,部署担当者,{today}", "氏名", "文字の向きを変える制御文字"),
        ("1002,,kikaku@,002,部署担当者,{today}", "メール", "メールアドレス「kikaku@」の形式が正しくありません"),
        ("9999,新任 一郎,,002,部署担当者,{today}\r\n9999,新任 二郎,,003,部署担当者,{today}", "職員番号", "職員番号 9999 は 3 行目にもあります。1人につき1行にしてください。"),
        ("1001,,,001,部署担当者,{today}", "", "あなたの承認者の役割を外すと、試験区役所に承認者が1人もいなくなります。"),
    ],
)
def test_a_file_with_any_problem_changes_nothing(ward, line, column, message):
    before = state(ward)
    good = f"1003,,,002,部署担当者,{day()}"  # a good row beside the bad one: not applied either
    response = upload(ward, csv_file(good, line.format(today=day())))
    page = body(response)
    assert "取り込めません" in page and message in page and "何も変更していません" in page
    if column:
        assert re.search(rf"<td>\d+</td><td>{column}</td>", page)
    assert state(ward) == before and not TransferUpload.objects.exists()


def test_a_missing_column_is_named(ward):
    file = SimpleUploadedFile("jinji.csv", "職員番号,氏名,部署コード,役割\r\n1002,,002,部署担当者\r\n".encode())
    page = body(upload(ward, file))
    assert "1行目に見出し「メール」「異動日」の列がありません。" in page


def test_too_many_rows_are_refused_before_any_is_checked(ward):
    lines = [f"{5000 + n},試験 {n},,002,閲覧者,{day()}" for n in range(3001)]
    page = body(upload(ward, csv_file(*lines)))
    assert "行が多すぎます (3,000 行まで)。ファイルを分けてください。" in page


def test_excel_csv_in_shift_jis_is_read(ward):
    # 髙 is one of the characters CP932 has and Shift_JIS proper does not.
    file = csv_file(f"2002,髙橋 花子,,003,閲覧者,{day()}", f"1002,企画　進,,003,部署担当者,{day()}", encoding="cp932")
    preview = upload(ward, file)
    page = body(preview)
    assert "髙橋 花子" in page and "新規: 1 人" in page and "異動: 1 人" in page
    confirm(ward, preview)
    user = get_user_model().objects.get(username="2002")
    assert (user.last_name, user.first_name) == ("髙橋", "花子")


def test_text_in_no_known_encoding_is_refused(ward):
    file = SimpleUploadedFile("jinji.csv", HEADER.encode() + b"\r\n1002,\x81\x20,,003,x,2025-04-01\r\n")
    page = body(upload(ward, file))
    assert "文字コードが UTF-8 でも Shift_JIS でもないため読めません" in page


def xlsx_file(rows, sheet="人事異動"):
    workbook = Workbook()
    workbook.active.title = "説明"
    workbook.active.append(["このシートは読みません"])
    data = workbook.create_sheet(sheet)
    data.append(["所属名", *HEADER.split(",")])  # an extra column, read past
    for row in rows:
        data.append(row)
    buffer = io.BytesIO()
    workbook.save(buffer)
    return SimpleUploadedFile("jinji.xlsx", buffer.getvalue())


def test_an_excel_file_with_dates_and_numbers_as_excel_keeps_them(ward):
    # Excel keeps 1002 and 003 as numbers (dropping the zeros) and 異動日 as a date.
    preview = upload(ward, xlsx_file([["区民課", 1002, None, None, 3, "部署担当者", datetime.combine(TODAY(), datetime.min.time())]]))
    page = body(preview)
    assert "異動: 1 人" in page and "次の列は読み飛ばしました: 所属名" in page
    confirm(ward, preview)
    assert list(ward["editor"].memberships.values_list("department__code", flat=True)) == ["003"]


def test_a_change_dated_later_waits_for_its_date_then_housekeeping_applies_it(ward):
    later = TODAY() + timedelta(days=7)
    preview = upload(ward, csv_file(f"1002,,,003,部署担当者,{later:%Y/%m/%d}", f"1003,,,,退職,{later.isoformat()}"))
    assert "(予定)" in body(preview)
    confirm(ward, preview)
    editor, leaver = ward["editor"], ward["kumin_editor"]
    assert list(editor.memberships.values_list("department__code", flat=True)) == ["002"]
    browser = Client()
    assert log_in(browser, "kumin", "test-pass-2020")

    out = io.StringIO()
    call_command("housekeeping", stdout=out)  # the night before: nothing is due
    assert "異動日が来た人事異動: 0件を適用しました" in out.getvalue()

    StaffChange.objects.filter(effective_on=later).update(effective_on=TODAY())  # the day comes
    call_command("housekeeping", "--dry-run", stdout=out)
    assert "異動日が来た人事異動: 2件を適用する予定です" in out.getvalue()
    assert editor.memberships.get().department.code == "002"
    call_command("housekeeping", stdout=out)
    assert "異動日が来た人事異動: 2件を適用しました" in out.getvalue()
    assert list(editor.memberships.values_list("department__code", flat=True)) == ["003"]
    leaver.refresh_from_db()
    assert not leaver.is_active and not leaver.memberships.exists()
    assert browser.get(reverse("goals:home"))["Location"].startswith("/accounts/login/")
    assert not log_in(Client(), "kumin", "test-pass-2020")


def test_a_past_timeline_still_names_the_leaver_and_the_history_says_where_they_were(ward):
    leaver = ward["kumin_editor"]
    sheet = GoalSheetFactory(fiscal_year__office=ward["office"], department=ward["kumin"])
    sheet = sheet_save_plan(
        sheet=sheet, goals=[GoalInput(1, "窓口の待ち時間を短くします。")], expected_version=sheet.version, by=leaver
    )
    sheet_submit(sheet=sheet, phase=Phase.PLAN, by=leaver)
    while_there = timezone.now()
    confirm(ward, upload(ward, csv_file(f"1003,,,,退職,{day()}")))
    leaver.refresh_from_db()
    assert not leaver.is_active

    page = client_for(ward["approver"]).get(
        reverse("goals:sheet", kwargs={"office": "shiken", "year": sheet.fiscal_year.year, "code": "003"})
    )
    assert "区民 窓子" in body(page)
    assert (leaver.pk, ward["kumin"].pk, Role.EDITOR) in memberships_on(office=ward["office"], moment=while_there)
    assert leaver.pk not in {user for user, _, _ in memberships_on(office=ward["office"], moment=timezone.now())}


def test_confirming_checks_the_rows_again_against_the_staff_of_then(ward):
    preview = upload(ward, csv_file(f"2003,新任 三郎,,002,部署担当者,{day()}"))
    get_user_model().objects.create(username="2003")  # someone took the account name meanwhile
    page = body(confirm(ward, preview))
    assert "確認した後に職員の情報が変わったため、確定できませんでした。" in page
    assert "アカウント名「2003」は既に使われています。" in page
    assert not StaffProfile.objects.filter(employee_number="2003").exists()


def test_a_preview_is_confirmed_only_once_and_only_by_its_uploader(ward):
    second = ward["viewer"]
    Membership.objects.filter(user=second).update(role=Role.APPROVER)
    preview = upload(ward, csv_file(f"1002,,,003,部署担当者,{day()}"))
    token = re.search(r'name="upload" value="(\d+)"', body(preview)).group(1)
    other = client_for(second).post(url("transfers_confirm", ward), {"upload": token})
    assert "確定するファイルが見つかりません" in body(other)
    assert confirm(ward, preview).status_code == 200
    again = client_for(ward["approver"]).post(url("transfers_confirm", ward), {"upload": token})
    assert "確定するファイルが見つかりません" in body(again)
    assert StaffChange.objects.count() == 1


def test_an_expired_preview_is_not_confirmed(ward):
    preview = upload(ward, csv_file(f"1002,,,003,部署担当者,{day()}"))
    TransferUpload.objects.update(created_at=timezone.now() - timedelta(hours=2))
    page = body(confirm(ward, preview))
    assert "1時間を過ぎたため、確定できませんでした。何も変更していません。" in page
    assert ward["editor"].memberships.get().department.code == "002"


@pytest.mark.anydb
@pytest.mark.parametrize(
    "typed, expected",
    [
        ("2025-04-01", date(2025, 4, 1)),
        ("2025/4/1", date(2025, 4, 1)),
        ("２０２５年４月１日", date(2025, 4, 1)),
        ("令和7年4月1日", date(2025, 4, 1)),
        ("令和元年5月1日", date(2019, 5, 1)),
        ("R7.4.1", date(2025, 4, 1)),
        ("20250401", date(2025, 4, 1)),
        ("2025-04-01 00:00:00", date(2025, 4, 1)),
        ("4月1日", None),
        ("", None),
    ],
)
def test_dates_are_read_as_people_type_them(typed, expected):
    assert parse_day(typed) == expected
