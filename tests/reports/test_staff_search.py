"""The staff search: every year and status for the office's approvers and viewers, own sheets and
published content for editors, nothing for outsiders, login for anonymous visitors."""

import re

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from departments.models import Department, Role
from goals.models import Goal, GoalSheet, SheetStatus
from goals.services import fiscal_year_open_next
from reports.views import search as search_views
from reports.models import PublicationKind
from tests.factories import DepartmentFactory, MembershipFactory, OfficeFactory, UserFactory
from tests.reports.published_helpers import publish

STAFF_SEARCH = reverse("reports_staff_search")
PLANNING = "まちづくり推進部 企画課"
CITIZENS = "区民サービス部 区民課"
GENERAL = "まちづくり推進部 総務課"


@pytest.fixture
def world(seed_year):
    """2020 approved (not yet published); 2021 with a draft goal in 企画課 and in 区民課."""
    year2021 = fiscal_year_open_next(previous=seed_year)
    departments = {
        name: Department.objects.get(name=name) for name in (PLANNING, CITIZENS, GENERAL)
    }
    for name, text in ((PLANNING, "企画課の下書きの合言葉"), (CITIZENS, "区民課の下書きの合言葉")):
        sheet = GoalSheet.objects.get(fiscal_year=year2021, department=departments[name])
        Goal.objects.create(sheet=sheet, number=1, objective=text)
        GoalSheet.objects.filter(pk=sheet.pk).update(plan_status=SheetStatus.DRAFT)
    other_office = OfficeFactory()
    users = {
        "editor": UserFactory(username="s-editor"),
        "approver": UserFactory(username="s-approver"),
        "viewer": UserFactory(username="s-viewer"),
        "outsider": UserFactory(username="s-outsider"),
        "nobody": UserFactory(username="s-nobody"),
    }
    MembershipFactory(user=users["editor"], department=departments[PLANNING], role=Role.EDITOR)
    MembershipFactory(user=users["approver"], department=departments[GENERAL], role=Role.APPROVER)
    MembershipFactory(user=users["viewer"], department=departments[PLANNING], role=Role.VIEWER)
    MembershipFactory(
        user=users["outsider"],
        department=DepartmentFactory(office=other_office),
        role=Role.APPROVER,
    )
    return {"seed_year": seed_year, "users": users}


def staff_search(client, world, persona, **params):
    client.force_login(world["users"][persona])
    response = client.get(STAFF_SEARCH, params)
    assert response.status_code == 200
    return response.content.decode()


def hits(body):
    return re.findall(r'<h4 class="h6 mb-1"><a href="[^"]+">([^<]+)</a></h4>', body)


def count(body):
    match = re.search(r'<span class="result-count">(\d+) 件</span>', body)
    return int(match.group(1)) if match else None


def test_staff_search_needs_login(client, world):
    response = client.get(STAFF_SEARCH, {"q": "合言葉"})
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("login"))


@pytest.mark.parametrize("persona", ["approver", "viewer"])
def test_approvers_and_viewers_find_every_draft_of_their_office_with_its_status(
    client, world, persona
):
    body = staff_search(client, world, persona, q="下書きの合言葉")
    assert hits(body) == [f"{PLANNING} 目標1", f"{CITIZENS} 目標1"]
    assert body.count("目標: 下書き ・ 実績: 未着手") == 2
    assert "令和3年度 (2021年度) 中原区役所" in body


def test_a_hit_links_to_the_row_on_the_sheet_page(client, world):
    body = staff_search(client, world, "approver", q="企画課の下書き")
    code = Department.objects.get(name=PLANNING).code
    href = f"/staff/nakahara/2021/sheets/{code}/#dept-{code}-goal-1"
    assert f'href="{href}"' in body
    sheet_page = client.get(href.split("#")[0]).content.decode()
    assert f'id="dept-{code}-goal-1"' in sheet_page


def test_editors_find_their_own_drafts_but_not_other_departments_drafts(client, world):
    body = staff_search(client, world, "editor", q="下書きの合言葉")
    assert hits(body) == [f"{PLANNING} 目標1"]


def test_editors_find_other_departments_content_only_once_published(client, world):
    assert count(staff_search(client, world, "editor", q="ソーシャルディスタンス")) == 0

    publish(world["seed_year"], kind=PublicationKind.PLAN)
    # The plan is public now, but 総務課's result (where the word is) is not yet.
    assert count(staff_search(client, world, "editor", q="ソーシャルディスタンス")) == 0
    assert count(staff_search(client, world, "editor", q="庁内広報")) >= 1

    publish(world["seed_year"], kind=PublicationKind.RESULT, version=2)
    body = staff_search(client, world, "editor", q="ソーシャルディスタンス")
    assert hits(body) == [f"{GENERAL} 目標2"]
    assert "<mark>ソーシャルディスタンス</mark>" in body


def test_people_of_another_office_find_nothing_of_this_one(client, world):
    publish(world["seed_year"])
    assert count(staff_search(client, world, "outsider", q="合言葉")) == 0
    assert count(staff_search(client, world, "outsider", q="ソーシャルディスタンス")) == 0


def test_someone_without_a_department_is_told_so(client, world):
    body = staff_search(client, world, "nobody", q="合言葉")
    assert "所属する部署が登録されていないため" in body
    assert count(body) is None


def test_staff_search_uses_the_same_query_rules(client, world):
    assert count(staff_search(client, world, "approver", q="ｿｰｼｬﾙﾃﾞｨｽﾀﾝｽ")) == 1
    assert count(staff_search(client, world, "approver", q="合言葉\u3000企画課")) == 1
    assert "キーワードは100文字以内" in staff_search(client, world, "approver", q="あ" * 101)
    body = staff_search(
        client, world, "approver", q="合言葉", year=2021, category="", department="区民課"
    )
    assert hits(body) == [f"{CITIZENS} 目標1"]


def test_staff_search_finds_variant_kanji_in_live_text_and_marks_them(client, world):
    """Live text is not folded: each spelling of the word is looked for (terms.term_variants)."""
    sheet = GoalSheet.objects.get(fiscal_year__year=2021, department__name=PLANNING)
    Goal.objects.create(sheet=sheet, number=2, objective="髙橋さんと渡邊さんが窓口を案内します。")
    body = staff_search(client, world, "approver", q="高橋 渡辺")
    assert hits(body) == [f"{PLANNING} 目標2"]
    assert "<mark>髙橋</mark>さんと<mark>渡邊</mark>さん" in body


def test_staff_search_takes_a_constant_number_of_queries(client, world):
    client.force_login(world["users"]["approver"])
    sizes = []
    for q in ("企画課の下書き", "の"):  # one hit, then a full page
        with CaptureQueriesContext(connection) as queries:
            body = client.get(STAFF_SEARCH, {"q": q}).content.decode()
        sizes.append((len(hits(body)), len(queries)))
    assert sizes[0][0] == 1 and sizes[1][0] == 20
    assert sizes[0][1] == sizes[1][1]


def test_staff_search_stops_counting_at_the_cap_too(client, world, monkeypatch):
    monkeypatch.setattr(search_views, "MAX_HITS", 3)
    body = staff_search(client, world, "approver", q="の")
    assert '<span class="result-count">3 件以上</span>' in body
    assert "3件以上見つかりました。" in body
    assert len(hits(body)) == 3
    assert count(staff_search(client, world, "approver", q="企画課の下書き")) == 1
