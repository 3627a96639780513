"""The admin names the libraries' apps and models in Japanese (wardservice.apps, locale/ja)."""

import re
from pathlib import Path

import pytest
from django.apps import apps
from django.utils import translation
from django.utils.translation import gettext, pgettext

from tests.factories import UserFactory

PO = Path(__file__).resolve().parent.parent / "locale" / "ja" / "LC_MESSAGES" / "django.po"


@pytest.fixture
def admin_client(db, client):
    client.force_login(UserFactory(is_staff=True, is_superuser=True))
    return client


def test_the_admin_index_names_every_app_and_model_in_japanese(admin_client):
    body = admin_client.get("/admin/").content.decode()

    for japanese in ("ログインの制限 (django-axes)", "ログイン失敗の記録", "ログインの履歴", "バックグラウンド処理 (django-tasks)"):
        assert japanese in body
    for english in ("Axes", "AXES", "Access attempts", "Access logs", "Tasks Database Backend", "Task results"):
        assert english not in body


def test_the_renamed_apps_keep_their_labels_and_their_pages(admin_client):
    # Their tables and migrations are keyed by these labels.
    assert apps.get_app_config("axes").name == "axes"
    assert apps.get_app_config("django_tasks_database").name == "django_tasks_db"

    attempts = admin_client.get("/admin/axes/accessattempt/")
    tasks = admin_client.get("/admin/django_tasks_database/dbtaskresult/")

    assert attempts.status_code == tasks.status_code == 200
    assert "ログイン失敗の記録" in attempts.content.decode()
    assert "バックグラウンド処理" in tasks.content.decode()


@pytest.mark.anydb
def test_the_compiled_catalogue_matches_its_source():
    """Every entry of locale/ja's .po is what Django translates to: the .mo is compiled and current."""
    entries = re.findall(r'(?:msgctxt "([^"]*)"\n)?msgid "([^"]+)"\nmsgstr "([^"]*)"', PO.read_text("utf-8"))
    assert len(entries) > 40
    with translation.override("ja"):
        for context, msgid, msgstr in entries:
            assert (pgettext(context, msgid) if context else gettext(msgid)) == msgstr, msgid
