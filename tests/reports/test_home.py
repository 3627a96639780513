import pytest
from django.urls import reverse

from reports.models import Publication


def test_home_lists_offices_and_years(client, seed_year, django_assert_max_num_queries):
    with django_assert_max_num_queries(3):
        response = client.get(reverse("home"))
    assert response.status_code == 200
    body = response.content.decode()
    assert '<html lang="ja">' in body
    assert "中原区役所" in body
    assert "令和2年度 (2020年度)" in body
    assert "公表準備中" in body


def test_published_year_is_not_marked_pending(client, seed_year):
    Publication.objects.create(fiscal_year=seed_year, kind="result", version=1, published_at="2021-06-30T10:00+09:00")
    assert "公表準備中" not in client.get(reverse("home")).content.decode()


@pytest.mark.django_db
def test_login_page_speaks_japanese(client):
    response = client.get(reverse("login"))
    assert response.status_code == 200
    assert "ユーザー名" in response.content.decode()


@pytest.mark.django_db
def test_failed_login_explains_in_japanese_and_keeps_the_username(client, django_user_model):
    django_user_model.objects.create_user("tanto", password="correct-horse-2020")
    response = client.post(reverse("login"), {"username": "tanto", "password": "wrong"})
    body = response.content.decode()
    assert response.status_code == 200
    assert "正しいユーザー名とパスワードを入力してください" in body
    assert 'value="tanto"' in body


@pytest.mark.django_db
def test_admin_needs_login(client):
    response = client.get("/admin/")
    assert response.status_code == 302
    assert "/admin/login/" in response["Location"]
