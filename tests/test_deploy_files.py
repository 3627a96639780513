"""The deployment files in deploy/ agree with the application: gunicorn's configuration loads the
app, every management command a systemd unit runs exists and accepts its options, and nginx lets
through every upload the application accepts and never serves MEDIA_ROOT itself."""

import os
import re
import runpy
import shlex
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from django.conf import settings
from django.core.management import CommandError, get_commands, load_command_class

from reports.imports.uploads import MAX_UPLOAD_BYTES

# The deployment files against the application; no database engine involved.
pytestmark = pytest.mark.anydb

PROJECT = Path(settings.BASE_DIR)
DEPLOY = PROJECT / "deploy"
UNITS = sorted((DEPLOY / "systemd").glob("wardservice*.*"))
NGINX = (DEPLOY / "nginx" / "wardservice.conf").read_text(encoding="utf-8")
GUNICORN_CONF = DEPLOY / "gunicorn.conf.py"
APP_DIR = "/srv/wardservice/app"
ENV_FILE = "/etc/wardservice/env"


def unit_entries(path):
    """(section, key, value) of a systemd unit file, continuation lines joined."""
    entries, section, pending = [], None, ""
    for raw in path.read_text(encoding="utf-8").splitlines():
        line = pending + raw.strip()
        pending = ""
        if line.endswith("\\"):
            pending = line[:-1] + " "
            continue
        if not line or line.startswith(("#", ";")):
            continue
        if line.startswith("["):
            section = line.strip("[]")
            continue
        key, _, value = line.partition("=")
        entries.append((section, key.strip(), value.strip()))
    return entries


def unit_values(path, key):
    return [value for _section, name, value in unit_entries(path) if name == key]


def manage_commands():
    """(unit, command name, arguments) for every ExecStart/ExecStartPre that runs manage.py."""
    found = []
    for unit in UNITS:
        for key in ("ExecStartPre", "ExecStart"):
            for value in unit_values(unit, key):
                argv = shlex.split(value.lstrip("-@:+!"))
                if "manage.py" in argv:
                    rest = argv[argv.index("manage.py") + 1:]
                    found.append((unit.name, rest[0], rest[1:]))
    return found


def gunicorn():
    return Path(sys.executable).with_name("gunicorn")


def production_env(**extra):
    env = {key: value for key, value in os.environ.items() if key not in {"WARDSERVICE_TESTING", "DEBUG"}}
    env.update(
        DJANGO_SETTINGS_MODULE="wardservice.settings",
        SECRET_KEY="only-for-checking-the-configuration-" + "x" * 30,
        **extra,
    )
    return env


# --- gunicorn ---------------------------------------------------------------------------------


def test_gunicorn_configuration_loads_the_application():
    checked = subprocess.run(
        [gunicorn(), "--check-config", "--config", GUNICORN_CONF, "wardservice.wsgi"],
        cwd=PROJECT, env=production_env(), capture_output=True, text=True, timeout=120, check=False,
    )
    assert checked.returncode == 0, checked.stdout + checked.stderr


def test_gunicorn_configuration_values():
    printed = subprocess.run(
        [gunicorn(), "--print-config", "--config", GUNICORN_CONF, "wardservice.wsgi"],
        cwd=PROJECT, env=production_env(), capture_output=True, text=True, timeout=120, check=True,
    ).stdout
    config = dict(re.findall(r"^(\w+)\s+= (.*)$", printed, re.MULTILINE))
    assert config["bind"] == "['127.0.0.1:8001']"
    assert config["timeout"] == "30"
    assert config["worker_tmp_dir"] == "/dev/shm"
    assert int(config["max_requests"]) > 0 and int(config["max_requests_jitter"]) > 0
    assert config["accesslog"] == "-"
    assert "x-request-id" in config["access_log_format"]


def test_gunicorn_workers_default_is_capped_and_a_bad_value_is_refused(monkeypatch):
    monkeypatch.delenv("GUNICORN_WORKERS", raising=False)
    workers = runpy.run_path(str(GUNICORN_CONF))["workers"]
    cpus = len(os.sched_getaffinity(0))
    assert workers == min(2 * cpus + 1, 9)
    monkeypatch.setenv("GUNICORN_WORKERS", "3")
    assert runpy.run_path(str(GUNICORN_CONF))["workers"] == 3
    monkeypatch.setenv("GUNICORN_WORKERS", "three")
    with pytest.raises(RuntimeError, match="GUNICORN_WORKERS"):
        runpy.run_path(str(GUNICORN_CONF))


# --- systemd ----------------------------------------------------------------------------------


def test_the_units_are_all_there():
    assert {unit.name for unit in UNITS} == {
        "wardservice.service",
        "wardservice-worker.service",
        "wardservice-recover.service",
        "wardservice-recover.timer",
        "wardservice-backup.service",
        "wardservice-backup.timer",
        "wardservice-reminders.service",
        "wardservice-reminders.timer",
        "wardservice-housekeeping.service",
        "wardservice-housekeeping.timer",
    }


@pytest.mark.parametrize(("unit", "name", "arguments"), manage_commands(),
                         ids=lambda value: value if isinstance(value, str) else None)
def test_every_management_command_a_unit_runs_exists_and_takes_its_options(
    unit, name, arguments, settings
):
    # As in production (db_worker checks that its backend is the database one).
    settings.TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}
    commands = get_commands()
    assert name in commands, f"{unit} runs `manage.py {name}`, which does not exist"
    command = load_command_class(commands[name], name)
    try:
        command.create_parser("manage.py", name).parse_args(arguments)
    except CommandError as error:
        pytest.fail(f"{unit}: manage.py {name} {' '.join(arguments)}: {error}")


def test_the_units_run_the_commands_the_deployment_needs():
    runs = {(unit, name) for unit, name, _arguments in manage_commands()}
    assert runs == {
        ("wardservice-worker.service", "recover"),
        ("wardservice-worker.service", "db_worker"),
        ("wardservice-recover.service", "recover"),
        ("wardservice-backup.service", "backup"),
        ("wardservice-reminders.service", "send_reminders"),
        ("wardservice-housekeeping.service", "housekeeping"),
    }
    backup_args = next(args for unit, name, args in manage_commands() if name == "backup")
    assert "--keep-days" in backup_args
    # Before the (only) worker starts, what it held is queued again at once; the timer's run waits.
    recover_args = {unit: args for unit, name, args in manage_commands() if name == "recover"}
    assert "--worker-starting" in recover_args["wardservice-worker.service"]
    assert "--worker-starting" not in recover_args["wardservice-recover.service"]


def test_the_periodic_units_keep_background_work_going_and_tidy_up():
    """The 5-minute recover is what retries mail and feeds /healthz its worker heartbeat; it runs
    before the worker starts too. Housekeeping runs nightly, after the backup."""
    def schedule(name):
        return unit_values(DEPLOY / "systemd" / name, "OnCalendar")

    assert schedule("wardservice-recover.timer") == ["*:0/5"]
    assert schedule("wardservice-housekeeping.timer") == ["*-*-* 03:30:00 Asia/Tokyo"]
    assert schedule("wardservice-backup.timer") == ["*-*-* 02:30:00 Asia/Tokyo"]
    housekeeping = unit_values(DEPLOY / "systemd" / "wardservice-housekeeping.service", "ExecStart")
    assert shlex.split(housekeeping[0])[-2:] == ["--days", "90"]
    assert "CacheDirectory" in {key for _s, key, _v in unit_entries(DEPLOY / "systemd" / "wardservice-housekeeping.service")}


@pytest.mark.parametrize("unit", [u for u in UNITS if u.suffix == ".service"], ids=lambda u: u.name)
def test_every_service_runs_as_the_app_user_with_its_settings_and_hardening(unit):
    values = {key: value for _section, key, value in unit_entries(unit)}
    assert values["User"] == "wardservice"
    assert values["WorkingDirectory"] == APP_DIR
    assert values["EnvironmentFile"] == ENV_FILE
    for key, expected in {"NoNewPrivileges": "true", "ProtectSystem": "strict", "PrivateTmp": "true"}.items():
        assert values[key] == expected, f"{unit.name}: {key}"
    for path in values.get("ReadWritePaths", "").split():
        assert path.startswith("/srv/wardservice/") and path != APP_DIR


def test_restart_policies_and_the_gunicorn_config_path():
    web = {key: value for _s, key, value in unit_entries(DEPLOY / "systemd" / "wardservice.service")}
    worker = {key: value for _s, key, value in unit_entries(DEPLOY / "systemd" / "wardservice-worker.service")}
    assert web["Restart"] == "on-failure"
    assert worker["Restart"] == "always"
    argv = shlex.split(web["ExecStart"])
    config = argv[argv.index("--config") + 1]
    assert (PROJECT / config).resolve() == GUNICORN_CONF.resolve()
    assert argv[-1] == "wardservice.wsgi"
    assert "ReadWritePaths" in web and "/srv/wardservice/media" in web["ReadWritePaths"].split()


@pytest.mark.parametrize("timer", [u for u in UNITS if u.suffix == ".timer"], ids=lambda u: u.name)
def test_every_timer_has_its_service_and_a_schedule(timer):
    assert timer.with_suffix(".service").exists()
    assert unit_values(timer, "OnCalendar")


@pytest.mark.skipif(shutil.which("systemd-analyze") is None, reason="systemd-analyze is not installed")
def test_systemd_analyze_verify_accepts_the_units(tmp_path):
    """The units with the server's paths replaced by this checkout's, which has the programs."""
    venv_bin = Path(sys.executable).parent
    for unit in UNITS:
        text = unit.read_text(encoding="utf-8")
        text = text.replace(f"{APP_DIR}/.venv/bin", str(venv_bin)).replace(APP_DIR, str(PROJECT))
        (tmp_path / unit.name).write_text(text, encoding="utf-8")
    verified = subprocess.run(
        ["systemd-analyze", "verify", "--man=no", *sorted(p.name for p in tmp_path.iterdir())],
        cwd=tmp_path, capture_output=True, text=True, timeout=120, check=False,
    )
    assert verified.returncode == 0 and not verified.stderr.strip(), verified.stderr


# --- nginx ------------------------------------------------------------------------------------


def nginx_size(value):
    number, unit = re.fullmatch(r"(\d+)([kKmMgG]?)", value).groups()
    return int(number) * {"": 1, "k": 1024, "m": 1024**2, "g": 1024**3}[unit.lower()]


def test_nginx_lets_through_every_upload_the_application_accepts():
    sizes = re.findall(r"^\s*client_max_body_size\s+(\S+);", NGINX, re.MULTILINE)
    assert sizes, "client_max_body_size is not set (nginx's default is 1 MB)"
    for size in sizes:
        assert nginx_size(size) >= MAX_UPLOAD_BYTES


def nginx_block(start):
    """The text of the block that opens with `start {`, nested blocks included."""
    begin = NGINX.index(start)
    depth = 0
    for index in range(NGINX.index("{", begin), len(NGINX)):
        depth += {"{": 1, "}": -1}.get(NGINX[index], 0)
        if depth == 0:
            return NGINX[begin:index + 1]
    raise AssertionError(f"unclosed block {start}")


def test_nginx_passes_to_gunicorn_with_the_proxy_headers():
    upstream = nginx_block("upstream wardservice_app")
    assert "server 127.0.0.1:8001" in upstream  # deploy/gunicorn.conf.py's bind
    app = nginx_block("location / {\n        proxy_pass")
    for header in ("Host $host", "X-Forwarded-Proto $scheme",
                   "X-Forwarded-For $proxy_add_x_forwarded_for", "X-Request-ID $request_id"):
        assert f"proxy_set_header {header};" in app
    read_timeout = int(re.search(r"proxy_read_timeout (\d+)s;", app).group(1))
    assert read_timeout > 30  # gunicorn's timeout ends the request first


def test_nginx_never_serves_media_root_and_serves_static_root():
    media = nginx_block("location /media/")
    assert "return 404;" in media and "alias" not in media and "root" not in media
    assert "/media" not in " ".join(re.findall(r"(?:alias|root)\s+([^;]+);", NGINX))
    static = nginx_block("location /static/")
    root = re.search(r"root\s+([^;]+);", static).group(1)
    example = DEPLOY / "env.example"
    match = re.search(r"^STATIC_ROOT=(\S+)$", example.read_text(encoding="utf-8"), re.MULTILINE) \
        if example.exists() else None
    if match:
        assert f"{root.rstrip('/')}/static" == match.group(1).rstrip("/")
    assert "immutable" in static


# --- deploy/wardservice-manage ------------------------------------------------------------------


def test_the_manage_helper_is_an_executable_shell_script_using_the_units_paths():
    script = DEPLOY / "wardservice-manage"
    assert os.access(script, os.X_OK)
    subprocess.run(["sh", "-n", script], check=True, timeout=30)
    text = script.read_text(encoding="utf-8")
    assert f"APP_DIR=${{WARDSERVICE_APP_DIR:-{APP_DIR}}}" in text
    assert f"ENV_FILE=${{WARDSERVICE_ENV_FILE:-{ENV_FILE}}}" in text
