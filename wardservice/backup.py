"""Backups of the whole installation (database and stored files) and their restore.

An archive is one gzip-compressed tar file:

    database/db.sqlite3 | database/db.dump   the database (SQLite backup API / pg_dump --format=custom)
    media/<path>                             every file under MEDIA_ROOT (the published files)
    manifest.json                            written last: format, engine, migrations, row counts,
                                             and the SHA-256 and size of every other member

create_backup() writes it to a temporary name and renames it only once complete, so a backup that
is killed never leaves a half archive under the final name. restore_backup() unpacks it into a
temporary folder, checks every member path and every checksum, the database engine and the
migrations before it changes anything, then restores the database and the files and compares the
row counts with the manifest. verify_backup() makes the same checks of the archive, and reads the
database dump, without restoring anything and without the installation's database.

Errors are BackupError, whose message is Japanese with an English line, and can be shown as is.
"""

import gzip
import hashlib
import io
import json
import os
import re
import shutil
import sqlite3
import subprocess
import tarfile
import tempfile
import zlib
from collections.abc import Callable
from contextlib import closing
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path, PurePosixPath

import django
from django.apps import apps
from django.conf import settings
from django.db import connections
from django.db.migrations.executor import MigrationExecutor
from django.db.migrations.loader import MigrationLoader
from django.utils import timezone

from wardservice.env import env_str
from wardservice.outputs import cannot_write

__all__ = [
    "ARCHIVE_PREFIX",
    "BackupError",
    "BackupResult",
    "RestoreResult",
    "backup_directory",
    "create_backup",
    "find_pg_binary",
    "prune_backups",
    "restore_backup",
    "verify_backup",
    "VerifyResult",
]

FORMAT_NAME = "wardservice-backup"
FORMAT_VERSION = 1
MANIFEST = "manifest.json"
DATABASE_DIR = "database"
MEDIA_DIR = "media"
DATABASE_MEMBERS = {"sqlite": f"{DATABASE_DIR}/db.sqlite3", "postgresql": f"{DATABASE_DIR}/db.dump"}
VENDOR_NAMES = {"sqlite": "SQLite", "postgresql": "PostgreSQL"}

ARCHIVE_PREFIX = "wardservice-backup-"
ARCHIVE_SUFFIX = ".tar.gz"
PARTIAL_SUFFIX = ".partial"
TIMESTAMP_FORMAT = "%Y%m%d-%H%M%S"
ARCHIVE_NAME = re.compile(rf"^{re.escape(ARCHIVE_PREFIX)}(\d{{8}}-\d{{6}}){re.escape(ARCHIVE_SUFFIX)}$")
STALE_PARTIAL_AGE = timedelta(days=1)

# Tables that a freshly migrated database fills by itself: rows there are not "data".
BOOKKEEPING_TABLES = {"django_migrations", "django_content_type", "auth_permission"}

CHUNK = 1024 * 1024
# No member of a backup comes near this (the largest is the database dump); a header that says
# more is a crafted or damaged archive.
MAX_MEMBER_BYTES = 1024**4
NOTHING_CHANGED = "何も変更していません。/ Nothing was changed."
# How a refusal of the archive ends: when restoring, and when only checking it (backup --verify).
RESTORE_STOPPED = f"復元を中止しました。{NOTHING_CHANGED}"
VERIFY_FAILED = "このファイルからは復元できません。/ This archive cannot be restored."

Progress = Callable[[str], None]


class BackupError(Exception):
    """A backup or restore that cannot go on; the message (Japanese, then English) says why."""


@dataclass
class BackupResult:
    path: Path
    size: int
    manifest: dict


@dataclass
class VerifyResult:
    manifest: dict
    members: int
    database: str  # what was found readable, e.g. "pg_restore --list で 57 表のデータを確認"


@dataclass
class RestoreResult:
    manifest: dict
    media_files: int
    removed_files: list[str] = field(default_factory=list)
    unapplied_migrations: list[str] = field(default_factory=list)


def _quiet(message):
    pass


# --- Where -------------------------------------------------------------------------------------


def backup_directory() -> Path:
    """BACKUP_DIR from the environment, else backups/ in the project."""
    return Path(env_str("BACKUP_DIR") or settings.BASE_DIR / "backups")


def archive_name(moment: datetime) -> str:
    return f"{ARCHIVE_PREFIX}{timezone.localtime(moment).strftime(TIMESTAMP_FORMAT)}{ARCHIVE_SUFFIX}"


def _target_path(output, moment) -> Path:
    """--output is either the archive's file name or the folder to put it in."""
    if output is None:
        return backup_directory() / archive_name(moment)
    output = Path(output)
    if output.is_dir() or not output.name.endswith(ARCHIVE_SUFFIX):
        return output / archive_name(moment)
    return output


def find_pg_binary(name: str) -> str:
    """A PostgreSQL client program matching the server: PG_BINDIR, `pg_config --bindir`, else the
    newest /usr/lib/postgresql/*/bin (as scripts/with-postgres finds its binaries), else PATH."""
    candidates = []
    if env_str("PG_BINDIR"):
        candidates.append(Path(env_str("PG_BINDIR")))
    else:
        pg_config = shutil.which("pg_config")
        if pg_config:
            found = subprocess.run([pg_config, "--bindir"], capture_output=True, text=True, check=False)
            if found.returncode == 0 and found.stdout.strip():
                candidates.append(Path(found.stdout.strip()))
        versions = sorted(Path("/usr/lib/postgresql").glob("*/bin"), key=_version_key, reverse=True)
        candidates.extend(versions)
    for directory in candidates:
        program = directory / name
        if program.is_file() and os.access(program, os.X_OK):
            return str(program)
    on_path = None if env_str("PG_BINDIR") else shutil.which(name)
    if on_path:
        return on_path
    raise BackupError(
        f"PostgreSQL の {name} が見つかりません。PostgreSQL のクライアント (postgresql-client) を"
        f"インストールするか、環境変数 PG_BINDIR で場所を指定してください。\n"
        f"Cannot find {name}; install the PostgreSQL client or set PG_BINDIR."
    )


def _version_key(path: Path):
    return tuple(int(part) if part.isdigit() else 0 for part in path.parent.name.split("."))


# --- Backup ------------------------------------------------------------------------------------


def create_backup(*, output=None, progress: Progress = _quiet) -> BackupResult:
    """Write the database and every file under MEDIA_ROOT into one archive; return where it is.

    The archive is written under a temporary name in the same folder and renamed when complete.
    """
    now = timezone.now()
    connection = connections["default"]
    vendor = connection.vendor
    if vendor not in DATABASE_MEMBERS:
        raise BackupError(f"{connection.vendor} のデータベースには対応していません。/ Unsupported database.")
    target = Path(output or backup_directory())
    try:
        target = _target_path(output, now)  # looks at the folder, which may be closed to this user
        target.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
        fd, partial = tempfile.mkstemp(prefix=f".{target.name}.", suffix=PARTIAL_SUFFIX, dir=target.parent)
    except OSError as error:
        # Say where backups may go (the service user writes BACKUP_DIR), not a traceback.
        raise BackupError(cannot_write(target, error, folder=backup_directory(), setting="BACKUP_DIR")) from error
    os.close(fd)
    partial = Path(partial)
    try:
        with tempfile.TemporaryDirectory(prefix="wardservice-backup-") as staging:
            dump = Path(staging) / PurePosixPath(DATABASE_MEMBERS[vendor]).name
            progress(f"データベース ({VENDOR_NAMES[vendor]}) を書き出しています…")
            state = _dump_database(connection, dump)
            manifest = _manifest(now, connection, state)
            with tarfile.open(partial, "w:gz", format=tarfile.PAX_FORMAT, compresslevel=6) as tar:
                _add_file(tar, dump, DATABASE_MEMBERS[vendor], manifest)
                progress(f"  {_size(dump.stat().st_size)}、{_total_rows(manifest)} 行")
                _add_media(tar, manifest, progress)
                _add_manifest(tar, manifest)
        _fsync(partial)
        os.replace(partial, target)
        _fsync_directory(target.parent)
    except BaseException:
        partial.unlink(missing_ok=True)
        raise
    return BackupResult(path=target, size=target.stat().st_size, manifest=manifest)


@dataclass
class _DatabaseState:
    """What was in the dumped database, read from the same snapshot as the dump."""

    migrations: dict
    tables: dict  # model label -> (table, rows)
    all_tables: list = field(default_factory=list)  # every table, models or not
    server_version: str = ""


def _dump_database(connection, dump: Path) -> _DatabaseState:
    if connection.vendor == "sqlite":
        return _dump_sqlite(connection, dump)
    return _dump_postgresql(connection, dump)


def _dump_sqlite(connection, dump: Path) -> _DatabaseState:
    """The online backup API: a consistent copy while the application keeps running."""
    connection.ensure_connection()
    with closing(sqlite3.connect(dump)) as copy:
        connection.connection.backup(copy)
        # One self-contained file in the archive, whatever the live database's journal mode.
        copy.execute("PRAGMA journal_mode=DELETE")
        state = _read_state(copy.cursor(), _sqlite_tables(copy))
        state.server_version = sqlite3.sqlite_version
    return state


def _sqlite_tables(sqlite_connection):
    rows = sqlite_connection.execute("SELECT name FROM sqlite_master WHERE type = 'table'")
    return {name for (name,) in rows}


def _quote(name):
    """A table name as an SQL identifier (the same quoting in SQLite and PostgreSQL)."""
    return '"' + name.replace('"', '""') + '"'


def _dump_postgresql(connection, dump: Path) -> _DatabaseState:
    """pg_dump of one snapshot, exported from a transaction in which the counts are taken too."""
    import psycopg

    params = _libpq_params(connection.settings_dict)
    with psycopg.connect(**params) as snapshot:
        snapshot.isolation_level = psycopg.IsolationLevel.REPEATABLE_READ
        snapshot.read_only = True
        with snapshot.cursor() as cursor:
            cursor.execute("SELECT pg_export_snapshot(), current_setting('server_version')")
            snapshot_id, server_version = cursor.fetchone()
            cursor.execute("SELECT tablename FROM pg_tables WHERE schemaname = current_schema()")
            tables = {name for (name,) in cursor.fetchall()}
            state = _read_state(cursor, tables)
        state.server_version = server_version
        _run_pg(
            "pg_dump",
            ["--format=custom", f"--snapshot={snapshot_id}", f"--file={dump}", _conninfo(params)],
            params,
        )
    return state


# Django's own OPTIONS that are not libpq connection parameters.
_DJANGO_PG_OPTIONS = {"pool", "server_side_binding", "assume_role", "isolation_level",
                      "prepare_threshold", "cursor_factory", "context"}


def _libpq_params(settings_dict) -> dict:
    params = {key: value for key, value in (settings_dict.get("OPTIONS") or {}).items()
              if key not in _DJANGO_PG_OPTIONS}
    names = {"dbname": "NAME", "user": "USER", "password": "PASSWORD", "host": "HOST", "port": "PORT"}
    for libpq, django_key in names.items():
        if settings_dict.get(django_key):
            params[libpq] = str(settings_dict[django_key])
    return params


def _conninfo(params) -> str:
    """The --dbname argument: every connection parameter except the password."""
    from psycopg.conninfo import make_conninfo

    return "--dbname=" + make_conninfo(**{k: v for k, v in params.items() if k != "password"})


def _run_pg(program, arguments, params):
    """Run a PostgreSQL client program; the password goes through PGPASSWORD, never argv."""
    env = dict(os.environ)
    if params.get("password"):
        env["PGPASSWORD"] = params["password"]
    completed = subprocess.run(
        [find_pg_binary(program), *arguments], env=env, capture_output=True, text=True, check=False
    )
    if completed.returncode != 0:
        raise BackupError(
            f"{program} が失敗しました (終了コード {completed.returncode})。/ {program} failed.\n"
            f"{completed.stderr.strip()}"
        )
    return completed


def _read_state(cursor, existing_tables) -> _DatabaseState:
    """Applied migrations (the latest per app) and the rows of every model's table."""
    migrations = {}
    if "django_migrations" in existing_tables:
        cursor.execute("SELECT app, name FROM django_migrations")
        for app, name in cursor.fetchall():
            if name > migrations.get(app, ""):
                migrations[app] = name
    tables = {}
    for label, table in _model_tables():
        if table in existing_tables:
            cursor.execute(f"SELECT COUNT(*) FROM {_quote(table)}")
            tables[label] = (table, cursor.fetchone()[0])
    return _DatabaseState(
        migrations=dict(sorted(migrations.items())), tables=tables, all_tables=sorted(existing_tables)
    )


def _model_tables():
    """(label, table) of every concrete model, many-to-many tables included, sorted."""
    seen = {}
    for model in apps.get_models(include_auto_created=True):
        meta = model._meta
        if meta.proxy or not meta.managed:
            continue
        seen.setdefault(meta.db_table, meta.label_lower)
    return sorted((label, table) for table, label in seen.items())


def _manifest(now, connection, state: _DatabaseState) -> dict:
    return {
        "format": FORMAT_NAME,
        "format_version": FORMAT_VERSION,
        "created_at": timezone.localtime(now).isoformat(),
        "django_version": django.get_version(),
        "database": {
            "engine": connection.settings_dict["ENGINE"],
            "vendor": connection.vendor,
            "server_version": state.server_version,
            "member": DATABASE_MEMBERS[connection.vendor],
            "tables": state.all_tables,
        },
        "migrations": state.migrations,
        "models": {label: {"table": table, "rows": rows} for label, (table, rows) in state.tables.items()},
        "media": {"files": 0, "bytes": 0},
        "members": {},
    }


def _total_rows(manifest):
    return f"{sum(entry['rows'] for entry in manifest['models'].values()):,}"


class _HashingReader:
    """Reads a file for tarfile while computing its SHA-256, so each file is read once."""

    def __init__(self, file):
        self.file = file
        self.sha256 = hashlib.sha256()

    def read(self, size=-1):
        data = self.file.read(size)
        self.sha256.update(data)
        return data


def _add_file(tar, path: Path, name: str, manifest):
    stat = path.stat()
    info = tarfile.TarInfo(name)
    info.size, info.mtime, info.mode = stat.st_size, int(stat.st_mtime), 0o644
    with open(path, "rb") as file:
        reader = _HashingReader(file)
        tar.addfile(info, reader)
    manifest["members"][name] = {"sha256": reader.sha256.hexdigest(), "size": stat.st_size}


def _add_media(tar, manifest, progress):
    root = Path(settings.MEDIA_ROOT)
    files = _media_files(root) if root.is_dir() else []
    progress(f"保存ファイル (MEDIA_ROOT) {len(files)} 件を書き出しています…")
    for relative in files:
        _add_file(tar, root / relative, f"{MEDIA_DIR}/{relative}", manifest)
        manifest["media"]["files"] += 1
        manifest["media"]["bytes"] += manifest["members"][f"{MEDIA_DIR}/{relative}"]["size"]
    progress(f"  {_size(manifest['media']['bytes'])}")


def _media_files(root: Path):
    """Relative POSIX paths of the regular files under root, sorted; symbolic links are skipped."""
    found = []
    for directory, subdirectories, names in os.walk(root):
        subdirectories.sort()
        for name in names:
            path = Path(directory) / name
            if path.is_file() and not path.is_symlink():
                found.append(path.relative_to(root).as_posix())
    return sorted(found)


def _add_manifest(tar, manifest):
    data = json.dumps(manifest, ensure_ascii=False, indent=2, sort_keys=True).encode()
    info = tarfile.TarInfo(MANIFEST)
    info.size, info.mtime, info.mode = len(data), int(timezone.now().timestamp()), 0o644
    tar.addfile(info, io.BytesIO(data))


def _fsync(path):
    with open(path, "rb") as file:
        os.fsync(file.fileno())


def _fsync_directory(path):
    descriptor = os.open(path, os.O_RDONLY)
    try:
        os.fsync(descriptor)
    finally:
        os.close(descriptor)


def _size(size: int) -> str:
    if size < 1024:
        return f"{size:,} バイト"
    if size < 1024 * 1024:
        return f"{size / 1024:,.1f} KB"
    return f"{size / 1024 / 1024:,.1f} MB"


# --- Retention ---------------------------------------------------------------------------------


def prune_backups(directory: Path, *, keep_days: int, keep: Path | None = None, now=None) -> list[Path]:
    """Delete archives named for a moment more than keep_days ago (never `keep`), and partial
    files left by a backup that was killed more than a day ago. Other files are left alone."""
    now = now or timezone.now()
    limit = timezone.localtime(now) - timedelta(days=keep_days)
    removed = []
    for path in sorted(Path(directory).iterdir()):
        if keep is not None and path.resolve() == Path(keep).resolve():
            continue
        if _expired(path, limit) or _stale_partial(path, now):
            path.unlink()
            removed.append(path)
    return removed


def _expired(path: Path, limit: datetime) -> bool:
    match = ARCHIVE_NAME.match(path.name)
    if not match or not path.is_file():
        return False
    moment = datetime.strptime(match.group(1), TIMESTAMP_FORMAT)
    return timezone.make_aware(moment, limit.tzinfo) < limit


def _stale_partial(path: Path, now: datetime) -> bool:
    if not (path.name.startswith(f".{ARCHIVE_PREFIX}") and path.name.endswith(PARTIAL_SUFFIX)):
        return False
    age = now.timestamp() - path.stat().st_mtime
    return age > STALE_PARTIAL_AGE.total_seconds()


# --- Verify ------------------------------------------------------------------------------------


def verify_backup(archive, *, progress: Progress = _quiet) -> VerifyResult:
    """Check that an archive could be restored, without restoring it and without the database
    of this installation: every member's path, size and SHA-256 against the manifest, the gzip
    trailer, and the database dump readable (SQLite: its integrity check and the manifest's row
    counts; PostgreSQL: `pg_restore --list`, the table of contents, holds every table's data).
    For an off-site copy, or before a backup is relied on. Unpacks into a temporary folder only.
    """
    archive = Path(archive)
    if not archive.is_file():
        raise BackupError(f"バックアップファイル {archive} がありません。/ No such file: {archive}")
    with tempfile.TemporaryDirectory(prefix="wardservice-verify-") as staging:
        staging = Path(staging)
        progress(f"{archive.name} を検査しています…")
        manifest = _unpack_verified(archive, staging, VERIFY_FAILED)
        progress(f"  {manifest['created_at']} 作成、{len(manifest['members'])} ファイル、チェックサム一致")
        database = manifest["database"]
        dump = staging / database["member"]
        if database.get("vendor") == "sqlite":
            found = _verify_sqlite_dump(dump, manifest)
        elif database.get("vendor") == "postgresql":
            found = _verify_postgresql_dump(dump, manifest)
        else:
            raise BackupError(
                f"データベースの種類 ({database.get('vendor')}) が不明です。{VERIFY_FAILED}\nUnknown database kind."
            )
        progress(f"  データベース: {found}")
        return VerifyResult(manifest=manifest, members=len(manifest["members"]), database=found)


def _unreadable_dump(detail):
    return BackupError(
        f"バックアップ内のデータベースを読み取れません ({detail})。{VERIFY_FAILED}\n"
        "The archived database cannot be read."
    )


def _verify_sqlite_dump(dump: Path, manifest) -> str:
    try:
        with closing(sqlite3.connect(f"{dump.as_uri()}?mode=ro", uri=True)) as copy:
            integrity = copy.execute("PRAGMA integrity_check").fetchone()[0]
            if integrity != "ok":
                raise _unreadable_dump(integrity)
            tables = _sqlite_tables(copy)
            differ = []
            for label, entry in manifest["models"].items():
                rows = None
                if entry["table"] in tables:
                    rows = copy.execute(f"SELECT COUNT(*) FROM {_quote(entry['table'])}").fetchone()[0]
                if rows != entry["rows"]:
                    differ.append(f"{label}: {entry['rows']} → {rows}")
    except sqlite3.DatabaseError as error:
        raise _unreadable_dump(error) from error
    if differ:
        raise _unreadable_dump("行数がマニフェストと違います: " + "、".join(differ))
    return f"SQLite の整合性検査に合格、{len(manifest['models'])} 表の行数がマニフェストと一致 ({_total_rows(manifest)} 行)"


def _verify_postgresql_dump(dump: Path, manifest) -> str:
    listed = subprocess.run(
        [find_pg_binary("pg_restore"), "--list", str(dump)], capture_output=True, text=True, check=False
    )
    if listed.returncode != 0:
        raise _unreadable_dump(f"pg_restore --list: {listed.stderr.strip()}")
    # "123; 0 16385 TABLE DATA public goals_goal wardservice": a table whose rows the dump holds.
    with_data = set(re.findall(r"^\d+; \d+ \d+ TABLE DATA \S+ (\S+) ", listed.stdout, re.MULTILINE))
    missing = sorted(entry["table"] for entry in manifest["models"].values() if entry["table"] not in with_data)
    if missing:
        raise _unreadable_dump("データのない表: " + "、".join(missing))
    return f"pg_restore --list で {len(with_data)} 表のデータを確認"


# --- Restore -----------------------------------------------------------------------------------


def restore_backup(archive, *, force=False, progress: Progress = _quiet) -> RestoreResult:
    """Restore the database and MEDIA_ROOT from an archive made by create_backup().

    Everything is checked before anything is changed: member paths, every checksum, the database
    engine, the migrations, and that the database and MEDIA_ROOT hold no data (unless force).
    With force, files under MEDIA_ROOT that are not in the archive are removed.
    """
    archive = Path(archive)
    if not archive.is_file():
        raise BackupError(f"バックアップファイル {archive} がありません。/ No such file: {archive}")
    with tempfile.TemporaryDirectory(prefix="wardservice-restore-") as staging:
        staging = Path(staging)
        progress(f"{archive.name} を検査しています…")
        manifest = _unpack_verified(archive, staging)
        progress(f"  {manifest['created_at']} 作成、{len(manifest['members'])} ファイル、チェックサム一致")
        connection = connections["default"]
        _check_engine(manifest, connection)
        _check_migrations(manifest, connection)
        _check_empty(connection, force)
        progress(f"データベース ({VENDOR_NAMES[connection.vendor]}) を復元しています…")
        dropped = _restore_database(connection, staging / manifest["database"]["member"], manifest)
        if dropped:
            progress(f"  バックアップになかった表を削除しました: {', '.join(dropped)}")
        progress("保存ファイル (MEDIA_ROOT) を復元しています…")
        media = sorted(name for name in manifest["members"] if name.startswith(f"{MEDIA_DIR}/"))
        removed = _restore_media(staging, media, manifest, force=force)
        _check_rows(manifest, connection)
        progress(f"  行数が一致しました ({_total_rows(manifest)} 行)")
        return RestoreResult(
            manifest=manifest,
            media_files=len(media),
            removed_files=removed,
            unapplied_migrations=_unapplied_migrations(connection),
        )


def _unpack_verified(archive: Path, staging: Path, stop: str = RESTORE_STOPPED) -> dict:
    """Unpack into staging after checking every member's path, type and size; then compare every
    member with the manifest's checksums. Refuses a corrupt, truncated or tampered archive, the
    message ending with `stop`."""
    try:
        with gzip.open(archive, "rb") as compressed:
            with tarfile.open(fileobj=compressed, mode="r:") as tar:
                members = tar.getmembers()
                _check_members(members, stop)
                _check_space(members, staging, stop)
                for member in members:
                    _extract(tar, member, staging)
            # Read to the end: the gzip trailer (CRC, length) is checked only there.
            while compressed.read(CHUNK):
                pass
    except (tarfile.TarError, EOFError, zlib.error, gzip.BadGzipFile) as error:
        raise BackupError(
            f"バックアップファイルが壊れているか、途中までしかありません。{stop}\n"
            f"The archive is corrupt or truncated ({error})."
        ) from error
    except OSError as error:
        raise BackupError(
            f"一時フォルダ ({staging.parent}) に展開できませんでした ({error.strerror or error})。"
            f"{stop}\nCould not unpack into the temporary folder ({error})."
        ) from error
    manifest = _read_manifest(staging, stop)
    _check_checksums(manifest, staging, {m.name for m in members if m.isfile()} - {MANIFEST}, stop)
    return manifest


def _check_members(members, stop):
    """Only plain files and folders, at safe relative paths, in the archive's own folders, with
    sizes that make sense, and no name used both as a file and as a folder.

    Done here rather than by tarfile's extraction filters, which Python 3.11 gained only in
    3.11.4 (Debian 12 has 3.11.2); _extract() then writes each checked member itself."""
    files, folders = set(), set()
    for member in members:
        name = member.name
        if not _safe_member_name(name):
            raise _unsafe(name, "不正なパス / unsafe path", stop)
        if not (member.isfile() or member.isdir()):
            raise _unsafe(name, "ファイル・フォルダ以外 (リンク・デバイス) / a link or device", stop)
        if member.isfile() and not 0 <= member.size <= MAX_MEMBER_BYTES:
            raise _unsafe(name, "大きさが不正 / impossible size", stop)
        if member.isfile() and name in files:
            raise _unsafe(name, "同じ名前が2回 / duplicate member", stop)
        (files if member.isfile() else folders).add(name)
        folders.update(str(parent) for parent in PurePosixPath(name).parents if str(parent) != ".")
    if clash := sorted(files & folders):
        raise _unsafe(clash[0], "ファイルとフォルダに同じ名前 / a file where a folder is", stop)


def _check_space(members, staging: Path, stop):
    """Refuse before unpacking when the files would not fit in the temporary folder."""
    needed = sum(member.size for member in members if member.isfile())
    free = shutil.disk_usage(staging).free
    if needed > free:
        raise BackupError(
            f"一時フォルダ ({staging.parent}) の空きが足りません (必要 {_size(needed)}、空き {_size(free)})。"
            f"空きを増やすか、環境変数 TMPDIR で別の場所を指定してください。{stop}\n"
            "Not enough free space in the temporary folder to unpack the archive."
        )


def _extract(tar, member, staging: Path):
    """Write one checked member under staging: folders as folders, files byte for byte with their
    size checked, owner-only modes; never a link, a device or a path outside staging."""
    target = staging.joinpath(*PurePosixPath(member.name).parts)
    if member.isdir():
        target.mkdir(mode=0o700, parents=True, exist_ok=True)
        return
    target.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
    source = tar.extractfile(member)
    written = 0
    # "x": a name that exists already (only possible through a crafted archive) is an error.
    with source, open(target, "xb") as output:
        while chunk := source.read(CHUNK):
            output.write(chunk)
            written += len(chunk)
    if written != member.size:
        raise tarfile.ReadError(f"{member.name}: {written} of {member.size} bytes")


def _safe_member_name(name: str) -> bool:
    if not name or name.startswith("/") or "\\" in name or "\x00" in name:
        return False
    parts = name.split("/")
    if any(part in ("", ".", "..") for part in parts):
        return False
    if name == MANIFEST:
        return True
    return parts[0] in (DATABASE_DIR, MEDIA_DIR)


def _unsafe(name, what, stop):
    return BackupError(
        f"バックアップファイルに安全でない項目があります ({what}: {name!r})。{stop}\n"
        f"The archive holds an unsafe member ({name!r})."
    )


def _read_manifest(staging: Path, stop) -> dict:
    path = staging / MANIFEST
    try:
        manifest = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as error:
        raise BackupError(
            f"バックアップファイルに manifest.json がないか、読めません。{stop}\n"
            f"The archive has no readable manifest.json ({error})."
        ) from error
    if not isinstance(manifest, dict) or manifest.get("format") != FORMAT_NAME:
        raise BackupError(
            f"wardservice のバックアップファイルではありません。{stop}\n"
            "This is not a wardservice backup."
        )
    if manifest.get("format_version") != FORMAT_VERSION:
        raise BackupError(
            f"このバックアップの形式 (版 {manifest.get('format_version')}) には対応していません。"
            f"{stop}\nUnsupported backup format version."
        )
    return manifest


def _check_checksums(manifest, staging: Path, present: set[str], stop):
    listed = manifest.get("members") or {}
    database = manifest.get("database", {}).get("member")
    problems = []
    problems += [f"{name}: マニフェストにない / not in the manifest" for name in sorted(present - set(listed))]
    problems += [f"{name}: ない / missing" for name in sorted(set(listed) - present)]
    if database not in listed:
        problems.append("database: データベースがない / no database")
    for name in sorted(present & set(listed)):
        size, digest = _file_digest(staging / name)
        if size != listed[name].get("size") or digest != listed[name].get("sha256"):
            problems.append(f"{name}: チェックサム不一致 / checksum mismatch")
    if problems:
        raise BackupError(
            f"バックアップファイルの内容がマニフェストと一致しません (壊れているか改変されています)。{stop}\n"
            "The archive does not match its manifest (corrupt or tampered):\n  " + "\n  ".join(problems)
        )


def _file_digest(path: Path):
    sha256 = hashlib.sha256()
    with open(path, "rb") as file:
        while chunk := file.read(CHUNK):
            sha256.update(chunk)
    return path.stat().st_size, sha256.hexdigest()


def _check_engine(manifest, connection):
    archived = manifest["database"].get("vendor")
    if archived != connection.vendor:
        have = VENDOR_NAMES.get(archived, archived)
        want = VENDOR_NAMES.get(connection.vendor, connection.vendor)
        raise BackupError(
            f"このバックアップは {have} のデータベースのものです。いまの設定 (DATABASE_URL) は {want} なので"
            f"復元できません。{NOTHING_CHANGED}\n"
            f"This backup holds a {have} database; this installation uses {want}."
        )


def _check_migrations(manifest, connection):
    """Refuse a backup taken by a newer version of the program than this one."""
    loader = MigrationLoader(None, ignore_no_migrations=True)
    unknown = [
        f"{app}.{name}" for app, name in manifest.get("migrations", {}).items()
        if app in loader.migrated_apps and (app, name) not in loader.disk_migrations
    ]
    if unknown:
        raise BackupError(
            "このバックアップは、いまのプログラムにないマイグレーション "
            f"({', '.join(unknown)}) まで適用されたデータベースのものです。バックアップを作成したときの"
            f"版のプログラムで復元してください。{NOTHING_CHANGED}\n"
            "This backup was taken by a newer version of the program (unknown migrations)."
        )


def _check_empty(connection, force):
    found = [] if force else _existing_data(connection)
    if not found:
        return
    raise BackupError(
        "復元先にデータがあります: " + "、".join(found) + "。上書きする場合は --force を付けて実行して"
        f"ください (いまのデータは失われます。先に backup を取ってください)。{NOTHING_CHANGED}\n"
        "The target already holds data; run again with --force to overwrite it."
    )


def _existing_data(connection) -> list[str]:
    """What the target holds already: tables with rows (bookkeeping aside) and stored files."""
    counts = {}
    tables = set(connection.introspection.table_names()) - BOOKKEEPING_TABLES
    with connection.cursor() as cursor:
        for table in sorted(tables):
            cursor.execute(f"SELECT COUNT(*) FROM {connection.ops.quote_name(table)}")
            if rows := cursor.fetchone()[0]:
                counts[table] = rows
    found = []
    if counts:
        examples = "、".join(f"{table} {rows:,} 行" for table, rows in list(counts.items())[:3])
        found.append(f"データベースの {len(counts)} 表に計 {sum(counts.values()):,} 行 ({examples} など)")
    root = Path(settings.MEDIA_ROOT)
    if files := (len(_media_files(root)) if root.is_dir() else 0):
        found.append(f"MEDIA_ROOT ({root}) に {files} ファイル")
    return found


def _restore_database(connection, dump: Path, manifest) -> list[str]:
    """Restore the dump; return the tables dropped because the backup did not have them."""
    connections.close_all()
    if connection.vendor == "sqlite":
        _restore_sqlite(connection, dump)  # replaces the whole file: nothing else remains
        return []
    _restore_postgresql(connection, dump)
    return _drop_tables_not_in(connection, set(manifest["database"]["tables"]))


def _restore_sqlite(connection, dump: Path):
    """The backup API from the archived file into the configured database file."""
    name = str(connection.settings_dict["NAME"])
    with closing(sqlite3.connect(dump)) as source:
        integrity = source.execute("PRAGMA integrity_check").fetchone()[0]
        if integrity != "ok":
            raise BackupError(
                f"バックアップ内のデータベースが壊れています ({integrity})。{NOTHING_CHANGED}\n"
                "The archived SQLite database fails its integrity check."
            )
        with closing(sqlite3.connect(name, uri=name.startswith("file:"))) as target:
            source.backup(target)


def _restore_postgresql(connection, dump: Path):
    """pg_restore in one transaction: either the whole dump is restored or nothing is."""
    params = _libpq_params(connection.settings_dict)
    _run_pg(
        "pg_restore",
        ["--clean", "--if-exists", "--no-owner", "--no-privileges", "--single-transaction",
         _conninfo(params), str(dump)],
        params,
    )


def _drop_tables_not_in(connection, archived: set[str]) -> list[str]:
    """pg_restore --clean replaces what the dump holds and leaves anything else. Tables the backup
    did not have (made by a later version's migrations) would make the next `migrate` fail."""
    extra = sorted(set(connection.introspection.table_names()) - archived)
    with connection.cursor() as cursor:
        for table in extra:
            cursor.execute(f"DROP TABLE IF EXISTS {connection.ops.quote_name(table)} CASCADE")
    return extra


def _restore_media(staging: Path, members: list[str], manifest, *, force) -> list[str]:
    """Copy the archived files into MEDIA_ROOT (each through a temporary name); with force,
    remove the files that are not in the archive so that MEDIA_ROOT ends up identical."""
    root = Path(settings.MEDIA_ROOT)
    root.mkdir(parents=True, exist_ok=True)
    wanted = set()
    for member in members:
        relative = member.removeprefix(f"{MEDIA_DIR}/")
        wanted.add(relative)
        target = _inside(root, relative)
        target.parent.mkdir(parents=True, exist_ok=True)
        temporary = target.with_name(f".{target.name}.restoring")
        shutil.copyfile(staging / member, temporary)
        os.replace(temporary, target)
        if _file_digest(target)[1] != manifest["members"][member]["sha256"]:
            raise BackupError(f"{relative} を書き込めませんでした。/ Could not write {relative}.")
    removed = []
    if force:
        removed = [relative for relative in _media_files(root) if relative not in wanted]
        for relative in removed:
            (root / relative).unlink()
        _remove_empty_directories(root)
    return removed


def _inside(root: Path, relative: str) -> Path:
    """root/relative, refusing a path that a symbolic link under root would lead elsewhere."""
    target = root / relative
    if not target.resolve().is_relative_to(root.resolve()):
        raise BackupError(f"{relative} は MEDIA_ROOT の外を指しています。/ {relative} leaves MEDIA_ROOT.")
    return target


def _remove_empty_directories(root: Path):
    for directory, _subdirectories, _files in os.walk(root, topdown=False):
        path = Path(directory)
        if path != root and not any(path.iterdir()):
            path.rmdir()


def _check_rows(manifest, connection):
    mismatches = []
    tables = set(connection.introspection.table_names())
    with connection.cursor() as cursor:
        for label, entry in manifest["models"].items():
            table = entry["table"]
            rows = None
            if table in tables:
                cursor.execute(f"SELECT COUNT(*) FROM {connection.ops.quote_name(table)}")
                rows = cursor.fetchone()[0]
            if rows != entry["rows"]:
                mismatches.append(f"{label}: {entry['rows']} → {rows}")
    if mismatches:
        raise BackupError(
            "復元後の行数がバックアップ作成時と一致しません: " + "、".join(mismatches) + "\n"
            "Row counts after the restore differ from the manifest."
        )


def _unapplied_migrations(connection) -> list[str]:
    executor = MigrationExecutor(connection)
    plan = executor.migration_plan(executor.loader.graph.leaf_nodes())
    return [f"{migration.app_label}.{migration.name}" for migration, _backwards in plan]
