"""The login and password pages after a failed submission: a title that begins 「エラー: 」 and an
error summary (templates/_error_summary.html) whose lines link to the fields, focused by
static/js/error-summary.js (tests/browser/test_site_walk.py checks the focus in a browser)."""

import re

import pytest
from django.urls import reverse

from tests.factories import UserFactory
from tests.personas import client_for

pytestmark = pytest.mark.django_db


def title(body):
    return re.search(r"<title>(.*?)</title>", body, re.S).group(1)


def links(body):
    summary = body.split('id="error-summary"', 1)[1].split("</div>", 1)[0]
    return re.findall(r'<li><a href="#([^"]+)">', summary)


def test_a_failed_login_opens_with_a_summary_linking_to_the_user_name(client):
    response = client.post(reverse("login"), {"username": "nobody", "password": "wrong-password"})
    body = response.content.decode()
    assert title(body).startswith("エラー: 職員ログイン")
    assert 'tabindex="-1"' in body.split('id="error-summary"', 1)[1].split(">", 1)[0]
    assert "正しいユーザー名とパスワードを入力してください" in body
    assert links(body) == ["id_username"]


def test_a_refused_password_change_links_to_the_field_it_concerns(client):
    user = UserFactory(username="henshu")
    response = client_for(user).post(
        reverse("password_change"),
        {"old_password": "not-mine", "new_password1": "kugiri-2026-nagai", "new_password2": "kugiri-2026-nagai"},
    )
    body = response.content.decode()
    assert response.status_code == 200
    assert title(body).startswith("エラー: パスワードの変更")
    assert links(body) == ["id_old_password"]
    user.refresh_from_db()
    assert user.check_password("test-pass-2020")
