"""Test settings: the project's settings with the fast password hasher and a development key."""

import os

os.environ.setdefault("WARDSERVICE_TESTING", "1")

from wardservice.settings import *  # noqa: E402,F403
