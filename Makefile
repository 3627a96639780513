# Build / run / test entry points.  `make help` lists the targets.
#
#   make setup                    system packages, virtualenv, Python dependencies
#   make run                      migrate, load demo data, serve on 127.0.0.1:8000
#   make test                     whole suite on SQLite and, in parallel, the database-dependent tests
#                                 on a throwaway PostgreSQL (tests marked anydb run once: tests/conftest.py)
#   make test PYTEST_ARGS="-k x"  extra pytest arguments (all test targets)
#   make bench                    render/page/search/serving measurements at three sizes, and imports
#                                 (BENCH_SIZES=seed,city,nation,import BENCH_RUNS=3; not part of test)

PYTHON      ?= python3
VENV        ?= .venv
PY          := $(VENV)/bin/python
PIP         := $(VENV)/bin/pip
# Re-run pip only when pyproject.toml / constraints.txt are newer than this.
DEPS_STAMP  := $(VENV)/.deps-installed
# Re-run npm only when package.json / package-lock.json are newer than this.
NPM_STAMP   := node_modules/.installed-stamp
PYTEST_ARGS ?=
# The platform's own Python (Debian 12: 3.11.2), which production runs on. When PYTHON above is a
# different build, a second virtualenv made from it runs the backup → restore round trip in the
# suite (tests/test_backup.py), so that nothing newer than the platform's Python slips in.
DEBIAN_PYTHON ?= /usr/bin/python3
DEBIAN_VENV   ?= .venv-debian
DEBIAN_STAMP  := $(DEBIAN_VENV)/.deps-installed
HOST_PORT   ?= 127.0.0.1:8000

# Debian packages needed at run/test time (WeasyPrint, Japanese fonts,
# poppler tools used by PDF tests, Chromium driven by Playwright, Java for vnu.jar,
# wrk for the load test).
# python3-venv: the second virtualenv below, made from Debian's own Python.
# libldap-dev, libsasl2-dev: python-ldap (directory login) builds against them; slapd, ldap-utils:
# the directory login tests start a throwaway OpenLDAP server of their own (tests/slapd.py).
# age: the off-site copy's encryption (deploy/wardservice-backup-encrypt), tested end to end.
SYSTEM_PACKAGES := libharfbuzz-subset0 fonts-ipaexfont fonts-noto-cjk poppler-utils chromium default-jre-headless wrk python3-venv libldap-dev libsasl2-dev slapd ldap-utils age
# Only `make bench` needs these: LibreOffice, whose PDF conversion the bench compares ours with.
BENCH_PACKAGES := libreoffice-calc-nogui
APT_GET := apt-get -o DPkg::Lock::Timeout=600
BENCH_SIZES ?= seed,city,nation,import
BENCH_RUNS  ?= 3
BENCH_ARGS  ?=

.DEFAULT_GOAL := help
.PHONY: help setup system-packages bench-packages debian-venv run test test-sqlite test-postgres bench clean

help: ## list targets
	@echo "Targets:"
	@grep -E '^[a-zA-Z_-]+:.*## ' $(firstword $(MAKEFILE_LIST)) | \
	  awk 'BEGIN {FS = ":.*## "} {printf "  %-15s %s\n", $$1, $$2}'
	@echo "Variables: PYTEST_ARGS (extra pytest arguments), PYTHON (default python3),"
	@echo "           BENCH_SIZES (default seed,city,nation,import), BENCH_RUNS (default 3), BENCH_ARGS"

setup: system-packages $(DEPS_STAMP) $(NPM_STAMP) ## install system packages, create .venv, install dependencies (idempotent)

system-packages: ## install missing Debian packages (apt-get only when something is missing)
	@$(call install_missing,$(SYSTEM_PACKAGES))

bench-packages: ## install the Debian packages only the bench needs (LibreOffice)
	@$(call install_missing,$(BENCH_PACKAGES))

# $(call install_missing,PACKAGES): apt-get install those of PACKAGES not installed yet, as root
# or through sudo, retrying while another apt holds the package lists.
define install_missing
if ! command -v dpkg-query >/dev/null 2>&1; then \
  echo "warning: dpkg-query not found; make sure these are installed: $(1)" >&2; \
  exit 0; \
fi; \
missing=""; \
for p in $(1); do \
  if [ "$$(dpkg-query -W -f='$${Status}' "$$p" 2>/dev/null)" != "install ok installed" ]; then \
    missing="$$missing $$p"; \
  fi; \
done; \
[ -z "$$missing" ] && exit 0; \
echo "==> installing system packages:$$missing"; \
if [ "$$(id -u)" -eq 0 ]; then sudo=""; \
elif command -v sudo >/dev/null 2>&1; then sudo="sudo"; \
else echo "error: not root and sudo is not available; install:$$missing" >&2; exit 1; fi; \
errf=$$(mktemp); n=0; \
until $$sudo $(APT_GET) update 2>"$$errf"; do \
  cat "$$errf" >&2; n=$$((n + 1)); \
  if ! grep -qi 'lock' "$$errf" || [ $$n -ge 60 ]; then rm -f "$$errf"; exit 1; fi; \
  echo "apt-get update: package lists locked by another process; retrying in 10s" >&2; sleep 10; \
done; \
cat "$$errf" >&2; rm -f "$$errf"; \
$$sudo env DEBIAN_FRONTEND=noninteractive $(APT_GET) install -y --no-install-recommends $$missing
endef

$(PY):
	$(PYTHON) -m venv $(VENV)

$(DEPS_STAMP): pyproject.toml constraints.txt | $(PY)
	$(PIP) install -c constraints.txt -e ".[test]"
	touch $@

# Made only when DEBIAN_PYTHON exists and is another version than the .venv's Python; otherwise
# the suite's own run already is the platform's Python and the round trip test says so and skips.
debian-venv: system-packages | $(PY) ## virtualenv from the platform's Python for the restore round trip (.venv-debian)
	@if [ ! -x "$(DEBIAN_PYTHON)" ]; then \
	  echo "==> $(DEBIAN_PYTHON) not found: the round trip under the platform's Python will be skipped"; \
	elif [ "$$($(DEBIAN_PYTHON) -c 'import sys; print(sys.version)')" = "$$($(PY) -c 'import sys; print(sys.version)')" ]; then \
	  echo "==> $(DEBIAN_PYTHON) is the .venv's Python: no second virtualenv needed"; \
	else \
	  $(MAKE) --no-print-directory $(DEBIAN_STAMP); \
	fi

$(DEBIAN_STAMP): pyproject.toml constraints.txt
	[ -x $(DEBIAN_VENV)/bin/python ] || $(DEBIAN_PYTHON) -m venv $(DEBIAN_VENV)
	$(DEBIAN_VENV)/bin/pip install --quiet -c constraints.txt -e .
	touch $@

# axe-core and vnu.jar for the browser and markup tests (package.json).  --ignore-scripts:
# vnu-jar's postinstall would download a Java runtime; Java comes from apt instead.
$(NPM_STAMP): package.json package-lock.json
	@command -v npm >/dev/null 2>&1 || { \
	  echo "error: npm not found; install Node.js 18+ with npm (Debian package npm)" >&2; exit 1; }
	npm ci --no-audit --no-fund --ignore-scripts
	touch $@

run: export DEBUG ?= 1
run: setup ## migrate, load demo data and serve on 127.0.0.1:8000 (DEBUG=1 unless set)
	$(PY) manage.py migrate
	$(PY) manage.py load_demo
	$(PY) manage.py runserver $(HOST_PORT)

# The PostgreSQL run leaves out the tests marked anydb (tests/conftest.py); its status 5 ("no tests
# ran") only means that PYTEST_ARGS chose nothing else.
test: setup debian-venv ## run the suite on SQLite and, at the same time, its database-dependent tests on a throwaway PostgreSQL; fails if either fails
	@rc=0; pglog=$$(mktemp); parts=$$(mktemp -d -t wardservice-test-parts-XXXXXX); export WARDSERVICE_TEST_PDF_PARTS=$$parts; \
	echo "==> pytest on PostgreSQL in the background (tests marked anydb run once, most on SQLite; its output follows)"; \
	scripts/with-postgres $(PY) -m pytest --skip-anydb $(PYTEST_ARGS) >"$$pglog" 2>&1 & pgpid=$$!; \
	echo "==> pytest on SQLite"; \
	env -u DATABASE_URL $(PY) -m pytest --leave-to-postgresql $(PYTEST_ARGS) || rc=1; \
	wait $$pgpid; pg=$$?; \
	echo "==> pytest on PostgreSQL"; cat "$$pglog"; rm -f "$$pglog"; rm -rf "$$parts"; \
	[ $$pg -eq 0 ] || [ $$pg -eq 5 ] || rc=1; \
	if [ $$rc -ne 0 ]; then echo "==> test run FAILED (see above)" >&2; fi; \
	exit $$rc

test-sqlite: setup debian-venv ## run the suite on SQLite only
	env -u DATABASE_URL $(PY) -m pytest $(PYTEST_ARGS)

test-postgres: setup debian-venv ## run the suite on a throwaway PostgreSQL only
	scripts/with-postgres $(PY) -m pytest $(PYTEST_ARGS)

bench: setup bench-packages ## measure renders, pages, search and serving at seed/city/nation size, and imports (BENCH_SIZES, BENCH_RUNS)
	$(PY) scripts/bench --sizes $(BENCH_SIZES) --runs $(BENCH_RUNS) $(BENCH_ARGS)

clean: ## remove the virtualenvs and install stamps (keeps db.sqlite3)
	rm -rf $(VENV) $(DEBIAN_VENV) *.egg-info
