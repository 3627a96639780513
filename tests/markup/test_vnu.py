"""The public pages, the error pages, the 公表 pages and the 取込 pages are valid HTML according to the Nu Html Checker (vnu.jar)."""

import pytest
from django.conf import settings
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse
from django.views.defaults import server_error

from departments.models import Department, Role
from reports.furigana.seed import reading_entries_seed
from reports.models import ImportJob
from tests.factories import MembershipFactory
from tests.markup.vnu import check, format_messages, missing_tools
from tests.reports.import_helpers import synthetic_csv
from tests.reports.publishing import publish, use_tmp_media

# Checks the markup the pages render, which does not depend on the database engine.
pytestmark = pytest.mark.anydb

# A document the checker must reject: proves it really ran on our files.
BROKEN = "(broken document)"
BROKEN_HTML = b'<!DOCTYPE html><html lang="ja"><title>x</title><table><tr><th scope="x">a</table>'


def public_urls():
    return [
        reverse("home"),
        reverse("reports:year", kwargs={"office": "nakahara", "year": 2020}),
        # ふりがな (reports.furigana): the year page with ruby, and search hits with ruby and marks.
        reverse("reports:year", kwargs={"office": "nakahara", "year": 2020}) + "?furigana=1",
        reverse("reports:search") + "?q=窓口&furigana=1",
        reverse("reports:data_dictionary"),
        reverse("reports:stats", kwargs={"office": "nakahara", "year": 2020}),
        reverse("login"),
    ]


def error_pages(rf):
    """The 400, 403, 404, 500 and CSRF failure pages (wardservice.errors), by name."""
    department = Department.objects.filter(office__slug="nakahara").first()
    viewer = MembershipFactory(department=department, role=Role.VIEWER).user
    viewing = Client()
    viewing.force_login(viewer)
    sheet = {"office": "nakahara", "year": 2020, "code": department.code}
    stale = Client(enforce_csrf_checks=True)  # no CSRF cookie: the refused form's text is shown back
    pages = {
        "400": Client().get("/", HTTP_HOST="attacker.example"),
        "403": viewing.get(reverse("goals:plan_edit", kwargs=sheet)),
        "404": Client().get("/reports/nakahara/2019/"),
        "403 (CSRF)": stale.post(reverse("login"), {"username": "kikaku", "note": "訂正の理由"}),
        "500": server_error(rf.get("/")),
    }
    assert [r.status_code for r in pages.values()] == [400, 403, 404, 403, 500]
    return {name: response.content for name, response in pages.items()}


@pytest.fixture(scope="module")
def vnu():
    reason = missing_tools()
    if reason:
        pytest.fail(f"cannot run the Nu Html Checker: {reason}")
    return check


@pytest.fixture
def published_seed(seed_year, settings, tmp_path):
    """The seed year, published: its page is the HTML stored at 公表."""
    use_tmp_media(settings, tmp_path)
    publish(seed_year)
    return seed_year


def test_public_pages_are_valid_html(client, published_seed, vnu, rf):
    documents = {}
    for url in public_urls():
        response = client.get(url)
        assert response.status_code == 200, url
        assert response["Content-Type"] == "text/html; charset=utf-8", url
        documents[url] = response.getvalue()
    # nginx's page while gunicorn is away (deploy/nginx/wardservice.conf): a file, not a view.
    documents["deploy/nginx/maintenance/index.html"] = (
        settings.BASE_DIR / "deploy" / "nginx" / "maintenance" / "index.html"
    ).read_bytes()
    documents.update(error_pages(rf))
    documents[BROKEN] = BROKEN_HTML

    results = vnu(documents)

    assert any(m.is_error for m in results.pop(BROKEN)), "vnu.jar accepted a broken document"
    errors = {}
    for url, messages in results.items():
        if messages:
            print(f"vnu.jar on {url}:\n{format_messages(messages)}")
        if any(m.is_error for m in messages):
            errors[url] = [m for m in messages if m.is_error]
    assert not errors, "vnu.jar found errors:\n" + "\n".join(
        f"{url}\n{format_messages(messages)}" for url, messages in errors.items()
    )


def test_publishing_pages_are_valid_html(client, published_seed, vnu):
    department = Department.objects.filter(office__slug="nakahara").first()
    client.force_login(MembershipFactory(department=department, role=Role.APPROVER).user)
    urls = [
        reverse("publishing:overview", kwargs={"office": "nakahara", "year": 2020}),
        reverse("publishing:progress", kwargs={"office": "nakahara", "year": 2020, "version": 1}),
        reverse("publishing:timeliness", kwargs={"office": "nakahara", "year": 2020}),
        # The confirmation of a 訂正: the table as it will be frozen and what changed.
        reverse("publishing:publish", kwargs={"office": "nakahara", "year": 2020, "kind": "result"}),
        # 総務課's ふりがなの辞書 (reports.views.readings), with the demo office's words.
        reverse("furigana:dictionary", kwargs={"office": "nakahara"}),
        reverse("furigana:entry_new", kwargs={"office": "nakahara"}),
    ]
    reading_entries_seed(published_seed.office)
    documents = {url: client.get(url).content for url in urls}
    refused = client.post(reverse("furigana:entry_new", kwargs={"office": "nakahara"}), {"word": "中原", "reading": "x"})
    documents["ふりがなの辞書 (refused)"] = refused.content

    errors = {url: [m for m in messages if m.is_error] for url, messages in vnu(documents).items()}
    assert not any(errors.values()), "vnu.jar found errors:\n" + "\n".join(
        f"{url}\n{format_messages(messages)}" for url, messages in errors.items() if messages
    )


def test_import_pages_are_valid_html(client, seed_year, settings, vnu):
    """The データ取込 preview (summarised), its problems, and a background import's page."""
    settings.TASKS = {"default": {"BACKEND": "django_tasks.backends.dummy.DummyBackend"}}
    department = Department.objects.filter(office__slug="nakahara").first()
    client.force_login(MembershipFactory(department=department, role=Role.APPROVER).user)
    at = {"office": "nakahara", "year": 2019}
    upload = reverse("publishing:import_table", kwargs=at)
    preview = client.post(upload, {"file": SimpleUploadedFile("t.csv", synthetic_csv(60))})
    problems = client.post(upload, {"file": SimpleUploadedFile("t.csv", synthetic_csv(60, year=2018))})
    client.post(reverse("publishing:import_table_confirm", kwargs=at), {"token": preview.context["token"]})
    job = reverse("publishing:import_job", kwargs={**at, "pk": ImportJob.objects.get().pk})
    documents = {"preview": preview.content, "problems": problems.content, job: client.get(job).content}

    errors = {url: [m for m in messages if m.is_error] for url, messages in vnu(documents).items()}
    assert not any(errors.values()), "vnu.jar found errors:\n" + "\n".join(
        f"{url}\n{format_messages(messages)}" for url, messages in errors.items() if messages
    )
