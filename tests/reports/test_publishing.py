"""公表: who may publish, what blocks it, the frozen table, versions and corrections, a crash half-way
and its retry, the staff pages and the command-line twin."""

import hashlib
import io
import json
import re
from datetime import timedelta

import pytest
from django.core.files.storage import default_storage
from django.core.management import CommandError, call_command
from django.urls import reverse
from django.utils import timezone

from goals.models import Goal, GoalSheet, SheetStatus
from reports.exporters import EXPORTERS
from reports.models import Publication, PublicationFile, PublicationStatus, PublishedGoal
from reports.publishing.services import PublishingError, publication_request, publication_retry
from reports.table import PublicTable, build_table
from tests.factories import UserFactory
from tests.reports.helpers import approved_year
from tests.reports.publishing import confirmed_publish, publish, retry, use_tmp_media, year_people


@pytest.fixture(autouse=True)
def media_root(settings, tmp_path):
    use_tmp_media(settings, tmp_path)


@pytest.fixture
def year(db):
    """A small year: two departments, every plan and result approved."""
    return approved_year(departments=2, goals_per_department=2)


@pytest.fixture
def people(year):
    return year_people(year)


def overview_url(fiscal_year):
    return reverse("publishing:overview", kwargs={"office": fiscal_year.office.slug, "year": fiscal_year.year})


def publish_url(fiscal_year, kind):
    return reverse(
        "publishing:publish",
        kwargs={"office": fiscal_year.office.slug, "year": fiscal_year.year, "kind": kind},
    )


def version_url(publication, name="progress"):
    fiscal_year = publication.fiscal_year
    return reverse(
        f"publishing:{name}",
        kwargs={"office": fiscal_year.office.slug, "year": fiscal_year.year, "version": publication.version},
    )


def public_url(fiscal_year, name="year", **kwargs):
    return reverse(
        f"reports:{name}", kwargs={"office": fiscal_year.office.slug, "year": fiscal_year.year, **kwargs}
    )


def stored_bytes(publication):
    return {file.format: file.file.open("rb").read() for file in publication.files.all()}


class Crash:
    """An exporter that fails, standing in for a renderer that crashes half-way through."""

    identifier = "csv"
    extension = "csv"

    def filename(self, table):
        return "table.csv"

    def render(self, table):
        raise RuntimeError("描画中に異常終了しました")


# --- What blocks 公表 -------------------------------------------------------------------------


def test_publishing_is_refused_while_any_sheet_is_unapproved(year):
    sheet = GoalSheet.objects.filter(fiscal_year=year).select_related("department").last()
    GoalSheet.objects.filter(pk=sheet.pk).update(result_status=SheetStatus.SUBMITTED)

    with pytest.raises(PublishingError, match=sheet.department.name) as refused:
        publication_request(fiscal_year=year, kind="result", by=None)

    assert "提出済" in str(refused.value)
    assert not Publication.objects.exists() and not PublishedGoal.objects.exists()
    # The goals alone are all approved: that table can be published.
    assert publish(year, "plan").status == PublicationStatus.PUBLISHED


def test_the_page_lists_what_blocks_each_table(client, year, people):
    sheet = GoalSheet.objects.filter(fiscal_year=year).select_related("department").last()
    GoalSheet.objects.filter(pk=sheet.pk).update(result_status=SheetStatus.RETURNED)
    client.force_login(people.approver)

    body = client.get(overview_url(year)).content.decode()

    result = body[body.index('id="kind-result-heading"'):body.index('id="history-heading"')]
    assert "まだ公表できません" in result
    assert "実績が承認されていない部署 (1件)" in result
    assert sheet.department.name in result and "差戻し" in result
    assert "<button" not in result
    plan = body[body.index('id="kind-plan-heading"'):body.index('id="kind-result-heading"')]
    assert "第1版として公表します" in plan
    assert f'href="{publish_url(year, "plan")}"' in plan and "目標の表を確認して公表する</a>" in plan


def test_inactive_departments_do_not_block_but_an_empty_year_does(year):
    sheet = GoalSheet.objects.filter(fiscal_year=year).last()
    GoalSheet.objects.filter(pk=sheet.pk).update(result_status=SheetStatus.DRAFT)
    sheet.department.is_active = False
    sheet.department.save()
    assert publish(year).status == PublicationStatus.PUBLISHED

    empty = approved_year(departments=1, office=year.office, year=2030)
    GoalSheet.objects.filter(fiscal_year=empty).delete()
    with pytest.raises(PublishingError, match="承認済みのシートが1件もありません"):
        publication_request(fiscal_year=empty, kind="result", by=None)


# --- The frozen table and its files ---------------------------------------------------------


def test_publishing_freezes_the_table_and_its_search_rows(year):
    table = build_table(year, "result")

    publication = publish(year)

    assert publication.version == 1 and publication.published_at and publication.progress == 100
    assert PublicTable.from_json(publication.table) == table
    assert json.loads(json.dumps(publication.table)) == publication.table  # plain JSON
    rows = list(publication.goals.order_by("position"))
    assert [(r.position, r.department_name, r.number) for r in rows] == [
        (i, d.name, g.number)
        for i, (d, g) in enumerate(((d, g) for d in table.departments for g in d.goals), 1)
    ]
    assert rows[0].done == table.departments[0].goals[0].result.done


def test_files_are_stored_with_their_sha256(year):
    publication = publish(year)

    files = {file.format: file for file in publication.files.all()}
    assert set(files) == {"html", "pdf", "xlsx", "csv"}
    for file in files.values():
        data = file.file.open("rb").read()
        assert file.size == len(data)
        assert file.sha256 == hashlib.sha256(data).hexdigest()
    assert stored_bytes(publication)["pdf"].startswith(b"%PDF-")


def test_published_files_never_change_when_the_sheets_change(client, year):
    publication = publish(year)
    urls = [public_url(year)] + [public_url(year, f"table_{fmt}") for fmt in ("pdf", "xlsx", "csv")]
    before = {url: client.get(url).getvalue() for url in urls}
    sha_before = dict(publication.files.values_list("format", "sha256"))

    Goal.objects.filter(sheet__fiscal_year=year).update(objective="公表後に書き換えた目標")
    assert "公表後に書き換えた目標" in build_table(year, "result").departments[0].goals[0].objective

    after = {url: client.get(url).getvalue() for url in urls}
    assert after == before
    assert dict(publication.files.values_list("format", "sha256")) == sha_before
    assert "公表後に書き換えた目標" not in after[urls[0]].decode()
    assert not PublishedGoal.objects.filter(objective="公表後に書き換えた目標").exists()


# --- Versions and corrections -----------------------------------------------------------------


def test_a_correction_is_version_2_and_version_1_stays_downloadable_byte_for_byte(client, year):
    first = publish(year)
    first_files = stored_bytes(first)
    Goal.objects.filter(sheet__fiscal_year=year, number=1).update(objective="訂正後の目標")

    with pytest.raises(PublishingError, match="訂正内容を入力してください"):
        publication_request(fiscal_year=year, kind="result", by=None)
    second = publish(year, note="目標1の誤記を訂正しました。")

    assert second.version == 2 and second.note == "目標1の誤記を訂正しました。"
    for fmt in ("pdf", "xlsx", "csv"):
        old = client.get(public_url(year, f"version_{fmt}", version=1))
        assert old.getvalue() == first_files[fmt]
        assert old["ETag"] == f'"{hashlib.sha256(first_files[fmt]).hexdigest()}"'
        current = client.get(public_url(year, f"table_{fmt}")).getvalue()
        assert current == stored_bytes(second)[fmt] != first_files[fmt]
    assert client.get(public_url(year, "version", version=1)).getvalue() == first_files["html"]

    page = client.get(public_url(year)).getvalue().decode()
    assert "訂正後の目標" in page
    date = timezone.localtime(second.published_at)
    assert f"訂正 ({date.year}年{date.month}月{date.day}日)" in page
    assert "目標1の誤記を訂正しました。" in page
    assert f'href="{public_url(year, "version", version=1)}"' in page


@pytest.mark.parametrize("note", ["訂正\x01内容", "\x1b[31m訂正\x1b[0m", "区民\u202e課gnp.exe", "幅\u200bなし"])
def test_a_correction_note_with_invisible_characters_is_refused(client, year, people, note):
    """Raw 0x01 and 0x1b reached the public page through the 訂正内容."""
    publish(year)
    with pytest.raises(PublishingError, match="訂正内容に.*目に見えない特殊な文字"):
        publication_request(fiscal_year=year, kind="result", by=None, note=note)
    client.force_login(people.approver)
    response = client.post(publish_url(year, "result"), {"note": note}, follow=True)
    assert "訂正内容に" in response.content.decode()
    assert Publication.objects.count() == 1


def test_versions_are_numbered_per_year_across_both_kinds(client, year):
    plan = publish(year, "plan")
    result = publish(year, "result")  # not a correction: no note needed

    assert (plan.version, result.version) == (1, 2)
    assert result.note == ""
    page = client.get(public_url(year)).getvalue().decode()
    assert "実施結果及び目標の達成度" in page  # the fullest table is the one shown
    assert "第2版 (目標と実績)" in page and "第1版 (目標)" in page
    plan_page = client.get(public_url(year, "version", version=1)).getvalue().decode()
    assert "実施結果及び目標の達成度" not in plan_page
    with pytest.raises(PublishingError, match="目標と実績の表を公表済みです"):
        publication_request(fiscal_year=year, kind="plan", by=None, note="目標のみ訂正")


# --- A crash half-way, and the retry ----------------------------------------------------------


def test_a_crash_half_way_publishes_nothing_and_a_retry_succeeds(client, year, monkeypatch):
    monkeypatch.setitem(EXPORTERS, "csv", Crash())  # after the PDF and the XLSX are stored

    publication = publish(year)

    assert publication.status == PublicationStatus.FAILED
    assert "描画中に異常終了しました" in publication.error
    assert publication.published_at is None
    assert not PublicationFile.objects.exists()
    _, files = default_storage.listdir(f"publications/{year.office.slug}/{year.year}/v1/attempt-1/")
    assert files == []  # the PDF and XLSX of the failed attempt are gone
    for url in (public_url(year), public_url(year, "table_pdf"), public_url(year, "version", version=1)):
        assert client.get(url).status_code == 404
    with pytest.raises(PublishingError, match="前回の公表処理が完了していません"):
        publication_request(fiscal_year=year, kind="result", by=None)

    monkeypatch.undo()
    publication = retry(publication)

    assert publication.status == PublicationStatus.PUBLISHED
    assert (publication.version, publication.attempt, publication.error) == (1, 2, "")
    assert publication.files.count() == 4
    assert client.get(public_url(year, "table_pdf")).status_code == 200


def test_a_lost_worker_can_be_retried_once_stale_and_not_before(year):
    # The on-commit callback that queues the task is never run here: as if no worker were there.
    publication = publication_request(fiscal_year=year, kind="result", by=None)
    # A worker took it and was then killed.
    Publication.objects.filter(pk=publication.pk).update(status=PublicationStatus.RENDERING, attempt=1)
    publication.refresh_from_db()

    with pytest.raises(PublishingError, match="作成中です"):
        publication_retry(publication=publication)

    Publication.objects.filter(pk=publication.pk).update(
        updated_at=timezone.now() - Publication.STALE_AFTER - timedelta(seconds=1)
    )
    publication.refresh_from_db()
    assert publication.can_retry
    leftover = default_storage.save(
        f"publications/{year.office.slug}/{year.year}/v1/attempt-1/table.pdf", io.BytesIO(b"%PDF-half")
    )

    assert retry(publication).status == PublicationStatus.PUBLISHED
    assert not default_storage.exists(leftover)


def test_a_published_version_cannot_be_retried(year):
    publication = publish(year)
    with pytest.raises(PublishingError, match="公表済みです"):
        publication_retry(publication=publication)


# --- The staff pages --------------------------------------------------------------------------


def test_an_approver_publishes_and_sees_the_version_and_its_files(
    client, year, people, django_capture_on_commit_callbacks
):
    client.force_login(people.approver)

    with django_capture_on_commit_callbacks(execute=True):
        response = confirmed_publish(client, year, "result")

    publication = Publication.objects.get()
    assert response.status_code == 302 and response["Location"] == version_url(publication)
    assert publication.published_by == people.approver
    page = client.get(response["Location"]).content.decode()
    assert "公表しました" in page and "公表済" in page
    assert page.count("<code") == 4
    status = client.get(version_url(publication, "status")).json()
    assert status == {
        "status": "published", "status_label": "公表済", "progress": 100, "finished": True,
        "stalled": False, "updated_at": timezone.localtime(publication.updated_at).strftime("%H:%M"),
    }
    history = client.get(overview_url(year)).content.decode()
    assert "第1版" in history and public_url(year, "version", version=1) in history


def test_a_refused_publication_is_a_message_on_the_page(client, year, people):
    publish(year)
    client.force_login(people.approver)

    response = client.post(publish_url(year, "result"), {"note": ""}, follow=True)

    assert "訂正内容を入力してください" in response.content.decode()
    assert Publication.objects.count() == 1


def test_a_correction_asks_for_the_note(client, year, people):
    publish(year)
    client.force_login(people.approver)
    assert "目標と実績の表を確認して訂正する</a>" in client.get(overview_url(year)).content.decode()
    body = client.get(publish_url(year, "result")).content.decode()
    assert re.search(r'<label\s+for="id_note" class="form-label requiredField">\s*訂正内容<span class="asteriskField">\*</span>', body)
    assert "目標と実績の表を訂正して公表する</button>" in body


def test_the_retry_button_appears_for_a_failed_version(
    client, year, people, monkeypatch, django_capture_on_commit_callbacks
):
    monkeypatch.setitem(EXPORTERS, "csv", Crash())
    publication = publish(year)
    monkeypatch.undo()
    client.force_login(people.approver)

    page = client.get(version_url(publication)).content.decode()
    assert "ファイルの作成に失敗しました" in page and "再試行</button>" in page
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(version_url(publication, "retry"))

    assert response.status_code == 302
    publication.refresh_from_db()
    assert publication.status == PublicationStatus.PUBLISHED


@pytest.mark.parametrize(
    "persona, get_status, post_status",
    [("approver", 200, 302), ("viewer", 200, 403), ("editor", 404, 404), ("outsider", 404, 404)],
)
def test_only_approvers_publish_viewers_only_look(
    client, year, people, persona, get_status, post_status, django_capture_on_commit_callbacks
):
    publication = publish(year, "plan")
    client.force_login(getattr(people, persona))

    assert client.get(overview_url(year)).status_code == get_status
    assert client.get(version_url(publication)).status_code == get_status
    assert client.get(version_url(publication, "status")).status_code == get_status
    with django_capture_on_commit_callbacks(execute=True):
        if persona == "approver":
            assert confirmed_publish(client, year, "result").status_code == post_status
        else:
            assert client.get(publish_url(year, "result")).status_code == post_status
            assert client.post(publish_url(year, "result"), {"confirmed": "on"}).status_code == post_status
    assert client.post(version_url(publication, "retry")).status_code == (
        302 if persona == "approver" else post_status
    )


def test_a_viewer_sees_no_publish_button(client, year, people):
    client.force_login(people.viewer)
    body = client.get(overview_url(year)).content.decode()
    assert "公表は承認者 (総務課) が行います" in body
    assert "<form" not in body.split('id="kind-plan-heading"')[1].split('id="history-heading"')[0]


def test_the_staff_pages_need_login(client, year):
    for url in (overview_url(year), publish_url(year, "plan")):
        for method in (client.get, client.post):
            response = method(url)
            if response.status_code != 405:
                assert response.status_code == 302 and response["Location"].startswith("/accounts/login/")


def test_an_unknown_kind_or_version_is_not_found(client, year, people):
    client.force_login(people.approver)
    assert client.post(publish_url(year, "draft")).status_code == 404
    assert client.get(reverse(
        "publishing:progress", kwargs={"office": year.office.slug, "year": year.year, "version": 9}
    )).status_code == 404


# --- The command-line twin --------------------------------------------------------------------


@pytest.mark.django_db(transaction=True)
def test_publish_table_publishes_and_prints_the_progress(seed_year):
    stdout = io.StringIO()

    call_command("publish_table", office="nakahara", year=2020, kind="result", stdout=stdout)

    publication = Publication.objects.get()
    assert publication.status == PublicationStatus.PUBLISHED and publication.published_by is None
    assert publication.files.count() == 4 and publication.goals.count() == 50
    output = stdout.getvalue()
    assert "公表を受け付けました" in output and "公表済 100%" in output and "PDF" in output


@pytest.mark.django_db(transaction=True)
def test_publish_table_follows_the_same_rules_and_retries_a_failed_version(monkeypatch):
    year = approved_year(departments=1, goals_per_department=1)
    options = {"office": year.office.slug, "year": year.year, "stdout": io.StringIO()}
    with pytest.raises(CommandError, match="登録されていません"):
        call_command("publish_table", office=year.office.slug, year=1999, kind="plan")
    monkeypatch.setitem(EXPORTERS, "csv", Crash())

    with pytest.raises(CommandError, match="失敗しました"):
        call_command("publish_table", kind="plan", **options)

    monkeypatch.undo()
    stdout = io.StringIO()
    call_command("publish_table", kind="plan", **{**options, "stdout": stdout})
    publication = Publication.objects.get()
    assert "再試行します" in stdout.getvalue()
    assert (publication.version, publication.status, publication.attempt) == (1, "published", 2)
    with pytest.raises(CommandError, match="訂正内容を入力してください"):
        call_command("publish_table", kind="plan", **options)


def test_a_user_who_published_is_recorded(year):
    approver = UserFactory()
    assert publish(year, by=approver).published_by == approver

