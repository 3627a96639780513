"""取込 pages: upload, preview without writing, 確定 writes all or nothing; approvers only."""

import csv
import io
from types import SimpleNamespace

import pytest
from django.urls import reverse

from departments.models import Role
from goals.models import FiscalYear, Goal, GoalSheet, SheetStatus
from reports.exporters import EXPORTERS
from reports.models import PendingUpload, PublicationKind
from reports.table import build_table
from tests.factories import DepartmentFactory, MembershipFactory, OfficeFactory
from tests.reports.import_helpers import COLUMNS, counts, post_file, seed_csv, url
from tests.seed import SEED


@pytest.fixture
def people(seed_year):
    departments = list(
        seed_year.office.departments.filter(writes_goals=True).order_by("sort_order")
    )
    return SimpleNamespace(
        approver=MembershipFactory(department=departments[0], role=Role.APPROVER).user,
        viewer=MembershipFactory(department=departments[0], role=Role.VIEWER).user,
        editor=MembershipFactory(department=departments[1], role=Role.EDITOR).user,
        outsider=MembershipFactory(
            department=DepartmentFactory(office=OfficeFactory()), role=Role.APPROVER
        ).user,
    )


# --- データ (CSV/Excel) -----------------------------------------------------------------------


def test_csv_upload_previews_then_confirm_imports_the_year(client, seed_year, people):
    client.force_login(people.approver)
    before = counts()

    response = post_file(client, "import_table", seed_csv(seed_year), "nakahara-2019.csv")

    assert response.status_code == 200
    page = response.content.decode()
    assert "取込内容の確認" in page and "まだ何も取り込んでいません" in page
    assert "年度を新規作成" in page
    assert "取込: 17 シート" in page
    goals = Goal.objects.filter(sheet__fiscal_year=seed_year).count()
    assert f"{goals} 目標" in page
    assert counts() == before  # nothing written yet
    token = response.context["token"]

    response = client.post(url("import_table_confirm"), {"token": token})

    assert response.status_code == 302
    assert response.url == reverse("goals:dashboard", kwargs={"office": "nakahara", "year": 2019})
    imported = FiscalYear.objects.get(office=seed_year.office, year=2019)
    sheets = GoalSheet.objects.filter(fiscal_year=imported)
    assert sheets.count() == 17
    assert set(sheets.values_list("plan_status", flat=True)) == {SheetStatus.APPROVED}
    assert Goal.objects.filter(sheet__fiscal_year=imported).count() == goals
    followed = client.get(response.url)
    assert "を取り込みました" in followed.content.decode()
    assert not PendingUpload.objects.exists()

    # The token is used up: a second 確定 writes nothing more.
    again = client.post(url("import_table_confirm"), {"token": token}, follow=True)
    assert "取り込むファイルが見つかりません" in again.content.decode()
    assert GoalSheet.objects.filter(fiscal_year=imported).count() == 17


def test_a_bad_file_lists_row_and_column_problems_and_writes_nothing(client, seed_year, people):
    client.force_login(people.approver)
    data = seed_csv(seed_year).decode("utf-8-sig")
    lines = data.split("\r\n")
    row = next(csv.reader([lines[2]]))
    row[COLUMNS.index("目標番号")] = "abc"
    row[COLUMNS.index("目標")] = ""
    buffer = io.StringIO()
    csv.writer(buffer, lineterminator="").writerow(row)
    lines[2] = buffer.getvalue()
    before = counts()

    response = post_file(client, "import_table", "\r\n".join(lines).encode(), "bad.csv")

    page = response.content.decode()
    assert response.status_code == 200
    assert "取り込めません" in page and "確定して取り込む" not in page
    problems = response.context["problems"]
    assert {(p["row"], p["column"]) for p in problems} >= {("3行目", "目標番号"), ("3行目", "目標")}
    assert "目標番号は整数で入力してください" in page
    assert counts() == before
    assert not PendingUpload.objects.exists()


def test_problems_speak_of_the_page_not_of_command_line_options(client, seed_year, people):
    client.force_login(people.approver)
    rows = list(csv.reader(io.StringIO(seed_csv(seed_year).decode("utf-8-sig"), newline="")))
    rows[1][COLUMNS.index("年度")] = "2018"
    rows[2][COLUMNS.index("区分")] = "存在しない区分"
    buffer = io.StringIO()
    csv.writer(buffer, lineterminator="\r\n").writerows(rows)

    response = post_file(client, "import_table", buffer.getvalue().encode(), "tags.csv")

    messages = {p["column"]: p["message"] for p in response.context["problems"]}
    assert "年度が取込先の年度と違います" in messages["年度"]
    assert "「区役所の区分にない区分を、新しい区分として作成する」を指定" in messages["区分"]
    assert not any("--" in message for message in messages.values())


def test_a_renamed_pdf_is_refused_on_the_page(client, seed_year, people):
    client.force_login(people.approver)
    before = counts()
    response = post_file(client, "import_table", b"%PDF-1.4\n1 0 obj\n<<>>\nendobj\n", "table.csv")
    assert response.status_code == 200
    page = response.content.decode()
    assert "PDF ファイルは取り込めません" in page
    assert 'type="file"' in page  # the form is still there
    assert counts() == before


def test_confirm_with_a_wrong_token_writes_nothing(client, seed_year, people):
    client.force_login(people.approver)
    post_file(client, "import_table", seed_csv(seed_year), "nakahara-2019.csv")
    before = counts()
    response = client.post(url("import_table_confirm"), {"token": "forged"}, follow=True)
    assert "取り込むファイルが見つかりません" in response.content.decode()
    assert counts() == before


def test_a_tampered_pending_upload_is_refused(client, seed_year, people):
    client.force_login(people.approver)
    response = post_file(client, "import_table", seed_csv(seed_year), "nakahara-2019.csv")
    pending = PendingUpload.objects.get(token=response.context["token"])
    pending.data = bytes(pending.data)[:-8] + b"AAAAAAAA"
    pending.save(update_fields=["data"])
    before = counts()
    response = client.post(
        url("import_table_confirm"), {"token": response.context["token"]}, follow=True
    )
    assert "取り込むファイルが見つかりません" in response.content.decode()
    assert counts() == before


def test_confirm_for_another_year_is_refused(client, seed_year, people):
    client.force_login(people.approver)
    response = post_file(client, "import_table", seed_csv(seed_year), "nakahara-2019.csv")
    before = counts()
    client.post(url("import_table_confirm", year=2018), {"token": response.context["token"]})
    assert counts() == before


# --- 公表済みの表 (テキスト) -----------------------------------------------------------------------


def test_past_year_text_previews_then_confirms_into_a_new_office(client, db):
    office = OfficeFactory(name="高津区役所", slug="takatsu", municipality_code="141348")
    approver = MembershipFactory(
        department=DepartmentFactory(office=office), role=Role.APPROVER
    ).user
    client.force_login(approver)
    before = counts()

    response = post_file(
        client,
        "import_published",
        SEED.read_bytes(),
        "nakahara-2020.txt",
        at={"office": "takatsu", "year": 2020},
    )

    assert response.status_code == 200
    page = response.content.decode()
    preview = response.context["preview"]
    assert "取込内容の確認" in page and "まだ何も取り込んでいません" in page
    assert preview["department_count"] == 17 and preview["goal_count"] > 17
    assert len(preview["policy"]) == 4
    assert f"目標: {preview['goal_count']}" in page
    assert counts() == before

    response = client.post(
        url("import_published_confirm", office="takatsu", year=2020),
        {"token": response.context["token"]},
    )

    assert response.status_code == 302
    year = FiscalYear.objects.get(office=office, year=2020)
    assert year.principles.count() == 4
    sheets = GoalSheet.objects.filter(fiscal_year=year)
    assert sheets.count() == 17
    assert Goal.objects.filter(sheet__fiscal_year=year).count() == preview["goal_count"]


def test_a_department_name_other_than_the_registered_one_is_shown_not_kept_silently(
    client, seed_year, people
):
    client.force_login(people.approver)
    rows = list(csv.reader(io.StringIO(seed_csv(seed_year).decode("utf-8-sig"), newline="")))
    code, registered = rows[1][COLUMNS.index("部署コード")], rows[1][COLUMNS.index("部署名")]
    rows[1][COLUMNS.index("部署名")] = "危機管理室"
    buffer = io.StringIO()
    csv.writer(buffer, lineterminator="\r\n").writerows(rows)
    before = counts()

    response = post_file(client, "import_table", buffer.getvalue().encode(), "renamed.csv")

    page = response.content.decode()
    assert "確定して取り込む" not in page
    (problem,) = response.context["problems"]
    assert (problem["row"], problem["column"]) == ("2行目", "部署名")
    assert f"部署コード {code} の部署は「{registered}」という名前で登録されています (この行は「危機管理室」)" in page
    assert counts() == before


def test_a_csv_takes_the_years_policy_from_the_page(client, seed_year, people):
    client.force_login(people.approver)
    policy = "① 公平・公正に対応します。\r\n② 市民の声をよく聴きます。"

    response = post_file(client, "import_table", seed_csv(seed_year), "2019.csv", policy=policy)

    page = response.content.decode()
    assert "区役所サービス向上方針: 2 項目を登録します。" in page
    assert "<li>公平・公正に対応します。</li>" in page
    client.post(url("import_table_confirm"), {"token": response.context["token"]})
    imported = FiscalYear.objects.get(office=seed_year.office, year=2019)
    assert list(imported.principles.order_by("number").values_list("text", flat=True)) == [
        "公平・公正に対応します。",
        "市民の声をよく聴きます。",
    ]


def test_a_csv_without_policy_says_the_year_gets_none(client, seed_year, people):
    client.force_login(people.approver)
    response = post_file(client, "import_table", seed_csv(seed_year), "2019.csv")
    assert "区役所サービス向上方針: なし" in response.content.decode()


def test_a_line_break_inside_a_cell_is_named_on_the_text_page(client, seed_year, people):
    client.force_login(people.approver)
    lines = SEED.read_text(encoding="utf-8").split("\n")
    before, after = lines[15].split("具体的には、個人情報", 1)
    lines[15:16] = [before, "具体的には、個人情報" + after]
    response = post_file(client, "import_published", "\n".join(lines).encode(), "2019.txt")
    assert response.context["parse_error"]["line"] == 16
    assert "セルの中で改行しています (16行目の行が17行目に続いています)" in response.content.decode()


def test_a_broken_text_shows_the_line_and_writes_nothing(client, seed_year, people):
    client.force_login(people.approver)
    before = counts()
    response = post_file(client, "import_published", "ただの文章です。\n".encode(), "x.txt")
    assert response.status_code == 200
    assert response.context["parse_error"]["line"] >= 1
    assert "行目" in response.content.decode()
    assert counts() == before


def test_a_workbook_is_refused_on_the_text_page(client, seed_year, people):
    client.force_login(people.approver)
    data = EXPORTERS["xlsx"].render(build_table(seed_year, PublicationKind.RESULT))
    response = post_file(client, "import_published", data, "renamed.txt")
    assert "Excel" in response.content.decode()
    assert "preview" not in response.context or not response.context["preview"]


# --- who may ----------------------------------------------------------------------------------


@pytest.mark.parametrize("name", ["import_table", "import_published"])
@pytest.mark.parametrize(
    "persona, expected", [("approver", 200), ("viewer", 403), ("editor", 404), ("outsider", 404)]
)
def test_only_approvers_import(client, people, name, persona, expected):
    client.force_login(getattr(people, persona))
    assert client.get(url(name)).status_code == expected
    confirm = client.post(url(f"{name}_confirm"), {"token": "x"})
    assert confirm.status_code == (302 if expected == 200 else expected)


def test_a_viewer_cannot_upload(client, seed_year, people):
    client.force_login(people.viewer)
    before = counts()
    response = post_file(client, "import_table", seed_csv(seed_year), "nakahara-2019.csv")
    assert response.status_code == 403
    assert counts() == before


def test_anonymous_is_sent_to_log_in(client, seed_year):
    for name in (
        "import_table",
        "import_table_confirm",
        "import_published",
        "import_published_confirm",
    ):
        response = client.get(url(name)) if "confirm" not in name else client.post(url(name))
        assert response.status_code == 302
        assert "login" in response.url


def test_unknown_office_and_out_of_range_year_are_404(client, people):
    client.force_login(people.approver)
    assert client.get(url("import_table", office="nowhere")).status_code == 404
    assert client.get(url("import_table", year=1900)).status_code == 404
