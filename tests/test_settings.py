"""Settings come from the environment, strictly; production never starts with a default secret."""

import os
import re
import runpy
import subprocess
import sys
from pathlib import Path

import pytest
from django.core.exceptions import ImproperlyConfigured
from django.core.management.utils import get_random_secret_key

from wardservice.env import env_bool, env_int, env_list, env_words

# Settings and their environment variables; no database engine involved.
pytestmark = pytest.mark.anydb

ROOT = Path(__file__).resolve().parent.parent


def run_check(**env):
    clean = {k: v for k, v in os.environ.items() if k not in {"SECRET_KEY", "DEBUG", "WARDSERVICE_TESTING"}}
    clean.update(env, DJANGO_SETTINGS_MODULE="wardservice.settings")
    return subprocess.run(
        [sys.executable, "manage.py", "check"], cwd=ROOT, env=clean, capture_output=True, text=True
    )


def test_production_refuses_to_start_without_a_secret():
    result = run_check(DEBUG="0")
    assert result.returncode != 0
    assert "SECRET_KEY must be set" in result.stderr


def test_production_starts_with_a_secret():
    result = run_check(DEBUG="0", SECRET_KEY="x" * 50, ALLOWED_HOSTS="ward.example.jp")
    assert result.returncode == 0, result.stderr


def test_a_command_prints_only_what_it_has_to_say():
    """Libraries' INFO chatter (pikepdf announces itself when imported) stays out of every command."""
    result = run_check(DEBUG="0", SECRET_KEY="x" * 50, ALLOWED_HOSTS="ward.example.jp")
    assert result.returncode == 0, result.stderr
    assert result.stderr == "" and result.stdout == "System check identified no issues (0 silenced).\n"


def test_malformed_boolean_is_refused(monkeypatch):
    monkeypatch.setenv("FLAG", "maybe")
    with pytest.raises(ImproperlyConfigured):
        env_bool("FLAG")
    monkeypatch.setenv("FLAG", "on")
    assert env_bool("FLAG") is True


def test_int_and_list_readers(monkeypatch):
    monkeypatch.setenv("N", "x")
    with pytest.raises(ImproperlyConfigured):
        env_int("N", 1)
    monkeypatch.setenv("HOSTS", "a.example.jp, b.example.jp,")
    assert env_list("HOSTS") == ["a.example.jp", "b.example.jp"]


def test_secret_key_fallbacks_are_read_comma_or_space_separated(monkeypatch):
    monkeypatch.setenv("OLD_KEYS", " first-key,second-key  third-key ,\tfourth-key,")
    assert env_words("OLD_KEYS") == ["first-key", "second-key", "third-key", "fourth-key"]
    monkeypatch.delenv("OLD_KEYS")
    assert env_words("OLD_KEYS") == []
    production = runpy.run_path(str(ROOT / "wardservice" / "settings.py"))
    assert production["SECRET_KEY_FALLBACKS"] == []


@pytest.mark.django_db
def test_a_login_made_with_the_previous_key_lasts_while_it_is_a_fallback(settings):
    """With the old key in SECRET_KEY_FALLBACKS, a login made before the new SECRET_KEY holds,
    and its next request moves it to the new key; a login not used while the old key was a
    fallback ends when the old key is removed (docs/operations.md, 鍵とパスワードの交換)."""
    from django.contrib.auth import get_user_model
    from django.test import Client

    def logged_in(client):
        return client.get("/staff/").wsgi_request.user.is_authenticated

    old, new = get_random_secret_key(), get_random_secret_key()
    settings.SECRET_KEY, settings.SECRET_KEY_FALLBACKS = old, []
    active, away = Client(), Client()
    for client, name in ((active, "active"), (away, "away")):
        client.force_login(get_user_model().objects.create_user(name))
        assert logged_in(client)

    settings.SECRET_KEY, settings.SECRET_KEY_FALLBACKS = new, [old]
    assert logged_in(active)
    settings.SECRET_KEY_FALLBACKS = []
    assert logged_in(active)
    assert not logged_in(away)


def test_language_and_time_zone(settings):
    assert settings.LANGUAGE_CODE == "ja"
    assert settings.TIME_ZONE == "Asia/Tokyo"


# --- Production security: deploy/env.example passes `check --deploy` ------------------------

ENV_EXAMPLE = ROOT / "deploy" / "env.example"
# Read by the code but not production settings: the test switch, and manage.py's own default.
NOT_FOR_PRODUCTION = {"WARDSERVICE_TESTING", "DJANGO_SETTINGS_MODULE"}
# env_str("X"), os.environ.get("X"), os.environ["X"], os.getenv("X"), _int_from_env("X") ...
ENV_READ = re.compile(
    r"""(?:\b\w*env\w*\(|\benviron\.get\(|\benviron\[)\s*["']([A-Z][A-Z0-9_]*)["'](?!\s*\]\s*=[^=])"""
)


def env_example(*, commented=False):
    """NAME -> value of the file's assignments (with `commented`, also the `#NAME=value` examples)."""
    pattern = re.compile(r"^(#)?([A-Z][A-Z0-9_]*)=(.*)$")
    values = {}
    for line in ENV_EXAMPLE.read_text(encoding="utf-8").splitlines():
        match = pattern.match(line.strip())
        if match and (commented or not match.group(1)):
            values[match.group(2)] = match.group(3)
    return values


def run_deploy_check(**overrides):
    """`manage.py check --deploy --fail-level WARNING` in the environment of deploy/env.example only."""
    env = {name: os.environ[name] for name in ("PATH", "HOME", "LANG") if name in os.environ}
    env.update(env_example())
    env["SECRET_KEY"] = get_random_secret_key()
    env.update(overrides)
    return subprocess.run(
        [sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"],
        cwd=ROOT, env=env, capture_output=True, text=True,
    )


def test_env_example_has_a_secret_placeholder_to_replace():
    assert env_example()["SECRET_KEY"] == "CHANGE-ME"
    assert env_example()["DEBUG"] == "0"


def test_deploy_check_is_clean_with_the_documented_environment():
    result = run_deploy_check()
    assert result.returncode == 0, result.stdout + result.stderr
    assert "System check identified no issues" in result.stdout
    assert "WARNING" not in result.stderr and "?:" not in result.stderr


@pytest.mark.parametrize(
    "override, warning",
    [
        ({"SECURE_SSL_REDIRECT": "0"}, "security.W008"),
        ({"SESSION_COOKIE_SECURE": "0"}, "security.W010"),
        ({"SECURE_HSTS_SECONDS": "0"}, "security.W004"),
        ({"SECURE_HSTS_PRELOAD": "0"}, "security.W021"),
        ({"SECRET_KEY": "CHANGE-ME"}, "security.W009"),
    ],
)
def test_deploy_check_reports_a_weakened_setting(override, warning):
    result = run_deploy_check(**override)
    assert result.returncode != 0
    assert warning in result.stderr


def test_production_defaults_are_secure_without_the_optional_variables():
    """Only the three required variables: HTTPS, secure cookies and HSTS are on by default."""
    env = {name: os.environ[name] for name in ("PATH", "HOME", "LANG") if name in os.environ}
    env.update(DEBUG="0", SECRET_KEY=get_random_secret_key(), ALLOWED_HOSTS="ward.example.jp")
    result = subprocess.run(
        [sys.executable, "manage.py", "check", "--deploy"], cwd=ROOT, env=env, capture_output=True, text=True
    )
    assert result.returncode == 0, result.stderr
    issues = set(re.findall(r"\(([a-z_]+\.[EW]\d+)\)", result.stdout + result.stderr))
    assert issues == {"security.W021"}  # the preload directive is the domain owner's decision


def test_env_example_documents_every_variable_the_code_reads():
    sources = [
        path
        for folder in ("wardservice", "departments", "goals", "reports", "deploy")
        for path in (ROOT / folder).rglob("*.py")
        if "migrations" not in path.parts
    ]
    read = {name for path in sources for name in ENV_READ.findall(path.read_text(encoding="utf-8"))}
    assert {"SECRET_KEY", "DATABASE_URL", "SESSION_IDLE_MINUTES", "AXES_FAILURE_LIMIT", "GUNICORN_WORKERS"} <= read
    assert read - NOT_FOR_PRODUCTION - set(env_example(commented=True)) == set()


def test_session_ends_after_idle_minutes_and_is_extended_by_each_request(settings):
    assert settings.SESSION_COOKIE_AGE == 30 * 60
    assert settings.SESSION_SAVE_EVERY_REQUEST is True
    assert settings.SESSION_COOKIE_HTTPONLY and settings.CSRF_COOKIE_HTTPONLY
    assert settings.X_FRAME_OPTIONS == "DENY"


PRODUCTION_HTTPS = (
    "SECURE_SSL_REDIRECT", "SECURE_PROXY_SSL_HEADER", "SECURE_HSTS_SECONDS",
    "SECURE_HSTS_INCLUDE_SUBDOMAINS", "SECURE_HSTS_PRELOAD", "SESSION_COOKIE_SECURE", "CSRF_COOKIE_SECURE",
)


@pytest.fixture
def production_https(settings, monkeypatch):
    """This process's settings switched to what deploy/env.example gives wardservice/settings.py."""
    monkeypatch.delenv("WARDSERVICE_TESTING")
    for name, value in {**env_example(), "SECRET_KEY": get_random_secret_key()}.items():
        monkeypatch.setenv(name, value)
    production = runpy.run_path(str(ROOT / "wardservice" / "settings.py"))
    for name in PRODUCTION_HTTPS:
        setattr(settings, name, production[name])
    settings.ALLOWED_HOSTS = production["ALLOWED_HOSTS"]
    return production["ALLOWED_HOSTS"][0]


@pytest.mark.django_db
def test_behind_nginx_plain_http_is_redirected_and_https_gets_hsts(client, production_https):
    host = production_https
    response = client.get("/accessibility/", HTTP_HOST=host)
    assert response.status_code == 301 and response["Location"] == f"https://{host}/accessibility/"

    response = client.get("/accounts/login/", HTTP_HOST=host, HTTP_X_FORWARDED_PROTO="https")
    assert response.status_code == 200
    # deploy/env.example starts HSTS at 5 minutes (raised to a year once HTTPS is known to work).
    assert response["Strict-Transport-Security"] == "max-age=300; includeSubDomains; preload"
    csrf = response.cookies["csrftoken"]
    assert csrf["secure"] and csrf["httponly"] and csrf["samesite"] == "Lax"


@pytest.mark.parametrize(
    "name", ["SESSION_IDLE_MINUTES", "AXES_FAILURE_LIMIT", "AXES_COOLOFF_MINUTES", "EMAIL_TIMEOUT"]
)
def test_a_zero_limit_is_refused_at_start_up(name):
    result = run_check(DEBUG="0", SECRET_KEY="x" * 50, ALLOWED_HOSTS="ward.example.jp", **{name: "0"})
    assert result.returncode != 0
    assert name in result.stderr


def test_mail_relay_settings_default_to_a_timeout_and_refuse_tls_with_ssl(settings):
    assert settings.EMAIL_TIMEOUT == 10  # an unanswering relay never holds a worker for long
    result = run_check(DEBUG="0", SECRET_KEY="x" * 50, ALLOWED_HOSTS="ward.example.jp",
                       EMAIL_USE_TLS="1", EMAIL_USE_SSL="1")
    assert result.returncode != 0 and "EMAIL_USE_TLS and EMAIL_USE_SSL" in result.stderr


@pytest.mark.django_db
def test_the_health_check_answers_over_plain_http_behind_nginx(client, production_https):
    """A monitor on the server may ask gunicorn directly, without TLS; everything else is redirected."""
    response = client.get("/healthz", HTTP_HOST=production_https)
    assert response.status_code in (200, 503) and response["Content-Type"] == "application/json"
