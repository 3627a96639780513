"""Login with the city's directory, against a real OpenLDAP server (tests/slapd.py).

The directory is shaped like Active Directory and searched with the Active Directory filter of
docs/deployment.md (disabled bit included) by a service account, unless a test binds directly.
Its settings are made from environment variables by wardservice.ldap_login, as in production.

Marked anydb: what is tested is the directory's answer and the login page; the staff record is
found by ordinary lookups, which the tests marked everydb (matching) also run on PostgreSQL.
"""

import os
import re
import runpy
import socket
import time

import pytest
from django.conf import settings as django_settings
from django.contrib.auth import BACKEND_SESSION_KEY, SESSION_KEY, get_user_model
from django.core.exceptions import ImproperlyConfigured
from django.urls import reverse

from departments.models import Membership, Role, StaffProfile
from tests.factories import MembershipFactory, OfficeFactory, UserFactory
from tests.slapd import PEOPLE, Person, Slapd, binaries
from wardservice import envfile
from wardservice.ldap_login import BACKEND, ldap_settings

pytestmark = pytest.mark.anydb

LOCAL_PASSWORD = "test-pass-2020"  # tests.factories.UserFactory's
AD_FILTER = "(&(objectClass=user)(sAMAccountName=%(user)s)(!(userAccountControl:1.2.840.113556.1.4.803:=2)))"
WRONG = "正しいユーザー名とパスワードを入力してください"
UNAVAILABLE = "庁内ディレクトリ (パスワードを確認するサーバー) に接続できなかった"

YAMADA = Person("yamada", "yamada-dir-pass-1", employee_number="10001")
SUZUKI = Person("h-suzuki", "suzuki-dir-pass-1", employee_number="10002")  # "suzuki" in the app
DISABLED = Person("taikan", "taikan-dir-pass-1", employee_number="10003", disabled=True)
RETIRED = Person("kyujin", "kyujin-dir-pass-1", employee_number="10004")  # inactive in the app
STRANGER = Person("gaibu", "gaibu-dir-pass-1", employee_number="10009")  # unknown to the app
ADMIN = Person("kanri", "kanri-dir-pass-1")  # a superuser of the app has the same name


@pytest.fixture(scope="session")
def slapd():
    if binaries() is None:
        pytest.skip("OpenLDAP's server is not installed (Debian packages slapd and ldap-utils: make setup)")
    server = Slapd.start([YAMADA, SUZUKI, DISABLED, RETIRED, STRANGER, ADMIN])
    yield server
    server.stop()


BASE_BACKENDS = ["axes.backends.AxesBackend", "django.contrib.auth.backends.ModelBackend"]


def set_environment(monkeypatch, **env):
    """The LDAP_ variables of the environment: exactly `env`."""
    for name in [n for n in os.environ if n.startswith("LDAP_")]:
        monkeypatch.delenv(name)
    for name, value in env.items():
        monkeypatch.setenv(name, value)


def use_directory(settings, monkeypatch, **env):
    """This test's settings with directory login configured by the variables `env`."""
    set_environment(monkeypatch, **env)
    for name, value in ldap_settings(BASE_BACKENDS, production=False).items():
        setattr(settings, name, value)


@pytest.fixture
def search_login(slapd, settings, monkeypatch):
    """Active Directory's way: a service account searches, disabled accounts filtered out."""
    use_directory(
        settings, monkeypatch,
        LDAP_SERVER_URI=slapd.uri, LDAP_ALLOW_UNENCRYPTED="1",
        LDAP_BIND_DN=slapd.service_dn, LDAP_BIND_PASSWORD=slapd.service_password,
        LDAP_USER_SEARCH_BASE=PEOPLE, LDAP_USER_SEARCH_FILTER=AD_FILTER,
    )
    return slapd


@pytest.fixture
def office(db):
    return OfficeFactory()


def staff(office, username, employee_number="", **fields):
    user = UserFactory(username=username, **fields)
    StaffProfile.objects.create(user=user, office=office, employee_number=employee_number)
    return user


def log_in(client, username, password):
    return client.post(reverse("login"), {"username": username, "password": password})


def logged_in_as(client, response, user):
    return (
        response.status_code == 302
        and response["Location"] == reverse("goals:home")
        and client.session[SESSION_KEY] == str(user.pk)
    )


def refused_with(response, message):
    body = response.content.decode()
    return response.status_code == 200 and message in body and not response.wsgi_request.user.is_authenticated


# --- Settings from the environment -------------------------------------------------------------


def test_off_without_a_server_address(monkeypatch):
    set_environment(monkeypatch, LDAP_USER_SEARCH_BASE="dc=example,dc=jp")
    assert ldap_settings(BASE_BACKENDS) == {}
    assert BACKEND not in django_settings.AUTHENTICATION_BACKENDS


def test_the_settings_read_the_directory_from_the_environment(monkeypatch):
    settings_file = str(django_settings.BASE_DIR / "wardservice" / "settings.py")
    set_environment(monkeypatch, LDAP_SERVER_URI="ldaps://dc1.example.jp", LDAP_USER_SEARCH_BASE="dc=example,dc=jp")
    loaded = runpy.run_path(settings_file)
    assert loaded["AUTHENTICATION_BACKENDS"] == [*BASE_BACKENDS, BACKEND]
    assert loaded["AUTH_LDAP_SERVER_URI"] == "ldaps://dc1.example.jp"

    # Production refuses to send passwords over plain LDAP.
    monkeypatch.delenv("WARDSERVICE_TESTING")
    monkeypatch.delenv("DEBUG", raising=False)
    monkeypatch.setenv("SECRET_KEY", "x" * 50)
    monkeypatch.setenv("LDAP_SERVER_URI", "ldap://dc1.example.jp")
    with pytest.raises(ImproperlyConfigured, match="unencrypted"):
        runpy.run_path(settings_file)


def test_the_directory_comes_after_throttling_and_the_local_accounts(search_login, settings):
    assert settings.AUTHENTICATION_BACKENDS == [*BASE_BACKENDS, BACKEND]
    assert settings.AUTH_LDAP_NO_NEW_USERS is True
    assert settings.AUTH_LDAP_USER_ATTR_MAP == {} and not settings.AUTH_LDAP_MIRROR_GROUPS


@pytest.mark.parametrize(
    "env, problem",
    [
        ({"LDAP_SERVER_URI": "ldap://dc1.example.jp"}, "unencrypted"),
        ({"LDAP_SERVER_URI": "ldaps://dc1.example.jp http://dc2.example.jp"}, "not an ldap://"),
        ({"LDAP_SERVER_URI": "ldaps://dc1.example.jp"}, "exactly one of"),
        ({"LDAP_USER_DN_TEMPLATE": "uid=%(user)s,dc=example,dc=jp", "LDAP_USER_SEARCH_BASE": "dc=example,dc=jp"}, "exactly one of"),
        ({"LDAP_USER_SEARCH_BASE": "dc=example,dc=jp", "LDAP_USER_SEARCH_FILTER": "(uid=yamada)"}, "%(user)s"),
        ({"LDAP_USER_DN_TEMPLATE": "uid=yamada,dc=example,dc=jp"}, "%(user)s"),
        ({"LDAP_USER_SEARCH_BASE": "dc=example,dc=jp", "LDAP_BIND_DN": "cn=wardservice,dc=example,dc=jp"}, "LDAP_BIND_PASSWORD is empty"),
        ({"LDAP_USER_SEARCH_BASE": "dc=example,dc=jp", "LDAP_NETWORK_TIMEOUT": "0"}, "LDAP_NETWORK_TIMEOUT"),
        ({"LDAP_USER_SEARCH_BASE": "dc=example,dc=jp", "LDAP_TIMEOUT": "forever"}, "LDAP_TIMEOUT"),
        ({"LDAP_USER_SEARCH_BASE": "dc=example,dc=jp", "LDAP_START_TLS": "perhaps"}, "LDAP_START_TLS"),
        ({"LDAP_USER_SEARCH_BASE": "dc=example,dc=jp", "LDAP_CA_CERT_FILE": "/nonexistent/ca.pem"}, "LDAP_CA_CERT_FILE"),
        ({"LDAP_USER_SEARCH_BASE": "dc=example,dc=jp", "LDAP_PASSWORD_HELP_URL": "javascript:alert(1)"}, "LDAP_PASSWORD_HELP_URL"),
    ],
)
def test_a_wrong_configuration_stops_start_up(monkeypatch, env, problem):
    set_environment(monkeypatch, **{"LDAP_SERVER_URI": "ldaps://dc1.example.jp", **env})
    with pytest.raises(ImproperlyConfigured, match=re.escape(problem)):
        ldap_settings(BASE_BACKENDS)


def test_the_documented_active_directory_example_is_the_tested_one(monkeypatch, tmp_path):
    """deploy/env.example's directory lines, as systemd reads them (quotes removed), start up,
    and their filter is the one these tests run against the directory."""
    example = (django_settings.BASE_DIR / "deploy" / "env.example").read_text(encoding="utf-8")
    lines = re.findall(r"^#(LDAP_[A-Z_]+=.*)$", example, re.MULTILINE)
    documented = envfile.parse("\n".join(lines))
    del documented["LDAP_USER_DN_TEMPLATE"]  # the other way, instead of the search
    assert documented["LDAP_USER_SEARCH_FILTER"] == AD_FILTER
    (tmp_path / "city-ca.pem").write_text("")
    set_environment(monkeypatch, **{**documented, "LDAP_CA_CERT_FILE": str(tmp_path / "city-ca.pem")})
    config = ldap_settings(BASE_BACKENDS)
    assert config["AUTH_LDAP_SERVER_URI"].split() == ["ldaps://dc1.city.example.jp", "ldaps://dc2.city.example.jp"]
    assert config["AUTH_LDAP_BIND_DN"] == "CN=wardservice,OU=Service Accounts,DC=city,DC=example,DC=jp"
    assert config["AUTH_LDAP_USER_SEARCH"].filterstr == AD_FILTER


def test_plain_ldap_is_accepted_with_starttls_or_when_allowed(monkeypatch):
    set_environment(
        monkeypatch, LDAP_SERVER_URI="ldap://dc1.example.jp", LDAP_USER_SEARCH_BASE="dc=example,dc=jp",
        LDAP_START_TLS="1",
    )
    assert ldap_settings(BASE_BACKENDS)["AUTH_LDAP_START_TLS"] is True
    monkeypatch.setenv("LDAP_START_TLS", "0")
    monkeypatch.setenv("LDAP_ALLOW_UNENCRYPTED", "1")
    assert ldap_settings(BASE_BACKENDS)["AUTH_LDAP_START_TLS"] is False


# --- Logging in -------------------------------------------------------------------------------


def test_the_directory_password_logs_the_staff_record_in(client, search_login, office):
    yamada = staff(office, "yamada", "10001")  # with a local password, from before the directory
    membership = MembershipFactory(user=yamada, department__office=office, role=Role.VIEWER)

    response = log_in(client, "yamada", YAMADA.password)

    assert logged_in_as(client, response, yamada)
    assert client.session[BACKEND_SESSION_KEY] == BACKEND
    yamada.refresh_from_db()
    # From now on only the directory lets this person in; nothing else about them changed.
    assert not yamada.has_usable_password()
    assert not (yamada.is_staff or yamada.is_superuser)
    assert list(Membership.objects.filter(user=yamada)) == [membership]
    assert membership.role == Role.VIEWER
    assert yamada.last_name == "試験"  # the app's name, not the directory's
    assert client.get(reverse("goals:home")).status_code == 200

    client.post(reverse("logout"))
    assert log_in(client, "yamada", LOCAL_PASSWORD).status_code == 200  # the old local password is gone


def test_a_wrong_password_is_refused_and_the_name_kept(client, search_login, office):
    staff(office, "yamada", "10001")
    response = log_in(client, "yamada", "not-the-password")
    assert refused_with(response, WRONG)
    assert 'value="yamada"' in response.content.decode()


def test_a_disabled_directory_account_is_refused(client, search_login, office):
    taikan = staff(office, "taikan", "10003")
    taikan.set_unusable_password()
    taikan.save()
    assert refused_with(log_in(client, "taikan", DISABLED.password), WRONG)


def test_someone_unknown_to_the_app_is_refused_and_not_created(client, search_login, office):
    users = get_user_model().objects.count()
    assert refused_with(log_in(client, "gaibu", STRANGER.password), WRONG)
    assert get_user_model().objects.count() == users


def test_an_inactive_staff_record_is_refused_and_its_sessions_end(client, search_login, office):
    kyujin = staff(office, "kyujin", "10004")
    kyujin.set_unusable_password()
    kyujin.save()
    assert logged_in_as(client, log_in(client, "kyujin", RETIRED.password), kyujin)

    kyujin.is_active = False  # 退職
    kyujin.save()
    assert client.get(reverse("goals:home"))["Location"].startswith(reverse("login"))
    assert refused_with(log_in(client, "kyujin", RETIRED.password), WRONG)


def test_a_system_administrator_is_never_logged_in_by_the_directory(client, search_login, office):
    kanri = staff(office, "kanri", is_superuser=True, is_staff=True)
    assert refused_with(log_in(client, "kanri", ADMIN.password), WRONG)
    kanri.refresh_from_db()
    assert kanri.check_password(LOCAL_PASSWORD)
    assert logged_in_as(client, log_in(client, "kanri", LOCAL_PASSWORD), kanri)


@pytest.mark.everydb
def test_matching_by_employee_number(client, search_login, office):
    """The directory account h-suzuki is the app's suzuki: the same 職員番号 (stored half-width)."""
    suzuki = staff(office, "suzuki", "10002")
    staff(office, "h-suzuki", "")  # the account name alone does not win over the number
    assert logged_in_as(client, log_in(client, "h-suzuki", SUZUKI.password), suzuki)


@pytest.mark.everydb
def test_matching_by_name_in_any_case_unless_the_numbers_differ(client, search_login, office):
    yamada = staff(office, "Yamada", "")
    assert logged_in_as(client, log_in(client, "YAMADA", YAMADA.password), yamada)
    client.post(reverse("logout"))

    StaffProfile.objects.filter(user=yamada).update(employee_number="99999")  # someone else
    assert refused_with(log_in(client, "yamada", YAMADA.password), WRONG)


@pytest.mark.everydb
def test_after_a_transfer_the_active_record_with_the_number_logs_in(client, search_login, office):
    before = staff(office, "suzuki-old", "10002", is_active=False)
    now = staff(OfficeFactory(), "suzuki-new", "10002")
    assert logged_in_as(client, log_in(client, "h-suzuki", SUZUKI.password), now)
    assert before.pk != now.pk


def test_throttling_still_locks_a_directory_account(client, search_login, office, settings):
    staff(office, "yamada", "10001")
    responses = [log_in(client, "yamada", "wrong-password") for _ in range(settings.AXES_FAILURE_LIMIT)]
    assert [r.status_code for r in responses] == [200] * (settings.AXES_FAILURE_LIMIT - 1) + [429]
    assert log_in(client, "yamada", YAMADA.password).status_code == 429  # the right one too
    assert "_auth_user_id" not in client.session


def test_direct_bind_with_a_dn_template(client, slapd, settings, monkeypatch, office):
    """OpenLDAP's simplest way: no service account, the person's entry named from the account."""
    use_directory(
        settings, monkeypatch,
        LDAP_SERVER_URI=slapd.uri, LDAP_ALLOW_UNENCRYPTED="1",
        LDAP_USER_DN_TEMPLATE=f"uid=%(user)s,{PEOPLE}",
    )
    suzuki = staff(office, "suzuki", "10002")  # the number is read with the person's own bind
    assert logged_in_as(client, log_in(client, "h-suzuki", SUZUKI.password), suzuki)
    client.post(reverse("logout"))
    assert refused_with(log_in(client, "h-suzuki", "not-the-password"), WRONG)


@pytest.mark.parametrize("way", ["starttls", "ldaps"])
def test_encrypted_connections_check_the_certificate(client, slapd, settings, monkeypatch, office, way):
    yamada = staff(office, "yamada", "10001")
    env = {
        "LDAP_SERVER_URI": slapd.ldaps_uri if way == "ldaps" else slapd.uri,
        "LDAP_START_TLS": "1" if way == "starttls" else "0",
        "LDAP_BIND_DN": slapd.service_dn, "LDAP_BIND_PASSWORD": slapd.service_password,
        "LDAP_USER_SEARCH_BASE": PEOPLE, "LDAP_USER_SEARCH_FILTER": AD_FILTER,
    }
    # Without the city's certificate authority the server is not trusted: no password is sent.
    use_directory(settings, monkeypatch, **env)
    assert refused_with(log_in(client, "yamada", YAMADA.password), UNAVAILABLE)

    use_directory(settings, monkeypatch, **env, LDAP_CA_CERT_FILE=str(slapd.ca_file))
    assert logged_in_as(client, log_in(client, "yamada", YAMADA.password), yamada)


# --- The directory down -----------------------------------------------------------------------


@pytest.fixture
def silent_server():
    """A server that accepts connections and never answers (a hung directory)."""
    with socket.socket() as server:
        server.bind(("127.0.0.1", 0))
        server.listen(16)
        yield server.getsockname()[1]


@pytest.fixture
def closed_port():
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.mark.parametrize("case", ["hung ldap://", "hung ldaps://", "nothing listening"])
def test_an_unreachable_directory_is_said_in_japanese_in_bounded_time(
    client, settings, monkeypatch, office, silent_server, closed_port, case
):
    uri = {
        "hung ldap://": f"ldap://127.0.0.1:{silent_server}",
        "hung ldaps://": f"ldaps://127.0.0.1:{silent_server}",
        "nothing listening": f"ldap://127.0.0.1:{closed_port}",
    }[case]
    use_directory(
        settings, monkeypatch,
        LDAP_SERVER_URI=uri, LDAP_ALLOW_UNENCRYPTED="1", LDAP_NETWORK_TIMEOUT="0.5", LDAP_TIMEOUT="0.5",
        LDAP_BIND_DN="cn=wardservice,ou=services,dc=example,dc=jp", LDAP_BIND_PASSWORD="x",
        LDAP_USER_SEARCH_BASE=PEOPLE, LDAP_USER_SEARCH_FILTER=AD_FILTER,
    )
    yamada = staff(office, "yamada", "10001")
    yamada.set_unusable_password()
    yamada.save()
    local = staff(office, "kanri")

    started = time.monotonic()
    response = log_in(client, "yamada", YAMADA.password)
    assert time.monotonic() - started < 2.5
    assert refused_with(response, UNAVAILABLE)
    assert 'value="yamada"' in response.content.decode()

    # A local account logs in without asking the directory (asking would have failed).
    response = log_in(client, "kanri", LOCAL_PASSWORD)
    assert logged_in_as(client, response, local)
    assert not getattr(response.wsgi_request, "directory_unavailable", False)


# --- Passwords are the directory's ------------------------------------------------------------


def test_a_directory_account_cannot_change_its_password_here(client, search_login, office, settings):
    yamada = staff(office, "yamada", "10001")
    assert "庁内のパソコンにログインするときの名前" in client.get(reverse("login")).content.decode()
    log_in(client, "yamada", YAMADA.password)

    home = client.get(reverse("goals:home")).content.decode()
    assert reverse("password_change") not in home  # no link in the staff menu
    page = client.get(reverse("password_change"))
    assert page.status_code == 200
    body = page.content.decode()
    assert "庁内ディレクトリのアカウント" in body and 'name="new_password1"' not in body
    assert "庁内のパスワード変更の案内" not in body

    settings.DIRECTORY_PASSWORD_HELP_URL = "https://intra.example.jp/password"
    assert 'href="https://intra.example.jp/password"' in client.get(reverse("password_change")).content.decode()

    new = {"old_password": YAMADA.password, "new_password1": "a-new-pass-2021", "new_password2": "a-new-pass-2021"}
    assert client.post(reverse("password_change"), new).status_code == 403
    assert client.get(reverse("password_change_done")).status_code == 200
    yamada.refresh_from_db()
    assert not yamada.has_usable_password()


def test_a_local_account_still_changes_its_password(client, search_login, office):
    local = staff(office, "kanri")
    client.force_login(local)
    assert reverse("password_change") in client.get(reverse("goals:home")).content.decode()
    assert 'name="new_password1"' in client.get(reverse("password_change")).content.decode()
