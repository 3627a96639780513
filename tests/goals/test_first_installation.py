"""An office from nothing (docs/first-installation.md): the commands create_office,
import_departments and open_fiscal_year, and the first year opened on the years page without a
year before it (goals.services.fiscal_year_open_first)."""

import io

import pytest
from django.core.management import CommandError, call_command
from django.urls import reverse

from departments.models import Department, Office, Role
from goals.models import Category, FiscalYear, GoalSheet
from goals.services import GoalsError, fiscal_year_open_first
from tests.factories import (
    CategoryFactory,
    DepartmentFactory,
    MembershipFactory,
    OfficeFactory,
    UserFactory,
)
from tests.personas import client_for

pytestmark = pytest.mark.django_db

OFFICE = [
    "--name",
    "港区役所",
    "--slug",
    "minato",
    "--municipality-name",
    "架空市港区",
    "--municipality-code",
    "990101",
]


def run(*args):
    out = io.StringIO()
    call_command(*args, stdout=out)
    return out.getvalue()


@pytest.fixture
def example(tmp_path):
    """The example workbook (7 departments, 5 of them writing goals; 6 区分), as the command writes it."""
    path = tmp_path / "部署と区分.xlsx"
    assert "記入例を書き出しました" in run("import_departments", "--write-example", str(path))
    return path


def test_an_office_from_nothing_by_the_commands(example, tmp_path):
    assert "を登録しました" in run("create_office", *OFFICE)
    assert "何も変えていません" in run("create_office", *OFFICE)  # idempotent
    with pytest.raises(CommandError, match="別の内容で登録済み"):
        run("create_office", *OFFICE[:-1], "990102")
    office = Office.objects.get(slug="minato")

    preview = run("import_departments", str(example), "--office", "minato", "--dry-run")
    assert "[新規] 002 まちづくり推進部 総務課" in preview and "何も変更していません" in preview
    assert not Department.objects.filter(office=office).exists()
    assert "部署 (新規 7)、区分 (新規 6)" in run(
        "import_departments", str(example), "--office", "minato"
    )
    assert "何も変わりませんでした" in run("import_departments", str(example), "--office", "minato")

    policy = tmp_path / "方針.txt"
    policy.write_text(
        "区民の立場に立った窓口サービスを行います。\n\n分かりやすい情報発信に努めます。\n",
        encoding="utf-8",
    )
    done = run(
        "open_fiscal_year",
        "--office",
        "minato",
        "--year",
        "2026",
        "--plan-deadline",
        "2026-05-29",
        "--policy",
        str(policy),
        "--rating",
        "達成",
        "--rating",
        "未達成",
    )
    assert "令和8年度 (2026年度)を開始しました (目標シート 5" in done
    year = FiscalYear.objects.get(office=office, year=2026)
    assert year.plan_open and str(year.plan_deadline) == "2026-05-29"
    assert list(year.principles.values_list("text", flat=True)) == [
        "区民の立場に立った窓口サービスを行います。",
        "分かりやすい情報発信に努めます。",
    ]
    assert list(year.rating_levels.values_list("label", flat=True)) == ["達成", "未達成"]

    # The next year is opened from it; a year that does not follow the newest is refused.
    with pytest.raises(CommandError, match="開始できるのは令和9年度"):
        run("open_fiscal_year", "--office", "minato", "--year", "2028")
    run("open_fiscal_year", "--office", "minato", "--year", "2027")
    assert FiscalYear.objects.get(office=office, year=2027).rating_levels.count() == 2


def test_import_departments_names_every_problem_and_changes_nothing(tmp_path):
    office = OfficeFactory(slug="minato")
    path = tmp_path / "部署.csv"
    path.write_bytes(
        "部署コード,部署名\r\n001,総務課\r\n001,企画課\r\nx,区民課\r\n".encode("cp932")
    )
    with pytest.raises(CommandError) as raised:
        run("import_departments", str(path), "--office", "minato")
    message = str(raised.value)
    assert "2 件の問題" in message
    assert "部署の一覧・3行目・「部署コード」: 部署コード 001 が重複しています" in message
    assert "部署の一覧・4行目・「部署コード」" in message
    assert not Department.objects.filter(office=office).exists()
    with pytest.raises(CommandError, match="登録されていません"):
        run("import_departments", str(path), "--office", "nowhere")


# --- the first year: the service --------------------------------------------------------------------


@pytest.fixture
def office():
    office = OfficeFactory(name="港区役所", slug="minato")
    DepartmentFactory(office=office, code="001", name="区民部", writes_goals=False, sort_order=10)
    DepartmentFactory(office=office, code="002", name="区民部 区民課", sort_order=20)
    DepartmentFactory(office=office, code="003", name="区民部 旧課", sort_order=30, is_active=False)
    CategoryFactory(office=office, name="電話", sort_order=10)
    CategoryFactory(office=office, name="窓口", sort_order=20)
    return office


def test_the_first_year_takes_the_offices_departments_and_categories(office):
    year = fiscal_year_open_first(
        office=office, year=2026, principles=["窓口を良くします。"], max_goals=5
    )
    assert list(
        GoalSheet.objects.filter(fiscal_year=year).values_list("department__code", flat=True)
    ) == ["002"]
    assert set(year.categories.values_list("name", flat=True)) == {"電話", "窓口"}
    assert (
        year.plan_open,
        year.max_goals,
        year.principles.count(),
        year.rating_levels.count(),
    ) == (True, 5, 1, 0)
    with pytest.raises(GoalsError, match="既に年度があります"):
        fiscal_year_open_first(office=office, year=2027)


def test_the_first_year_needs_a_department_that_writes_goals():
    office = OfficeFactory()
    with pytest.raises(GoalsError, match="部署と区分の取込"):
        fiscal_year_open_first(office=office, year=2026)
    assert not FiscalYear.objects.filter(office=office).exists()


# --- the first year: the years page ------------------------------------------------------------------


@pytest.fixture
def approver(office):
    user = UserFactory(username="minato-shonin")
    MembershipFactory(
        user=user, department=Department.objects.get(office=office, code="002"), role=Role.APPROVER
    )
    return user


def years_url(office):
    return reverse("goals:years", kwargs={"office": office.slug})


def test_the_years_page_opens_the_first_year(office, approver):
    client = client_for(approver)
    assert years_url(office) in client.get(reverse("goals:home")).content.decode()
    page = client.get(years_url(office)).content.decode()
    assert "最初の年度を開始する" in page and "区民部 区民課" in page and "電話、窓口" in page
    assert reverse("departments:setup_import", kwargs={"office": office.slug}) in page

    response = client.post(
        years_url(office),
        {
            "year": "２０２６",
            "max_goals": "3",
            "plan_deadline": "2026-05-29",
            "principles": "① 窓口を良くします。\n② 電話に早く出ます。",
            "rating_labels": "達成\n概ね達成\n未達成",
        },
    )
    year = FiscalYear.objects.get(office=office)
    assert response.status_code == 302
    assert response["Location"] == reverse(
        "goals:dashboard", kwargs={"office": office.slug, "year": 2026}
    )
    assert list(year.principles.values_list("text", flat=True)) == [
        "窓口を良くします。",
        "電話に早く出ます。",
    ]
    assert list(year.rating_levels.values_list("label", flat=True)) == [
        "達成",
        "概ね達成",
        "未達成",
    ]
    assert "最初の年度を開始する" not in client.get(years_url(office)).content.decode()


def test_a_wrong_first_year_form_keeps_what_was_typed(office, approver):
    typed = {
        "year": "令和8",
        "max_goals": "99",
        "principles": "窓口を良くします。",
        "rating_labels": "達成\n達成",
    }
    response = client_for(approver).post(years_url(office), typed)
    assert response.status_code == 200
    page = response.content.decode()
    assert "年度は整数で入力してください" in page and "評価の段階「達成」が2回あります" in page
    assert "目標数の上限は1〜10の整数" in page
    assert "窓口を良くします。" in page and 'value="令和8"' in page
    assert page.count('id="error-summary"') == 1
    assert not FiscalYear.objects.filter(office=office).exists()


def test_only_approvers_open_the_first_year(office):
    viewer = UserFactory(username="minato-etsuran")
    MembershipFactory(
        user=viewer, department=Department.objects.get(office=office, code="002"), role=Role.VIEWER
    )
    client = client_for(viewer)
    assert "最初の年度を開始する" not in client.get(years_url(office)).content.decode()
    assert client.post(years_url(office), {"year": "2026", "max_goals": "3"}).status_code == 403
    assert not FiscalYear.objects.filter(office=office).exists()


def test_new_categories_reach_the_newest_year_and_so_the_next(office, approver):
    year = fiscal_year_open_first(office=office, year=2026)
    client = client_for(approver)
    url = reverse("departments:setup_import", kwargs={"office": office.slug})
    file = io.BytesIO("区分名\r\nお知らせ\r\n".encode())
    file.name = "区分.csv"
    preview = client.post(url, {"file": file})
    client.post(
        reverse("departments:setup_import_confirm", kwargs={"office": office.slug}),
        {"token": preview.context["token"]},
    )
    assert "お知らせ" in year.categories.values_list("name", flat=True)
    assert Category.objects.filter(office=office).count() == 3
