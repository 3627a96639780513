"""Writes docs/accessibility-results.json, the results the accessibility statement (/accessibility/)
publishes: axe-core (WCAG 2.1 A/AA rules, headless Chromium) and the Nu Html Checker on every
public page, shown with the seed's year published.

Runs only when asked:  WARDSERVICE_A11Y_REPORT=1 pytest tests/browser/test_accessibility_report.py
The file is written before the assertion, so a failing page is recorded as failing, not hidden.
"""

import json
import os
import subprocess
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from tests.browser.conftest import AXE_TAGS
from tests.markup.vnu import VNU_JAR, check, missing_tools
from tests.reports.publishing import publish, use_tmp_media

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

# Every public page (name as the statement lists it, URL).
PUBLIC_PAGES = [
    ("トップページ", "/"),
    ("年度の表 (令和2年度 中原区役所)", "/reports/nakahara/2020/"),
    ("統計 (令和2年度 中原区役所)", "/reports/nakahara/2020/stats/"),
    ("目標の検索", "/reports/search/"),
    ("目標の検索 (検索結果)", "/reports/search/?q=窓口"),
    ("オープンデータ", "/reports/opendata/"),
    ("ウェブアクセシビリティ方針", "/accessibility/"),
    ("職員ログイン", "/accounts/login/"),
]


def axe_version() -> str:
    package = json.loads((PROJECT_ROOT / "node_modules" / "axe-core" / "package.json").read_text())
    return package["version"]


def vnu_version() -> str:
    # Prints e.g. "26.9.27 (c6ba02c)"; the release number is what identifies it.
    out = subprocess.run(
        ["java", "-jar", str(VNU_JAR), "--version"], capture_output=True, text=True, check=True
    )
    return out.stdout.split()[0]


def test_write_accessibility_results(page, axe, seed_year, settings, tmp_path):
    reason = missing_tools()
    if reason:
        pytest.fail(f"cannot run the Nu Html Checker: {reason}")
    use_tmp_media(settings, tmp_path)
    publish(seed_year)  # through the real service: the year's page is the stored one

    axe_counts, documents = {}, {}
    for _, url in PUBLIC_PAGES:
        response = page.goto(url)
        assert response is not None and response.status == 200, url
        axe_counts[url] = len(axe(page))
        documents[url] = response.body()  # the HTML as served, not as the browser changed it
    vnu_errors = {
        url: sum(m.is_error for m in messages) for url, messages in check(documents).items()
    }

    results = {
        "checked_at": datetime.now(ZoneInfo("Asia/Tokyo")).isoformat(timespec="seconds"),
        "standard": "JIS X 8341-3:2016 適合レベル AA (axe-core: " + ", ".join(AXE_TAGS) + ")",
        "tools": {
            "axe-core": axe_version(),
            "vnu": vnu_version(),
            "browser": f"Chromium {page.context.browser.version}",
        },
        "pages": [
            {
                "name": name,
                "url": url,
                "axe_violations": axe_counts[url],
                "vnu_errors": vnu_errors[url],
            }
            for name, url in PUBLIC_PAGES
        ],
    }
    REPORT.parent.mkdir(exist_ok=True)
    REPORT.write_text(json.dumps(results, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")

    failing = [p for p in results["pages"] if p["axe_violations"] or p["vnu_errors"]]
    assert not failing, f"pages with problems (see {REPORT.name}): {failing}"
