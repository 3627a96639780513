"""The deployment files in deploy/ agree with the application: gunicorn's configuration loads the
app, every management command a systemd unit runs exists and accepts its options, and nginx lets
through every upload the application accepts and never serves MEDIA_ROOT itself."""

import os
import re
import runpy
import shlex
import shutil
import socket
import ssl
import subprocess
import sys
import urllib.error
import urllib.request
from pathlib import Path

import pytest
from django.conf import settings
from django.core.management import CommandError, get_commands, load_command_class

from wardservice.uploads import MAX_UPLOAD_BYTES

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
    # No control socket under the service user's home, which it may not write.
    assert config["control_socket_disable"] == "True"


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
    return nginx_block_in(NGINX, start)


def nginx_block_in(text, start):
    begin = text.index(start)
    depth = 0
    for index in range(text.index("{", begin), len(text)):
        depth += {"{": 1, "}": -1}.get(text[index], 0)
        if depth == 0:
            return text[begin:index + 1]
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


def server_blocks():
    """Every top-level server block: port 80 (redirects only) and 443."""
    blocks, rest = [], NGINX
    while "\nserver {" in rest:
        rest = rest[rest.index("\nserver {") + 1:]
        block = nginx_block_in(rest, "server {")
        blocks.append(block)
        rest = rest[len(block):]
    assert len(blocks) == 2
    return blocks


def test_nginx_never_names_its_version():
    for block in server_blocks():
        assert re.search(r"^    server_tokens off;$", block, re.MULTILINE), block.splitlines()[:4]


MAINTENANCE = DEPLOY / "nginx" / "maintenance"


def test_nginx_shows_the_japanese_maintenance_page_when_gunicorn_is_away():
    app = nginx_block("location / {\n        proxy_pass")
    error_page = re.search(r"error_page ([\d ]+) (\S+);", app)
    assert error_page.group(1).split() == ["502", "503", "504"]
    # The application's own error pages (its 503 while the database is away) pass through.
    assert not re.search(r"^\s*proxy_intercept_errors\s+on", NGINX, re.MULTILINE)
    page_location = nginx_block(f"location = {error_page.group(2)}")
    assert "internal;" in page_location
    alias = re.search(r"alias ([^;]+);", page_location).group(1)
    assert alias == f"{APP_DIR}/deploy/nginx/maintenance/index.html"
    assert "no-store" in page_location
    # The stylesheet it links is served from the same folder, without the application.
    html = (MAINTENANCE / "index.html").read_text(encoding="utf-8")
    [stylesheet] = re.findall(r'<link rel="stylesheet" href="([^"]+)">', html)
    folder = nginx_block("location /wardservice-maintenance/ {")
    assert stylesheet.startswith("/wardservice-maintenance/")
    assert re.search(r"alias ([^;]+);", folder).group(1) == f"{APP_DIR}/deploy/nginx/maintenance/"
    assert (MAINTENANCE / stylesheet.removeprefix("/wardservice-maintenance/")).is_file()


def test_the_maintenance_page_is_japanese_without_inline_code():
    """Its markup is checked with the public pages' (tests/markup/test_vnu.py)."""
    text = (MAINTENANCE / "index.html").read_text(encoding="utf-8")
    assert '<html lang="ja">' in text and "<main" in text and "<h1>" in text
    assert "ただいまご利用いただけません" in text
    assert not re.search(r"<script|<style|\sstyle=|\son\w+=", text)


def nginx_program():
    return shutil.which("nginx") or next((p for p in ("/usr/sbin/nginx",) if os.access(p, os.X_OK)), None)


@pytest.mark.skipif(nginx_program() is None, reason="nginx is not installed")
def test_nginx_accepts_the_site_and_answers_502_with_the_maintenance_page(tmp_path):
    """The shipped site in a throwaway nginx (high ports, a self-signed certificate, this
    checkout's files), with nothing listening where gunicorn would be."""
    subprocess.run(
        ["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1", "-subj", "/CN=localhost",
         "-keyout", tmp_path / "privkey.pem", "-out", tmp_path / "fullchain.pem"],
        check=True, capture_output=True, timeout=60,
    )
    ports = [free_port() for _ in range(3)]
    site = (NGINX.replace("/etc/ssl/wardservice/", f"{tmp_path}/")
            .replace("/var/log/nginx/", f"{tmp_path}/")
            .replace(f"{APP_DIR}/", f"{PROJECT}/")
            .replace("listen [::]:80;", "").replace("listen [::]:443 ssl http2;", "")
            .replace("listen 80;", f"listen 127.0.0.1:{ports[0]};")
            .replace("listen 443 ssl http2;", f"listen 127.0.0.1:{ports[1]} ssl http2;")
            .replace("127.0.0.1:8001", f"127.0.0.1:{ports[2]}"))
    (tmp_path / "site.conf").write_text(site, encoding="utf-8")
    temp = "".join(f"    {kind}_temp_path {tmp_path};\n" for kind in ("client_body", "proxy", "fastcgi", "uwsgi", "scgi"))
    # As Debian's /etc/nginx/nginx.conf, which includes mime.types, for the two types served here.
    types = "    types { text/html html; text/css css; }\n"
    (tmp_path / "nginx.conf").write_text(
        f"pid {tmp_path}/nginx.pid;\nerror_log {tmp_path}/error.log;\nevents {{}}\n"
        f"http {{\n    access_log {tmp_path}/access.log;\n{types}{temp}    include {tmp_path}/site.conf;\n}}\n",
        encoding="utf-8",
    )
    nginx = [nginx_program(), "-p", str(tmp_path), "-c", str(tmp_path / "nginx.conf"), "-e", str(tmp_path / "error.log")]
    tested = subprocess.run([*nginx, "-t"], capture_output=True, text=True, timeout=60, check=False)
    assert tested.returncode == 0, tested.stderr
    subprocess.run(nginx, check=True, capture_output=True, timeout=60)
    try:
        context = ssl.create_default_context(cafile=tmp_path / "fullchain.pem")
        context.check_hostname = False  # the certificate is made out to localhost, asked by address
        with pytest.raises(urllib.error.HTTPError) as answer:
            urllib.request.urlopen(f"https://127.0.0.1:{ports[1]}/staff/", context=context, timeout=10)
        error = answer.value
        assert error.code == 502
        assert error.headers["Server"] == "nginx" and error.headers["Cache-Control"] == "no-store"
        assert "ただいまご利用いただけません" in error.read().decode("utf-8")
        with urllib.request.urlopen(f"https://127.0.0.1:{ports[1]}/wardservice-maintenance/maintenance.css",
                                    context=context, timeout=10) as css:
            assert css.headers["Content-Type"] == "text/css"
        with pytest.raises(urllib.error.HTTPError) as redirect:
            urllib.request.build_opener(NoRedirect).open(f"http://127.0.0.1:{ports[0]}/reports/", timeout=10)
        assert redirect.value.code == 301 and redirect.value.headers["Server"] == "nginx"
    finally:
        subprocess.run([*nginx, "-s", "stop"], capture_output=True, timeout=60, check=False)


def free_port():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):
        return None


# --- deploy/wardservice-manage ------------------------------------------------------------------


def test_the_manage_helper_is_an_executable_shell_script_using_the_units_paths():
    script = DEPLOY / "wardservice-manage"
    assert os.access(script, os.X_OK)
    subprocess.run(["sh", "-n", script], check=True, timeout=30)
    text = script.read_text(encoding="utf-8")
    assert f"APP_DIR=${{WARDSERVICE_APP_DIR:-{APP_DIR}}}" in text
    assert f"ENV_FILE=${{WARDSERVICE_ENV_FILE:-{ENV_FILE}}}" in text


def test_the_manage_helper_gives_commands_a_folder_they_may_write():
    """Run as the service user, a command may write BACKUP_DIR and the state directory, where
    EXPORT_DIR is; systemd makes that directory, owned by the user, for each run."""
    text = (DEPLOY / "wardservice-manage").read_text(encoding="utf-8")
    assert "--property=StateDirectory=wardservice" in text
    example = (DEPLOY / "env.example").read_text(encoding="utf-8")
    assert re.search(r"^EXPORT_DIR=/var/lib/wardservice/\S+$", example, re.MULTILINE)


def test_the_off_site_encryption_script_is_an_executable_shell_script():
    script = DEPLOY / "wardservice-backup-encrypt"
    assert os.access(script, os.X_OK)
    subprocess.run(["sh", "-n", script], check=True, timeout=30)
    # It verifies before it encrypts, and the backup unit's sandbox lets it write BACKUP_DIR.
    text = script.read_text(encoding="utf-8")
    assert text.index("backup --verify") < text.index("age --encrypt")
    backup_unit = {key: value for _s, key, value in unit_entries(DEPLOY / "systemd" / "wardservice-backup.service")}
    assert "/srv/wardservice/backups" in backup_unit["ReadWritePaths"].split()
