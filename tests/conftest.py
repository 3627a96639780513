import io
from pathlib import Path

import pytest
from django.core.management import call_command

from tests.factories import OfficeFactory

SEED = Path(__file__).resolve().parent.parent / "fixtures" / "seeds" / "nakahara-2020.txt"


@pytest.fixture
def nakahara(db):
    return OfficeFactory(
        name="中原区役所", slug="nakahara", municipality_name="川崎市中原区", municipality_code="141330"
    )


@pytest.fixture
def seed_year(nakahara):
    """The real 2020 table, imported the way an operator would."""
    call_command("import_published_table", str(SEED), office="nakahara", year=2020, stdout=io.StringIO())
    return nakahara.fiscal_years.get(year=2020)


def pytest_sessionfinish(session, exitstatus):
    """The run's PDF parts folder (tests/settings.py) goes with the run; so do the render workers."""
    import shutil

    from django.conf import settings

    from reports.exporters.pdf import pool

    pool.shutdown()
    shutil.rmtree(settings.PDF_PARTS_DIR, ignore_errors=True)
