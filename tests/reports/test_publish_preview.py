"""See before you publish: the 公表 confirmation page shows the table as it will be frozen (and,
for a 訂正, what changed per department), publishes only with the explicit confirmation and only
the table it showed, and offers a preview PDF marked 「公表前のプレビュー」."""

import io
import re
import subprocess

import pikepdf
import pytest
from django.db import connection
from django.template.loader import render_to_string
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone
from django_tasks import default_task_backend

from goals.models import Goal, GoalSheet, Result, SheetStatus
from reports.models import Publication, PublicationStatus, PublishedGoal
from reports.publishing import preview
from reports.publishing.forms import CONFIRMATION, NOT_CONFIRMED
from reports.publishing.preview import WATERMARK
from reports.publishing.services import (
    STALE_PREVIEW,
    StalePreviewError,
    frozen_table,
    publication_request,
    table_fingerprint,
)
from reports.tasks import render_table_parts
from tests.factories import DepartmentFactory
from tests.reports.helpers import approved_year
from tests.reports.publishing import shown_fingerprint, use_tmp_media, year_people


@pytest.fixture(autouse=True)
def media_root(settings, tmp_path):
    use_tmp_media(settings, tmp_path)


@pytest.fixture
def year(db):
    """Two departments of two goals each, every plan and result approved."""
    return approved_year(departments=2, goals_per_department=2)


@pytest.fixture
def people(year):
    return year_people(year)


def publish_url(fiscal_year, kind, name="publish"):
    return reverse(
        f"publishing:{name}",
        kwargs={"office": fiscal_year.office.slug, "year": fiscal_year.year, "kind": kind},
    )


def already_published(fiscal_year, kind="result"):
    """A published version of the table as it is now, as if 公表 had run (no files rendered)."""
    return Publication.objects.create(
        fiscal_year=fiscal_year,
        kind=kind,
        version=1,
        status=PublicationStatus.PUBLISHED,
        published_at=timezone.now(),
        progress=100,
        table=frozen_table(fiscal_year, kind).to_json(),
    )


def textarea(html, name):
    return re.search(rf'<textarea[^>]*name="{name}"[^>]*>(.*?)</textarea>', html, re.S).group(1).strip()


def section(html, heading_id, end_id):
    return html[html.index(f'id="{heading_id}"') : html.index(f'id="{end_id}"')]


# --- What the page shows ----------------------------------------------------------------------


def test_the_page_shows_the_frozen_table_as_the_public_page_prints_it(client, year, people):
    client.force_login(people.approver)
    table = frozen_table(year, "plan")

    response = client.get(publish_url(year, "plan"))

    assert response.status_code == 200
    html = response.content.decode()
    # The public page's own table partial, from the very table 公表 would freeze.
    assert render_to_string("reports/_table.html", {"table": table}) in html
    summary = section(html, "summary-heading", "preview-heading")
    assert "令和3年度 (2021年度)" in summary and "第1版 — 初めての公表" in summary
    assert "2部署、目標4件" in summary and "目標のみ。実施結果は載りません" in summary
    assert shown_fingerprint(html) == table_fingerprint(table, 1)
    assert f'href="{publish_url(year, "plan", "preview_pdf")}?v={table_fingerprint(table, 1)}"' in html
    assert f'<label for="id_confirmed"' in html and CONFIRMATION in html
    assert 'name="note"' not in html  # a first publication has no 訂正内容
    assert "publish-changes" not in html
    assert not Publication.objects.exists()


def test_the_page_costs_the_same_queries_whatever_the_size_of_the_year(client, year, people):
    """A 訂正 (the page's fullest form): the table, the version corrected and the changes."""
    client.force_login(people.approver)
    big = approved_year(departments=6, goals_per_department=4, office=year.office, year=2022)
    for fiscal_year in (year, big):
        already_published(fiscal_year)
        Goal.objects.filter(sheet__fiscal_year=fiscal_year, number=1).update(objective="訂正した目標")

    counts = []
    for fiscal_year in (year, big):
        with CaptureQueriesContext(connection) as queries:
            html = client.get(publish_url(fiscal_year, "result")).content.decode()
        assert "訂正した目標" in section(html, "changes-heading", "preview-heading")
        counts.append(len(queries))

    assert counts[0] == counts[1] <= 20, counts


def test_the_overview_leads_to_the_confirmation(client, year, people):
    client.force_login(people.approver)

    body = client.get(reverse("publishing:overview", kwargs={"office": year.office.slug, "year": year.year})).content.decode()

    plan = section(body, "kind-plan-heading", "kind-result-heading")
    assert f'href="{publish_url(year, "plan")}"' in plan and "目標の表を確認して公表する</a>" in plan
    assert "<form" not in plan


def test_a_table_that_cannot_be_published_has_no_form(client, year, people):
    sheet = GoalSheet.objects.filter(fiscal_year=year).select_related("department").last()
    GoalSheet.objects.filter(pk=sheet.pk).update(result_status=SheetStatus.RETURNED)
    client.force_login(people.approver)

    html = client.get(publish_url(year, "result")).content.decode()

    assert "いまは公表できません" in html and sheet.department.name in html
    assert 'name="confirmed"' not in html and 'class="public-table' not in html


# --- The confirmation and the stale refusal ------------------------------------------------------


def test_publishing_without_the_confirmation_is_refused(client, year, people):
    client.force_login(people.approver)
    fingerprint = shown_fingerprint(client.get(publish_url(year, "plan")).content.decode())

    response = client.post(publish_url(year, "plan"), {"fingerprint": fingerprint})

    assert response.status_code == 200
    html = response.content.decode()
    assert "<title>エラー: " in html
    assert f'<a href="#id_confirmed">{CONFIRMATION}: {NOT_CONFIRMED}</a>' in html
    assert not Publication.objects.exists() and not PublishedGoal.objects.exists()

    response = client.post(publish_url(year, "plan"), {"fingerprint": fingerprint, "confirmed": "on"})

    publication = Publication.objects.get()
    assert response.status_code == 302 and response["Location"].endswith(f"/v{publication.version}/")
    assert publication.table == frozen_table(year, "plan").to_json()


@pytest.mark.parametrize("fingerprint", ["", "0" * 63, "<script>", "f" * 64 + "0"])
def test_a_missing_or_broken_fingerprint_publishes_nothing(client, year, people, fingerprint):
    client.force_login(people.approver)

    response = client.post(publish_url(year, "plan"), {"fingerprint": fingerprint, "confirmed": "on"})

    assert response.status_code == 200
    assert "公表の確認のページを開き直してください" in response.content.decode()
    assert not Publication.objects.exists()


def test_a_sheet_changed_after_the_page_was_shown_is_refused_and_the_note_kept(client, year, people):
    already_published(year)
    client.force_login(people.approver)
    fingerprint = shown_fingerprint(client.get(publish_url(year, "result")).content.decode())
    Goal.objects.filter(sheet__fiscal_year=year, number=2).update(objective="確認の後に書き換えた目標")

    response = client.post(
        publish_url(year, "result"), {"fingerprint": fingerprint, "confirmed": "on", "note": "目標2を訂正しました。"}
    )

    assert response.status_code == 200
    html = response.content.decode()
    assert f'<a href="#stale-notice">{STALE_PREVIEW}</a>' in html
    assert textarea(html, "note") == "目標2を訂正しました。"
    assert "確認の後に書き換えた目標" in section(html, "preview-heading", "confirm-heading")
    assert 'name="confirmed" class="checkboxinput form-check-input" id="id_confirmed" checked' not in html
    new = shown_fingerprint(html)
    assert new != fingerprint and new == table_fingerprint(frozen_table(year, "result"), 2)
    assert Publication.objects.count() == 1

    response = client.post(
        publish_url(year, "result"), {"fingerprint": new, "confirmed": "on", "note": "目標2を訂正しました。"}
    )
    assert response.status_code == 302 and Publication.objects.filter(version=2).exists()


def test_a_version_published_meanwhile_makes_the_page_stale(client, year, people):
    """The page promised 第1版: the table is the same, but another approver published it first."""
    client.force_login(people.approver)
    fingerprint = shown_fingerprint(client.get(publish_url(year, "result")).content.decode())
    already_published(year)

    with pytest.raises(StalePreviewError):  # stale first, rather than "a 訂正 needs a note"
        publication_request(fiscal_year=year, kind="result", by=None, fingerprint=fingerprint)
    response = client.post(publish_url(year, "result"), {"fingerprint": fingerprint, "confirmed": "on"})

    html = response.content.decode()
    assert STALE_PREVIEW in html and 'name="note"' in html and "第2版 — 訂正" in html
    assert Publication.objects.count() == 1


# --- A 訂正: what changed per department -------------------------------------------------------


def test_a_correction_shows_what_changed_per_department(client, year, people):
    first, second = year.office.departments.order_by("sort_order")
    third = DepartmentFactory(office=year.office, sort_order=30, name="区民サービス部 区民課")
    already_published(year)
    # Changed: one goal's objective and result of the first department, the second unchanged;
    # a department added, and one gone (inactive, its result no longer approved).
    Goal.objects.filter(sheet__department=first, number=1).update(objective="窓口の待ち時間を15分以内にします。")
    Result.objects.filter(goal__sheet__department=first, goal__number=1).update(done="待ち時間を計りました。")
    sheet = GoalSheet.objects.create(
        department=third, fiscal_year=year, plan_status=SheetStatus.APPROVED, result_status=SheetStatus.APPROVED
    )
    Result.objects.create(goal=Goal.objects.create(sheet=sheet, number=1, objective="新しい部署の目標"))
    client.force_login(people.approver)

    html = client.get(publish_url(year, "result")).content.decode()

    changes = section(html, "changes-heading", "preview-heading")
    assert "変更あり 1部署、追加 1部署、削除 0部署、変更なし 1部署" in changes
    changed = section(changes, f"change-{first.code}", f"change-{third.code}")
    assert "目標1" in changed and "目標2" not in changed  # the unchanged goal is not listed
    assert "<dt>目標</dt>" in changed and "<dt>実施結果</dt>" in changed and "<dt>具体的な取組内容</dt>" not in changed
    assert "<ins><span class=\"visually-hidden\">追加ここから、</span>" in changed and "15分以内" in changed
    assert "追加された部署" in section(changes, f"change-{third.code}", "unchanged-heading")
    assert f"<li>{second.name}</li>" in changes.split('id="unchanged-heading"')[1]
    assert "第2版 — 訂正 (第1版、" in section(html, "summary-heading", "changes-heading")
    assert textarea(html, "note") == ""


def test_a_department_gone_and_one_renamed_are_listed(client, year, people):
    first, second = year.office.departments.order_by("sort_order")
    already_published(year)
    GoalSheet.objects.filter(department=second).update(result_status=SheetStatus.SUBMITTED)
    second.is_active = False
    second.save()
    old_name = first.name
    first.name = "まちづくり推進部 企画課"
    first.save()
    client.force_login(people.approver)

    changes = section(client.get(publish_url(year, "result")).content.decode(), "changes-heading", "preview-heading")

    assert "変更あり 1部署、追加 0部署、削除 1部署、変更なし 0部署" in changes
    renamed = re.sub(r'<span class="visually-hidden">.*?</span>', "", re.search(r"<p>部署名: (.*?)</p>", changes).group(1))
    assert re.sub(r"<del>.*?</del>|<[^>]+>", "", renamed) == first.name
    assert re.sub(r"<ins>.*?</ins>|<[^>]+>", "", renamed) == old_name
    gone = changes[changes.index(f'id="change-{second.code}"') :]
    assert second.name in gone and "削除された部署" in gone and "この版の表には載りません" in gone


def test_a_correction_with_nothing_changed_says_so(client, year, people):
    already_published(year)
    client.force_login(people.approver)

    changes = section(client.get(publish_url(year, "result")).content.decode(), "changes-heading", "preview-heading")

    assert "第1版から内容は変わっていません" in changes
    assert "変更のない部署 (2部署)" in changes


# --- Who may see it -------------------------------------------------------------------------------


@pytest.mark.parametrize("persona, status", [("viewer", 403), ("editor", 404), ("outsider", 404)])
def test_only_approvers_see_the_confirmation_and_the_preview_pdf(client, year, people, persona, status):
    client.force_login(getattr(people, persona))

    for name in ("publish", "preview_pdf"):
        assert client.get(publish_url(year, "plan", name)).status_code == status
    assert client.post(publish_url(year, "plan"), {"confirmed": "on"}).status_code == status
    assert not Publication.objects.exists()


# --- The preview PDF ---------------------------------------------------------------------------


def pdf_pages_text(data: bytes, tmp_path) -> list[str]:
    path = tmp_path / "preview.pdf"
    path.write_bytes(data)
    text = subprocess.run(
        ["pdftotext", "-raw", "-enc", "UTF-8", str(path), "-"], capture_output=True, text=True, check=True, timeout=60
    ).stdout
    return text.split("\f")[:-1]


@pytest.mark.anydb
def test_the_preview_pdf_is_marked_on_every_page_and_never_cached(
    client, year, people, tmp_path, settings, monkeypatch
):
    client.force_login(people.approver)
    html = client.get(publish_url(year, "result")).content.decode()
    pdf_url = re.search(r'href="([^"]*preview\.pdf\?v=[0-9a-f]{64})"', html).group(1)
    # Its parts are not rendered yet, and more are missing than a request renders itself: the
    # worker is asked to render them, and the approver to come back in a moment.
    settings.TASKS = {"default": {"BACKEND": "django_tasks.backends.dummy.DummyBackend"}}
    monkeypatch.setattr(preview, "MAX_PARTS_IN_REQUEST", 2)

    waiting = client.get(pdf_url, follow=True)

    assert waiting.redirect_chain == [(publish_url(year, "result"), 302)]
    assert "プレビューのPDFを作成しています (3部署分)" in waiting.content.decode()
    (queued,) = default_task_backend.results
    assert queued.task == render_table_parts and queued.args == [year.pk, "result"]
    queued.task.call(*queued.args)  # what the worker does

    response = client.get(pdf_url)

    assert response.status_code == 200 and response["Content-Type"] == "application/pdf"
    assert "no-store" in response["Cache-Control"] and "private" in response["Cache-Control"]
    assert response["Content-Disposition"].startswith('inline; filename="preview-')
    pages = pdf_pages_text(response.content, tmp_path)
    assert len(pages) >= 3  # the title page, then a page per department
    assert all(WATERMARK in page for page in pages)
    text = "".join(pages)
    for department in year.office.departments.all():
        assert department.name.replace(" ", "") in text.replace(" ", "")
    with pikepdf.open(io.BytesIO(response.content)) as pdf:
        assert str(pdf.docinfo["/Title"]).startswith(f"{WATERMARK}: 令和3年度")
        assert pdf.Root.MarkInfo.Marked  # still the tagged PDF
    assert not Publication.objects.exists()  # not a version

    # A link from a page that showed another table makes no PDF: the page is shown again.
    Goal.objects.filter(sheet__fiscal_year=year, number=1).update(objective="その後に書き換えた目標")
    stale = client.get(pdf_url)
    assert stale.status_code == 302 and stale["Location"] == publish_url(year, "result")
