"""Start-up of worker processes (multiprocessing), kept free of model imports.

A new process unpickles its initializer before Django is set up, so the initializer must live in
a module that imports no models; it then sets Django up from the parent's environment.
"""

import django


def setup_django() -> None:
    django.setup()
