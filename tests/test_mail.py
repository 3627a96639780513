"""Mail never fails a workflow step: the outbox (wardservice.mail) against a relay that is down,
one that accepts and never answers, and messages that cannot be written; retries with backoff;
総務課's page of what was not delivered, and sending again.

The steps go through the real pages in transactional tests, so that the step's commit runs the
notification as in production (where a failure used to turn the committed step into a 500).
"""

import io
import logging
import socket
import threading
import time
from contextlib import contextmanager
from datetime import timedelta

import pytest
from django.core import mail
from django.core.management import call_command
from django.db import connection
from django.db.models import CheckConstraint
from django.urls import reverse
from django.utils import timezone

from departments.models import Department, Role
from goals.models import Phase, SheetStatus
from goals.services import GoalInput, sheet_save_plan, sheet_submit
from tests.personas import KIKAKU, client_for, member
from wardservice.mail import MAX_ATTEMPTS, RETRY_DELAYS, Message, mail_queue
from wardservice.models import MailKind, MailStatus, OutgoingMail

TIMEOUT = 1  # EMAIL_TIMEOUT in these tests, seconds
SUBMITTED = "提出しました"


def closed_port():
    """A loopback port nobody listens on (bound for a moment, then released)."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@contextmanager
def silent_relay():
    """A relay that accepts connections and never says a word (no SMTP greeting)."""
    server = socket.create_server(("127.0.0.1", 0))
    server.settimeout(0.1)
    held, stop = [], threading.Event()

    def serve():
        while not stop.is_set():
            try:
                held.append(server.accept()[0])
            except TimeoutError:
                continue

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    try:
        yield server.getsockname()[1], held
    finally:
        stop.set()
        thread.join(timeout=5)
        for conn in held:
            conn.close()
        server.close()


def use_relay(settings, port):
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT, settings.EMAIL_TIMEOUT = "127.0.0.1", port, TIMEOUT


def submit_url(sheet):
    fy = sheet.fiscal_year
    return reverse(
        "goals:submit", kwargs={"office": fy.office.slug, "year": fy.year, "code": sheet.department.code, "phase": "plan"}
    )


def undelivered_url(office="nakahara"):
    return reverse("goals:undelivered_mail", kwargs={"office": office})


def with_goals(sheet, by):
    goals = [GoalInput(number=1, objective="電話は3回以内に出て、所属と名前を名乗ります。")]
    return sheet_save_plan(sheet=sheet, goals=goals, expected_version=sheet.version, by=by)


def submit_page(editor, sheet):
    """提出 through the page, as the editor presses it: (response, seconds it took)."""
    started = time.monotonic()
    response = client_for(editor).post(submit_url(sheet), {"version": sheet.version}, follow=True)
    return response, time.monotonic() - started


def assert_submitted(response, sheet):
    assert response.status_code == 200 and SUBMITTED in response.content.decode()
    sheet.refresh_from_db()
    assert sheet.plan_status == SheetStatus.SUBMITTED


def error_logs(caplog):
    return [r for r in caplog.records if r.name == "wardservice.mail" and r.levelno == logging.ERROR]


# --- The relay away -----------------------------------------------------------------------------


@pytest.mark.django_db(transaction=True)
def test_submit_stands_when_the_relay_is_down_and_approvers_see_what_was_not_sent(
    editor, sheet, people, settings, caplog
):
    use_relay(settings, closed_port())
    sheet = with_goals(sheet, editor)
    with caplog.at_level(logging.ERROR, logger="wardservice.mail"):
        response, took = submit_page(editor, sheet)

    assert_submitted(response, sheet)
    assert took < 5
    mails = list(OutgoingMail.objects.order_by("to"))
    assert [m.to for m in mails] == sorted([people.approver.email, people.approver2.email])
    for message in mails:  # waiting for the next attempt, with the error recorded
        assert (message.status, message.attempts) == (MailStatus.PENDING, 1)
        assert message.last_error.startswith("ConnectionRefusedError")
        assert message.next_attempt_at > timezone.now() + RETRY_DELAYS[0] - timedelta(minutes=1)
    assert len(error_logs(caplog)) == 2 and people.approver.email in error_logs(caplog)[0].getMessage() + error_logs(caplog)[1].getMessage()

    page = client_for(people.approver).get(undelivered_url()).content.decode()
    assert "送信できなかった通知" in page and "再試行待ち" in page and "ConnectionRefusedError" in page
    assert people.approver2.email in page and f"{KIKAKU}の目標設定が提出されました" in page
    dashboard = client_for(people.approver).get(
        reverse("goals:dashboard", kwargs={"office": "nakahara", "year": sheet.fiscal_year.year})
    ).content.decode()
    assert "送信できなかった通知が 2 件あります" in dashboard and undelivered_url() in dashboard


@pytest.mark.django_db(transaction=True)
def test_submit_does_not_hang_on_a_relay_that_never_answers(editor, sheet, people, settings):
    sheet = with_goals(sheet, editor)
    with silent_relay() as (port, held):
        use_relay(settings, port)
        response, took = submit_page(editor, sheet)
        assert held  # the relay was reached, and said nothing

    assert_submitted(response, sheet)
    # Development and tests send at once, each message given up after EMAIL_TIMEOUT (two approvers).
    assert took < 2 * TIMEOUT + 4
    mails = OutgoingMail.objects.all()
    assert len(mails) == 2 and {m.status for m in mails} == {MailStatus.PENDING}
    assert all(m.last_error.endswith("timed out") for m in mails)


@pytest.mark.django_db(transaction=True)
def test_with_the_worker_the_request_does_not_wait_for_the_relay_at_all(editor, sheet, people, settings):
    """Production: the database task backend; the worker meets the silent relay, not the page."""
    settings.TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}
    sheet = with_goals(sheet, editor)
    with silent_relay() as (port, _held):
        use_relay(settings, port)
        settings.EMAIL_TIMEOUT = 5
        response, took = submit_page(editor, sheet)
        assert_submitted(response, sheet)
        assert took < 2
        assert set(OutgoingMail.objects.values_list("status", "attempts")) == {(MailStatus.PENDING, 0)}

        # A send in the request would have taken 5 s per message; the worker may give up sooner.
        settings.EMAIL_TIMEOUT = TIMEOUT
        call_command("db_worker", "--batch", "--no-startup-delay", "--no-reload", verbosity=0)

    assert set(OutgoingMail.objects.values_list("status", "attempts")) == {(MailStatus.PENDING, 1)}


# --- Messages that cannot be written ------------------------------------------------------------


def _name_checks():
    return [
        constraint for constraint in Department._meta.constraints
        if isinstance(constraint, CheckConstraint)
        and any(name in repr(constraint.condition) for name in ("F(name)", "'name'"))
    ]


@contextmanager
def department_named(department, name):
    """The name written straight into the table, past the model's checks and the table's own
    CHECK constraints, which refuse a line break today (a row written before them may hold one);
    the old name and the constraints are put back afterwards."""
    old = Department.objects.values_list("name", flat=True).get(pk=department.pk)
    update = "UPDATE departments_department SET name = %s WHERE id = %s"
    with connection.cursor() as cursor:
        if connection.vendor == "sqlite":
            cursor.execute("PRAGMA ignore_check_constraints = ON")
            cursor.execute(update, [name, department.pk])
            cursor.execute("PRAGMA ignore_check_constraints = OFF")
        else:
            with connection.schema_editor() as editor:
                for constraint in _name_checks():
                    editor.remove_constraint(Department, constraint)
            cursor.execute(update, [name, department.pk])
    try:
        yield
    finally:
        with connection.cursor() as cursor:
            cursor.execute(update, [old, department.pk])
        if connection.vendor != "sqlite":
            with connection.schema_editor() as editor:
                for constraint in _name_checks():
                    editor.add_constraint(Department, constraint)


@pytest.mark.django_db(transaction=True)
def test_a_department_name_with_a_line_break_fails_neither_submit_nor_approve(editor, sheet, people):
    with department_named(sheet.department, f"{KIKAKU}\n(分室)"):
        sheet.refresh_from_db()
        assert "\n" in sheet.department.name
        submit_and_approve(editor, sheet, people)
    assert set(OutgoingMail.objects.values_list("status", flat=True)) == {MailStatus.SENT}


def submit_and_approve(editor, sheet, people):
    sheet = with_goals(sheet, editor)
    response, _took = submit_page(editor, sheet)
    assert_submitted(response, sheet)

    fy = sheet.fiscal_year
    approve = reverse(
        "goals:approve", kwargs={"office": "nakahara", "year": fy.year, "code": sheet.department.code, "phase": "plan"}
    )
    response = client_for(people.approver).post(approve, {"version": sheet.version}, follow=True)
    assert response.status_code == 200
    sheet.refresh_from_db()
    assert sheet.plan_status == SheetStatus.APPROVED
    subjects = {message.subject for message in mail.outbox}
    assert subjects == {
        f"[令和3年度] {KIKAKU} (分室)の目標設定が提出されました",
        f"[令和3年度] {KIKAKU} (分室)の目標設定が承認されました",
    }


@pytest.mark.django_db(transaction=True)
def test_an_address_that_cannot_be_a_header_is_failed_at_once_and_the_others_are_sent(
    editor, sheet, people, caplog
):
    """An address with a line break (stored before addresses were checked) would inject a header:
    it is never sent, no retry would help, so it is 失敗 at once; the other approver is told."""
    people.approver2.email = "shonin2@example.jp\nBcc: someone@example.jp"
    people.approver2.save()
    sheet = with_goals(sheet, editor)
    with caplog.at_level(logging.ERROR, logger="wardservice.mail"):
        response, _took = submit_page(editor, sheet)

    assert_submitted(response, sheet)
    assert [message.to for message in mail.outbox] == [[people.approver.email]]
    failed = OutgoingMail.objects.get(status=MailStatus.FAILED)
    assert (failed.to, failed.attempts) == ("shonin2@example.jp Bcc: someone@example.jp", 0)
    assert failed.last_error.startswith("宛先のメールアドレスが正しくありません")
    assert any("not an e-mail address" in record.getMessage() for record in error_logs(caplog))
    page = client_for(people.approver).get(undelivered_url()).content.decode()
    assert "失敗" in page and "shonin2@example.jp" in page


@pytest.mark.django_db(transaction=True)
def test_an_error_before_anything_is_queued_is_logged_and_kept(editor, sheet, people, monkeypatch, caplog):
    """Even a failure in working out the recipients leaves the committed step alone."""
    from goals import notifications

    def broken(sheet, action):
        raise RuntimeError("directory unavailable")

    monkeypatch.setattr(notifications, "recipients", broken)
    sheet = with_goals(sheet, editor)
    with caplog.at_level(logging.ERROR, logger="goals.notifications"):
        response, _took = submit_page(editor, sheet)
    assert_submitted(response, sheet)
    failed = OutgoingMail.objects.get()
    assert (failed.status, failed.to, failed.last_error) == (
        MailStatus.FAILED, "", "RuntimeError: directory unavailable"
    )
    assert "目標設定の提出の通知" in failed.subject
    assert any(r.name == "goals.notifications" and r.levelno == logging.ERROR for r in caplog.records)


# --- Retries, 失敗, and sending again ----------------------------------------------------------


def make_due():
    OutgoingMail.objects.filter(status=MailStatus.PENDING).update(next_attempt_at=timezone.now())


def recover():
    out = io.StringIO()
    call_command("recover", stdout=out, stderr=io.StringIO())
    return out.getvalue()


@pytest.mark.django_db
def test_attempts_back_off_until_failed_then_approvers_send_again(people, settings, mailoutbox):
    use_relay(settings, closed_port())
    office = people.approver.memberships.get().department.office
    [message] = mail_queue(
        [Message(to="kumin@example.jp", subject="[令和3年度] テスト", body="本文")],
        kind=MailKind.NOTIFICATION, office=office,
    )
    message.refresh_from_db()
    assert (message.status, message.attempts) == (MailStatus.PENDING, 1)
    assert "再送が必要な通知メールはありません" in recover()  # not due yet: nothing happens

    waits = [message.next_attempt_at - timezone.now()]
    for attempt in range(2, MAX_ATTEMPTS + 1):
        make_due()
        assert f"({attempt}回目)" in recover()
        message.refresh_from_db()
        assert message.attempts == attempt
        if message.status == MailStatus.PENDING:
            waits.append(message.next_attempt_at - timezone.now())
    assert message.status == MailStatus.FAILED
    assert [round(wait.total_seconds() / 60) for wait in waits] == [d.total_seconds() / 60 for d in RETRY_DELAYS]
    make_due()
    assert "再送が必要な通知メールはありません" in recover()  # 失敗 is left to a person

    # The relay is back; 総務課 press 再送信.
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    approver = client_for(people.approver)
    retry = reverse("goals:mail_retry", kwargs={"office": office.slug, "pk": message.pk})
    page = approver.post(retry, follow=True).content.decode()
    assert "kumin@example.jp への通知を送信しました" in page
    assert [m.subject for m in mailoutbox] == ["[令和3年度] テスト"]
    message.refresh_from_db()
    assert message.status == MailStatus.SENT and message.sent_at is not None
    assert "送信できなかった通知はありません" in approver.get(undelivered_url(office.slug)).content.decode()
    assert approver.post(retry, follow=True).status_code == 200  # a second press: refused politely
    assert len(mailoutbox) == 1


@pytest.mark.django_db
def test_a_message_left_sending_by_a_dead_worker_is_taken_back(people, settings):
    settings.TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}
    [message] = mail_queue([Message(to="a@example.jp", subject="件名", body="本文")], kind=MailKind.REMINDER)
    long_ago = timezone.now() - timedelta(hours=1)
    OutgoingMail.objects.filter(pk=message.pk).update(
        status=MailStatus.SENDING, attempts=1, claimed_at=long_ago, queued_at=long_ago
    )
    assert "送信中のまま止まっていた通知メール: a@example.jp" in recover()
    message.refresh_from_db()
    assert message.status == MailStatus.PENDING and "停止" in message.last_error


@pytest.mark.django_db
def test_only_approvers_of_the_office_see_and_retry_undelivered_mail(people, year, sheet):
    message = OutgoingMail.objects.create(
        office=year.office, kind=MailKind.NOTIFICATION, to="x@example.jp", subject="件名", body="",
        status=MailStatus.FAILED, attempts=MAX_ATTEMPTS, last_error="TimeoutError: timed out",
    )
    retry = reverse("goals:mail_retry", kwargs={"office": "nakahara", "pk": message.pk})
    assert client_for(people.approver).get(undelivered_url()).status_code == 200
    assert client_for(people.viewer).get(undelivered_url()).status_code == 403
    assert client_for(people.viewer).post(retry).status_code == 403
    for person in (people.kumin_editor, people.outsider):
        assert client_for(person).get(undelivered_url()).status_code == 404
        assert client_for(person).post(retry).status_code == 404
    other_approver = member(KIKAKU, Role.APPROVER, username="other")
    other_office = reverse("goals:mail_retry", kwargs={"office": "nowhere", "pk": message.pk})
    assert client_for(other_approver).post(other_office).status_code == 404
    message.refresh_from_db()
    assert message.status == MailStatus.FAILED


@pytest.mark.django_db
def test_a_step_in_a_test_transaction_still_queues_its_mail(sheet, editor, people, django_capture_on_commit_callbacks):
    """The service sends through the outbox too (not only the pages)."""
    sheet = with_goals(sheet, editor)
    with django_capture_on_commit_callbacks(execute=True):
        sheet_submit(sheet=sheet, phase=Phase.PLAN, by=editor)
    assert OutgoingMail.objects.filter(status=MailStatus.SENT, kind=MailKind.NOTIFICATION).count() == 2


@pytest.mark.anydb
def test_the_undelivered_mail_page_and_the_dashboard_notice_are_valid_html(people, year):
    from tests.markup.vnu import check, format_messages, missing_tools

    if missing_tools():
        pytest.fail(f"cannot run the Nu Html Checker: {missing_tools()}")
    for status in (MailStatus.FAILED, MailStatus.PENDING):
        OutgoingMail.objects.create(
            office=year.office, kind=MailKind.NOTIFICATION, to="x@example.jp", subject="[令和3年度] 件名",
            body="", status=status, attempts=2, last_error="SMTPServerDisconnected: <timed out>",
        )
    client = client_for(people.approver)
    documents = {
        "undelivered mail": client.get(undelivered_url()),
        "dashboard": client.get(reverse("goals:dashboard", kwargs={"office": "nakahara", "year": year.year})),
    }
    assert "送信できなかった通知が 2 件あります" in documents["dashboard"].content.decode()
    page = documents["undelivered mail"].content.decode()
    assert page.count("再送信") >= 2 and "&lt;timed out&gt;" in page
    errors = {
        name: [m for m in messages if m.is_error]
        for name, messages in check({name: r.content for name, r in documents.items()}).items()
    }
    assert not any(errors.values()), "\n".join(
        f"{name}:\n{format_messages(found)}" for name, found in errors.items() if found
    )
