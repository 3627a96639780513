"""Every staff URL × every persona → the expected answer (STYLE: tests that mean something).

404 when the person may not even know the object exists, 403 when they may see it but not do
this, a redirect to the login page for anonymous visitors.
"""

import pytest
from django.urls import reverse

from departments.models import Role
from goals.models import FiscalYear, Goal, GoalSheet, Phase, ReviewEvent, SheetStatus
from goals.selectors import sheet_content
from goals.services import fiscal_year_open_next, sheet_submit
from tests.factories import MembershipFactory
from tests.personas import CHIIKI, KIKAKU, member, seed_department

# Who may open what is decided by the views' access checks before any engine-specific query, and
# the views themselves are tested on both engines: run once, on SQLite (tests/conftest.py).
pytestmark = pytest.mark.anydb

PERSONAS = ("editor", "other_editor", "approver", "viewer", "anonymous")
LOGIN = "login"


@pytest.fixture
def world(seed_year, people):
    """The personas, with an editor of 企画課 and 地域振興課; a draft sheet and a submitted one."""
    year = fiscal_year_open_next(previous=seed_year)
    editor = member(KIKAKU, username="m-editor")
    MembershipFactory(user=editor, department=seed_department(CHIIKI), role=Role.EDITOR)
    users = {
        "editor": editor,
        "other_editor": people.kumin_editor,
        "approver": people.approver,
        "viewer": people.viewer,
    }
    draft = GoalSheet.objects.get(fiscal_year=year, department=seed_department(KIKAKU))
    submitted = GoalSheet.objects.get(fiscal_year=year, department=seed_department(CHIIKI))
    for sheet in (draft, submitted):
        Goal.objects.create(sheet=sheet, number=1, objective="窓口の案内を分かりやすくします。")
        GoalSheet.objects.filter(pk=sheet.pk).update(plan_status=SheetStatus.DRAFT)
    sheet_submit(sheet=submitted, phase=Phase.PLAN, by=users["editor"])
    return {"year": year, "users": users, "draft": draft, "submitted": submitted}


def sheet_url(name, sheet, **extra):
    return reverse(name, kwargs={"office": "nakahara", "year": 2021, "code": sheet.department.code, **extra})


# (route, which sheet, extra kwargs) -> expected status per persona, in PERSONAS order
GET_MATRIX = [
    ("goals:home", None, {}, (200, 200, 200, 200, LOGIN)),
    ("goals:dashboard", "year", {}, (404, 404, 200, 200, LOGIN)),
    ("goals:years", "office", {}, (404, 404, 200, 200, LOGIN)),
    ("goals:max_goals", "year", {}, (404, 404, 200, 403, LOGIN)),
    ("goals:sheet", "draft", {}, (200, 404, 200, 200, LOGIN)),
    # 総務課 writes and submits for any department (代理入力); a viewer never.
    ("goals:plan_edit", "draft", {}, (200, 404, 200, 403, LOGIN)),
    ("goals:submit", "draft", {"phase": "plan"}, (200, 404, 200, 403, LOGIN)),
    ("goals:approve", "submitted", {"phase": "plan"}, (403, 404, 200, 403, LOGIN)),
    ("goals:return", "submitted", {"phase": "plan"}, (403, 404, 200, 403, LOGIN)),
    ("goals:reopen", "submitted", {"phase": "plan"}, (403, 404, 200, 403, LOGIN)),
    ("goals:changes", "submitted", {"phase": "plan"}, (200, 404, 200, 200, LOGIN)),
]


def url_for(route, target, extra, world):
    if target is None:
        return reverse(route)
    if target == "year":
        return reverse(route, kwargs={"office": "nakahara", "year": 2021})
    if target == "office":
        return reverse(route, kwargs={"office": "nakahara"})
    return sheet_url(route, world[target], **extra)


def as_persona(client, world, persona):
    if persona != "anonymous":
        client.force_login(world["users"][persona])
    return client


def check(response, expected):
    if expected == LOGIN:
        assert response.status_code == 302 and response["Location"].startswith("/accounts/login/")
    else:
        assert response.status_code == expected


@pytest.mark.parametrize("persona", PERSONAS)
@pytest.mark.parametrize("route, target, extra, expected", GET_MATRIX, ids=[row[0] for row in GET_MATRIX])
def test_get_matrix(route, target, extra, expected, persona, client, world):
    client = as_persona(client, world, persona)
    response = client.get(url_for(route, target, extra, world))
    check(response, expected[PERSONAS.index(persona)])


# POSTs by people who must not act: refused, and nothing changes.
POST_MATRIX = [
    ("goals:plan_edit", "draft", {}, {"other_editor": 404, "viewer": 403, "anonymous": LOGIN}),
    ("goals:results_edit", "draft", {}, {"other_editor": 404, "viewer": 403, "anonymous": LOGIN}),
    ("goals:submit", "draft", {"phase": "plan"}, {"other_editor": 404, "viewer": 403, "anonymous": LOGIN}),
    ("goals:approve", "submitted", {"phase": "plan"},
     {"editor": 403, "other_editor": 404, "viewer": 403, "anonymous": LOGIN}),
    ("goals:return", "submitted", {"phase": "plan"},
     {"editor": 403, "other_editor": 404, "viewer": 403, "anonymous": LOGIN}),
    ("goals:reopen", "submitted", {"phase": "plan"},
     {"editor": 403, "other_editor": 404, "viewer": 403, "anonymous": LOGIN}),
    ("goals:phase", "year", {"phase": "plan"},
     {"editor": 404, "other_editor": 404, "viewer": 403, "anonymous": LOGIN}),
    ("goals:max_goals", "year", {},
     {"editor": 404, "other_editor": 404, "viewer": 403, "anonymous": LOGIN}),
]
POST_CASES = [(route, target, extra, persona, code) for route, target, extra, by in POST_MATRIX
              for persona, code in by.items()]


def state(world):
    return [
        (sheet.pk, sheet.version, sheet.plan_status, sheet_content(sheet))
        for sheet in GoalSheet.objects.filter(pk__in=[world["draft"].pk, world["submitted"].pk]).order_by("pk")
    ], ReviewEvent.objects.count(), FiscalYear.objects.get(pk=world["year"].pk).max_goals


@pytest.mark.parametrize("route, target, extra, persona, expected", POST_CASES,
                         ids=[f"{c[0]}-{c[3]}" for c in POST_CASES])
def test_post_by_the_wrong_person_changes_nothing(route, target, extra, persona, expected, client, world):
    client = as_persona(client, world, persona)
    before = state(world)
    url = reverse(route, kwargs={"office": "nakahara", "year": 2021, **extra}) if target == "year" \
        else sheet_url(route, world[target], **extra)
    payload = {"comment": "乗っ取り", "reason": "乗っ取り", "version": world[target].version if target != "year" else 1,
               "is_open": "", "deadline": "2021-05-31", "max_goals": "8"}
    response = client.post(url, payload)
    check(response, expected)
    assert state(world) == before
