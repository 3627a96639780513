"""The environment file read as systemd reads an EnvironmentFile= (wardservice/envfile.py): the
restore drill and any other script get exactly the values the units get, whatever a password
holds, and nothing in the file is ever run."""

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
from django.conf import settings

from wardservice.envfile import EnvironmentFileError, parse, read, with_database_name

# Text and processes only; no database.
pytestmark = pytest.mark.anydb

PROJECT = Path(settings.BASE_DIR)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        # systemd's own cases (src/test/test-env-file.c).
        ("a=a\nb=b\\\nc\nd=d\\\ne\\\nf\ng=g\\ \nh=h\ni=i\\",
         {"a": "a", "b": "bc", "d": "def", "g": "g ", "h": "h", "i": "i"}),
        ("a=a\\\n", {"a": "a"}),
        ('# Generated\n\nHWMON_MODULES="coretemp f71882fg"\n\n# For compatibility reasons\n\n'
         "MODULE_0=coretemp\nMODULE_1=f71882fg",
         {"HWMON_MODULES": "coretemp f71882fg", "MODULE_0": "coretemp", "MODULE_1": "f71882fg"}),
        ("a=\nb=", {"a": "", "b": ""}),
        # Blanks, quotes, escapes, comments, repeats.
        ("  NAME  =   spaced value  \n", {"NAME": "spaced value"}),
        ("A='x  y'\nB='a b'c\nC=a'b c'd\n", {"A": "x  y", "B": "a bc", "C": "a'b c'd"}),
        ('Q="a\\"b\\$c\\\\d\\qe`f"\n', {"Q": 'a"b$c\\d\\qe`f'}),
        ("M='two\nlines'\n", {"M": "two\nlines"}),
        ("; a comment\n# another\nno equals sign\nX=1\nX=2\n", {"X": "2"}),
        ("CRLF=value\r\nNEXT=2\r\n", {"CRLF": "value", "NEXT": "2"}),
    ],
)
def test_values_are_read_as_systemd_reads_them(text, expected):
    assert parse(text) == expected


PASSWORD = "pa ss;touch {marker};$HOME`id`#not-a-comment\\"


def env_file(tmp_path, marker):
    """An environment file whose secrets hold a space, `;`, `$`, backquotes and `#`."""
    path = tmp_path / "env"
    path.write_text(
        "# 本番の設定\n"
        "DEBUG=0\n"
        "SECRET_KEY=k$y;with spaces&and|pipes\n"
        f"DATABASE_URL=postgres://wardservice:p%40ss@127.0.0.1:5432/wardservice?sslmode=prefer\n"
        f"EMAIL_HOST_PASSWORD={PASSWORD.format(marker=marker)}\\\n",  # a literal backslash: doubled
        encoding="utf-8",
    )
    path.chmod(0o600)
    return path


def test_a_password_with_a_space_a_semicolon_and_a_dollar_reaches_the_command_as_written(tmp_path):
    marker = tmp_path / "ran"
    path = env_file(tmp_path, marker)
    shown = subprocess.run(
        [sys.executable, "-m", "wardservice.envfile", str(path),
         "--database-name", "wardservice_drill", "--set", "MEDIA_ROOT=/srv/wardservice/drill-media", "--",
         sys.executable, "-c",
         "import json, os; print(json.dumps({k: os.environ[k] for k in "
         "('DEBUG', 'SECRET_KEY', 'DATABASE_URL', 'EMAIL_HOST_PASSWORD', 'MEDIA_ROOT')}))"],
        cwd=PROJECT, capture_output=True, text=True, timeout=60, check=True,
    )
    assert json.loads(shown.stdout) == {
        "DEBUG": "0",
        "SECRET_KEY": "k$y;with spaces&and|pipes",
        "DATABASE_URL": "postgres://wardservice:p%40ss@127.0.0.1:5432/wardservice_drill?sslmode=prefer",
        "EMAIL_HOST_PASSWORD": PASSWORD.format(marker=marker),
        "MEDIA_ROOT": "/srv/wardservice/drill-media",
    }
    assert not marker.exists()  # what sh would have run after the `;`
    assert "p%40ss" not in " ".join(map(str, shown.args))  # the password never on a command line


@pytest.mark.parametrize(
    ("text", "refusal"),
    [
        ("1ST=x\n", "env:1: 「1ST」は環境変数の名前に使えません"),
        ("OK=1\nBAD-NAME=x\n", "env:2: 「BAD-NAME」は環境変数の名前に使えません"),
        ("BELL=a\x07b\n", "env:1: BELL の値に制御文字があります"),
        ("#A=b \\\nC=d\n", "env:1: # で始まる行が \\ で終わっています"),
    ],
)
def test_what_systemd_would_leave_out_is_refused_with_the_line(text, refusal):
    with pytest.raises(EnvironmentFileError) as refused:
        parse(text, source="env")
    assert refusal in str(refused.value)


def test_a_refused_file_runs_nothing(tmp_path):
    path = tmp_path / "env"
    path.write_bytes(b"GOOD=1\nPASSWORD=\xff\xfe\n")
    marker = tmp_path / "ran"
    done = subprocess.run(
        [sys.executable, "-m", "wardservice.envfile", str(path), "--", "touch", str(marker)],
        cwd=PROJECT, capture_output=True, text=True, timeout=60, check=False,
    )
    assert done.returncode == 2 and not marker.exists()
    assert f"{path}:2: UTF-8 ではない文字があります。" in done.stderr


def test_the_database_name_is_replaced_for_either_engine():
    assert with_database_name("postgres://u:p@db:5432/wardservice", "wardservice_drill") == (
        "postgres://u:p@db:5432/wardservice_drill"
    )
    assert with_database_name("sqlite:////srv/wardservice/db.sqlite3", "/tmp/drill.sqlite3") == (
        "sqlite:////tmp/drill.sqlite3"
    )


SOURCING = re.compile(r"set -a|(?:^|[\s;&|('])(?:\.|source)\s+\S*/etc/wardservice/env", re.MULTILINE)


def test_no_script_or_guide_sources_the_environment_file_with_sh():
    """`. /etc/wardservice/env` (or `set -a`) reads it the shell's way, not systemd's: not in any
    file in deploy/, nor in any command the guides give (their prose may warn against it)."""
    for path in (path for path in (PROJECT / "deploy").rglob("*") if path.is_file()):
        assert not SOURCING.search(path.read_text(encoding="utf-8", errors="replace")), path
    for path in [PROJECT / "README.md", *(PROJECT / "docs").glob("*.md")]:
        blocks = re.findall(r"^```.*?$(.*?)^```", path.read_text(encoding="utf-8"), re.MULTILINE | re.DOTALL)
        assert not any(SOURCING.search(block) for block in blocks), path
    drill = (PROJECT / "docs" / "deployment.md").read_text(encoding="utf-8")
    assert "sudo .venv/bin/python -m wardservice.envfile /etc/wardservice/env" in drill
    assert os.access(PROJECT / "deploy" / "wardservice-manage", os.X_OK)


def test_the_shipped_example_reads_the_same_as_a_line_by_line_reading():
    """deploy/env.example holds nothing whose meaning depends on the reader (quotes, escapes)."""
    example = PROJECT / "deploy" / "env.example"
    plain = dict(
        line.split("=", 1) for line in example.read_text(encoding="utf-8").splitlines()
        if line and not line.startswith("#")
    )
    assert read(example) == plain and plain["SECURE_HSTS_SECONDS"] == "300"
