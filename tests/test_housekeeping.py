"""`manage.py housekeeping`: removes expired sessions, old login records, old finished task
records, old sent or failed mail and long-unused PDF parts; keeps everything else; says what it
removed; changes nothing with --dry-run or when run again."""

import io
import os
import time
from datetime import timedelta

import pytest
from axes.models import AccessAttempt, AccessFailureLog, AccessLog
from django.contrib.sessions.models import Session
from django.core.management import CommandError, call_command
from django.utils import timezone
from django_tasks import TaskResultStatus
from django_tasks_db.models import DBTaskResult

from wardservice.models import MailKind, MailStatus, OutgoingMail

DAY = timedelta(days=1)


def run(*args):
    out = io.StringIO()
    call_command("housekeeping", *args, stdout=out)
    return out.getvalue()


def counts():
    return {
        "sessions": Session.objects.count(),
        "login records": AccessLog.objects.count() + AccessFailureLog.objects.count() + AccessAttempt.objects.count(),
        "task results": DBTaskResult.objects.count(),
        "mail": OutgoingMail.objects.count(),
    }


def aged(model, days, **fields):
    row = model.objects.create(**fields)
    model.objects.filter(pk=row.pk).update(attempt_time=timezone.now() - days * DAY)
    return row


def task_result(status, finished_days_ago):
    finished = timezone.now() - finished_days_ago * DAY if finished_days_ago is not None else None
    return DBTaskResult.objects.create(
        status=status, args_kwargs={"args": [], "kwargs": {}}, task_path="wardservice.tasks.deliver_mail",
        backend_name="default", run_after=timezone.now(), finished_at=finished,
    )


def mail(status, days_ago):
    moment = timezone.now() - days_ago * DAY
    return OutgoingMail.objects.create(
        kind=MailKind.NOTIFICATION, to="a@example.jp", subject="件名", body="", status=status,
        created_at=moment, sent_at=moment if status == MailStatus.SENT else None,
    )


def part(folder, key, days_unused):
    paths = [folder / "parts" / key[:2] / f"{key}.{suffix}" for suffix in ("pdf", "json")]
    for path in paths:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(b"{}")
        moment = time.time() - days_unused * 86400
        os.utime(path, (moment, moment))
    return paths[0]


@pytest.fixture
def old_and_new(db, settings, tmp_path):
    """For each kind, things past their limit and things within it."""
    settings.PDF_PARTS_DIR = tmp_path / "parts"
    now = timezone.now()
    Session.objects.create(session_key="expired", session_data="", expire_date=now - timedelta(minutes=1))
    Session.objects.create(session_key="current", session_data="", expire_date=now + timedelta(minutes=30))
    login = {"user_agent": "ua", "ip_address": "127.0.0.1", "username": "kumin", "http_accept": "", "path_info": "/"}
    aged(AccessLog, 100, **login)
    aged(AccessLog, 10, **login)
    aged(AccessFailureLog, 100, **login)
    aged(AccessAttempt, 100, get_data="", post_data="", failures_since_start=3, **login)
    task_result(TaskResultStatus.SUCCESSFUL, 100)
    task_result(TaskResultStatus.FAILED, 100)
    task_result(TaskResultStatus.SUCCESSFUL, 10)
    task_result(TaskResultStatus.READY, None)  # waiting: never removed
    mail(MailStatus.SENT, 100)
    mail(MailStatus.FAILED, 100)
    mail(MailStatus.SENT, 10)
    mail(MailStatus.PENDING, 100)  # still being tried: never removed
    return {
        "old part": part(settings.PDF_PARTS_DIR, "aa11", 500),
        "used part": part(settings.PDF_PARTS_DIR, "bb22", 10),
    }


def test_removes_what_is_past_its_limit_and_says_so(old_and_new):
    before = counts()
    output = run("--days", "90")
    assert "期限切れのセッション: 1件を削除しました" in output
    assert "90日より前のログイン記録 (django-axes): 3件を削除しました" in output
    assert "90日より前に終わったバックグラウンド処理の記録: 2件を削除しました" in output
    assert "90日より前の送信済・失敗の通知メール: 2件を削除しました" in output
    assert "400日以上使われていない PDF の部品: 1件を削除しました" in output
    assert counts() == {
        "sessions": before["sessions"] - 1,
        "login records": before["login records"] - 3,
        "task results": before["task results"] - 2,
        "mail": before["mail"] - 2,
    }
    assert list(Session.objects.values_list("session_key", flat=True)) == ["current"]
    assert set(OutgoingMail.objects.values_list("status", flat=True)) == {MailStatus.SENT, MailStatus.PENDING}
    assert set(DBTaskResult.objects.values_list("status", flat=True)) == {
        TaskResultStatus.SUCCESSFUL, TaskResultStatus.READY
    }
    assert not old_and_new["old part"].exists() and old_and_new["used part"].exists()

    # Again at once: nothing more to remove.
    again = run("--days", "90")
    assert again.count(": 0件を削除しました") == 5


def test_dry_run_counts_and_removes_nothing(old_and_new):
    before = counts()
    output = run("--dry-run")
    assert "[確認のみ・何も削除していません] 期限切れのセッション: 1件を削除する予定です" in output
    assert "90日より前の送信済・失敗の通知メール: 2件を削除する予定です" in output
    assert counts() == before and old_and_new["old part"].exists()


def test_a_shorter_limit_removes_more(old_and_new):
    run("--days", "5")
    assert AccessLog.objects.count() == 0 and OutgoingMail.objects.filter(status=MailStatus.SENT).count() == 0


@pytest.mark.django_db
def test_a_limit_below_one_day_is_refused():
    with pytest.raises(CommandError, match="1以上"):
        run("--days", "0")
