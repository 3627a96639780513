"""Writes docs/accessibility-results.json, the results the accessibility statement (/accessibility/)
publishes: axe-core (WCAG 2.2 A/AA rules and best practices, headless Chromium), the Nu Html
Checker and the page's width at 390 and 320 CSS px, on every public page and every staff page, as
the walk of tests/browser/site_walk.py reaches them (each person's pages, in each state).

Runs only when asked:  WARDSERVICE_A11Y_REPORT=1 pytest tests/browser/test_accessibility_report.py
The file is written before the assertion, so a failing page is recorded as failing, not hidden.
"""

import json
import os
import subprocess
from datetime import datetime
from pathlib import Path
from urllib.parse import unquote
from zoneinfo import ZoneInfo

import pytest

from tests.browser.conftest import AXE_TAGS_WCAG22
from tests.browser.site_walk import WALKS, Walker
from tests.browser.site_world import build_world
from tests.markup.vnu import VNU_JAR, check, missing_tools

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(
        os.environ.get("WARDSERVICE_A11Y_REPORT") != "1",
        reason="set WARDSERVICE_A11Y_REPORT=1 to write docs/accessibility-results.json",
    ),
]

PROJECT_ROOT = Path(__file__).resolve().parents[2]
REPORT = PROJECT_ROOT / "docs" / "accessibility-results.json"
PUBLIC = "一般"  # the walk of the public pages (site_walk.WALKS)


def axe_version() -> str:
    package = json.loads((PROJECT_ROOT / "node_modules" / "axe-core" / "package.json").read_text())
    return package["version"]


def vnu_version() -> str:
    # Prints e.g. "26.9.27 (c6ba02c)"; the release number is what identifies it.
    out = subprocess.run(
        ["java", "-jar", str(VNU_JAR), "--version"], capture_output=True, text=True, check=True
    )
    return out.stdout.split()[0]


def test_write_accessibility_results(browser, live_server, axe, seed_year, settings, tmp_path):
    reason = missing_tools()
    if reason:
        pytest.fail(f"cannot run the Nu Html Checker: {reason}")
    world = build_world(seed_year, settings, tmp_path)

    sections = {"pages": [], "staff_pages": []}
    problems = []  # what the failing pages' checks said, for the assertion
    for person, walk in WALKS:
        site = Walker(browser, live_server.url, axe, keep_documents=True)
        try:
            walk(site, world)
        finally:
            site.close()
        vnu = {
            name: [m for m in messages if m.is_error] for name, messages in check(site.documents).items()
        }
        section = sections["pages" if person == PUBLIC else "staff_pages"]
        section += [
            {
                "name": name,
                "url": unquote(checked.url.removeprefix(live_server.url)),
                "axe_violations": len(checked.violations),
                "vnu_errors": len(vnu.get(name, [])),
                "too_wide": len(checked.too_wide),
            }
            for name, checked in site.checked.items()
        ]
        for name, checked in site.checked.items():
            problems += [f"{name}: {v['id']}" for v in checked.violations]
            problems += [f"{name}: {m}" for m in vnu.get(name, [])]
            problems += [f"{name}: {too_wide}" for too_wide in checked.too_wide]

    results = {
        "checked_at": datetime.now(ZoneInfo("Asia/Tokyo")).isoformat(timespec="seconds"),
        "standard": "JIS X 8341-3:2016 適合レベル AA (axe-core: " + ", ".join(AXE_TAGS_WCAG22) + ")",
        "tools": {
            "axe-core": axe_version(),
            "vnu": vnu_version(),
            "browser": f"Chromium {browser.version}",
        },
        **sections,
    }
    REPORT.parent.mkdir(exist_ok=True)
    REPORT.write_text(json.dumps(results, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")

    assert not problems, f"pages with problems (see {REPORT.name}):\n" + "\n".join(problems)
