"""/healthz for monitoring: 200 with every check's status when healthy, 503 with the failing
check's reason when the database, the task queue, the worker or the storage is not; no login,
nothing in the answer beyond statuses."""

import io
import json
import os
import socket
import subprocess
import sys
from datetime import timedelta
from pathlib import Path

import pytest
from django.conf import settings
from django.core.management import call_command
from django.test import Client
from django.utils import timezone
from django_tasks_db.models import DBTaskResult

from reports.models import Publication, PublicationKind, PublicationStatus
from tests.factories import FiscalYearFactory
from wardservice.models import MailKind, MailStatus, OutgoingMail, WorkerHeartbeat
from wardservice.tasks import deliver_mail

PROJECT = Path(settings.BASE_DIR)
DATABASE_BACKEND = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}


def healthz(client=None):
    response = (client or Client()).get("/healthz")
    assert response["Content-Type"] == "application/json"
    assert "no-cache" in response["Cache-Control"]
    return response.status_code, json.loads(response.content)


def run_worker():
    call_command("db_worker", "--batch", "--no-startup-delay", "--no-reload", verbosity=0)


@pytest.mark.django_db
def test_healthy_without_a_login_and_without_a_session(settings, tmp_path):
    settings.MEDIA_ROOT, settings.PDF_PARTS_DIR = tmp_path / "media", tmp_path / "parts"
    client = Client()
    status, answer = healthz(client)
    assert status == 200 and answer["status"] == "ok"
    assert {name: check["status"] for name, check in answer["checks"].items()} == {
        "database": "ok", "queue": "ok", "worker": "ok", "publishing": "ok", "mail": "ok", "storage": "ok",
    }
    assert not client.cookies  # nothing stored for a monitor's visit
    assert list(tmp_path.rglob("*.*")) == []  # the storage probe leaves nothing behind


@pytest.mark.django_db(transaction=True)
def test_the_worker_away_is_a_503_with_the_reason(settings, tmp_path):
    settings.TASKS = DATABASE_BACKEND
    settings.MEDIA_ROOT, settings.PDF_PARTS_DIR = tmp_path / "media", tmp_path / "parts"

    status, answer = healthz()
    assert status == 503 and answer["checks"]["worker"]["status"] == "fail"
    assert "応答がまだありません" in answer["checks"]["worker"]["reason"]

    # The 5-minute recover queues the heartbeat; a worker runs it.
    call_command("recover", stdout=io.StringIO())
    run_worker()
    status, answer = healthz()
    assert status == 200, answer
    assert answer["checks"]["worker"]["heartbeat_age_seconds"] < 60
    assert answer["checks"]["queue"] == {"status": "ok", "oldest_ready_seconds": 0}

    # No worker for 20 minutes: the heartbeat queued meanwhile waits, and the answer says so.
    WorkerHeartbeat.objects.update(beat_at=timezone.now() - timedelta(minutes=20))
    status, answer = healthz()
    assert status == 503 and answer["status"] == "fail"
    assert answer["checks"]["worker"]["reason"] == "ワーカー (db_worker) の応答が20分ありません (上限 15分)"
    assert answer["checks"]["worker"]["heartbeat_age_seconds"] >= 20 * 60


@pytest.mark.django_db(transaction=True)
def test_a_task_waiting_too_long_is_a_503(settings, tmp_path):
    settings.TASKS = DATABASE_BACKEND
    settings.MEDIA_ROOT, settings.PDF_PARTS_DIR = tmp_path / "media", tmp_path / "parts"
    WorkerHeartbeat.objects.create(queue="default", beat_at=timezone.now())
    mail = OutgoingMail.objects.create(kind=MailKind.REMINDER, to="a@example.jp", subject="件名", body="")
    result = deliver_mail.enqueue(mail.pk)
    assert healthz()[0] == 200
    DBTaskResult.objects.filter(pk=result.id).update(enqueued_at=timezone.now() - timedelta(minutes=30))
    status, answer = healthz()
    assert status == 503
    assert answer["checks"]["queue"]["status"] == "fail" and answer["checks"]["queue"]["oldest_ready_seconds"] >= 1800
    assert "30分前から実行を待っている処理があります" in answer["checks"]["queue"]["reason"]


@pytest.mark.django_db
def test_storage_that_cannot_be_written_is_a_503_naming_the_setting_not_the_path(settings, tmp_path):
    blocker = tmp_path / "a-file"
    blocker.write_text("not a folder")
    settings.MEDIA_ROOT, settings.PDF_PARTS_DIR = blocker / "media", tmp_path / "parts"
    status, answer = healthz()
    assert status == 503 and answer["checks"]["storage"] == {"status": "fail", "reason": "MEDIA_ROOT に書き込めません"}
    assert str(tmp_path) not in json.dumps(answer, ensure_ascii=False)


@pytest.mark.django_db
def test_a_publication_stuck_in_rendering_is_a_503_after_the_publishing_pages_threshold(settings, tmp_path):
    """The same 2 minutes after which the publishing page shows 「作成が止まっています」 and 再試行."""
    settings.MEDIA_ROOT, settings.PDF_PARTS_DIR = tmp_path / "media", tmp_path / "parts"
    publication = Publication.objects.create(
        fiscal_year=FiscalYearFactory(), kind=PublicationKind.RESULT, version=1,
        status=PublicationStatus.RENDERING, attempt=1, progress=40,
    )

    def unmoved_for(delta):
        Publication.objects.filter(pk=publication.pk).update(updated_at=timezone.now() - delta)
        return healthz()

    status, answer = unmoved_for(Publication.STALLED_AFTER - timedelta(seconds=20))
    assert status == 200 and answer["checks"]["publishing"]["status"] == "ok"
    assert answer["checks"]["publishing"]["stalled"] == 0
    assert answer["checks"]["publishing"]["oldest_unmoved_seconds"] >= 100

    status, answer = unmoved_for(timedelta(minutes=7))
    assert status == 503 and answer["status"] == "fail"
    assert answer["checks"]["publishing"] == {
        "status": "fail", "reason": "作成中のまま7分進んでいない公表が1件あります (上限 2分)",
        "stalled": 1, "oldest_unmoved_seconds": answer["checks"]["publishing"]["oldest_unmoved_seconds"],
    }
    assert 7 * 60 <= answer["checks"]["publishing"]["oldest_unmoved_seconds"] < 8 * 60

    # Published (or failed, or back to 公表待ち through 再試行): nothing is stuck any more.
    Publication.objects.filter(pk=publication.pk).update(status=PublicationStatus.FAILED)
    status, answer = healthz()
    assert status == 200 and answer["checks"]["publishing"] == {"status": "ok", "stalled": 0, "oldest_unmoved_seconds": 0}


@pytest.mark.django_db
def test_undelivered_mail_is_a_warning_not_a_failure(settings, tmp_path):
    settings.MEDIA_ROOT, settings.PDF_PARTS_DIR = tmp_path / "media", tmp_path / "parts"
    OutgoingMail.objects.create(
        kind=MailKind.NOTIFICATION, to="a@example.jp", subject="件名", body="", status=MailStatus.FAILED,
        last_error="TimeoutError: timed out",
    )
    status, answer = healthz()
    assert status == 200 and answer["checks"]["mail"] == {
        "status": "warn", "reason": "送信できていない通知メールが1件あります", "undelivered": 1,
    }
    assert "a@example.jp" not in json.dumps(answer)


def closed_port():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.mark.anydb  # a process of its own against a database that is not there, either engine
@pytest.mark.parametrize("database", ["sqlite", "postgresql"])
def test_the_database_away_is_a_503_from_a_fresh_process(tmp_path, database):
    """The application started against a database it cannot reach: an SQLite file in a folder
    that does not exist, a PostgreSQL port nobody listens on."""
    url = {
        "sqlite": f"sqlite:///{tmp_path / 'no-such-folder' / 'db.sqlite3'}",
        "postgresql": f"postgres://wardservice:secret@127.0.0.1:{closed_port()}/wardservice",
    }[database]
    env = {
        **os.environ, "DJANGO_SETTINGS_MODULE": "wardservice.settings", "WARDSERVICE_TESTING": "1",
        "DATABASE_URL": url, "MEDIA_ROOT": str(tmp_path / "media"), "PDF_PARTS_DIR": str(tmp_path / "parts"),
        "TASKS_BACKEND": "django_tasks_db.DatabaseBackend",
    }
    script = (
        "from django.test import Client; r = Client(HTTP_HOST='localhost').get('/healthz'); "
        "print(r.status_code); print(r.content.decode())"
    )
    done = subprocess.run(
        [sys.executable, "manage.py", "shell", "-c", script],
        cwd=PROJECT, env=env, capture_output=True, text=True, timeout=120, check=False,
    )
    assert done.returncode == 0, done.stderr
    status, body = done.stdout.strip().splitlines()[-2:]
    answer = json.loads(body)
    assert status == "503"
    assert answer["checks"]["database"] == {"status": "fail", "reason": "データベースに接続できません"}
    assert {answer["checks"][name]["status"] for name in ("queue", "worker", "publishing", "mail")} == {"skipped"}
    assert answer["checks"]["storage"]["status"] == "ok"
    assert "Traceback" not in body and "OperationalError" not in body
    assert "Health check: database unavailable" in done.stderr  # the detail goes to the log
