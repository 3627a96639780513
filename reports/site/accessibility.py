"""The results of the project's own accessibility checks, as the accessibility statement shows them.

`docs/accessibility-results.json` is written by the browser test suite
(tests/browser/test_accessibility_report.py, run with WARDSERVICE_A11Y_REPORT=1): axe-core's
WCAG 2.1 A/AA rules in headless Chromium and the Nu Html Checker on every public page.
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


@dataclass(frozen=True)
class CheckResults:
    checked_at: datetime
    axe_version: str
    vnu_version: str
    browser: str
    pages: tuple[PageResult, ...]

    @property
    def all_passed(self) -> bool:
        return all(p.axe_violations == 0 and p.vnu_errors == 0 for p in self.pages)


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
            pages=tuple(
                PageResult(
                    name=str(page["name"]),
                    url=str(page["url"]),
                    axe_violations=int(page["axe_violations"]),
                    vnu_errors=int(page["vnu_errors"]),
                )
                for page in data["pages"]
            ),
        )
    except FileNotFoundError:
        return None
    except (ValueError, KeyError, TypeError) as error:
        # A damaged file must not take the statement page down; it then says "not yet available".
        logger.warning("cannot read %s: %s", path, error)
        return None
