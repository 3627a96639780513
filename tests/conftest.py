"""Shared fixtures: the 中原区 seed (imported once per session, written again per test:
tests/seed.py), the personas (tests/personas.py), and the `anydb` selection of the PostgreSQL run."""

import io
from pathlib import Path

import pytest
from django.core.management import call_command

from goals.services import fiscal_year_open_next
from tests.factories import OfficeFactory
from tests.personas import KIKAKU, member, personas
from tests.seed import NAKAHARA, SEED, SeedRows


# Engine-independent tests that `make test` runs in its PostgreSQL process rather than its SQLite
# one, so that the two processes, which run side by side, take about as long as each other.
RUN_WITH_POSTGRESQL = (
    "tests/browser/test_site_walk.py",
    "tests/browser/test_staff_year.py",
    "tests/test_loadtest.py",
)


def pytest_addoption(parser):
    parser.addoption(
        "--skip-anydb",
        action="store_true",
        help="leave out the tests marked anydb (the PostgreSQL run of `make test`), except those "
        "of RUN_WITH_POSTGRESQL",
    )
    parser.addoption(
        "--leave-to-postgresql",
        action="store_true",
        help="leave out the tests of RUN_WITH_POSTGRESQL (the SQLite run of `make test`)",
    )


def pytest_collection_modifyitems(config, items):
    """The browser tests are `anydb`; with --skip-anydb, every `anydb` test is left out but those
    of RUN_WITH_POSTGRESQL, which --leave-to-postgresql leaves out instead.

    `anydb` marks a test whose outcome does not depend on the database engine, so that
    `make test` runs it once: on SQLite, or for RUN_WITH_POSTGRESQL on PostgreSQL. Marked: the browser tests (through Chromium they reach
    the same views and queries the view tests check on both engines; what they add, the pages
    working in a browser and axe, does not depend on the engine), the HTML validation (vnu), the
    PDF rendering and assembly, the parsers and upload readers, the settings and deployment
    files, the load test (which builds its own SQLite site), and the sweeps of who may open
    which page (tests/test_url_auth.py, tests/goals/test_permission_matrix.py).
    Not marked, so run on both: queries and their counts, search (pg_trgm on PostgreSQL),
    locking and transactions (select_for_update, the fault tests), constraints, NUL and other
    text the engines store differently (the fuzz tests), the importers, backup and restore
    (pg_dump), and every view test.
    """
    for item in items:
        if item.get_closest_marker("browser"):
            item.add_marker(pytest.mark.anydb)
    skip_anydb, leave = config.getoption("--skip-anydb"), config.getoption("--leave-to-postgresql")
    if not (skip_anydb or leave):
        return
    kept, left_out = [], []
    for item in items:
        with_postgresql = item.nodeid.startswith(RUN_WITH_POSTGRESQL)
        once = item.get_closest_marker("anydb") and not item.get_closest_marker("everydb")
        if skip_anydb:
            leave_out = once and not with_postgresql
        else:
            leave_out = with_postgresql
        (left_out if leave_out else kept).append(item)
    if left_out:
        config.hook.pytest_deselected(items=left_out)
        items[:] = kept


# --- The seed ------------------------------------------------------------------------------------


@pytest.fixture(scope="session")
def _seed_rows(django_db_setup, django_db_blocker):
    """The seed as the real importer writes it, imported once per session."""

    def run_import(office):
        call_command("import_published_table", str(SEED), office=office.slug, year=2020, stdout=io.StringIO())

    with django_db_blocker.unblock():
        return SeedRows.capture(run_import)


@pytest.fixture
def nakahara(db):
    return OfficeFactory(**NAKAHARA)


@pytest.fixture
def seed_year(nakahara, _seed_rows):
    """The real 2020 table of 中原区, as `import_published_table` writes it.

    Imported once per session and written again for each test that asks for it, so it is
    there only for those tests, and each test's rollback (or flush) takes it away again.
    """
    _seed_rows.restore(nakahara)
    return nakahara.fiscal_years.get(year=2020)


# --- Personas (STYLE.md; tests/personas.py) ----------------------------------------------------


@pytest.fixture
def people(seed_year):
    """The personas in the seed's departments: people.soumu_editor, .kumin_editor, .approver,
    .approver2, .viewer and .outsider."""
    return personas()


@pytest.fixture
def approver(people):
    """The approver of 総務課 (people.approver)."""
    return people.approver


# --- The next year, as the staff work on it ------------------------------------------------------


@pytest.fixture
def year(seed_year):
    """令和3年度, opened from the seed year for planning: 17 empty sheets."""
    return fiscal_year_open_next(previous=seed_year)


@pytest.fixture
def sheet(year):
    """企画課's sheet of `year`."""
    return year.sheets.get(department__name=KIKAKU)


@pytest.fixture
def editor(year):
    """An editor of 企画課, whose `sheet` it is."""
    return member(KIKAKU, last_name="企画", first_name="進")


def pytest_sessionfinish(session, exitstatus):
    """The run's PDF parts and media folders (tests/settings.py) go with the run; so do the
    render workers."""
    import shutil

    from django.conf import settings

    from reports.exporters.pdf import pool

    pool.shutdown()
    for folder in (settings.PDF_PARTS_DIR, settings.MEDIA_ROOT):
        if Path(folder).name.startswith(("wardservice-pdf-parts-", "wardservice-media-")):
            shutil.rmtree(folder, ignore_errors=True)
