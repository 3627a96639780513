"""Test settings: the project's settings with the fast password hasher and a development key."""

import os
import tempfile
from pathlib import Path

os.environ.setdefault("WARDSERVICE_TESTING", "1")

from wardservice.settings import *  # noqa: E402,F403

# Tests never collect static files; WhiteNoise serves them from the app finders instead.
STATIC_ROOT = None
WHITENOISE_USE_FINDERS = True

# One folder of PDF parts for the whole run: parts are cached by content (and written by rename),
# so tests share them safely, as do the sites the fault, backup and load tests start; tests that
# count renders use a folder of their own. `make test` gives its SQLite and PostgreSQL runs one
# folder (WARDSERVICE_TEST_PDF_PARTS), so the seed's parts are made once. Rendered in the test's
# process unless a test asks for the worker processes, and not on approval unless a test asks.
PDF_PARTS_DIR = Path(
    os.environ.get("WARDSERVICE_TEST_PDF_PARTS") or tempfile.mkdtemp(prefix="wardservice-pdf-parts-")
)
# Stored files of the run's own, never the project's media/: `make test` runs the SQLite and the
# PostgreSQL suites at the same time, and both publish the same office's years.
MEDIA_ROOT = Path(tempfile.mkdtemp(prefix="wardservice-media-"))
PDF_RENDER_PROCESSES = 1
PDF_RENDER_ON_APPROVAL = False
