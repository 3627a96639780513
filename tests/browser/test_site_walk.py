"""Every page of the site, staff and public, at JIS X 8341-3 AA and at phone widths, in one walk
(tests/browser/site_walk.py): one browser context per person, each page opened once.

- axe-core: WCAG 2.2 A/AA rules and best practices, no violation, on every staff page in each
  state the walk reaches (empty, filled, with errors, returned, approved), and on the public pages
  the public tests do not already check.
- No page wider than its window at 390×844 and at 320×640 (a wide table scrolls in its own box).
- The goals and results forms at 400% zoom (320×225): every Tab stop in view when it has focus.
- Form control borders at 3:1 or more against the page (the goals form and the public search).
- After every failed submission: the title begins 「エラー: 」 and focus is on the error summary.
- A character count speaks only near its limit; a progress page announces milestones only.
- Every page of the URLconf is on the walk (site_walk.NOT_PAGES names the routes that are not pages).
"""

import pytest

from tests.browser.site_walk import NOT_PAGES, WALKS, Walker
from tests.browser.site_world import build_world
from tests.test_url_auth import ROUTES

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_every_page_is_accessible_at_every_width(browser, live_server, axe, seed_year, settings, tmp_path):
    world = build_world(seed_year, settings, tmp_path)
    walkers = {}
    try:
        for person, walk in WALKS:
            walkers[person] = site = Walker(browser, live_server.url, axe)
            walk(site, world)
    finally:
        for site in walkers.values():
            site.close()

    failures = []
    for person, site in walkers.items():
        failures += [f"[{person}] {problem}" for problem in site.problems]
        for name, checked in site.checked.items():
            where = f"[{person}] {name} ({checked.url})"
            if checked.violations:  # None: not run (a public page the public tests check)
                failures.append(f"{where}: {checked.violations}")
            failures += [f"{where}: {too_wide}" for too_wide in checked.too_wide]
    visited = {checked.route for site in walkers.values() for checked in site.checked.values()}
    missed = sorted({name for name, _ in ROUTES} - NOT_PAGES - visited)
    if missed:
        failures.append(f"pages of the URLconf that the walk does not visit: {missed}")
    assert not failures, "\n".join(failures)
