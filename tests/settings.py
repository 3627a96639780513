"""Test settings: the project's settings with the fast password hasher and a development key."""

import os

os.environ.setdefault("WARDSERVICE_TESTING", "1")

from wardservice.settings import *  # noqa: E402,F403

# Tests never collect static files; WhiteNoise serves them from the app finders instead.
STATIC_ROOT = None
WHITENOISE_USE_FINDERS = True
