"""The results of the project's own accessibility checks, as the accessibility statement shows them.

`docs/accessibility-results.json` is written by the browser test suite
(tests/browser/test_accessibility_report.py, run with WARDSERVICE_A11Y_REPORT=1): axe-core's
WCAG 2.2 A/AA rules and best practices in headless Chromium, the Nu Html Checker, and the page's
width at 390 and 320 CSS px, on every public page and every staff page (tests/browser/site_walk.py:
each in the states that matter, as the person who uses it). Results written before the staff
pages were checked have no "staff_pages": the statement then shows the public pages only.
"""

import json
import logging
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from django.conf import settings

logger = logging.getLogger(__name__)


def results_path() -> Path:
    return Path(settings.BASE_DIR) / "docs" / "accessibility-results.json"


@dataclass(frozen=True)
class PageResult:
    name: str
    url: str
    axe_violations: int
    vnu_errors: int
    too_wide: int = 0  # of the narrow windows (390 and 320 CSS px), those it scrolled sideways in

    @property
    def passed(self) -> bool:
        return self.axe_violations == 0 and self.vnu_errors == 0 and self.too_wide == 0


@dataclass(frozen=True)
class CheckResults:
    checked_at: datetime
    axe_version: str
    vnu_version: str
    browser: str
    pages: tuple[PageResult, ...]
    staff_pages: tuple[PageResult, ...] = ()
    standard: str = ""

    @property
    def all_passed(self) -> bool:
        return all(p.passed for p in (*self.pages, *self.staff_pages))


def _pages(entries) -> tuple[PageResult, ...]:
    return tuple(
        PageResult(
            name=str(page["name"]),
            url=str(page["url"]),
            axe_violations=int(page["axe_violations"]),
            vnu_errors=int(page["vnu_errors"]),
            too_wide=int(page.get("too_wide", 0)),
        )
        for page in entries
    )


def load_results(path: Path | None = None) -> CheckResults | None:
    """The latest results, or None when there are none yet or the file cannot be read."""
    path = path or results_path()
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
        return CheckResults(
            checked_at=datetime.fromisoformat(data["checked_at"]),
            axe_version=str(data["tools"]["axe-core"]),
            vnu_version=str(data["tools"]["vnu"]),
            browser=str(data["tools"].get("browser", "")),
            pages=_pages(data["pages"]),
            staff_pages=_pages(data.get("staff_pages", ())),
            standard=str(data.get("standard", "")),
        )
    except FileNotFoundError:
        return None
    except (ValueError, KeyError, TypeError, AttributeError) as error:
        # A damaged file must not take the statement page down; it then says "not yet available".
        logger.warning("cannot read %s: %s", path, error)
        return None
