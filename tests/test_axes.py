"""Login throttling (django-axes): a username is locked from one address, never a whole office."""

import runpy
from datetime import timedelta
from pathlib import Path

import pytest
from axes.models import AccessAttempt
from django.urls import reverse
from django.utils import timezone

from tests.factories import UserFactory

PASSWORD = "test-pass-2020"
SETTINGS_FILE = Path(__file__).resolve().parent.parent / "wardservice" / "settings.py"
OFFICE = "10.20.30.40"  # the office's shared address, as the server sees it
ELSEWHERE = "10.99.0.7"


@pytest.fixture
def tanaka(db):
    return UserFactory(username="tanaka")


@pytest.fixture
def suzuki(db):
    return UserFactory(username="suzuki")


def log_in(client, username, password, *, ip=OFFICE, url=None, **headers):
    return client.post(
        url or reverse("login"), {"username": username, "password": password}, REMOTE_ADDR=ip, **headers
    )


def fail(client, username, times, *, ip=OFFICE, url=None, **headers):
    return [log_in(client, username, "wrong-password", ip=ip, url=url, **headers) for _ in range(times)]


def logged_in(response):
    return response.status_code == 302 and response["Location"] == reverse("goals:home")


def test_the_limit_is_five_failures_and_fifteen_minutes(settings):
    assert settings.AXES_FAILURE_LIMIT == 5
    assert settings.AXES_COOLOFF_TIME == timedelta(minutes=15)
    assert settings.AXES_LOCKOUT_PARAMETERS == [["username", "ip_address"]]
    assert settings.AUTHENTICATION_BACKENDS[0] == "axes.backends.AxesBackend"
    assert settings.MIDDLEWARE[-1] == "axes.middleware.AxesMiddleware"


def test_five_failures_lock_the_username_from_that_address(client, tanaka):
    responses = fail(client, "tanaka", 5)
    assert [r.status_code for r in responses] == [200, 200, 200, 200, 429]
    assert "正しいユーザー名とパスワードを入力してください" in responses[0].content.decode()

    # Locked: even the right password is refused, with the Japanese page.
    response = log_in(client, "tanaka", PASSWORD)
    assert response.status_code == 429
    body = response.content.decode()
    assert "ログインを一時停止しています" in body
    assert "15分間" in body and "総務課またはシステム管理者" in body
    assert int(response["Retry-After"]) == 15 * 60
    assert "_auth_user_id" not in client.session


def test_the_lockout_page_says_until_when(client, tanaka):
    response = fail(client, "tanaka", 5)[-1]
    attempt = AccessAttempt.objects.get(username="tanaka", ip_address=OFFICE)
    until = attempt.attempt_time + timedelta(minutes=15)
    retry_at = response.context["retry_at"]  # rounded up to the minute shown
    assert until <= retry_at < until + timedelta(minutes=1, seconds=5)
    assert retry_at.second == 0 and retry_at.microsecond == 0
    assert timezone.localtime(retry_at).strftime("%H時%M分") in response.content.decode()


def test_a_colleague_behind_the_same_office_address_still_logs_in(client, tanaka, suzuki):
    fail(client, "tanaka", 5)
    assert logged_in(log_in(client, "suzuki", PASSWORD))


def test_the_same_person_from_another_address_still_logs_in(client, tanaka):
    fail(client, "tanaka", 5)
    assert log_in(client, "tanaka", PASSWORD).status_code == 429
    assert logged_in(log_in(client, "tanaka", PASSWORD, ip=ELSEWHERE))


def test_the_lock_ends_after_the_cool_off(client, tanaka):
    fail(client, "tanaka", 5)
    assert log_in(client, "tanaka", PASSWORD).status_code == 429
    attempt = AccessAttempt.objects.get(username="tanaka", ip_address=OFFICE)

    AccessAttempt.objects.filter(pk=attempt.pk).update(
        attempt_time=attempt.attempt_time - timedelta(minutes=14)
    )
    assert log_in(client, "tanaka", PASSWORD).status_code == 429  # still within 15 minutes

    # Each attempt while locked restarts the cool-off; 15 minutes after the last one, it is over.
    attempt.refresh_from_db()
    AccessAttempt.objects.filter(pk=attempt.pk).update(
        attempt_time=attempt.attempt_time - timedelta(minutes=15, seconds=1)
    )
    assert logged_in(log_in(client, "tanaka", PASSWORD))


def test_a_successful_login_resets_the_count(client, tanaka):
    fail(client, "tanaka", 4)
    assert logged_in(log_in(client, "tanaka", PASSWORD))
    client.logout()
    assert [r.status_code for r in fail(client, "tanaka", 4)] == [200] * 4
    assert logged_in(log_in(client, "tanaka", PASSWORD))


def test_the_admin_login_is_throttled_too(client, tanaka):
    tanaka.is_staff = True
    tanaka.save()
    admin_login = reverse("admin:login")
    responses = fail(client, "tanaka", 5, url=admin_login)
    assert [r.status_code for r in responses] == [200, 200, 200, 200, 429]
    assert log_in(client, "tanaka", PASSWORD, url=admin_login).status_code == 429
    # The lock is per username and address, whichever login page counted the failures.
    assert log_in(client, "tanaka", PASSWORD).status_code == 429


def test_x_forwarded_for_is_ignored_unless_behind_the_proxy(client, tanaka):
    """Without BEHIND_PROXY anyone could pick an address per attempt with the header."""
    for n in range(5):
        log_in(client, "tanaka", "wrong-password", HTTP_X_FORWARDED_FOR=f"203.0.113.{n}")
    assert log_in(client, "tanaka", PASSWORD, HTTP_X_FORWARDED_FOR="203.0.113.99").status_code == 429


@pytest.fixture
def behind_proxy(settings, monkeypatch):
    """The settings as BEHIND_PROXY=1 makes them, taken from wardservice/settings.py itself."""
    monkeypatch.setenv("BEHIND_PROXY", "1")
    production = runpy.run_path(str(SETTINGS_FILE))
    for name in ("AXES_IPWARE_META_PRECEDENCE_ORDER", "AXES_IPWARE_PROXY_COUNT", "IPWARE_STRICT"):
        setattr(settings, name, production[name])
    assert production["SECURE_PROXY_SSL_HEADER"] == ("HTTP_X_FORWARDED_PROTO", "https")


def test_behind_the_proxy_the_address_nginx_appends_is_the_visitors(client, tanaka, behind_proxy):
    nginx = "127.0.0.1"
    # A visitor who sends their own header gets nginx's entry appended: that one is theirs.
    for n in range(5):
        log_in(client, "tanaka", "wrong-password", ip=nginx, HTTP_X_FORWARDED_FOR=f"203.0.113.{n}, {OFFICE}")
    assert AccessAttempt.objects.get(username="tanaka").ip_address == OFFICE
    assert log_in(client, "tanaka", PASSWORD, ip=nginx, HTTP_X_FORWARDED_FOR=OFFICE).status_code == 429
    # The same person from elsewhere, through the same nginx, still logs in.
    assert logged_in(log_in(client, "tanaka", PASSWORD, ip=nginx, HTTP_X_FORWARDED_FOR=ELSEWHERE))
