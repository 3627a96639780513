"""Long-lived worker processes that render PDF parts in parallel, one per core.

WeasyPrint renders in one thread, so a year's missing parts are spread over processes. The pool
is started on first use and kept for the life of the process that uses it (the publication
worker), so each later publication pays no start-up; its processes are started by a clean fork
server rather than forked from a process with open database connections, and set Django up once.
Parts rendered by the pool reach the caller through the cache folder, never through a pipe.
"""

import logging
import multiprocessing
import os
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool

from django.conf import settings

from reports.exporters.pdf import weasy
from reports.exporters.pdf.parts import PartCache, PartRequest
from wardservice.processes import setup_django

logger = logging.getLogger(__name__)

_pool = None
_pool_size = 0


# Each process holds WeasyPrint and the fonts (about 150 MB): by default no more than fit in the
# worker unit's memory bound (deploy/systemd, MemoryMax=1G) beside the worker itself.
DEFAULT_MAX_PROCESSES = 4


def processes() -> int:
    """settings.PDF_RENDER_PROCESSES, else one per core available to this process (at most 4)."""
    configured = getattr(settings, "PDF_RENDER_PROCESSES", 0)
    return configured or min(len(os.sched_getaffinity(0)), DEFAULT_MAX_PROCESSES)


def render_all(cache: PartCache, requests: list[PartRequest]) -> None:
    """Render these parts into the cache: in this process if one or a single core, else in the pool."""
    size = processes()
    if size <= 1 or len(requests) <= 1:
        for request in requests:
            cache.render(request)
        return
    folder = str(cache.folder)
    try:
        executor = _executor(size)
        # Biggest first, so that no large department is left to start last on its own.
        ordered = sorted(requests, key=lambda r: -len(repr(r.department)))
        list(executor.map(_render, [folder] * len(ordered), ordered, chunksize=1))
    except BrokenProcessPool:
        # A worker died (killed, out of memory): start afresh next time, and say so.
        shutdown()
        raise


def start() -> None:
    """Start the worker processes now, each with its fonts loaded, rather than at first use."""
    size = processes()
    if size > 1:
        # One warm-up per process: the pool starts a process for each task it cannot give to
        # an idle one, and each warm-up takes long enough that none is idle.
        list(_executor(size).map(weasy.warm_up, range(size)))


def _executor(size):
    global _pool, _pool_size
    if _pool is None or _pool_size != size:
        shutdown()
        context = multiprocessing.get_context("forkserver")
        _pool = ProcessPoolExecutor(max_workers=size, mp_context=context, initializer=setup_django)
        _pool_size = size
    return _pool


def shutdown() -> None:
    global _pool
    if _pool is not None:
        _pool.shutdown(wait=True, cancel_futures=True)
        _pool = None


def _render(folder: str, request: PartRequest) -> str:
    return PartCache(folder).ensure(request)
