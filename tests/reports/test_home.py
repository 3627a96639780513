import pytest
from django.urls import reverse

from tests.reports.publishing import publish, use_tmp_media


@pytest.fixture(autouse=True)
def media_root(settings, tmp_path):
    use_tmp_media(settings, tmp_path)


def test_home_lists_offices_and_published_years(client, seed_year, django_assert_max_num_queries):
    publish(seed_year)
    with django_assert_max_num_queries(3):
        response = client.get(reverse("home"))
    assert response.status_code == 200
    body = response.content.decode()
    assert '<html lang="ja">' in body
    assert "中原区役所" in body
    assert '<a href="/reports/nakahara/2020/">令和2年度 (2020年度)</a>' in body
    assert "(目標と実施結果)" in body


def test_unpublished_years_are_not_listed(client, seed_year):
    body = client.get(reverse("home")).content.decode()
    assert "中原区役所" in body
    assert "令和2年度" not in body
    assert "公表されている年度はまだありません" in body


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
