"""The public pages, the 公表 pages and the 取込 pages are valid HTML according to the Nu Html Checker (vnu.jar)."""

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from departments.models import Department, Role
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
        reverse("reports:data_dictionary"),
        reverse("login"),
    ]


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


def test_public_pages_are_valid_html(client, published_seed, vnu):
    documents = {}
    for url in public_urls():
        response = client.get(url)
        assert response.status_code == 200, url
        assert response["Content-Type"] == "text/html; charset=utf-8", url
        documents[url] = response.getvalue()
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
    ]
    documents = {url: client.get(url).content for url in urls}

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
