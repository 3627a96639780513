"""Headless Chromium (the Debian package, driven by Playwright) and axe-core for the browser tests.

`make setup` installs Chromium (apt) and axe-core (`npm ci`, see package.json); Playwright's own
browser downloads are not used.
"""

import os
from pathlib import Path

import pytest

PROJECT_ROOT = Path(__file__).resolve().parents[2]
AXE_JS = PROJECT_ROOT / "node_modules" / "axe-core" / "axe.min.js"

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-quic",
]
VIEWPORT = {"width": 1280, "height": 800}

# The WCAG 2.1 level A and AA rules of axe-core.
AXE_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]
# JIS X 8341-3 AA as the staff side is held to it (tests/browser/test_site_walk.py): the WCAG 2.2 AA
# rules and axe-core's best practices (landmarks, headings, unique names) as well.
AXE_TAGS_WCAG22 = [*AXE_TAGS, "wcag22aa", "best-practice"]


# How long a browser action or an `expect` waits for the page. `make test` runs two test processes
# and Chromium on two cores: a live preview's answer can take seconds, not the 5 s `expect` allows
# by default.
TIMEOUT_MS = 15_000


@pytest.fixture(scope="session")
def browser():
    if not os.path.exists(CHROMIUM):
        pytest.skip(f"{CHROMIUM} not found: install the Debian package chromium (`make setup`)")
    from playwright.sync_api import expect, sync_playwright

    expect.set_options(timeout=TIMEOUT_MS)

    # Playwright's sync API keeps an asyncio event loop in this thread, and Django refuses ORM
    # calls (fixtures, assertions) from a thread with a running loop unless told otherwise.
    saved = os.environ.get("DJANGO_ALLOW_ASYNC_UNSAFE")
    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
    try:
        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(
                executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS
            )
            yield browser
            browser.close()
    finally:
        if saved is None:
            os.environ.pop("DJANGO_ALLOW_ASYNC_UNSAFE", None)
        else:
            os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = saved


@pytest.fixture
def page(browser, live_server):
    """A fresh page (own cookies and storage) in Japanese, 1280 px wide, on the live server."""
    context = browser.new_context(locale="ja-JP", viewport=VIEWPORT, base_url=live_server.url)
    context.set_default_timeout(TIMEOUT_MS)
    # Everything a page needs comes from the live server: fail fast on anything else.
    context.route(
        lambda url: not url.startswith(live_server.url) and not url.startswith(("data:", "about:")),
        lambda route: route.abort(),
    )
    page = context.new_page()
    yield page
    context.close()


def _selector(target):
    # A list of selectors, one per frame or shadow root on the way to the element.
    if isinstance(target, list):
        return " >>> ".join(_selector(t) for t in target)
    return str(target)


class Violations(list):
    """axe-core violations; str() lists them readably for assertion messages."""

    def __str__(self):
        if not self:
            return "no axe-core violations"
        lines = []
        for v in self:
            targets = [_selector(node["target"]) for node in v["nodes"]]
            shown = ", ".join(targets[:3])
            if len(targets) > 3:
                shown += f" (+{len(targets) - 3} more)"
            lines.append(f"- {v['id']} [{v['impact']}] {v['help']} ({v['helpUrl']})")
            lines.append(f"    on: {shown}")
            summary = v["nodes"][0].get("failureSummary") if v["nodes"] else None
            if summary:
                lines.append("    " + summary.replace("\n", "\n    "))
        return f"{len(self)} axe-core violation(s):\n" + "\n".join(lines)

    def __repr__(self):  # short, for pytest's own "assert not [...]" line
        return f"<axe-core violations: {', '.join(v['id'] for v in self)}>"


@pytest.fixture(scope="session")
def axe():
    """axe(page) runs axe-core's WCAG 2.1 A/AA rules on the page and returns the violations;
    axe(page, tags=AXE_TAGS_WCAG22) runs those rules as well."""
    if not AXE_JS.is_file():
        pytest.fail(f"{AXE_JS.relative_to(PROJECT_ROOT)} not found: run `make setup` (npm ci)")

    source = AXE_JS.read_text(encoding="utf-8")

    def run(page, tags=AXE_TAGS):
        # A region the page's scripts are refilling (the live preview, the writing hints) is
        # marked aria-busy: axe-core looks at the page once they are done, not half-way.
        page.wait_for_function("() => !document.querySelector('[aria-busy=\"true\"]')")
        # Evaluated by the driver rather than added as an inline <script>, which the pages'
        # Content-Security-Policy (script-src 'self') refuses, as it should.
        page.evaluate(source)
        # Violations only: collecting every passing node as well takes axe-core much longer.
        result = page.evaluate(
            "tags => axe.run(document, {runOnly: {type: 'tag', values: tags}, resultTypes: ['violations']})",
            tags,
        )
        return Violations(result["violations"])

    return run
