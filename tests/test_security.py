"""Production security: the database-down page, sessions, password change, who reaches the admin,
and permission changes taking effect at once."""

import io
import logging
import re
import socket
from contextlib import contextmanager
from datetime import timedelta
from pathlib import Path

import pytest
from django.contrib.auth import get_user_model
from django.contrib.sessions.models import Session
from django.core.management import call_command
from django.db import connections
from django.template.loader import render_to_string
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from departments.models import Membership, Role
from tests.factories import (
    DepartmentFactory,
    FiscalYearFactory,
    GoalSheetFactory,
    MembershipFactory,
    OfficeFactory,
)
from tests.markup.vnu import check, format_messages, missing_tools
from wardservice.middleware import UNAVAILABLE_TEMPLATE

ROOT = Path(__file__).resolve().parent.parent
PASSWORD = "test-pass-2020"  # tests.factories.UserFactory
HOME = reverse("goals:home")
LOGIN = reverse("login")
UNAVAILABLE = "ただいまご利用いただけません"


def redirected_to_login(response):
    return response.status_code == 302 and response["Location"].startswith(LOGIN)


# --- Database unavailable → 503 ---------------------------------------------------------------


def closed_port():
    """A loopback port nobody listens on (bound for a moment by us, then released)."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@contextmanager
def database_unreachable(tmp_path):
    """Point the default connection at a database that is not there, then restore it.

    PostgreSQL: a closed loopback port. SQLite: a file in a folder that does not exist. The test
    database's own connection is closed (PostgreSQL) or set aside (an in-memory SQLite database
    would be deleted by closing its last connection) and comes back afterwards.
    """
    connection = connections["default"]
    saved = connection.settings_dict
    if connection.vendor == "sqlite":
        unreachable = {**saved, "NAME": str(tmp_path / "no-such-folder" / "db.sqlite3")}
        kept = connection.connection if connection.is_in_memory_db() else None
        if kept is None:
            connection.close()
    else:
        unreachable = {**saved, "HOST": "127.0.0.1", "PORT": str(closed_port())}
        kept = None
        connection.close()
    connection.connection = None
    connection.settings_dict = unreachable
    try:
        yield
    finally:
        connection.close()
        connection.settings_dict = saved
        connection.connection = kept


@pytest.fixture
def staff_client(db):
    user = MembershipFactory(role=Role.EDITOR).user
    client = Client()
    client.force_login(user)
    return client


def assert_unavailable_page(response):
    body = response.content.decode()
    assert response.status_code == 503
    assert UNAVAILABLE in body and "総務課またはシステム管理者" in body
    assert response["Retry-After"] == "120"
    assert "Traceback" not in body and "OperationalError" not in body
    assert "ログアウト" not in body  # no user menu: that would need the database
    assert "Content-Security-Policy" in response


@pytest.mark.django_db(transaction=True)
def test_public_and_staff_pages_answer_503_while_the_database_is_unreachable(
    client, staff_client, tmp_path, caplog
):
    assert client.get("/").status_code == 200
    assert staff_client.get(HOME).status_code == 200

    with caplog.at_level(logging.ERROR, logger="wardservice.middleware"):
        with database_unreachable(tmp_path):
            public = client.get("/")
            staff = staff_client.get(HOME)  # the session cannot even be read
            search = client.get(reverse("reports:search"), {"q": "窓口"})

    for response in (public, staff, search):
        assert_unavailable_page(response)
    logged = [r for r in caplog.records if r.name == "wardservice.middleware"]
    assert len(logged) == 3 and all(r.levelno == logging.ERROR for r in logged)
    assert logged[1].getMessage().startswith(f"Database unavailable during GET {HOME}")

    # Back to normal once the database is.
    assert client.get("/").status_code == 200
    assert staff_client.get(HOME).status_code == 200


@pytest.mark.django_db(transaction=True)
def test_saving_the_session_after_a_view_that_needed_no_database_answers_503(staff_client, tmp_path):
    """An unknown URL needs no database, but the session is saved after every request."""
    assert staff_client.get("/no-such-page/").status_code == 404
    with database_unreachable(tmp_path):
        response = staff_client.get("/no-such-page/")
    assert_unavailable_page(response)


# --- Sessions ----------------------------------------------------------------------------------


def stored_session(client):
    return Session.objects.get(session_key=client.session.session_key)


def test_a_session_ends_after_thirty_idle_minutes(staff_client):
    assert staff_client.get(HOME).status_code == 200
    Session.objects.filter(pk=stored_session(staff_client).pk).update(
        expire_date=timezone.now() - timedelta(seconds=1)  # 30 minutes without a request
    )
    assert redirected_to_login(staff_client.get(HOME))


def test_every_request_moves_the_idle_timeout_forward(staff_client):
    Session.objects.filter(pk=stored_session(staff_client).pk).update(
        expire_date=timezone.now() + timedelta(minutes=1)  # 29 minutes without a request
    )
    response = staff_client.get(HOME)
    assert response.status_code == 200
    remaining = stored_session(staff_client).expire_date - timezone.now()
    assert timedelta(minutes=29) < remaining <= timedelta(minutes=30)
    cookie = response.cookies["sessionid"]
    assert cookie["httponly"] and cookie["samesite"] == "Lax"
    assert cookie["max-age"] == ""  # ends with the browser too (SESSION_EXPIRE_AT_BROWSER_CLOSE)


# --- Password change: every other session of the user ends -----------------------------------


def test_password_change_page_is_in_japanese_and_linked_from_the_staff_menu(staff_client):
    home = staff_client.get(HOME).content.decode()
    assert f'href="{reverse("password_change")}"' in home
    page = staff_client.get(reverse("password_change")).content.decode()
    assert "パスワードの変更" in page and "元のパスワード" in page and "新しいパスワード" in page


def test_the_password_validators_answer_in_japanese(staff_client):
    response = staff_client.post(
        reverse("password_change"),
        {"old_password": PASSWORD, "new_password1": "password", "new_password2": "password"},
    )
    body = response.content.decode()
    assert response.status_code == 200
    assert "このパスワードは短すぎます。最低 12 文字以上必要です。" in body
    assert "このパスワードは一般的すぎます。" in body


def test_changing_the_password_keeps_this_session_and_ends_the_others(db):
    user = MembershipFactory(role=Role.EDITOR).user
    here, elsewhere = Client(), Client()
    here.force_login(user)
    elsewhere.force_login(user)
    assert elsewhere.get(HOME).status_code == 200

    new_password = "kuyakusho-mokuhyo-2021"
    response = here.post(
        reverse("password_change"),
        {"old_password": PASSWORD, "new_password1": new_password, "new_password2": new_password},
    )
    assert response.status_code == 302 and response["Location"] == reverse("password_change_done")
    assert "パスワードを変更しました" in here.get(response["Location"]).content.decode()
    assert here.get(HOME).status_code == 200
    assert redirected_to_login(elsewhere.get(HOME))
    user.refresh_from_db()
    assert user.check_password(new_password)


# --- The admin is for システム管理者 only -------------------------------------------------------


def test_only_the_system_administrator_of_the_demo_reaches_the_admin(db):
    call_command("load_demo", stdout=io.StringIO())
    User = get_user_model()
    assert set(User.objects.filter(is_staff=True).values_list("username", flat=True)) == {"admin"}
    assert set(User.objects.filter(is_superuser=True).values_list("username", flat=True)) == {"admin"}
    approver = Client()
    approver.force_login(User.objects.get(username="shonin"))
    response = approver.get("/admin/")
    assert response.status_code == 302 and response["Location"].startswith(reverse("admin:login"))
    admin = Client()
    admin.force_login(User.objects.get(username="admin"))
    assert admin.get("/admin/").status_code == 200


def test_a_department_member_is_not_admin_staff(staff_client):
    response = staff_client.get("/admin/departments/membership/")
    assert response.status_code == 302 and response["Location"].startswith(reverse("admin:login"))


# --- Permission changes take effect on the very next request ---------------------------------


@pytest.fixture
def sheet(db):
    office = OfficeFactory(slug="henkou")
    return GoalSheetFactory(
        fiscal_year=FiscalYearFactory(office=office, year=2021),
        department=DepartmentFactory(office=office),
    )


def sheet_url(name, sheet):
    office, code = sheet.fiscal_year.office.slug, sheet.department.code
    return reverse(name, kwargs={"office": office, "year": 2021, "code": code})


@pytest.fixture
def editor(sheet):
    return MembershipFactory(department=sheet.department, role=Role.EDITOR)


def test_a_removed_membership_refuses_the_next_request(client, sheet, editor):
    client.force_login(editor.user)
    assert client.get(sheet_url("goals:sheet", sheet)).status_code == 200
    editor.delete()
    assert client.get(sheet_url("goals:sheet", sheet)).status_code == 404


def test_a_lowered_role_refuses_the_next_request(client, sheet, editor):
    client.force_login(editor.user)
    assert client.get(sheet_url("goals:plan_edit", sheet)).status_code == 200
    Membership.objects.filter(pk=editor.pk).update(role=Role.VIEWER)
    assert client.get(sheet_url("goals:plan_edit", sheet)).status_code == 403


def test_a_deactivated_user_is_logged_out_at_the_next_request(client, sheet, editor):
    client.force_login(editor.user)
    assert client.get(sheet_url("goals:sheet", sheet)).status_code == 200
    get_user_model().objects.filter(pk=editor.user.pk).update(is_active=False)
    assert redirected_to_login(client.get(sheet_url("goals:sheet", sheet)))
    assert redirected_to_login(client.get(HOME))


# --- Content-Security-Policy: the header, and no inline code to need an exception ------------

EXPECTED_CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "object-src 'none'; base-uri 'self'; form-action 'self'; frame-ancestors 'none'"
)
TEMPLATE_DIRS = [ROOT / "templates", *(ROOT / app / "templates" for app in ("departments", "goals", "reports"))]
# An inline <script> (one without src), a <style> element, a style="" attribute, an on…= handler.
INLINE = re.compile(r"<script(?![^>]*\bsrc=)[^>]*>|<style[\s>]|\sstyle\s*=|\son[a-z]+\s*=|javascript:", re.I)


def directives(policy):
    return sorted(part.strip() for part in policy.split(";"))


def test_every_page_sends_the_policy(client, staff_client):
    for response in (client.get("/"), client.get(LOGIN), staff_client.get(HOME), client.get("/healthz")):
        assert directives(response["Content-Security-Policy"]) == directives(EXPECTED_CSP)
        assert "unsafe" not in response["Content-Security-Policy"]


@pytest.mark.anydb
def test_no_template_has_inline_script_or_style():
    templates = [path for folder in TEMPLATE_DIRS if folder.is_dir() for path in folder.rglob("*.html")]
    assert len(templates) > 40
    offenders = {
        str(path.relative_to(ROOT)): INLINE.findall(path.read_text(encoding="utf-8"))
        for path in templates
    }
    assert {path: found for path, found in offenders.items() if found} == {}


# --- The pages added here are valid HTML (Nu Html Checker) ------------------------------------


@pytest.mark.anydb
def test_the_security_pages_and_the_dashboard_are_valid_html(client, sheet):
    if missing_tools():
        pytest.fail(f"cannot run the Nu Html Checker: {missing_tools()}")
    approver = MembershipFactory(department=sheet.department, role=Role.APPROVER).user
    client.force_login(approver)
    documents = {
        "dashboard": client.get(reverse("goals:dashboard", kwargs={"office": "henkou", "year": 2021})),
        "password change (errors)": client.post(
            reverse("password_change"), {"old_password": "x", "new_password1": "a", "new_password2": "b"}
        ),
        "password changed": client.get(reverse("password_change_done")),
    }
    client.logout()
    for _ in range(5):
        documents["429"] = client.post(LOGIN, {"username": approver.username, "password": "wrong"})
    assert {name: r.status_code for name, r in documents.items()} == {
        "dashboard": 200, "password change (errors)": 200, "password changed": 200, "429": 429,
    }
    html = {name: response.content for name, response in documents.items()}
    html["503"] = render_to_string(UNAVAILABLE_TEMPLATE).encode()
    errors = {
        name: [m for m in messages if m.is_error] for name, messages in check(html).items()
    }
    assert not any(errors.values()), "\n".join(
        f"{name}:\n{format_messages(found)}" for name, found in errors.items() if found
    )
