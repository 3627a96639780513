"""The error pages (wardservice.errors): Japanese 400, 403, 404 and 500 in the site's layout with
its links, and the CSRF failure page that shows a refused form's typed text back. Their markup is
checked with the public pages' (tests/markup/test_vnu.py)."""

import re

import pytest
from django.core.exceptions import PermissionDenied
from django.test import Client
from django.urls import reverse
from django.views.defaults import server_error

from departments.models import Role
from goals.models import Goal
from tests.factories import GoalSheetFactory, MembershipFactory, UserFactory
from wardservice.errors import permission_denied
from wardservice.kept_input import MAX_FIELD_CHARS, MAX_FIELDS

PASSWORD = "test-pass-2020"  # tests.factories.UserFactory
CSRF_TITLE = "送信した内容を受け付けられませんでした"


@pytest.fixture(autouse=True)
def production_debug(settings):
    """DEBUG off, as in production: Django's technical pages would answer otherwise."""
    settings.DEBUG = False


def title(response):
    return re.search(r"<title>(.*?)</title>", response.content.decode(), re.S).group(1)


def assert_error_page(response, status, heading):
    """Status, Japanese, the heading as title, and the ways on: home, search, staff."""
    body = response.content.decode()
    assert response.status_code == status
    assert '<html lang="ja">' in body
    assert title(response) == f"{heading} | 区役所サービス向上目標"
    assert f"<h1 class=\"h3 mb-3\">{heading}</h1>" in body
    assert 'href="/"' in body and f'href="{reverse("reports:search")}"' in body
    assert f'href="{reverse("goals:home")}"' in body or f'href="{reverse("login")}"' in body
    for english in ("Not Found", "Forbidden", "Bad Request", "Server Error", "Traceback"):
        assert english not in body
    return body


@pytest.fixture
def sheet(db):
    return GoalSheetFactory(fiscal_year__office__slug="errors", fiscal_year__year=2021)


def plan_url(sheet):
    kwargs = {"office": "errors", "year": 2021, "code": sheet.department.code}
    return reverse("goals:plan_edit", kwargs=kwargs)


def logged_in(user, **kwargs):
    client = Client(**kwargs)
    client.force_login(user)
    return client


# --- 404 -----------------------------------------------------------------------------------------


@pytest.mark.django_db
def test_an_unpublished_year_is_a_japanese_404_with_its_reason(client):
    body = assert_error_page(client.get("/reports/nakahara/2019/"), 404, "ページが見つかりません")
    assert "この年度の表は公表されていません。" in body  # the view's own words
    assert f'href="{reverse("login")}"' in body  # not logged in: the way to log in


def test_the_frameworks_own_404_messages_stay_hidden(sheet):
    approver = MembershipFactory(department=sheet.department, role=Role.APPROVER).user
    # An approver's dashboard of a year the office does not have: get_object_or_404's English.
    response = logged_in(approver).get(reverse("goals:dashboard", kwargs={"office": "errors", "year": 2030}))
    body = assert_error_page(response, 404, "ページが見つかりません")
    assert "matches the given query" not in body and "FiscalYear" not in body
    assert "error-message" not in body
    assert f'href="{reverse("goals:home")}"' in body  # logged in: back to the staff home


@pytest.mark.anydb
@pytest.mark.django_db
def test_an_unknown_address_is_a_japanese_404(client):
    body = assert_error_page(client.get("/no-such-page/"), 404, "ページが見つかりません")
    assert "Resolver404" not in body and "no-such-page" not in body


# --- 403 -----------------------------------------------------------------------------------------


def test_a_viewer_on_an_edit_page_gets_a_japanese_403(sheet):
    viewer = MembershipFactory(department=sheet.department, role=Role.VIEWER, user__last_name="閲覧").user

    body = assert_error_page(logged_in(viewer).get(plan_url(sheet)), 403, "この操作は許可されていません")

    assert "閲覧 " in body and "さんの役割では" in body
    assert "総務課に役割の確認を依頼してください" in body
    assert f'href="{reverse("goals:home")}"' in body


@pytest.mark.django_db
def test_a_refusal_the_project_wrote_is_shown_and_the_frameworks_is_not(rf):
    request = rf.get("/staff/")
    request.user = UserFactory()

    ours = permission_denied(request, PermissionDenied("この年度の公表は総務課の承認者が行います。"))
    theirs = permission_denied(request, PermissionDenied("You do not have permission <b>x</b>."))

    assert ours.status_code == theirs.status_code == 403
    assert "この年度の公表は総務課の承認者が行います。" in ours.content.decode()
    assert "permission" not in theirs.content.decode()


# --- 400 and 500 ---------------------------------------------------------------------------------


@pytest.mark.anydb
@pytest.mark.django_db
def test_a_bad_host_is_a_japanese_400(client):
    response = client.get("/", HTTP_HOST="attacker.example")
    body = assert_error_page(response, 400, "リクエストを処理できません")
    assert "attacker.example" not in body


@pytest.mark.anydb
@pytest.mark.django_db
def test_the_500_page_is_japanese_and_needs_no_database(rf, django_assert_num_queries):
    with django_assert_num_queries(0):
        response = server_error(rf.get("/staff/"))  # what handler500 is: Django's own view
    body = assert_error_page(response, 500, "システムでエラーが発生しました")
    assert "システム管理者が確認します" in body
    assert "ログアウト" not in body  # no user menu: that would need the database
    assert 'href="/static/favicon.svg"' in body


# --- Favicon -------------------------------------------------------------------------------------


@pytest.mark.anydb
def test_favicon_ico_is_answered_and_the_pages_link_the_icons(client, db):
    response = client.get("/favicon.ico")
    assert response.status_code == 301 and response["Location"] == "/static/favicon.ico"
    icon = client.get(response["Location"])
    assert icon.status_code == 200 and b"".join(icon.streaming_content)[:4] == b"\x00\x00\x01\x00"
    svg = client.get("/static/favicon.svg")
    assert svg.status_code == 200 and b"<svg" in b"".join(svg.streaming_content)
    body = client.get("/").content.decode()
    assert 'rel="icon" href="/static/favicon.svg" type="image/svg+xml"' in body
    assert 'rel="icon" href="/static/favicon.ico"' in body


# --- CSRF failure: the typed text comes back -----------------------------------------------------

OBJECTIVE = "窓口の<script>alert(1)</script>案内を\n分かりやすくします。"


@pytest.fixture
def editor(sheet):
    return MembershipFactory(department=sheet.department, role=Role.EDITOR).user


@pytest.fixture
def stale_client(editor, sheet):
    """The editor's browser: a CSRF cookie from opening the form, which a new login replaced."""
    client = logged_in(editor, enforce_csrf_checks=True)
    assert client.get(plan_url(sheet)).status_code == 200
    return client


def stale_post(client, sheet, data, **headers):
    form = {
        "csrfmiddlewaretoken": "a" * 64,  # the token of a page opened before the login changed
        "version": "1",
        "phase": "plan",
        "action": "save",
        "goals-TOTAL_FORMS": "3",
        "goals-INITIAL_FORMS": "0",
        "goals-0-number": "1",
        "goals-0-categories": "7",
        **data,
    }
    return client.post(plan_url(sheet), form, **headers)


def kept_boxes(body):
    """{label: value} of the read-only boxes of the failure page."""
    pattern = r'<label for="(kept-\d+)"[^>]*>([^<]*)</label>\s*<textarea id="\1"[^>]*readonly[^>]*>\n(.*?)</textarea>'
    return {label: value for _, label, value in re.findall(pattern, body, re.S)}


def test_a_stale_form_is_refused_and_its_typed_text_shown_back(stale_client, sheet):
    referer = "http://testserver" + plan_url(sheet) + "?from=sheet"
    response = stale_post(
        stale_client,
        sheet,
        {"goals-0-objective": OBJECTIVE, "goals-0-actions": "", "goals-1-actions": "職員研修を行います。", "password": "hunter2"},
        HTTP_REFERER=referer,
        HTTP_ORIGIN="http://testserver",
    )

    body = response.content.decode()
    assert response.status_code == 403
    assert title(response) == f"{CSRF_TITLE} | 区役所サービス向上目標" and '<html lang="ja">' in body
    assert kept_boxes(body) == {
        "目標 (1件目)": "窓口の&lt;script&gt;alert(1)&lt;/script&gt;案内を\n分かりやすくします。",
        "具体的な取組内容 (2件目)": "職員研修を行います。",
    }
    for left_out in ("a" * 64, "hunter2", "TOTAL_FORMS", "save", ">plan<", ">7<", "<script>"):
        assert left_out not in body
    assert f'<a href="{plan_url(sheet)}?from=sheet">元のページを開き直します</a>' in body
    assert not Goal.objects.filter(sheet=sheet).exists()  # nothing saved
    assert response["Cache-Control"].startswith("max-age=0")


def test_a_form_posted_from_another_site_shows_nothing_back(stale_client, sheet):
    for headers in ({"HTTP_ORIGIN": "https://attacker.example"}, {"HTTP_REFERER": "https://attacker.example/x"}):
        body = stale_post(stale_client, sheet, {"goals-0-objective": "偽の文章です。"}, **headers).content.decode()
        assert CSRF_TITLE in body
        assert "偽の文章です。" not in body and "attacker.example" not in body
        assert "元のページを開き直します (ブラウザー" in body  # no link: the Referer is not ours


def test_the_text_shown_back_is_limited_in_length_and_count(stale_client, sheet):
    fields = {f"note{i}": f"メモ{i} です" for i in range(MAX_FIELDS + 5)}
    fields["note0"] = "長" * (MAX_FIELD_CHARS + 10)

    body = stale_post(stale_client, sheet, fields).content.decode()

    boxes = kept_boxes(body)
    assert len(boxes) == MAX_FIELDS
    assert boxes["note0"] == "長" * MAX_FIELD_CHARS
    assert "長すぎるため、先頭の部分だけを表示しています。" in body
    assert "ほかに 5 件の項目がありますが" in body

