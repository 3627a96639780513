"""gunicorn settings for wardservice in production (docs/deployment.md).

    gunicorn --config deploy/gunicorn.conf.py wardservice.wsgi

Only the loopback address is bound: nginx on the same server terminates TLS and forwards.
Overridable from the environment file: GUNICORN_BIND, GUNICORN_WORKERS, GUNICORN_TIMEOUT.
"""

import os


def _int_from_env(name, default):
    raw = os.environ.get(name, "").strip()
    if not raw:
        return default
    try:
        value = int(raw)
    except ValueError:
        raise RuntimeError(f"{name} must be a positive integer, got {raw!r}") from None
    if value < 1:
        raise RuntimeError(f"{name} must be a positive integer, got {raw!r}")
    return value


def _default_workers():
    """2 × CPUs + 1, capped: every request is short (files are rendered beforehand by the
    task worker), so more processes would only take memory."""
    cpus = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1
    return min(2 * cpus + 1, 9)


bind = os.environ.get("GUNICORN_BIND", "127.0.0.1:8001")
workers = _int_from_env("GUNICORN_WORKERS", _default_workers())
worker_class = "sync"

# No request needs long: publication files are rendered by the task worker (db_worker), and
# the public pages only stream stored files. A request still running after this is a fault.
timeout = _int_from_env("GUNICORN_TIMEOUT", 30)
graceful_timeout = 30
keepalive = 5

# Recycle each worker after a number of requests, staggered so they do not restart together.
max_requests = 1000
max_requests_jitter = 100

# The heartbeat file on tmpfs: a worker blocked on disk I/O is not mistaken for a dead one.
worker_tmp_dir = "/dev/shm"

# No control socket (gunicorn 25.1+, for its `gunicornc` tool): by default it is made under the
# service user's home, /srv/wardservice, which that user may not write ("Control server error:
# Permission denied" at every start). systemctl reload / restart manage the workers instead.
control_socket_disable = True

# Only nginx on this machine may set X-Forwarded-* (Django trusts them when BEHIND_PROXY=1).
forwarded_allow_ips = "127.0.0.1,::1"
proxy_allow_ips = "127.0.0.1,::1"

# Both logs to stdout/stderr, which systemd hands to journald (journalctl -u wardservice).
# rid= is nginx's $request_id (sent as X-Request-ID), also printed in nginx's access log, so
# a line here and the line there for the same request can be matched.
accesslog = "-"
errorlog = "-"
loglevel = os.environ.get("GUNICORN_LOG_LEVEL", "info")
access_log_format = (
    '%({x-forwarded-for}i)s "%(r)s" %(s)s %(B)s %(M)sms rid=%({x-request-id}i)s '
    'pid=%(p)s "%(a)s"'
)
proc_name = "wardservice"
