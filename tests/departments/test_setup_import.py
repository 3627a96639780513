"""部署と区分の取込 (departments.views.setup, goals.services.office_lists): preview, 確定, and refusals.

A small office of its own (not the seed): one registered department, 総務課, whose approver
imports; the files are the page's own templates, CSV typed as Excel saves it, and hostile ones.
"""

import io

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from openpyxl import Workbook, load_workbook

from departments.models import Department, Role
from departments.views import setup
from goals.models import Category
from tests.factories import (
    CategoryFactory,
    DepartmentFactory,
    FiscalYearFactory,
    MembershipFactory,
    OfficeFactory,
    UserFactory,
)
from tests.personas import client_for

pytestmark = pytest.mark.django_db

HEAD = "部署コード,部署名,上位組織,表示順,目標シートを作成\r\n"


@pytest.fixture
def office():
    return OfficeFactory(
        name="港区役所", slug="minato", municipality_name="架空市港区", municipality_code="990101"
    )


@pytest.fixture
def soumu(office):
    return DepartmentFactory(office=office, code="900", name="総務部 総務課", sort_order=900)


@pytest.fixture
def approver(soumu):
    user = UserFactory(username="minato-shonin")
    MembershipFactory(user=user, department=soumu, role=Role.APPROVER)
    return user


@pytest.fixture
def client(approver):
    return client_for(approver)


def page_url(office, name="departments:setup_import"):
    return reverse(name, kwargs={"office": office.slug})


def file_url(office, filename):
    return reverse("departments:setup_file", kwargs={"office": office.slug, "filename": filename})


def csv_file(text, name="部署.csv", encoding="utf-8-sig"):
    file = io.BytesIO(text.encode(encoding))
    file.name = name
    return file


def xlsx_file(sheets, name="一覧.xlsx"):
    """A workbook with a sheet per (name, rows); rows are lists of values."""
    workbook = Workbook()
    workbook.remove(workbook.active)
    for title, rows in sheets.items():
        sheet = workbook.create_sheet(title)
        for row in rows:
            sheet.append(row)
    buffer = io.BytesIO()
    workbook.save(buffer)
    buffer.seek(0)
    buffer.name = name
    return buffer


def upload(client, office, file, second=None, deactivate=False):
    data = {"file": file}
    if second is not None:
        data["second_file"] = second
    if deactivate:
        data["deactivate_missing"] = "on"
    return client.post(page_url(office), data)


def confirm(client, office, preview):
    return client.post(
        page_url(office, "departments:setup_import_confirm"), {"token": preview.context["token"]}
    )


def problems(response):
    return [(p.list_name, p.row, p.column) for p in response.context["problems"]]


def state(office):
    """Everything the import may change, to compare before and after."""
    departments = Department.objects.filter(office=office).select_related("parent").order_by("code")
    return (
        [
            (d.code, d.name, d.parent and d.parent.code, d.sort_order, d.writes_goals, d.is_active)
            for d in departments
        ],
        sorted(Category.objects.filter(office=office).values_list("name", "sort_order")),
    )


def test_the_example_workbook_is_previewed_then_written_on_confirm(client, office):
    assert (
        client.get(file_url(office, "passwords.txt")).status_code == 404
    )  # only the files the page lists
    example = client.get(file_url(office, "example.xlsx"))
    assert example.status_code == 200
    assert "attachment" in example["Content-Disposition"]
    assert load_workbook(io.BytesIO(example.content)).sheetnames == ["記入方法", "部署", "区分"]
    before = state(office)

    file = io.BytesIO(example.content)
    file.name = "部署と区分の一覧 (記入例).xlsx"
    preview = upload(client, office, file)

    assert preview.status_code == 200
    counts = preview.context["preview"]["department_counts"]
    assert (counts["create"], counts["change"], counts["same"], counts["keep"]) == (7, 0, 0, 1)
    assert preview.context["preview"]["category_counts"]["create"] == 6
    assert "確定して取り込む" in preview.content.decode()
    assert state(office) == before  # the preview writes nothing

    done = confirm(client, office, preview)
    assert done.status_code == 302 and done["Location"] == reverse(
        "goals:years", kwargs={"office": office.slug}
    )
    departments = {
        d.code: d for d in Department.objects.filter(office=office).select_related("parent")
    }
    assert departments["002"].name == "まちづくり推進部 総務課"
    assert departments["002"].parent.code == "001"  # 上位組織 by name
    assert departments["003"].parent.code == "001"  # and by code
    assert not departments["001"].writes_goals and departments["002"].writes_goals
    assert [departments[c].sort_order for c in ("001", "002", "007")] == [10, 20, 70]
    assert departments["900"].is_active  # left out of the list: kept as it was
    assert list(
        Category.objects.filter(office=office).order_by("sort_order").values_list("name", flat=True)
    ) == [
        "共通",
        "対面対応",
        "応対",
        "電話",
        "庁内体制",
        "お知らせ",
    ]

    # The same file again changes nothing: the preview says so and offers no 確定.
    file.seek(0)
    again = upload(client, office, file)
    assert not again.context["plan"].writes
    assert "確定して取り込む" not in again.content.decode()
    after = state(office)
    # Nor does 確定 of the first preview, posted a second time: it shows what importing does now.
    replayed = confirm(client, office, preview)
    assert replayed.status_code == 200 and not replayed.context["plan"].writes
    assert state(office) == after

    # The office's lists as registered, downloaded and imported back: nothing to change.
    current = client.get(file_url(office, "current.xlsx"))
    current_file = io.BytesIO(current.content)
    current_file.name = "current.xlsx"
    assert not upload(client, office, current_file).context["plan"].writes


def test_a_shift_jis_csv_from_excel_and_a_second_csv_for_the_categories(client, office):
    departments = HEAD + "010,区民部,,10,しない\r\n011,区民部 区民課,区民部,20,する\r\n"
    categories = "区分名,表示順\r\n窓口,1\r\n電話,2\r\n"
    preview = upload(
        client,
        office,
        csv_file(departments, encoding="cp932"),
        csv_file(categories, "区分.csv", encoding="utf-8"),
    )
    assert preview.context["preview"]["department_counts"]["create"] == 2, preview.context.get(
        "problems"
    )
    confirm(client, office, preview)
    assert Department.objects.get(office=office, code="011").parent.name == "区民部"
    assert set(Category.objects.filter(office=office).values_list("name", flat=True)) == {
        "窓口",
        "電話",
    }


def test_changes_are_listed_and_left_out_departments_made_inactive_only_when_asked(
    client, office, soumu
):
    bu = DepartmentFactory(
        office=office, code="100", name="区民部", sort_order=100, writes_goals=False
    )
    DepartmentFactory(office=office, code="101", name="区民課", parent=None, sort_order=110)
    DepartmentFactory(office=office, code="102", name="保険年金課", sort_order=120, is_active=False)
    old = DepartmentFactory(office=office, code="103", name="廃止する課", sort_order=130)
    CategoryFactory(office=office, name="電話", sort_order=5)
    year = FiscalYearFactory(office=office, year=2026)
    text = (
        HEAD
        + "900,総務部 総務課,,900,\r\n"
        + "100,区民部,,100,しない\r\n"
        + "101,区民部 区民課,100,110,\r\n"  # renamed, and given its 部
        + "102,保険年金課,区民部,125,する\r\n"  # listed again: active again, new order
    )
    categories = "区分名,表示順\r\n電話,7\r\n窓口,\r\n"
    preview = upload(
        client, office, csv_file(text), csv_file(categories, "区分.csv"), deactivate=True
    )

    lines = {line.code: line for line in preview.context["plan"].departments.lines}
    assert {c.label: (c.before, c.after) for c in lines["101"].changes} == {
        "部署名": ("区民課", "区民部 区民課"),
        "上位組織": ("なし", "区民部"),
    }
    assert {c.label for c in lines["102"].changes} == {"上位組織", "表示順", "有効"}
    assert lines["900"].action == "変更なし" and lines["100"].action == "変更なし"
    assert lines["103"].action == "無効にする"
    page = preview.content.decode()
    assert "区民課 → 区民部 区民課" in page and "廃止する課" in page
    assert "令和8年度" in page  # the new 区分 is added to the newest year too

    confirm(client, office, preview)
    old.refresh_from_db()
    assert not old.is_active
    renamed = Department.objects.get(office=office, code="101")
    assert (renamed.name, renamed.parent) == ("区民部 区民課", bu)
    assert Department.objects.get(office=office, code="102").is_active
    assert Category.objects.get(office=office, name="電話").sort_order == 7
    assert list(year.categories.values_list("name", flat=True)) == ["窓口"]


def test_two_departments_swap_names_in_one_list(client, office, soumu):
    DepartmentFactory(office=office, code="201", name="企画課", sort_order=10)
    DepartmentFactory(office=office, code="202", name="地域振興課", sort_order=20)
    text = HEAD + "900,総務部 総務課,,,\r\n201,地域振興課,,,\r\n202,企画課,,,\r\n"
    confirm(client, office, upload(client, office, csv_file(text)))
    names = dict(Department.objects.filter(office=office).values_list("code", "name"))
    assert (names["201"], names["202"]) == ("地域振興課", "企画課")


def test_every_wrong_row_is_named_and_nothing_is_written(client, office, soumu):
    before = state(office)
    text = (
        HEAD
        + "001,まちづくり推進部,,10,しない\r\n"
        + "001,重複した部署,,20,\r\n"  # the code again
        + "A1,英字のコード,,30,\r\n"
        + "003,区民部/区民課,,40,\r\n"  # a path separator
        + '004,=HYPERLINK("http://example.com"),,50,\r\n'
        + "005,区民課,どこにもない部,60,\r\n"
        + "006,保険年金課,,六十,\r\n"
        + "007,衛生課,,70,たぶん\r\n"
        + "008,総務部 総務課,,80,\r\n"  # the name of a registered department the list leaves out
        + "009,まちづくり推進部,,90,\r\n"  # a name of the list again
    )
    response = upload(client, office, csv_file(text))
    assert "token" not in response.context
    assert problems(response) == [
        ("部署", 3, "部署コード"),
        ("部署", 4, "部署コード"),
        ("部署", 5, "部署名"),
        ("部署", 6, "部署名"),
        ("部署", 7, "上位組織"),
        ("部署", 8, "表示順"),
        ("部署", 9, "目標シートを作成"),
        ("部署", 10, "部署名"),
        ("部署", 11, "部署名"),
    ]
    page = response.content.decode()
    assert "部署コード 001 が重複しています (2行目と同じ)" in page
    assert "数式として扱われる" in page and "「する」か「しない」" in page
    assert "何も変更していません" in page
    assert state(office) == before


def test_headings_formulas_and_dates_of_a_workbook_are_refused(client, office):
    import datetime

    workbook = xlsx_file(
        {
            "部署": [
                ["部署コード", "名前", "表示順"],  # 部署名 missing, 名前 unknown
                ["001", "総務課", 1],  # not checked until the headings are right
            ],
            "区分": [
                ["区分名", "表示順"],
                ['=A1&"課"', 1],
                ["電話", datetime.date(2026, 4, 1)],
            ],
        }
    )
    response = upload(client, office, workbook)
    assert problems(response) == [
        ("部署", 1, "名前"),
        ("部署", 1, "部署名"),
        ("区分", 2, "区分名"),
        ("区分", 3, "表示順"),
    ]
    page = response.content.decode()
    assert "数式は取り込めません" in page and "日付や時刻" in page


def test_a_code_that_lost_its_leading_zeros_in_excel_is_caught(client, office, soumu):
    DepartmentFactory(office=office, code="007", name="区民課")
    response = upload(
        client, office, xlsx_file({"部署": [["部署コード", "部署名"], [7, "区民部 区民課"]]})
    )
    assert problems(response) == [("部署", 2, "部署コード")]
    assert "登録済みの 007 の先頭の0が消えた" in response.content.decode()


def test_a_parent_cycle_is_refused(client, office):
    text = HEAD + "001,部A,002,,\r\n002,部B,部A,,\r\n"
    response = upload(client, office, csv_file(text))
    assert problems(response) == [("部署", 2, "上位組織"), ("部署", 3, "上位組織")]
    assert "部A → 部B → 部A" in response.content.decode()


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (b"%PDF-1.7 ...", "PDF ファイルは取り込めません"),
        ("部署コード,部署名\r\n001,総務課\r\n".encode("utf-16"), "NUL 文字"),
        (b"\x82\xa0\xff\xfe\x80\x81", "UTF-8 でも Shift_JIS でもない"),
        (b"a" * (5 * 1024 * 1024 + 1), "ファイルが大きすぎます"),
        ("名前,番号\r\n総務課,1\r\n".encode(), "「部署コード」か「区分名」の見出しがありません"),
        (HEAD.encode(), "データの行がありません"),
        ('\ufeff部署コード,部署名\r\n"001,総務課\r\n'.encode(), "CSV の形式が正しくありません"),
    ],
    ids=["pdf", "utf16", "not-japanese", "huge", "no-headings", "no-rows", "broken-quote"],
)
def test_hostile_and_wrong_files_get_a_japanese_message(client, office, content, message):
    before = state(office)
    file = io.BytesIO(content)
    file.name = "部署.csv"
    response = upload(client, office, file, deactivate=True)
    assert response.status_code == 200
    assert message in response.content.decode()
    assert response.context["form"]["deactivate_missing"].value()  # what was chosen is kept
    assert state(office) == before


def test_too_many_rows_are_refused(client, office):
    rows = "".join(f"{n},部署{n},,,\r\n" for n in range(1, 1003))
    response = upload(client, office, csv_file(HEAD + rows))
    assert "行が多すぎます (1,000 行まで)" in response.content.decode()


def test_confirm_writes_nothing_when_a_row_has_become_wrong(client, office, soumu):
    text = HEAD + "001,区民部,,10,しない\r\n002,区民部 区民課,001,20,\r\n"
    preview = upload(client, office, csv_file(text))
    # Meanwhile someone registers a department with a name the list gives to a new one.
    DepartmentFactory(office=office, code="777", name="区民部 区民課")
    before = state(office)
    response = confirm(client, office, preview)
    assert response.status_code == 200
    assert problems(response) == [("部署", 3, "部署名")]
    assert state(office) == before  # not even 区民部, the row without a problem


def test_confirm_shows_the_new_preview_when_the_office_changed(client, office, soumu):
    text = HEAD + "900,総務部 総務課,,900,\r\n001,区民部,,10,\r\n"
    preview = upload(client, office, csv_file(text))
    Department.objects.filter(pk=soumu.pk).update(name="総務課")  # renamed meanwhile
    before = state(office)
    again = confirm(client, office, preview)
    assert again.status_code == 200
    assert "部署か区分の登録が変わりました" in again.content.decode()
    assert state(office) == before
    lines = {line.code: line for line in again.context["plan"].departments.lines}
    assert lines["900"].action == "変更"  # the rename back is now part of what 確定 does
    confirm(client, office, again)
    assert Department.objects.get(pk=soumu.pk).name == "総務部 総務課"


def test_a_token_is_only_good_for_its_own_person_unaltered_and_within_the_hour(
    client, office, soumu, monkeypatch
):
    preview = upload(client, office, csv_file(HEAD + "001,区民部,,,\r\n"))
    token = preview.context["token"]
    other = UserFactory(username="minato-shonin2")
    MembershipFactory(user=other, department=soumu, role=Role.APPROVER)
    before = state(office)
    confirm_url = page_url(office, "departments:setup_import_confirm")
    for web, sent in ((client_for(other), token), (client, token[:-2] + "xx")):
        response = web.post(confirm_url, {"token": sent}, follow=True)
        assert "確定する内容が見つかりません" in response.content.decode()
    monkeypatch.setattr(setup, "PREVIEW_MAX_AGE", -1)  # an hour has passed
    response = client.post(confirm_url, {"token": token}, follow=True)
    assert "1時間を過ぎたため、確定できませんでした" in response.content.decode()
    assert state(office) == before


@pytest.mark.parametrize(
    ("persona", "expected"),
    [
        ("approver", 200),
        ("viewer", 403),
        ("editor", 404),
        ("outsider", 404),
        ("anonymous", "login"),
    ],
)
def test_only_the_offices_approvers_may_import(office, soumu, approver, persona, expected):
    users = {"approver": approver, "outsider": UserFactory(username="someone-else")}
    for role, name in ((Role.VIEWER, "viewer"), (Role.EDITOR, "editor")):
        users[name] = UserFactory(username=f"minato-{name}")
        MembershipFactory(user=users[name], department=soumu, role=role)
    web = client_for(users[persona]) if persona != "anonymous" else Client()
    urls = [
        ("get", page_url(office)),
        ("post", page_url(office)),
        ("get", file_url(office, "example.xlsx")),
        ("post", page_url(office, "departments:setup_import_confirm")),
    ]
    for method, url in urls:
        response = getattr(web, method)(url)
        if expected == "login":
            assert response.status_code == 302 and response["Location"].startswith(
                "/accounts/login/"
            ), url
        elif url.endswith("confirm/") and expected == 200:
            assert response.status_code == 302  # no token: back to the page with a message
        else:
            assert response.status_code == expected, (method, url)


def test_the_preview_runs_the_same_queries_for_a_small_and_a_large_office(client, office):
    def preview_queries(count, start):
        for n in range(start, start + count):
            DepartmentFactory(office=office, code=f"{n}", name=f"登録済み{n}", sort_order=n)
        text = HEAD + "".join(f"{n},登録済み{n},,{n},\r\n" for n in range(start, start + count))
        text += "".join(
            f"{n},新しい部署{n},{start},,\r\n" for n in range(start + 500, start + 500 + count)
        )
        with CaptureQueriesContext(connection) as queries:
            response = upload(client, office, csv_file(text))
        assert response.context["preview"]["department_counts"]["create"] == count
        return len(queries)

    assert preview_queries(3, 1000) == preview_queries(40, 2000)
