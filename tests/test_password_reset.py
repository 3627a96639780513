"""There is no password reset by e-mail: accounts are issued and reset by 総務課 and IT. The reset
URLs of django.contrib.auth do not exist; logging in and out and changing one's password do."""

import pytest
from django.urls import NoReverseMatch, reverse

from tests.factories import UserFactory

RESET_PATHS = [
    "/accounts/password_reset/",
    "/accounts/password_reset/done/",
    "/accounts/reset/MQ/set-password/",
    "/accounts/reset/done/",
]


@pytest.mark.django_db
@pytest.mark.parametrize("path", RESET_PATHS)
def test_the_password_reset_pages_do_not_exist(client, path):
    assert client.get(path).status_code == 404
    assert client.post(path, {"email": "someone@example.jp"}).status_code == 404


@pytest.mark.django_db
def test_asking_for_a_reset_sends_no_mail(client, mailoutbox):
    user = UserFactory(email="kumin@example.jp")
    for _ in range(4):
        client.post("/accounts/password_reset/", {"email": user.email})
    assert mailoutbox == []


@pytest.mark.parametrize("name", ["password_reset", "password_reset_done", "password_reset_complete"])
def test_no_page_links_to_a_reset(name):
    with pytest.raises(NoReverseMatch):
        reverse(name)


@pytest.mark.django_db
def test_login_logout_and_password_change_remain(client):
    assert client.get(reverse("login")).status_code == 200
    assert "パスワードを忘れた" not in client.get(reverse("login")).content.decode()
    assert client.get(reverse("password_change")).status_code == 302  # behind login
    client.force_login(UserFactory())
    assert client.get(reverse("password_change")).status_code == 200
    assert client.post(reverse("logout")).status_code == 302
