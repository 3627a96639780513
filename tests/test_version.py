"""The release shown by the application is pyproject.toml's, and CHANGELOG.md describes it."""

import re
import tomllib
from pathlib import Path

import pytest
from django.urls import reverse

from tests.factories import UserFactory
from wardservice.version import __version__, read_version

ROOT = Path(__file__).resolve().parent.parent
PYPROJECT_VERSION = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"][
    "version"
]


def test_the_running_version_is_pyprojects():
    # The installed metadata is written by `pip install` (make setup reinstalls when pyproject.toml
    # changes); a stale one means the upgrade's pip step was skipped.
    assert __version__ == read_version() == PYPROJECT_VERSION


def test_without_installed_metadata_the_version_comes_from_pyproject(monkeypatch):
    from importlib import metadata

    def missing(name):
        raise metadata.PackageNotFoundError(name)

    monkeypatch.setattr(metadata, "version", missing)
    assert read_version() == PYPROJECT_VERSION


def test_staff_footer_shows_the_version(client, editor):
    client.force_login(editor)
    body = client.get(reverse("goals:home")).content.decode()
    footer = body.split("<footer", 1)[1]
    assert f"wardservice {PYPROJECT_VERSION}" in footer


@pytest.mark.django_db
def test_admin_index_shows_the_version(client):
    client.force_login(UserFactory(is_staff=True, is_superuser=True))
    body = client.get(reverse("admin:index")).content.decode()
    assert f"wardservice {PYPROJECT_VERSION}" in body


def test_changelog_has_an_entry_for_the_version():
    changelog = (ROOT / "CHANGELOG.md").read_text(encoding="utf-8")
    headings = re.findall(r"^## \[(\d+\.\d+\.\d+)\] - (\d{4}-\d{2}-\d{2})$", changelog, re.M)
    assert headings, "no release headings of the form '## [X.Y.Z] - YYYY-MM-DD'"
    assert headings[0][0] == PYPROJECT_VERSION, "the newest entry is not pyproject.toml's version"
    entry = changelog.split(f"## [{PYPROJECT_VERSION}]", 1)[1].split("\n## [", 1)[0]
    # Japanese first, then English; each says what an operator does when upgrading.
    assert "アップグレードの手順" in entry and "Upgrading" in entry
    assert entry.index("アップグレードの手順") < entry.index("Upgrading")
    assert "manage.py migrate" in entry
