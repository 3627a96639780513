"""Every URL needs a login unless it is on the explicit public list (a sweep of the URLconf)."""

import pytest
from django.urls import URLPattern, URLResolver, get_resolver

# The login requirement is each view's decorator, whatever the engine: run once, on SQLite
# (tests/conftest.py).
pytestmark = pytest.mark.anydb

# Route names anyone may open. Adding a name here is a decision: say why in the review.
PUBLIC = {
    "home",
    "reports:year",
    "reports:table_pdf",
    "reports:table_xlsx",
    "reports:table_csv",
    "reports:data_dictionary",
    # Search, statistics and the all-years CSV read only published rows; the accessibility
    # statement is about the public pages and is read by the public.
    "reports:search",
    "reports:stats",
    "reports:opendata_all_csv",
    "reports:accessibility",
    # Earlier published versions, each kept downloadable as it was (a correction is a new version).
    "reports:version",
    "reports:version_pdf",
    "reports:version_xlsx",
    "reports:version_csv",
    # django.contrib.auth: logging in and out (there is no password reset by e-mail)
    "login",
    "logout",
    # The health check for monitoring: statuses only (wardservice.health), no data.
    "healthz",
    # /favicon.ico, which browsers ask for by name: a redirect to the static icon.
    "favicon",
}
# Staff password change needs login like everything else.
SAMPLE_KWARGS = {
    "office": "nakahara",
    "year": "2021",
    "code": "003",
    "phase": "plan",
    "uidb64": "MQ",
    "token": "set-password",
    "fmt": "pdf",
    "version": "1",
    "kind": "plan",
    "pk": "1",
    "filename": "example.xlsx",
}


def walk(patterns, prefix="", namespace=""):
    """(route name, path with sample values) for every named URL, admin aside."""
    for pattern in patterns:
        if isinstance(pattern, URLResolver):
            if pattern.app_name == "admin":
                continue
            ns = f"{namespace}{pattern.namespace}:" if pattern.namespace else namespace
            yield from walk(pattern.url_patterns, prefix + str(pattern.pattern), ns)
        elif isinstance(pattern, URLPattern) and pattern.name:
            yield f"{namespace}{pattern.name}", prefix + str(pattern.pattern)


def sample_path(route):
    import re

    def fill(match):
        return SAMPLE_KWARGS[match.group(2)]

    return "/" + re.sub(r"<(?:(\w+):)?(\w+)>", fill, route).lstrip("^").rstrip("$")


ROUTES = sorted(set(walk(get_resolver().url_patterns)))


def test_the_sweep_sees_the_staff_and_public_urls():
    names = {name for name, _ in ROUTES}
    assert {"home", "reports:year", "goals:home", "goals:sheet", "goals:dashboard", "goals:approve"} <= names
    assert PUBLIC - {"logout"} <= names | {"logout"}


@pytest.mark.parametrize("name, route", ROUTES, ids=[name for name, _ in ROUTES])
def test_every_url_needs_login_unless_public(name, route, client, seed_year):
    from goals.services import fiscal_year_open_next

    fiscal_year_open_next(previous=seed_year)
    path = sample_path(route)
    for method in ("get", "post"):
        response = getattr(client, method)(path)
        if name in PUBLIC:
            assert not (response.status_code == 302 and "/accounts/login/" in response.get("Location", "")), path
        else:
            assert response.status_code in (302, 405), (method, path, response.status_code)
            if response.status_code == 302:
                assert response["Location"].startswith("/accounts/login/"), (method, path)


@pytest.mark.django_db
def test_admin_needs_staff_login(client):
    response = client.get("/admin/goals/goalsheet/")
    assert response.status_code == 302 and response["Location"].startswith("/admin/login/")
