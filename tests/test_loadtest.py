"""scripts/loadtest runs end to end: gunicorn with production settings under wrk, every URL
answered without an error, and the table with its percentiles printed."""

import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from django.conf import settings

# scripts/loadtest builds its own SQLite installation, whatever database the suite runs on.
pytestmark = pytest.mark.anydb

ROOT = Path(__file__).resolve().parent.parent
SCRIPT = ROOT / "scripts" / "loadtest"
URLS = 8


@pytest.mark.skipif(shutil.which("wrk") is None, reason="wrk is not installed (Debian package wrk)")
def test_the_load_test_runs_clean_and_reports_percentiles():
    done = subprocess.run(
        [
            sys.executable, str(SCRIPT), "--duration", "1", "--connections", "4", "--threads", "2",
            "--pdf-parts", str(settings.PDF_PARTS_DIR),  # the run's: the seed's parts are made once
        ],
        cwd=ROOT, capture_output=True, text=True, timeout=300,
    )

    assert done.returncode == 0, done.stdout + done.stderr
    lines = done.stdout.splitlines()
    header = next(line for line in lines if line.startswith("URL"))
    assert re.search(r"req/s\s+p50 ms\s+p99 ms\s+non-2xx/3xx\s+socket errors", header)
    rows = [line for line in lines if line.startswith("/")]
    assert len(rows) == URLS, done.stdout
    for row in rows:
        *_, rps, p50, p99, bad, errors = row.split()
        assert float(rps) > 0 and 0 < float(p50) <= float(p99), row
        assert (bad, errors) == ("0", "0"), row
    assert any("table.pdf" in row for row in rows) and any(row.startswith("/staff/") for row in rows)
