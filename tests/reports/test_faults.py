"""Processes killed with SIGKILL half-way through their work, for real.

Each test runs the demo installation (migrate + load_demo: 2020 published as 第1版, 2021 being
planned) in its own database — a SQLite file, or a database on the PostgreSQL server the suite
runs on — that this process and the subprocesses (`manage.py db_worker`, gunicorn, the import
commands) all use. A process is killed with SIGKILL at a chosen point of its work, then the
database, the stored files and the public URLs are checked, and what recovery exists is run.

To kill at a known point rather than at a lucky moment, the subprocesses run with a settings
module (written to a temporary folder) that adds two hooks through Django's own extension
points: a storage backend that, after storing a chosen publication file, writes a marker file
and hangs; a post_save receiver that does the same after the n-th save of a model; and a
database execute wrapper that does it after the n-th INSERT into a table (bulk inserts send no
post_save). The test
waits for the marker (and polls the database for the state it expects) and then kills. Nothing
of the project's code is replaced.
"""

import hashlib
import os
import shutil
import signal
import socket
import subprocess
import sys
import threading
import time
import tomllib
import uuid
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import timedelta
from http.cookiejar import CookieJar
from pathlib import Path
from urllib.error import HTTPError, URLError
from urllib.parse import urlencode, urlsplit
from urllib.request import HTTPCookieProcessor, HTTPRedirectHandler, Request, build_opener

import dj_database_url
import pytest
from django.conf import settings
from django.db import connections
from django.db.utils import ConnectionHandler
from django.utils import timezone
from django_tasks import TaskResultStatus
from django_tasks_db.models import DBTaskResult

from departments.models import Department
from goals.models import Category, FiscalYear, Goal, GoalSheet, Result, ReviewEvent
from goals.wareki import fiscal_year_label
from reports.models import (
    FileFormat,
    Publication,
    PublicationFile,
    PublicationStatus,
    PublishedGoal,
)
from tests.reports.publishing import shown_fingerprint

pytestmark = pytest.mark.fault

ROOT = Path(__file__).resolve().parents[2]
MANAGE = ROOT / "manage.py"
DEMO = tomllib.loads((ROOT / "fixtures" / "demo.toml").read_text(encoding="utf-8"))
PASSWORD = DEMO["password"]
SEED = ROOT / "fixtures" / "seeds" / "nakahara-2020.txt"
ALIAS = "fault"
IMMEDIATE = "django_tasks.backends.immediate.ImmediateBackend"
DATABASE_QUEUE = "django_tasks_db.DatabaseBackend"
KIKAKU = "まちづくり推進部 企画課"
CORRECTION = "第1版の誤記を訂正しました。"
WAIT = 45  # seconds: the longest any single step may take on a busy machine

HOOKS = '''\
"""Pause points for killing a process at a known place (see tests/reports/test_faults.py)."""

import contextlib
import itertools
import os
import time
from pathlib import Path

from django.apps import AppConfig, apps
from django.core.files.storage import FileSystemStorage
from django.db.backends.signals import connection_created
from django.db.models.signals import post_save


def _pause(what):
    Path(os.environ["FAULT_MARKER"]).write_text(what, encoding="utf-8")
    time.sleep(600)  # until killed


def _point():
    return os.environ.get("FAULT_PAUSE", "")


class PausingStorage(FileSystemStorage):
    """FAULT_PAUSE=stored:<part of a name>: hang once such a file is stored."""

    def _save(self, name, content):
        name = super()._save(name, content)
        point = _point()
        if point.startswith("stored:") and point.removeprefix("stored:") in name:
            _pause(f"stored {name}")
        return name


class _PauseAfterInsert:
    """An execute wrapper: hang after the n-th INSERT into the table has run."""

    def __init__(self, table, n):
        self.prefix = f'INSERT INTO "{table}"'
        self.n = n
        self.inserts = itertools.count(1)

    def __call__(self, execute, sql, params, many, context):
        result = execute(sql, params, many, context)
        if sql.startswith(self.prefix) and next(self.inserts) == self.n:
            _pause(f"inserted {self.prefix.split()[-1]} #{self.n}")
        return result


class FaultHooks(AppConfig):
    """FAULT_PAUSE=saved:<app.Model>:<n>: hang after the n-th save of that model in this process;
    FAULT_PAUSE=inserted:<table>:<n>: after the n-th INSERT statement into that table."""

    name = "fault_hooks"
    label = "fault_hooks"

    def ready(self):
        point = _point()
        if point.startswith("inserted:"):
            table, n = point.removeprefix("inserted:").rsplit(":", 1)
            wrapper = _PauseAfterInsert(table, int(n))
            wrapped = contextlib.ExitStack()  # left open: the wrapper stays for the process's life

            def install(sender, connection, **kwargs):
                wrapped.enter_context(connection.execute_wrapper(wrapper))

            connection_created.connect(install, weak=False)
            return
        if not point.startswith("saved:"):
            return
        label, n = point.removeprefix("saved:").rsplit(":", 1)
        saves = itertools.count(1)

        def receiver(sender, **kwargs):
            if next(saves) == int(n):
                _pause(f"saved {label} #{n}")

        post_save.connect(receiver, sender=apps.get_model(label), weak=False)
'''

SETTINGS = '''\
from wardservice.settings import *  # noqa: F403

INSTALLED_APPS = [*INSTALLED_APPS, "fault_hooks.FaultHooks"]  # noqa: F405
STORAGES = {**STORAGES, "default": {"BACKEND": "fault_hooks.PausingStorage"}}  # noqa: F405
'''


# --- Databases the subprocesses share ---------------------------------------------------------


class Databases:
    """Creates, copies and drops whole databases: SQLite files, or databases on the suite's server."""

    def __init__(self, folder: Path):
        self.folder = folder
        url = os.environ.get("DATABASE_URL", "")
        self.postgres = url.startswith(("postgres://", "postgresql://"))
        self.server_url = url

    def url(self, name):
        if self.postgres:
            return urlsplit(self.server_url)._replace(path=f"/{name}").geturl()
        return f"sqlite:///{self.folder / f'{name}.sqlite3'}"

    def create_copy(self, template, name):
        if self.postgres:
            self.sql(f'CREATE DATABASE "{name}" TEMPLATE "{template}"')
            return
        for suffix in ("", "-wal", "-shm"):
            source = self.folder / f"{template}.sqlite3{suffix}"
            if source.exists():
                shutil.copyfile(source, self.folder / f"{name}.sqlite3{suffix}")

    def drop(self, name):
        if self.postgres:
            self.sql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')

    def sql(self, statement):
        import psycopg

        config = dj_database_url.parse(self.server_url)
        with psycopg.connect(
            host=config["HOST"], port=config["PORT"], user=config["USER"],
            password=config["PASSWORD"], dbname=config["NAME"], autocommit=True,
        ) as connection:
            connection.execute(statement)


@contextmanager
def orm(url):
    """The ORM on that database, as `.using(ALIAS)`, for as long as the block runs."""
    config = dj_database_url.parse(url)
    if config["ENGINE"].endswith("sqlite3"):
        config["OPTIONS"] = {"timeout": 20}
    connections[ALIAS] = ConnectionHandler({"default": config, ALIAS: config})[ALIAS]
    try:
        yield
    finally:
        connections[ALIAS].close()
        del connections[ALIAS]


# --- The installation and its processes -------------------------------------------------------


@dataclass
class Site:
    """One copy of the demo installation: its database, its media folder, its processes."""

    url: str
    folder: Path
    hooks: Path
    processes: list = field(default_factory=list)  # started here, killed when the test ends

    @property
    def media(self):
        return self.folder / "media"

    @property
    def marker(self):
        return self.folder / "paused"

    def env(self, *, tasks=IMMEDIATE, pause=None):
        env = {key: value for key, value in os.environ.items() if not key.startswith(("DJANGO_", "FAULT_"))}
        env.update(
            DJANGO_SETTINGS_MODULE="fault_settings",
            PYTHONPATH=os.pathsep.join([str(self.hooks), str(ROOT)]),
            DATABASE_URL=self.url,
            MEDIA_ROOT=str(self.media),
            # The run's PDF parts cache (tests/settings.py): parts are kept by their content, so
            # every site shares it, as the processes of one installation do, and a test renders
            # only the parts it changes.
            PDF_PARTS_DIR=str(settings.PDF_PARTS_DIR),
            WARDSERVICE_TESTING="1",  # the development key and load_demo; DEBUG stays off
            DEBUG="0",
            TASKS_BACKEND=tasks,
            FAULT_MARKER=str(self.marker),
        )
        if pause:
            env["FAULT_PAUSE"] = pause
        return env

    def manage(self, *args, tasks=IMMEDIATE, timeout=WAIT):
        """Run a management command to its end; its output, or a failure that shows it."""
        done = subprocess.run(
            [sys.executable, str(MANAGE), *args], env=self.env(tasks=tasks),
            cwd=self.folder, capture_output=True, text=True, timeout=timeout,
        )
        assert done.returncode == 0, f"manage.py {' '.join(args)} → {done.returncode}\n{done.stdout}\n{done.stderr}"
        return done.stdout + done.stderr

    def start(self, name, args, *, tasks=IMMEDIATE, pause=None):
        """Start a long-running process in its own process group, its output in a log file."""
        with (self.folder / f"{name}.log").open("ab") as log:
            process = subprocess.Popen(
                args, env=self.env(tasks=tasks, pause=pause), cwd=self.folder,
                stdout=log, stderr=subprocess.STDOUT, start_new_session=True,
            )
        self.processes.append(process)
        return process

    def start_worker(self, pause=None):
        args = [sys.executable, str(MANAGE), "db_worker", "--no-reload", "--no-startup-delay", "--interval", "0.1"]
        return self.start("worker", args, tasks=DATABASE_QUEUE, pause=pause)

    def start_server(self, *, pause=None):
        port = free_port()
        args = [
            sys.executable, "-m", "gunicorn", "wardservice.wsgi:application",
            "--bind", f"127.0.0.1:{port}", "--workers", "1", "--timeout", "300",
        ]
        process = self.start("gunicorn", args, pause=pause)
        base = f"http://127.0.0.1:{port}"
        wait_for(lambda: http_status(base + "/accessibility/") == 200, "gunicorn to answer", self, process)
        return process, base

    def log(self):
        return "\n".join(f"--- {p.name}\n{p.read_text(errors='replace')[-3000:]}" for p in self.folder.glob("*.log"))

    def kill(self, process):
        """SIGKILL the process and every process it started (gunicorn's workers)."""
        os.killpg(process.pid, signal.SIGKILL)
        process.wait(timeout=WAIT)


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_for(condition, what, site, process=None, timeout=WAIT):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return
        if process is not None and process.poll() is not None:
            pytest.fail(f"the process ended ({process.returncode}) while waiting for {what}\n{site.log()}")
        time.sleep(0.05)
    pytest.fail(f"timed out waiting for {what}\n{site.log()}")


def wait_paused(site, process):
    wait_for(site.marker.exists, "the process to reach its pause point", site, process)
    return site.marker.read_text(encoding="utf-8")


# --- HTTP, as a browser does it ---------------------------------------------------------------


class _NoRedirect(HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):
        return None  # the 302 itself is the answer


class Browser:
    """Cookies, CSRF and a login, over real HTTP."""

    def __init__(self, base):
        self.base = base
        self.cookies = CookieJar()
        self.opener = build_opener(HTTPCookieProcessor(self.cookies), _NoRedirect)

    def request(self, path, data=None, headers=None, timeout=WAIT):
        body = None
        if data is not None:
            data = {**data, "csrfmiddlewaretoken": self.csrf_token()}
            body = urlencode(data, doseq=True).encode()
        request = Request(self.base + path, data=body, headers=headers or {})
        try:
            with self.opener.open(request, timeout=timeout) as response:
                return response.status, dict(response.headers), response.read()
        except HTTPError as error:
            return error.code, dict(error.headers), error.read()

    def csrf_token(self):
        token = next((c.value for c in self.cookies if c.name == "csrftoken"), None)
        if token is None:
            self.request("/accounts/login/")
            token = next(c.value for c in self.cookies if c.name == "csrftoken")
        return token

    def login(self, username):
        status, _, _ = self.request("/accounts/login/", {"username": username, "password": PASSWORD})
        assert status == 302, f"login as {username} failed ({status})"


def http_status(url):
    try:
        with build_opener(_NoRedirect).open(url, timeout=5) as response:
            return response.status
    except HTTPError as error:
        return error.code
    except (URLError, OSError):
        return None


def post_in_background(browser, path, data):
    """A POST that will hang (its server is paused); the outcome once the server is gone."""
    outcome = {}

    def send():
        try:
            outcome["status"] = browser.request(path, data, timeout=WAIT)[0]
        except Exception as error:  # any way the connection ends is an outcome
            outcome["error"] = error

    thread = threading.Thread(target=send, daemon=True)
    thread.start()
    return thread, outcome


# --- What is checked --------------------------------------------------------------------------


def sha256(path):
    return hashlib.sha256(path.read_bytes()).hexdigest()


def assert_nothing_half_published(site):
    """Every PUBLISHED version has its four files, each stored with the recorded size and SHA-256;
    no other version has any file rows."""
    for publication in Publication.objects.using(ALIAS).defer("table"):
        files = list(publication.files.all())
        if publication.status != PublicationStatus.PUBLISHED:
            assert files == [], f"{publication} is {publication.status} but has files"
            continue
        assert sorted(f.format for f in files) == sorted(FileFormat.values), publication
        for file in files:
            stored = site.media / file.file.name
            assert stored.stat().st_size == file.size and sha256(stored) == file.sha256, file


def attempt_folder(site, version, attempt):
    return site.media / "publications" / "nakahara" / "2020" / f"v{version}" / f"attempt-{attempt}"


def make_stale(publication):
    Publication.objects.using(ALIAS).filter(pk=publication.pk).update(
        updated_at=timezone.now() - Publication.STALE_AFTER - timedelta(seconds=1)
    )


def fingerprint():
    """The content of the tables a save or an import writes, to compare before and after."""
    db = ALIAS
    historical = [Goal.history.model, GoalSheet.history.model, Result.history.model]
    return {
        "years": list(FiscalYear.objects.using(db).order_by("pk").values_list("pk", "year", "plan_open")),
        "departments": list(Department.objects.using(db).order_by("pk").values_list("pk", "code", "name")),
        "categories": list(Category.objects.using(db).order_by("pk").values_list("pk", "name")),
        "sheets": list(
            GoalSheet.objects.using(db).order_by("pk").values_list("pk", "plan_status", "result_status", "version")
        ),
        "goals": list(Goal.objects.using(db).order_by("pk").values_list("pk", "sheet", "number", "objective", "actions")),
        "results": list(Result.objects.using(db).order_by("pk").values_list("pk", "goal", "done", "achievement")),
        "events": ReviewEvent.objects.using(db).count(),
        "history": [model._default_manager.using(db).count() for model in historical],
    }


# --- Fixtures ---------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def installation(tmp_path_factory):
    """The demo installation, made once per module: every test starts from a copy of it."""
    folder = tmp_path_factory.mktemp("fault-sites")
    hooks = folder / "hooks"
    hooks.mkdir()
    (hooks / "fault_hooks.py").write_text(HOOKS, encoding="utf-8")
    (hooks / "fault_settings.py").write_text(SETTINGS, encoding="utf-8")
    databases = Databases(folder)
    name = f"fault_demo_{uuid.uuid4().hex[:10]}"
    if databases.postgres:
        databases.sql(f'CREATE DATABASE "{name}"')
    template = Site(databases.url(name), folder / name, hooks)
    template.folder.mkdir()
    try:
        template.manage("migrate", "--verbosity", "0", timeout=120)
        template.manage("load_demo", timeout=120)
        yield databases, name, template
    finally:
        databases.drop(name)


@pytest.fixture
def site(installation, django_db_blocker):
    """A fresh copy of the demo installation, open to the ORM here as `.using(ALIAS)`."""
    databases, template_name, template = installation
    name = f"fault_{uuid.uuid4().hex[:10]}"
    databases.create_copy(template_name, name)
    site = Site(databases.url(name), template.folder.parent / name, template.hooks)
    shutil.copytree(template.media, site.media)
    try:
        with django_db_blocker.unblock(), orm(site.url):
            yield site
    finally:
        for process in site.processes:
            if process.poll() is None:
                site.kill(process)
        databases.drop(name)


def year_2020():
    return FiscalYear.objects.using(ALIAS).get(office__slug="nakahara", year=2020)


def version(n):
    return Publication.objects.using(ALIAS).defer("table").get(fiscal_year=year_2020(), version=n)


# --- The worker is killed while rendering -----------------------------------------------------


def test_a_worker_killed_mid_publication_leaves_nothing_public_and_recovery_finishes_it(site):
    first = version(1)
    first_pdf = first.files.get(format=FileFormat.PDF)
    site.manage(
        "publish_table", "--office", "nakahara", "--year", "2020", "--kind", "result",
        "--note", CORRECTION, "--timeout", "0", tasks=DATABASE_QUEUE,
    )
    assert version(2).status == PublicationStatus.PENDING

    worker = site.start_worker(pause="stored:/v2/attempt-1/")
    wait_for(lambda: version(2).status == PublicationStatus.RENDERING, "the worker to take 第2版", site, worker)
    stored = wait_paused(site, worker)  # the PDF of the attempt is stored, the rest is not
    site.kill(worker)

    killed = version(2)
    assert killed.status == PublicationStatus.RENDERING and killed.attempt == 1
    assert not PublicationFile.objects.using(ALIAS).filter(publication=killed).exists()
    assert [p.name for p in attempt_folder(site, 2, 1).iterdir()] == [Path(stored.split()[-1]).name]
    assert_nothing_half_published(site)
    server, base = site.start_server()
    browser = Browser(base)
    for path in ("/reports/nakahara/2020/v2/", "/reports/nakahara/2020/v2/table.pdf"):
        assert browser.request(path)[0] == 404, path
    status, headers, body = browser.request("/reports/nakahara/2020/table.pdf")
    assert status == 200 and hashlib.sha256(body).hexdigest() == first_pdf.sha256  # still 第1版
    page = browser.request("/reports/nakahara/2020/")[2].decode()
    assert CORRECTION not in page and "第2版" not in page

    # Not stale yet: to the recovery it looks like a worker still at work.
    assert "復旧が必要な公表処理はありません" in site.manage("recover_publications", tasks=DATABASE_QUEUE)
    assert version(2).status == PublicationStatus.RENDERING
    make_stale(killed)
    output = site.manage("recover_publications", tasks=DATABASE_QUEUE)
    assert "作成中のまま" in output and "予約し直した版: 1件" in output
    assert version(2).status == PublicationStatus.PENDING
    assert DBTaskResult.objects.using(ALIAS).filter(status=TaskResultStatus.FAILED).count() == 1
    site.manage("db_worker", "--batch", "--no-reload", "--no-startup-delay", tasks=DATABASE_QUEUE)

    published = version(2)
    assert (published.status, published.attempt, published.progress) == (PublicationStatus.PUBLISHED, 2, 100)
    files = {file.format: file for file in published.files.all()}
    assert set(files) == set(FileFormat.values)
    for file in files.values():
        stored = site.media / file.file.name
        assert "/attempt-2/" in file.file.name
        assert stored.stat().st_size == file.size and sha256(stored) == file.sha256
    assert list(attempt_folder(site, 2, 1).iterdir()) == []  # the killed attempt's PDF is gone
    assert_nothing_half_published(site)
    status, headers, body = browser.request("/reports/nakahara/2020/table.pdf")
    assert status == 200 and hashlib.sha256(body).hexdigest() == files[FileFormat.PDF].sha256
    assert browser.request("/reports/nakahara/2020/table.pdf", headers={"If-None-Match": headers["ETag"]})[0] == 304
    assert CORRECTION in browser.request("/reports/nakahara/2020/")[2].decode()
    assert browser.request("/reports/nakahara/2020/v1/table.pdf")[0] == 200


# --- The web server is killed during the 公表 request -----------------------------------------


@pytest.mark.parametrize(
    "pause, expected",
    [
        # Inside the request's transaction, the version row written but not committed.
        ("saved:reports.Publication:1", None),
        # Committed and rendering in the request (the immediate backend), the PDF stored.
        ("stored:/v2/attempt-1/", PublicationStatus.RENDERING),
    ],
    ids=["before-commit", "while-rendering"],
)
def test_a_web_server_killed_mid_publication_leaves_no_half_published_version(site, pause, expected):
    server, base = site.start_server(pause=pause)
    browser = Browser(base)
    browser.login("shonin")

    path = "/staff/nakahara/2020/publish/result/"
    fingerprint = shown_fingerprint(browser.request(path)[2].decode())  # the confirmation page
    thread, outcome = post_in_background(
        browser, path, {"note": CORRECTION, "confirmed": "on", "fingerprint": fingerprint}
    )
    wait_paused(site, server)
    site.kill(server)
    thread.join(WAIT)

    assert "status" not in outcome, outcome  # the approver never saw an answer
    assert_nothing_half_published(site)
    versions = Publication.objects.using(ALIAS).filter(fiscal_year=year_2020(), version=2)
    if expected is None:
        assert not versions.exists()
        assert not PublishedGoal.objects.using(ALIAS).filter(publication__version=2).exists()
        return
    killed = versions.get()
    assert killed.status == expected
    assert PublishedGoal.objects.using(ALIAS).filter(publication=killed).count() == 50  # frozen with it
    server, base = site.start_server()
    assert Browser(base).request("/reports/nakahara/2020/v2/")[0] == 404

    make_stale(killed)
    output = site.manage("recover_publications")  # the immediate backend renders it at once

    assert "(現在の状態: 公表済)" in output
    assert version(2).status == PublicationStatus.PUBLISHED
    assert_nothing_half_published(site)
    assert list(attempt_folder(site, 2, 1).iterdir()) == []
    assert CORRECTION in Browser(base).request("/reports/nakahara/2020/")[2].decode()


# --- A save and the imports are killed inside their transaction -------------------------------


def plan_post(sheet, objectives):
    """The goals form as the page posts it, with these objectives for goals 1, 2, 3."""
    data = {
        "version": sheet.version, "action": "save",
        "goals-TOTAL_FORMS": len(objectives), "goals-INITIAL_FORMS": len(objectives),
        "goals-MIN_NUM_FORMS": 0, "goals-MAX_NUM_FORMS": 1000,
    }
    for i, objective in enumerate(objectives):
        data |= {f"goals-{i}-number": i + 1, f"goals-{i}-objective": objective, f"goals-{i}-actions": ""}
    return data


def test_a_sheet_save_killed_mid_transaction_changes_nothing(site):
    sheet = GoalSheet.objects.using(ALIAS).get(fiscal_year__year=2021, department__name=KIKAKU)
    path = f"/staff/nakahara/2021/sheets/{sheet.department.code}/plan/"
    objectives = [f"書き換えた目標{n}です。" for n in (1, 2, 3)]
    before = fingerprint()
    server, base = site.start_server(pause="saved:goals.Goal:2")  # goal 1 written, goal 2 too
    browser = Browser(base)
    browser.login("kikaku")

    thread, outcome = post_in_background(browser, path, plan_post(sheet, objectives))
    wait_paused(site, server)
    site.kill(server)
    thread.join(WAIT)

    assert "status" not in outcome, outcome
    assert fingerprint() == before
    # The database is not left locked or half-written: the same save, done again, goes through.
    server, base = site.start_server()
    browser = Browser(base)
    browser.login("kikaku")
    assert browser.request(path, plan_post(sheet, objectives))[0] == 302
    saved = GoalSheet.objects.using(ALIAS).get(pk=sheet.pk)
    assert saved.version == sheet.version + 1
    assert list(saved.goals.order_by("number").values_list("objective", flat=True)) == objectives


def test_import_table_killed_mid_transaction_changes_nothing(site):
    csv = site.folder / "2019.csv"
    published = version(1).files.get(format=FileFormat.CSV)
    text = (site.media / published.file.name).read_bytes().decode("utf-8")
    rows = text.replace(f"\n2020,{fiscal_year_label(2020)},", f"\n2019,{fiscal_year_label(2019)},")
    assert rows.count("\n2019,") == 50
    csv.write_bytes(rows.encode("utf-8"))
    arguments = ("import_table", str(csv), "--office", "nakahara", "--year", "2019")
    before = fingerprint()

    # Killed once the goals are inserted (in bulk: one statement), before anything commits.
    importer = site.start("import", [sys.executable, str(MANAGE), *arguments], pause="inserted:goals_goal:1")
    assert wait_paused(site, importer) == 'inserted "goals_goal" #1'
    site.kill(importer)

    assert fingerprint() == before
    assert "取込 17 シート / 50 目標" in site.manage(*arguments)
    assert Goal.objects.using(ALIAS).filter(sheet__fiscal_year__year=2019).count() == 50


def test_import_published_table_killed_mid_transaction_changes_nothing(site):
    arguments = ("import_published_table", str(SEED), "--office", "nakahara", "--year", "2019")
    before = fingerprint()

    importer = site.start("import", [sys.executable, str(MANAGE), *arguments], pause="saved:goals.Goal:30")
    assert wait_paused(site, importer) == "saved goals.Goal #30"
    site.kill(importer)

    assert fingerprint() == before
    assert "取込 17 シート / 50 目標" in site.manage(*arguments)
