"""Recovery of lost 公表: a stale RENDERING version and a PENDING one without a task are queued
again (once), the rest is left alone; the command prints what it did and --dry-run changes nothing.

The queue is the real django-tasks database backend; the worker that renders what was queued is
django-tasks-db's own, run in this process.
"""

import io
from datetime import timedelta

import pytest
from django.core.files.storage import default_storage
from django.core.management import call_command
from django.utils import timezone
from django_tasks import TaskResultStatus
from django_tasks_db.management.commands.db_worker import Worker
from django_tasks_db.models import DBTaskResult

from reports.models import Publication, PublicationStatus
from reports.publishing.recovery import Action, publications_recover, publications_to_recover
from reports.publishing.services import publication_request
from reports.tasks import render_publication
from tests.reports.helpers import approved_year
from tests.reports.publishing import publish, use_tmp_media
from tests.reports.test_publishing import people, version_url  # noqa: F401 (people is a fixture)

DATABASE_BACKEND = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}


@pytest.fixture(autouse=True)
def media_root(settings, tmp_path):
    use_tmp_media(settings, tmp_path)


@pytest.fixture
def queue(settings):
    """The production task backend: tasks are rows in the database until a worker takes them."""
    settings.TASKS = DATABASE_BACKEND


@pytest.fixture
def year(db):
    return approved_year(departments=2, goals_per_department=2)


def request(year, kind="result", *, queued=True, django_capture_on_commit_callbacks=None):
    """公表 requested; its task queued only when the transaction's on-commit callbacks run."""
    if not queued:
        return publication_request(fiscal_year=year, kind=kind, by=None)
    with django_capture_on_commit_callbacks(execute=True):
        return publication_request(fiscal_year=year, kind=kind, by=None)


def recover(capture, **options):
    """The command, its on-commit callbacks (the queueing) run; (stdout, stderr)."""
    stdout, stderr = io.StringIO(), io.StringIO()
    with capture(execute=True):
        call_command("recover_publications", stdout=stdout, stderr=stderr, **options)
    return stdout.getvalue(), stderr.getvalue()


def tasks(publication, status=None):
    rows = DBTaskResult.objects.filter(task_path=render_publication.module_path)
    if status:
        rows = rows.filter(status=status)
    return [row for row in rows if row.args_kwargs["args"] == [publication.pk]]


def taken_by_a_worker_that_died(publication, *, stale=True):
    """As a db_worker killed mid-rendering leaves it: task RUNNING, version RENDERING, a file stored."""
    for row in tasks(publication, TaskResultStatus.READY):
        row.claim("killed-worker")
    Publication.objects.filter(pk=publication.pk).update(
        status=PublicationStatus.RENDERING, attempt=1, progress=65
    )
    fy = publication.fiscal_year
    leftover = default_storage.save(
        f"publications/{fy.office.slug}/{fy.year}/v{publication.version}/attempt-1/table.pdf",
        io.BytesIO(b"%PDF-half"),
    )
    if stale:
        make_stale(publication)
    return leftover


def make_stale(publication):
    Publication.objects.filter(pk=publication.pk).update(
        updated_at=timezone.now() - Publication.STALE_AFTER - timedelta(seconds=1)
    )


def run_worker():
    """django-tasks-db's worker: every queued task, then it stops (as `db_worker --batch`)."""
    Worker(
        queue_names=["default"], interval=0, batch=True, backend_name="default",
        startup_delay=False, max_tasks=None, worker_id="test-worker", excluded_queue_names=[],
    ).run()


def snapshot(publication):
    publication.refresh_from_db()
    rows = DBTaskResult.objects.order_by("enqueued_at").values_list("status", "args_kwargs")
    return (publication.status, publication.attempt, publication.updated_at, list(rows))


# --- A worker died while rendering ------------------------------------------------------------


@pytest.mark.django_db(transaction=True)
def test_a_version_whose_worker_died_is_queued_again_once_and_then_published(queue, django_capture_on_commit_callbacks):
    year = approved_year(departments=2, goals_per_department=2)
    publication = publication_request(fiscal_year=year, kind="result", by=None)  # committed: task queued
    leftover = taken_by_a_worker_that_died(publication)

    stdout, _ = recover(django_capture_on_commit_callbacks)

    publication.refresh_from_db()
    assert publication.status == PublicationStatus.PENDING
    assert "作成中のまま10分間進んでいません" in stdout and "予約し直した版: 1件" in stdout
    assert "公表待ちに戻して作成処理を予約しました (現在の状態: 公表待ち)" in stdout
    assert str(publication) in stdout
    [lost] = tasks(publication, TaskResultStatus.FAILED)
    assert lost.exception_class_path == "reports.publishing.recovery.WorkerLost"
    assert len(tasks(publication, TaskResultStatus.READY)) == 1

    # Idempotent: the version has its task now.
    before = snapshot(publication)
    stdout, _ = recover(django_capture_on_commit_callbacks)
    assert "復旧が必要な公表処理はありません" in stdout
    assert snapshot(publication) == before

    run_worker()

    publication.refresh_from_db()
    assert (publication.status, publication.attempt) == (PublicationStatus.PUBLISHED, 2)
    assert sorted(publication.files.values_list("format", flat=True)) == ["csv", "html", "pdf", "xlsx"]
    assert not default_storage.exists(leftover)
    assert len(tasks(publication, TaskResultStatus.SUCCESSFUL)) == 1
    assert publications_to_recover() == []


def test_a_version_still_being_rendered_is_left_alone(queue, year, django_capture_on_commit_callbacks):
    publication = request(year, django_capture_on_commit_callbacks=django_capture_on_commit_callbacks)
    taken_by_a_worker_that_died(publication, stale=False)  # or alive: nobody can tell yet
    before = snapshot(publication)

    stdout, stderr = recover(django_capture_on_commit_callbacks)

    assert "復旧が必要な公表処理はありません" in stdout and stderr == ""
    assert snapshot(publication) == before


# --- A version queued without a task ----------------------------------------------------------


def test_a_pending_version_whose_task_was_lost_gets_one_task(queue, year, django_capture_on_commit_callbacks):
    publication = request(year, queued=False)  # the process died before queueing
    assert tasks(publication) == []

    stdout, _ = recover(django_capture_on_commit_callbacks)

    assert "作成処理の予約がありません" in stdout and "作成処理を予約しました" in stdout
    assert len(tasks(publication, TaskResultStatus.READY)) == 1
    publication.refresh_from_db()
    assert publication.status == PublicationStatus.PENDING
    recover(django_capture_on_commit_callbacks)
    assert len(tasks(publication)) == 1  # not queued twice

    DBTaskResult.objects.all().delete()  # the queue lost its row
    recover(django_capture_on_commit_callbacks)
    assert len(tasks(publication, TaskResultStatus.READY)) == 1


def test_with_the_immediate_backend_a_lost_pending_version_is_rendered_at_once(year, django_capture_on_commit_callbacks):
    publication = request(year, queued=False)

    stdout, _ = recover(django_capture_on_commit_callbacks)

    assert "作成処理を予約しました" in stdout
    publication.refresh_from_db()
    assert publication.status == PublicationStatus.PUBLISHED
    assert publications_to_recover() == []


def test_a_task_taken_by_a_worker_that_died_before_starting_is_replaced_once_stale(
    queue, year, django_capture_on_commit_callbacks
):
    publication = request(year, django_capture_on_commit_callbacks=django_capture_on_commit_callbacks)
    [row] = tasks(publication)
    row.claim("killed-worker")  # the version itself is still PENDING

    assert publications_to_recover() == []  # the worker may be just about to claim the version
    make_stale(publication)
    [recovery] = publications_to_recover()
    assert recovery.action == Action.RETRY

    recover(django_capture_on_commit_callbacks)

    row.refresh_from_db()
    assert row.status == TaskResultStatus.FAILED
    assert len(tasks(publication, TaskResultStatus.READY)) == 1


def test_a_queued_version_no_worker_takes_is_reported_not_changed(queue, year, django_capture_on_commit_callbacks):
    publication = request(year, django_capture_on_commit_callbacks=django_capture_on_commit_callbacks)
    make_stale(publication)
    before = snapshot(publication)

    stdout, stderr = recover(django_capture_on_commit_callbacks)

    assert "db_worker が動いているか確認してください" in stderr
    assert "予約し直した版: 0件" in stdout
    assert snapshot(publication) == before


def test_a_failed_version_is_reported_and_left_for_a_person(queue, year, django_capture_on_commit_callbacks):
    publication = request(year, queued=False)
    Publication.objects.filter(pk=publication.pk).update(status=PublicationStatus.FAILED, error="RuntimeError")
    before = snapshot(publication)

    _, stderr = recover(django_capture_on_commit_callbacks)

    assert "エラーを確認して再試行してください" in stderr and "自動では" not in stderr
    assert snapshot(publication) == before


def test_published_versions_are_not_touched(year, django_capture_on_commit_callbacks):
    publication = publish(year)
    make_stale(publication)

    assert publications_recover() == []
    publication.refresh_from_db()
    assert publication.status == PublicationStatus.PUBLISHED


# --- --dry-run --------------------------------------------------------------------------------


def test_dry_run_lists_and_changes_nothing(queue, year, django_capture_on_commit_callbacks):
    rendering = request(year, django_capture_on_commit_callbacks=django_capture_on_commit_callbacks)
    taken_by_a_worker_that_died(rendering)
    other = approved_year(departments=1, office=year.office, year=2022)
    pending = request(other, queued=False)
    before = [snapshot(rendering), snapshot(pending)]

    stdout, _ = recover(django_capture_on_commit_callbacks, dry_run=True)

    assert stdout.count("[確認のみ・何も変更していません]") == 3
    assert f"{rendering}: 作成中のまま" in stdout and "公表待ちに戻して作成処理を予約します" in stdout
    assert f"{pending}: 公表待ちですが、作成処理の予約がありません → 作成処理を予約します" in stdout
    assert "予約し直す版: 2件" in stdout
    assert [snapshot(rendering), snapshot(pending)] == before

    stdout, _ = recover(django_capture_on_commit_callbacks)
    assert "予約し直した版: 2件" in stdout
    rendering.refresh_from_db()
    assert rendering.status == PublicationStatus.PENDING
    assert len(tasks(pending, TaskResultStatus.READY)) == 1


# --- The worker starts: what it held before is queued again at once ---------------------------


def worker_starting(capture):
    """`manage.py recover --worker-starting`, as the worker unit runs it before the worker starts."""
    stdout, stderr = io.StringIO(), io.StringIO()
    with capture(execute=True):
        call_command("recover", "--worker-starting", stdout=stdout, stderr=stderr)
    return stdout.getvalue(), stderr.getvalue()


@pytest.mark.django_db(transaction=True)
def test_when_the_worker_starts_a_version_left_rendering_is_queued_again_at_once(
    queue, django_capture_on_commit_callbacks
):
    year = approved_year(departments=2, goals_per_department=2)
    publication = publication_request(fiscal_year=year, kind="result", by=None)  # committed: task queued
    leftover = taken_by_a_worker_that_died(publication, stale=False)  # killed a moment ago

    # The periodic run cannot tell a dead worker from a busy one yet: it waits.
    stdout, _ = recover(django_capture_on_commit_callbacks)
    assert "復旧が必要な公表処理はありません" in stdout
    publication.refresh_from_db()
    assert publication.status == PublicationStatus.RENDERING

    stdout, _ = recover(django_capture_on_commit_callbacks, worker_starting=True)

    assert "ワーカーの起動時に作り直します" in stdout and "予約し直した版: 1件" in stdout
    publication.refresh_from_db()
    assert publication.status == PublicationStatus.PENDING
    [lost] = tasks(publication, TaskResultStatus.FAILED)
    assert lost.exception_class_path == "reports.publishing.recovery.WorkerLost"
    assert len(tasks(publication, TaskResultStatus.READY)) == 1

    # Idempotent: queued again once, not twice.
    before = snapshot(publication)
    stdout, _ = recover(django_capture_on_commit_callbacks, worker_starting=True)
    assert "復旧が必要な公表処理はありません" in stdout
    assert snapshot(publication) == before

    run_worker()

    publication.refresh_from_db()
    assert (publication.status, publication.attempt) == (PublicationStatus.PUBLISHED, 2)
    assert not default_storage.exists(leftover)
    assert publications_to_recover(worker_starting=True) == []


def test_when_the_worker_starts_a_task_a_dead_worker_had_taken_is_queued_again(
    queue, year, django_capture_on_commit_callbacks
):
    publication = request(year, django_capture_on_commit_callbacks=django_capture_on_commit_callbacks)
    [row] = tasks(publication)
    row.claim("killed-worker")  # the version itself is still PENDING, and not stale

    stdout, _ = recover(django_capture_on_commit_callbacks, worker_starting=True)

    assert "作成処理を受け取ったワーカーが停止しています" in stdout
    row.refresh_from_db()
    assert row.status == TaskResultStatus.FAILED
    assert len(tasks(publication, TaskResultStatus.READY)) == 1
    publication.refresh_from_db()
    assert publication.status == PublicationStatus.PENDING


def test_recover_worker_starting_renders_a_version_left_rendering_with_the_immediate_backend(
    year, django_capture_on_commit_callbacks
):
    publication = request(year, queued=False)
    Publication.objects.filter(pk=publication.pk).update(
        status=PublicationStatus.RENDERING, attempt=1, progress=5,
        updated_at=timezone.now() - timedelta(seconds=30),
    )

    # Without the flag (the 5-minute timer), nothing for 10 minutes.
    assert publications_recover() == []

    stdout, _ = worker_starting(django_capture_on_commit_callbacks)

    assert "予約し直した版: 1件" in stdout
    publication.refresh_from_db()
    assert (publication.status, publication.attempt) == (PublicationStatus.PUBLISHED, 2)


# --- The approver sees a rendering that stopped, and retries it -------------------------------


def rendering(publication, *, idle):
    """As a killed worker leaves it: 作成中 (5%), not moved for `idle`."""
    Publication.objects.filter(pk=publication.pk).update(
        status=PublicationStatus.RENDERING, attempt=1, progress=5, updated_at=timezone.now() - idle
    )
    publication.refresh_from_db()
    return publication


def test_a_rendering_that_stopped_is_shown_with_retry_after_the_stated_time(
    client, year, people, django_capture_on_commit_callbacks
):
    publication = rendering(request(year, queued=False), idle=timedelta(seconds=30))
    client.force_login(people.approver)

    status = client.get(version_url(publication, "status")).json()
    assert (status["status_label"], status["progress"], status["stalled"]) == ("作成中", 5, False)
    page = client.get(version_url(publication)).content.decode()
    assert "作成中のまま2分間進まないときは、再試行できます。" in page
    assert "data-stalled hidden" in page  # there for the script, not shown yet

    publication = rendering(publication, idle=Publication.STALLED_AFTER + timedelta(seconds=1))
    updated = timezone.localtime(publication.updated_at).strftime("%H:%M")

    status = client.get(version_url(publication, "status")).json()
    assert status["stalled"] is True and status["updated_at"] == updated and status["finished"] is False
    page = client.get(version_url(publication)).content.decode()
    assert f"作成が止まっています (最終更新: <span data-updated-at>{updated}</span>)。再試行できます。" in page
    assert "data-stalled hidden" not in page and page.count("再試行</button>") == 1

    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(version_url(publication, "retry"))

    assert response.status_code == 302
    publication.refresh_from_db()
    assert (publication.status, publication.attempt) == (PublicationStatus.PUBLISHED, 2)


def test_a_rendering_still_moving_cannot_be_retried(client, year, people, django_capture_on_commit_callbacks):
    publication = rendering(request(year, queued=False), idle=timedelta(seconds=30))
    client.force_login(people.approver)

    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(version_url(publication, "retry"), follow=True)

    body = response.content.decode()
    assert "第1版は作成中です" in body and "2分間進まないときに再試行できます" in body
    publication.refresh_from_db()
    assert (publication.status, publication.progress) == (PublicationStatus.RENDERING, 5)
