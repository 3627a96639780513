"""backup / restore: a real installation (the demo year, published, with its stored files) is
backed up, restored into an empty database and an empty MEDIA_ROOT by separate processes as an
operator would run them, and compared table by table and file by file; corrupt, tampered,
unsafe or mismatched archives are refused before anything is changed.

Runs on the engine the suite runs on: SQLite files, or extra databases in the same PostgreSQL
cluster (created and dropped here).
"""

import errno
import getpass
import gzip
import hashlib
import io
import json
import os
import re
import shutil
import sqlite3
import subprocess
import sys
import tarfile
import tempfile
import uuid
from contextlib import closing
from datetime import timedelta
from pathlib import Path
from urllib.parse import quote, urlsplit

import pytest
from django.conf import settings
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.core.management import CommandError, call_command
from django.db import connection
from django.db.migrations.recorder import MigrationRecorder
from django.utils import timezone

from goals.models import Goal
from tests.factories import GoalFactory, MembershipFactory
from wardservice import backup
from wardservice.outputs import cannot_write, export_directory

PROJECT = Path(settings.BASE_DIR)
ENGINE = settings.DATABASES["default"]["ENGINE"]
ON_POSTGRES = ENGINE == "django.db.backends.postgresql"


# --- Sites run as separate processes ------------------------------------------------------------


class Site:
    """An installation: a database (by URL) and a MEDIA_ROOT, driven through manage.py."""

    def __init__(self, database_url, media_root, python=sys.executable):
        self.database_url, self.media_root, self.python = database_url, Path(media_root), python

    def manage(self, *args, check=True):
        env = {
            **os.environ,
            "DJANGO_SETTINGS_MODULE": "wardservice.settings",
            "WARDSERVICE_TESTING": "1",
            "DATABASE_URL": self.database_url,
            "MEDIA_ROOT": str(self.media_root),
            # The run's PDF parts cache (tests/settings.py; parts are kept by their content), not
            # the project's.
            "PDF_PARTS_DIR": str(settings.PDF_PARTS_DIR),
        }
        done = subprocess.run(
            [self.python, "manage.py", *map(str, args)],
            cwd=PROJECT, env=env, capture_output=True, text=True, timeout=600, check=False,
        )
        if check and done.returncode != 0:
            pytest.fail(f"manage.py {' '.join(map(str, args))} failed:\n{done.stdout}\n{done.stderr}")
        return done

    def tables(self):
        """Every table's rows (sorted), and on PostgreSQL every sequence's position."""
        return database_contents(self.database_url)

    def media(self):
        return media_contents(self.media_root)


def database_contents(database_url):
    if database_url.startswith("sqlite:"):
        with closing(sqlite3.connect(urlsplit(database_url).path[1:])) as db:
            names = [n for (n,) in db.execute("SELECT name FROM sqlite_master WHERE type = 'table'")]
            return {name: sorted(map(repr, db.execute(f'SELECT * FROM "{name}"'))) for name in names}
    import psycopg

    with psycopg.connect(database_url) as db:
        names = [n for (n,) in db.execute("SELECT tablename FROM pg_tables WHERE schemaname = 'public'")]
        contents = {name: sorted(map(repr, db.execute(f'SELECT * FROM "{name}"'))) for name in names}
        contents["(sequences)"] = sorted(db.execute("SELECT sequencename, last_value FROM pg_sequences"))
        return contents


def add_table(database_url, name):
    if database_url.startswith("sqlite:"):
        with closing(sqlite3.connect(urlsplit(database_url).path[1:])) as db:
            db.execute(f'CREATE TABLE "{name}" (id integer)')
        return
    import psycopg

    with psycopg.connect(database_url, autocommit=True) as db:
        db.execute(f'CREATE TABLE "{name}" (id integer)')


def media_contents(root):
    root = Path(root)
    return {
        path.relative_to(root).as_posix(): hashlib.sha256(path.read_bytes()).hexdigest()
        for path in sorted(root.rglob("*")) if path.is_file()
    }


@pytest.fixture
def new_database(tmp_path):
    """A factory of empty databases (URLs): SQLite files, or databases in the test cluster."""
    created = []
    default = settings.DATABASES["default"]

    def admin_connection():
        import psycopg

        return psycopg.connect(
            dbname="postgres", user=default["USER"], password=default["PASSWORD"] or None,
            host=default["HOST"] or None, port=default["PORT"] or None, autocommit=True,
        )

    def make(label):
        if not ON_POSTGRES:
            return f"sqlite:///{tmp_path / label}.sqlite3"
        name = f"wardservice_{label}_{uuid.uuid4().hex[:8]}"
        with admin_connection() as admin:
            admin.execute(f'CREATE DATABASE "{name}"')
        created.append(name)
        auth = quote(default["USER"]) + (f":{quote(default['PASSWORD'])}" if default["PASSWORD"] else "")
        return f"postgres://{auth}@{default['HOST']}:{default['PORT']}/{name}"

    yield make
    if created:
        with admin_connection() as admin:
            for name in created:
                admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


# --- The platform's Python ---------------------------------------------------------------------

PLATFORM_PYTHON = Path("/usr/bin/python3")  # Debian 12's, 3.11.2: what production runs on
PLATFORM_VENV_PYTHON = PROJECT / ".venv-debian" / "bin" / "python"  # `make debian-venv`


def python_version(python):
    return subprocess.run(
        [python, "-c", "import sys; print(sys.version)"], capture_output=True, text=True, check=True
    ).stdout.strip()


def platform_python():
    """The virtualenv made from the platform's Python, or a skip saying why there is none."""
    if not PLATFORM_PYTHON.exists():
        pytest.skip(f"{PLATFORM_PYTHON} does not exist on this machine")
    if python_version(PLATFORM_PYTHON) == sys.version:
        pytest.skip(f"the suite itself runs on {PLATFORM_PYTHON}'s version")
    if not PLATFORM_VENV_PYTHON.exists():
        message = f"no virtualenv from {PLATFORM_PYTHON}: run `make debian-venv` (`make test` does)"
        if os.environ.get("CI"):
            pytest.fail(message)
        pytest.skip(message)
    return PLATFORM_VENV_PYTHON


@pytest.mark.anydb  # SQLite sites of its own, whatever the suite's engine
def test_backup_and_restore_work_under_the_platforms_python(tmp_path):
    """Debian 12's Python (3.11.2) predates tarfile's extraction filters (3.11.4): a restore that
    relied on them stopped with a TypeError there, although the suite passed on a newer 3.11."""
    python = platform_python()
    assert python_version(python) == python_version(PLATFORM_PYTHON) != sys.version
    source = Site(f"sqlite:///{tmp_path / 'source.sqlite3'}", tmp_path / "source-media", python=python)
    source.manage("migrate", "--verbosity=0")
    source.manage("shell", "-c", "from django.contrib.auth.models import User; User.objects.create(username='kumin')")
    (source.media_root / "uploads").mkdir(parents=True)
    (source.media_root / "uploads" / "区民課 資料.txt").write_text("資料", encoding="utf-8")
    source.manage("backup", "--output", tmp_path / "backups")
    [archive] = (tmp_path / "backups").glob("wardservice-backup-*.tar.gz")

    target = Site(f"sqlite:///{tmp_path / 'target.sqlite3'}", tmp_path / "target-media", python=python)
    restored = target.manage("restore", archive)
    assert "復元しました" in restored.stdout
    assert target.tables() == source.tables() and target.tables()["auth_user"]
    assert target.media() == source.media() == {"uploads/区民課 資料.txt": hashlib.sha256("資料".encode()).hexdigest()}


def test_a_backup_restored_into_an_empty_database_is_identical(tmp_path, new_database):
    source = Site(new_database("source"), tmp_path / "source-media")
    source.manage("migrate", "--verbosity=0")
    source.manage("load_demo")  # the 2020 table, published: stored files, history, memberships
    (source.media_root / "uploads").mkdir(parents=True)
    (source.media_root / "uploads" / "区民課 資料.txt").write_text("資料", encoding="utf-8")

    made = source.manage("backup", "--output", tmp_path / "backups")
    [archive] = (tmp_path / "backups").glob("wardservice-backup-*.tar.gz")
    assert f"バックアップを作成しました: {archive} ({archive.stat().st_size:,} バイト)" in made.stdout
    assert archive.stat().st_mode & 0o077 == 0  # password hashes inside: owner only

    target = Site(new_database("target"), tmp_path / "target-media")
    restored = target.manage("restore", archive)
    assert "復元しました" in restored.stdout
    expected_tables, expected_media = source.tables(), source.media()
    assert target.tables() == expected_tables
    assert expected_tables["reports_publicationfile"] and expected_tables["goals_historicalgoal"]
    assert target.media() == expected_media
    assert len(expected_media) == 6  # HTML, its ふりがな page, PDF, XLSX, CSV of the 2020 table, and the upload
    target.manage("migrate", "--check")  # the migration state came back with the data

    # A second restore over it is refused without --force, and changes nothing.
    (target.media_root / "stray.txt").write_text("not in the backup")
    target.manage("shell", "-c", "from django.contrib.auth.models import User; User.objects.create(username='new')")
    add_table(target.database_url, "left_by_a_later_version")
    refused = target.manage("restore", archive, check=False)
    assert refused.returncode != 0
    assert "--force" in refused.stderr
    assert target.tables() != expected_tables
    assert (target.media_root / "stray.txt").exists()

    # With --force the result is the backup again, files not in it removed.
    forced = target.manage("restore", archive, "--force")
    assert "stray.txt" in forced.stdout
    if ON_POSTGRES:  # SQLite's restore replaces the whole file
        assert "left_by_a_later_version" in forced.stdout
    assert target.tables() == expected_tables
    assert target.media() == expected_media

    # The restored database goes on numbering rows where the source left off.
    shown = target.manage("shell", "--verbosity=0", "-c", (
        "from django.contrib.auth.models import User; "
        "print(User.objects.create(username='after-restore').pk > max(User.objects.exclude("
        "username='after-restore').values_list('pk', flat=True)))"
    ))
    assert shown.stdout.strip() == "True"


# --- In-process: manifest, refusals, retention ----------------------------------------------------


@pytest.fixture
def small_site(settings, tmp_path):
    """A department with a member and goals, and two stored files (one with a Japanese name)."""
    settings.MEDIA_ROOT = tmp_path / "media"
    membership = MembershipFactory()
    GoalFactory.create_batch(2, sheet__department=membership.department)
    default_storage.save("publications/test/table.csv", ContentFile(b"a,b\r\n1,2\r\n"))
    default_storage.save("uploads/区民課.txt", ContentFile("資料".encode()))
    return membership


@pytest.fixture
def archive(small_site, tmp_path):
    call_command("backup", output=str(tmp_path / "backups"), stdout=io.StringIO())
    [path] = (tmp_path / "backups").glob("wardservice-backup-*.tar.gz")
    return path


def read_manifest(path):
    with tarfile.open(path) as tar:
        return json.loads(tar.extractfile("manifest.json").read())


def rewrite(source, target, *, change=lambda name, data: data, extra=()):
    """A copy of the archive with some members' content changed, and extra members appended."""
    with tarfile.open(source) as old, tarfile.open(target, "w:gz", format=tarfile.PAX_FORMAT) as new:
        for member in old.getmembers():
            data = change(member.name, old.extractfile(member).read())
            member.size = len(data)
            new.addfile(member, io.BytesIO(data))
        for info, data in extra:
            new.addfile(info, io.BytesIO(data) if data is not None else None)
    return target


def edit_manifest(archive, tmp_path, edit):
    def change(name, data):
        if name != "manifest.json":
            return data
        manifest = json.loads(data)
        edit(manifest)
        return json.dumps(manifest).encode()

    return rewrite(archive, tmp_path / "edited.tar.gz", change=change)


def state():
    """Everything the restore could change: every table's rows, and the stored files."""
    with connection.cursor() as cursor:
        tables = {}
        for table in connection.introspection.table_names(cursor):
            cursor.execute(f"SELECT * FROM {connection.ops.quote_name(table)}")
            tables[table] = sorted(map(repr, cursor.fetchall()))
    return tables, media_contents(settings.MEDIA_ROOT)


def restore_refused(archive, match, **options):
    with pytest.raises(CommandError, match=match) as refused:
        call_command("restore", str(archive), stdout=io.StringIO(), **options)
    return str(refused.value)


@pytest.mark.django_db(transaction=True)
def test_the_manifest_lists_engine_migrations_rows_and_checksums(archive, small_site):
    manifest = read_manifest(archive)
    assert manifest["format"] == "wardservice-backup" and manifest["format_version"] == 1
    assert manifest["database"]["engine"] == ENGINE
    assert manifest["database"]["vendor"] == connection.vendor
    latest_goals = max(
        name for app, name in MigrationRecorder(connection).applied_migrations() if app == "goals"
    )
    assert manifest["migrations"]["goals"] == latest_goals
    assert manifest["models"]["departments.membership"] == {"table": "departments_membership", "rows": 1}
    assert manifest["models"]["goals.goal"]["rows"] == Goal.objects.count() == 2
    assert manifest["models"]["goals.goalcategory"]["rows"] == 0
    stored = media_contents(settings.MEDIA_ROOT)
    with tarfile.open(archive) as tar:
        for name, entry in manifest["members"].items():
            data = tar.extractfile(name).read()
            assert entry == {"sha256": hashlib.sha256(data).hexdigest(), "size": len(data)}
        names = set(tar.getnames())
    assert names == {"manifest.json", *manifest["members"]}
    assert {f"media/{name}" for name in stored} | {manifest["database"]["member"]} == set(manifest["members"])
    assert manifest["media"] == {"files": 2, "bytes": len(b"a,b\r\n1,2\r\n") + len("資料".encode())}


@pytest.mark.django_db(transaction=True)
def test_restore_refuses_a_database_with_data_without_force(archive):
    before = state()
    message = restore_refused(archive, "--force")
    # The first few tables with rows are named as examples (which ones depends on the models).
    assert "復元先にデータがあります" in message and re.search(r"データベースの \d+ 表に計 [\d,]+ 行 \(\w+ \d+ 行", message)
    assert state() == before


def tampered(archive, tmp_path):
    def change(name, data):
        return b"a,b\r\n1,3\r\n" if name == "media/publications/test/table.csv" else data

    return rewrite(archive, tmp_path / "tampered.tar.gz", change=change)


def truncated(archive, tmp_path):
    data = archive.read_bytes()
    return write(tmp_path / "truncated.tar.gz", data[: len(data) // 2])


def trailer_cut(archive, tmp_path):
    """Every member intact, only the gzip trailer (CRC and length) missing."""
    return write(tmp_path / "trailer.tar.gz", archive.read_bytes()[:-4])


def byte_flipped(archive, tmp_path):
    data = bytearray(archive.read_bytes())
    data[len(data) // 2] ^= 0xFF
    return write(tmp_path / "flipped.tar.gz", bytes(data))


def write(path, data):
    path.write_bytes(data)
    return path


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("damage", [tampered, truncated, trailer_cut, byte_flipped])
def test_a_corrupt_archive_is_refused_and_nothing_changes(archive, tmp_path, damage):
    bad = damage(archive, tmp_path)
    before = state()
    message = restore_refused(bad, "復元を中止しました", force=True)
    assert "何も変更していません" in message and "Nothing was changed" in message
    assert state() == before
    if damage is tampered:
        assert "media/publications/test/table.csv: チェックサム不一致" in message


@pytest.mark.django_db(transaction=True)
def test_a_backup_of_the_other_engine_is_refused(archive, tmp_path):
    other = "sqlite" if ON_POSTGRES else "postgresql"

    def edit(manifest):
        manifest["database"]["vendor"] = other
        manifest["database"]["engine"] = f"django.db.backends.{other}"

    before = state()
    message = restore_refused(edit_manifest(archive, tmp_path, edit), "のデータベースのものです", force=True)
    assert ("PostgreSQL" in message) and ("SQLite" in message)
    assert state() == before


@pytest.mark.django_db(transaction=True)
def test_a_backup_from_a_newer_program_is_refused(archive, tmp_path):
    def edit(manifest):
        manifest["migrations"]["goals"] = "9999_from_a_newer_version"

    before = state()
    restore_refused(edit_manifest(archive, tmp_path, edit), "goals.9999_from_a_newer_version", force=True)
    assert state() == before


def member(name, kind=tarfile.REGTYPE, linkname=""):
    info = tarfile.TarInfo(name)
    info.type, info.linkname = kind, linkname
    return info


def unsafe_members(outside):
    return {
        "parent": member("../" + outside.name),
        "parent inside media": member("media/../../" + outside.name),
        "absolute": member(str(outside)),
        "symlink": member("media/link", tarfile.SYMTYPE, linkname=str(outside)),
        "hard link": member("media/hard", tarfile.LNKTYPE, linkname="manifest.json"),
        "device": member("media/device", tarfile.CHRTYPE),
        "fifo": member("media/fifo", tarfile.FIFOTYPE),
        "outside the archive's folders": member("etc/evil.txt"),
    }


@pytest.mark.parametrize("case", list(unsafe_members(Path("x"))))
def test_unsafe_member_paths_are_refused_before_anything_is_extracted(tmp_path, case):
    """No database access either: the refusal comes before restore looks at the target."""
    outside = Path(tempfile.gettempdir()) / f"wardservice-evil-{uuid.uuid4().hex}.txt"
    info = unsafe_members(outside)[case]
    data = b"evil" if info.isfile() else None
    if data is not None:
        info.size = len(data)
    manifest = json.dumps({"format": "wardservice-backup", "format_version": 1, "members": {}}).encode()
    head = member("manifest.json")
    head.size = len(manifest)
    crafted = tmp_path / "crafted.tar.gz"
    with tarfile.open(crafted, "w:gz", format=tarfile.PAX_FORMAT) as tar:
        tar.addfile(head, io.BytesIO(manifest))
        tar.addfile(info, io.BytesIO(data) if data is not None else None)
    message = restore_refused(crafted, "安全でない項目")
    assert repr(info.name) in message
    assert not outside.exists()


def crafted_archive(path, members):
    """An archive with a minimal manifest first, then (TarInfo, data or None) members."""
    manifest = json.dumps({"format": "wardservice-backup", "format_version": 1, "members": {}}).encode()
    head = member("manifest.json")
    head.size = len(manifest)
    with tarfile.open(path, "w:gz", format=tarfile.PAX_FORMAT) as tar:
        tar.addfile(head, io.BytesIO(manifest))
        for info, data in members:
            if data is not None:
                info.size = len(data)
            tar.addfile(info, io.BytesIO(data) if data is not None else None)
    return path


@pytest.mark.parametrize("names", [("media/a", "media/a/b"), ("media/a/b", "media/a")])
def test_a_name_used_as_a_file_and_as_a_folder_is_refused(tmp_path, names):
    crafted = crafted_archive(tmp_path / "clash.tar.gz", [(member(name), b"x") for name in names])
    message = restore_refused(crafted, "安全でない項目")
    assert "'media/a'" in message


def test_a_member_longer_than_the_archive_is_refused_as_truncated(tmp_path):
    """A header that promises more bytes than follow: refused, whatever Python's tarfile does."""
    crafted = crafted_archive(tmp_path / "long.tar.gz", [(member("media/a.txt"), b"x" * 2048)])
    data = gzip.decompress(crafted.read_bytes())
    offset = data.index(b"x" * 2048)
    write(tmp_path / "cut.tar.gz", gzip.compress(data[: offset + 100]))
    restore_refused(tmp_path / "cut.tar.gz", "壊れているか、途中までしかありません")


@pytest.mark.django_db(transaction=True)
def test_keep_days_removes_only_archives_older_than_that(small_site, tmp_path, monkeypatch):
    folder = tmp_path / "nightly"
    folder.mkdir()
    now = timezone.localtime()

    def named(days_ago):
        path = folder / backup.archive_name(now - timedelta(days=days_ago))
        path.write_bytes(b"old")
        return path

    old, recent = named(15), named(2)
    notes = write(folder / "notes.txt", b"keep me")
    stale_partial = write(folder / ".wardservice-backup-20200101-000000.tar.gz.abc.partial", b"")
    os.utime(stale_partial, (now.timestamp() - 2 * 86400,) * 2)
    fresh_partial = write(folder / ".wardservice-backup-x.tar.gz.def.partial", b"")
    monkeypatch.setenv("BACKUP_DIR", str(folder))

    out = io.StringIO()
    call_command("backup", keep_days=7, stdout=out)

    made = {path.name for path in folder.iterdir()} - {recent.name, notes.name, fresh_partial.name}
    assert len(made) == 1 and made.pop().startswith("wardservice-backup-")
    assert not old.exists() and not stale_partial.exists()
    assert recent.exists() and notes.exists() and fresh_partial.exists()
    assert f"古いバックアップを削除しました: {old.name}" in out.getvalue()


@pytest.mark.django_db(transaction=True)
def test_a_backup_that_fails_half_way_leaves_no_archive(small_site, tmp_path, monkeypatch):
    """Disk full while the stored files are written: no archive under any name is left."""
    real_addfile = tarfile.TarFile.addfile

    def addfile(self, info, fileobj=None, **kwargs):
        if info.name.startswith("media/"):
            raise OSError(28, "No space left on device")
        return real_addfile(self, info, fileobj, **kwargs)

    monkeypatch.setattr(tarfile.TarFile, "addfile", addfile)
    folder = tmp_path / "backups"
    with pytest.raises(OSError, match="No space left"):
        call_command("backup", output=str(folder), stdout=io.StringIO())
    assert list(folder.iterdir()) == []


# --- Where output may go -----------------------------------------------------------------------


@pytest.mark.anydb  # refused before the database is looked at
def test_an_output_that_cannot_be_written_is_one_japanese_line_naming_backup_dir(tmp_path, monkeypatch):
    (tmp_path / "a-file").write_text("not a folder")
    monkeypatch.setenv("BACKUP_DIR", "/srv/wardservice/backups")
    with pytest.raises(CommandError) as refused:
        call_command("backup", output=str(tmp_path / "a-file" / "nightly"), stdout=io.StringIO())
    [line] = str(refused.value).splitlines()
    assert re.fullmatch(
        re.escape(f"{tmp_path / 'a-file' / 'nightly'}/") + r"wardservice-backup-\d{8}-\d{6}\.tar\.gz"
        + re.escape(
            " に書き込めません (途中にフォルダでないものがあります)。書き出し先には /srv/wardservice/backups "
            f"(BACKUP_DIR) か、利用者 {getpass.getuser()} が書き込めるフォルダを指定してください。"
        ),
        line,
    ), line


def as_nobody(*command, **kwargs):
    return subprocess.run(["runuser", "-u", "nobody", "--", *map(str, command)], capture_output=True,
                          text=True, timeout=120, check=False, **kwargs)


@pytest.mark.anydb
def test_a_folder_closed_to_the_service_user_is_refused_in_one_line(tmp_path):
    """As the drill met it: `backup --output /root/…` run as a user that may not even look
    into /root. Run as `nobody`, which the tests (as root) can become."""
    if os.geteuid() != 0 or shutil.which("runuser") is None:
        pytest.skip("needs root and runuser to act as another user")
    # The suite's Python may live in root's home; the Debian one (`make debian-venv`) does not.
    python = next((candidate for candidate in (sys.executable, PLATFORM_VENV_PYTHON)
                   if as_nobody(candidate, "-c", "import django", cwd=PROJECT).returncode == 0), None)
    if python is None:
        pytest.skip("nobody can run neither this checkout's Python nor .venv-debian's")
    closed = tmp_path / "root-home"
    closed.mkdir(mode=0o700)
    tmp_path.chmod(0o755)
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "wardservice.settings", "WARDSERVICE_TESTING": "1",
           "PYTHONDONTWRITEBYTECODE": "1", "DATABASE_URL": f"sqlite:///{tmp_path / 'db.sqlite3'}",
           "BACKUP_DIR": "/srv/wardservice/backups"}
    refused = as_nobody(python, "manage.py", "backup", "--output", closed / "nightly", cwd=PROJECT, env=env)
    assert refused.returncode == 1 and "Traceback" not in refused.stderr, refused.stderr
    assert refused.stderr.splitlines() == [
        f"CommandError: {closed / 'nightly'} に書き込めません (権限がありません)。書き出し先には "
        "/srv/wardservice/backups (BACKUP_DIR) か、利用者 nobody が書き込めるフォルダを指定してください。"
    ]


@pytest.mark.anydb
def test_the_reason_for_a_permission_error_is_said_in_japanese(settings, monkeypatch):
    """What the service user meets in root's home or the code directory (the tests run as root,
    which the file system never refuses)."""
    monkeypatch.delenv("EXPORT_DIR", raising=False)
    error = PermissionError(errno.EACCES, "Permission denied", "/root/table.pdf")
    message = cannot_write("/root/table.pdf", error, folder=Path("/var/lib/wardservice/exports"), setting="EXPORT_DIR")
    assert message == (
        "/root/table.pdf に書き込めません (権限がありません)。書き出し先には /var/lib/wardservice/exports "
        f"(EXPORT_DIR) か、利用者 {getpass.getuser()} が書き込めるフォルダを指定してください。"
    )
    assert export_directory() == Path(settings.BASE_DIR) / "exports"


# --- backup --verify ---------------------------------------------------------------------------


def verify_refused(archive):
    with pytest.raises(CommandError, match="このファイルからは復元できません") as refused:
        call_command("backup", verify=str(archive), stdout=io.StringIO())
    return str(refused.value)


@pytest.mark.django_db(transaction=True)
def test_verify_passes_a_good_archive_without_the_database(archive, django_assert_num_queries):
    before = state()
    out = io.StringIO()
    with django_assert_num_queries(0):
        call_command("backup", verify=str(archive), stdout=out)
    printed = out.getvalue()
    assert f"検査に合格しました: {archive}" in printed and "チェックサム一致" in printed
    if ON_POSTGRES:
        assert "pg_restore --list で" in printed and "表のデータを確認" in printed
    else:
        assert "SQLite の整合性検査に合格" in printed and "行数がマニフェストと一致" in printed
    assert state() == before


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("damage", [tampered, truncated, trailer_cut, byte_flipped])
def test_verify_refuses_a_corrupt_or_truncated_archive_in_japanese(archive, tmp_path, damage):
    message = verify_refused(damage(archive, tmp_path))
    assert "復元を中止しました" not in message  # nothing was being restored
    if damage is tampered:
        assert "マニフェストと一致しません" in message
        assert "media/publications/test/table.csv: チェックサム不一致" in message
    else:
        assert "壊れているか、途中までしかありません" in message


@pytest.mark.django_db(transaction=True)
def test_verify_refuses_a_database_dump_that_cannot_be_read(archive, tmp_path):
    """Checksums that agree (the manifest rewritten to match) do not make a dump readable."""
    member = read_manifest(archive)["database"]["member"]
    garbage = b"not a database dump\n" * 64

    def change(name, data):
        if name == member:
            return garbage
        if name == "manifest.json":
            manifest = json.loads(data)
            manifest["members"][member] = {"sha256": hashlib.sha256(garbage).hexdigest(), "size": len(garbage)}
            return json.dumps(manifest).encode()
        return data

    message = verify_refused(rewrite(archive, tmp_path / "garbage.tar.gz", change=change))
    assert "バックアップ内のデータベースを読み取れません" in message


def test_verify_and_making_a_backup_are_separate(tmp_path):
    with pytest.raises(CommandError, match="--verify は --output・--keep-days と一緒には指定できません"):
        call_command("backup", verify=str(tmp_path / "x.tar.gz"), keep_days=3)
    with pytest.raises(CommandError, match="がありません"):
        call_command("backup", verify=str(tmp_path / "x.tar.gz"))


@pytest.mark.skipif(shutil.which("age") is None, reason="age is not installed (Debian package age)")
@pytest.mark.django_db(transaction=True)
def test_the_off_site_copy_is_checked_then_encrypted_to_a_public_key(archive, tmp_path):
    """deploy/wardservice-backup-encrypt as the backup unit runs it: the archive verified, then
    encrypted to the public key only; the key's owner gets the archive back byte for byte, and
    the checksum file checks a copy without the key."""
    keygen = subprocess.run([Path(shutil.which("age")).with_name("age-keygen")], capture_output=True,
                            text=True, check=True, timeout=60)
    (tmp_path / "identity.txt").write_text(keygen.stdout)
    public = next(line.split(": ")[1] for line in keygen.stdout.splitlines() if "public key" in line)
    (tmp_path / "recipients.txt").write_text(public + "\n")
    folder = archive.parent
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "wardservice.settings", "WARDSERVICE_TESTING": "1",
           "WARDSERVICE_APP_DIR": str(PROJECT), "BACKUP_DIR": str(folder)}

    def run():
        return subprocess.run([PROJECT / "deploy" / "wardservice-backup-encrypt", tmp_path / "recipients.txt"],
                              cwd=PROJECT, env=env, capture_output=True, text=True, timeout=300, check=True)

    done = run()
    assert "検査に合格しました" in done.stdout and f"Encrypted: {archive.name}.age" in done.stdout
    encrypted = folder / f"{archive.name}.age"
    assert encrypted.read_bytes()[:21] == b"age-encryption.org/v1" and archive.read_bytes() not in encrypted.read_bytes()
    subprocess.run(["sha256sum", "--check", "--quiet", f"{encrypted.name}.sha256"], cwd=folder, check=True, timeout=60)
    decrypted = tmp_path / "back.tar.gz"
    subprocess.run(["age", "--decrypt", "--identity", tmp_path / "identity.txt", "--output", decrypted, encrypted],
                   check=True, timeout=60)
    assert decrypted.read_bytes() == archive.read_bytes()

    assert "Encrypted" not in run().stdout  # done once
    archive.unlink()  # as --keep-days deletes it
    assert "Removed" in run().stdout
    assert sorted(path.name for path in folder.iterdir()) == []
