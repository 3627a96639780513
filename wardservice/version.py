"""The release of wardservice that is running, as pyproject.toml names it (CHANGELOG.md).

Read from the installed package's metadata (`pip install .` writes it at each upgrade); when the
metadata is missing (the code run from a checkout that was never installed), from pyproject.toml.
Shown in the staff pages' footer and on the admin's index page.
"""

import tomllib
from importlib import metadata
from pathlib import Path

PYPROJECT = Path(__file__).resolve().parent.parent / "pyproject.toml"


def read_version() -> str:
    try:
        return metadata.version("wardservice")
    except metadata.PackageNotFoundError:
        with PYPROJECT.open("rb") as f:
            return tomllib.load(f)["project"]["version"]


__version__ = read_version()


def version(request):
    """Context processor: ``wardservice_version`` for the templates."""
    return {"wardservice_version": __version__}
