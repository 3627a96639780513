"""Settings for wardservice. Everything that differs between machines comes from the environment."""

from datetime import timedelta
from pathlib import Path

import dj_database_url
from csp.constants import NONE, SELF
from django.core.exceptions import ImproperlyConfigured

from wardservice.env import env_bool, env_int, env_list, env_str, env_words

BASE_DIR = Path(__file__).resolve().parent.parent

DEBUG = env_bool("DEBUG", False)
TESTING = env_bool("WARDSERVICE_TESTING", False)

_DEV_SECRET = "insecure-development-only-secret-key-do-not-use-in-production"
SECRET_KEY = env_str("SECRET_KEY") or (_DEV_SECRET if (DEBUG or TESTING) else None)
if not SECRET_KEY:
    raise ImproperlyConfigured("SECRET_KEY must be set when DEBUG is off.")
# Earlier keys, still accepted for what was signed with them (sessions, ...) while a new
# SECRET_KEY is rolled out; comma- or space-separated. docs/operations.md: 鍵の交換.
SECRET_KEY_FALLBACKS = env_words("SECRET_KEY_FALLBACKS")

ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", ["127.0.0.1", "localhost"] if DEBUG or TESTING else [])
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS")

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "crispy_forms",
    "crispy_bootstrap5",
    "simple_history",
    "django_tasks",
    # django-tasks-db and django-axes under Japanese names in the admin (wardservice.apps).
    "wardservice.apps.TasksDatabaseConfig",
    "csp",
    "wardservice.apps.AxesConfig",
    "departments",
    "goals",
    "reports",
    "plain",  # やさしい日本語: the writing aid and the office glossary
    "wardservice",  # the installation itself: backup/restore, the mail outbox, health, housekeeping
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "csp.middleware.CSPMiddleware",
    # Database down: a 503 page instead of a 500, for errors from views and from loading the
    # session or the user (both lazy, so they surface in the view) and from saving the session.
    "wardservice.middleware.DatabaseUnavailableMiddleware",
    "wardservice.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    # After the messages: says why a staff page went to the login page (the login had ended).
    "wardservice.login_expiry.LoginExpiredMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "simple_history.middleware.HistoryRequestMiddleware",
    # Last, as django-axes requires: turns a locked-out login into the 429 page.
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "wardservice.urls"
WSGI_APPLICATION = "wardservice.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "wardservice.version.version",
            ],
        },
    },
]

DATABASES = {
    "default": dj_database_url.parse(
        env_str("DATABASE_URL") or f"sqlite:///{BASE_DIR / 'db.sqlite3'}",
        conn_max_age=env_int("DATABASE_CONN_MAX_AGE", 0),
    )
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # WAL lets readers and one writer work at once; the timeout rides out short write locks.
    DATABASES["default"]["OPTIONS"] = {
        "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
        "transaction_mode": "IMMEDIATE",
        "timeout": 20,
    }

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {
        "NAME": "django.contrib.auth.password_validation.MinimumLengthValidator",
        "OPTIONS": {"min_length": 12},
    },
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
if TESTING:
    PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]

AUTHENTICATION_BACKENDS = [
    # First, so that a locked-out username + IP is refused before the password is checked.
    "axes.backends.AxesBackend",
    "django.contrib.auth.backends.ModelBackend",
]

# Login with the city's directory (Active Directory / LDAP), off unless LDAP_SERVER_URI is set:
# django-auth-ldap's AUTH_LDAP_* settings, and the directory's backend after axes' and the local
# accounts' (wardservice/ldap_login.py; docs/deployment.md). Plain ldap:// is refused in production.
from wardservice.ldap_login import ldap_settings  # noqa: E402

globals().update(ldap_settings(AUTHENTICATION_BACKENDS, production=not (DEBUG or TESTING)))

LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "goals:home"
LOGOUT_REDIRECT_URL = "home"

LANGUAGE_CODE = "ja"
LANGUAGES = [("ja", "日本語")]
# Japanese for what the admin shows of libraries that ship none (locale/ja: django-axes, django-tasks-db).
LOCALE_PATHS = [BASE_DIR / "locale"]
TIME_ZONE = "Asia/Tokyo"
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATICFILES_DIRS = [BASE_DIR / "static"]
STATIC_ROOT = Path(env_str("STATIC_ROOT") or BASE_DIR / "staticfiles")
MEDIA_URL = "media/"
MEDIA_ROOT = Path(env_str("MEDIA_ROOT") or BASE_DIR / "media")
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"
        if DEBUG or TESTING
        else "whitenoise.storage.CompressedManifestStaticFilesStorage"
    },
}

WHITENOISE_USE_FINDERS = DEBUG

CRISPY_ALLOWED_TEMPLATE_PACKS = "bootstrap5"
CRISPY_TEMPLATE_PACK = "bootstrap5"

# Mail is sent by a background task from an outbox (wardservice.mail), never inside a request.
# A relay without authentication: leave EMAIL_HOST_USER and EMAIL_HOST_PASSWORD empty.
EMAIL_BACKEND = env_str("EMAIL_BACKEND", "django.core.mail.backends.console.EmailBackend")
EMAIL_HOST = env_str("EMAIL_HOST", "localhost")
EMAIL_PORT = env_int("EMAIL_PORT", 25)
EMAIL_HOST_USER = env_str("EMAIL_HOST_USER", "")
EMAIL_HOST_PASSWORD = env_str("EMAIL_HOST_PASSWORD", "")
EMAIL_USE_TLS = env_bool("EMAIL_USE_TLS", False)  # STARTTLS (usually port 587)
EMAIL_USE_SSL = env_bool("EMAIL_USE_SSL", False)  # TLS from the start (usually port 465)
if EMAIL_USE_TLS and EMAIL_USE_SSL:
    raise ImproperlyConfigured("EMAIL_USE_TLS and EMAIL_USE_SSL are exclusive: set one of them.")
# Seconds without an answer from the relay before an attempt is given up (and retried later).
EMAIL_TIMEOUT = env_int("EMAIL_TIMEOUT", 10)
if EMAIL_TIMEOUT <= 0:
    raise ImproperlyConfigured("EMAIL_TIMEOUT must be a positive number of seconds.")
DEFAULT_FROM_EMAIL = env_str("DEFAULT_FROM_EMAIL", "wardservice@localhost")

SIMPLE_HISTORY_HISTORY_CHANGE_REASON_USE_TEXT_FIELD = True

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": env_str("LOG_LEVEL", "INFO")},
    # WeasyPrint reports each rendering step at INFO, and pikepdf announces itself at INFO when
    # imported (so every command printed it): only their warnings matter to operators.
    "loggers": {
        "weasyprint": {"level": "WARNING"},
        "fontTools": {"level": "WARNING"},
        "pikepdf": {"level": "WARNING"},
    },
}

# Background tasks (publication rendering). The database backend needs no broker: run
# `python manage.py db_worker` beside gunicorn. Development and tests run tasks at once.
TASKS = {
    "default": {
        "BACKEND": env_str(
            "TASKS_BACKEND",
            "django_tasks.backends.immediate.ImmediateBackend"
            if DEBUG or TESTING
            else "django_tasks_db.DatabaseBackend",
        )
    }
}

# The health check (/healthz, wardservice.health) fails when a task has waited longer than this,
# or no worker has run the heartbeat task (queued every 5 minutes by `manage.py recover`) for this.
HEALTH_QUEUE_MAX_AGE_MINUTES = env_int("HEALTH_QUEUE_MAX_AGE_MINUTES", 10)
HEALTH_WORKER_MAX_AGE_MINUTES = env_int("HEALTH_WORKER_MAX_AGE_MINUTES", 15)

# The print publication's parts (reports.exporters.pdf): a cache of each department's rendered
# pages by content, so that publishing assembles rather than renders. Deleting it loses no data.
PDF_PARTS_DIR = Path(env_str("PDF_PARTS_DIR") or BASE_DIR / "var" / "pdf-parts")
# Worker processes that render missing parts in parallel; 0 is one per core (at most 4).
PDF_RENDER_PROCESSES = env_int("PDF_RENDER_PROCESSES", 0)
# Render a department's part as soon as its sheet is approved (a background task). Off by default
# in development, where tasks run at once and would slow every approval down.
PDF_RENDER_ON_APPROVAL = env_bool("PDF_RENDER_ON_APPROVAL", not (DEBUG or TESTING))

# Where links in e-mails point (the public address of this installation).
SITE_URL = env_str("SITE_URL", "http://127.0.0.1:8000")

# --- Security (documented in deploy/env.example) ---------------------------------------------
# Production (DEBUG off) is HTTPS-only by default. Each switch can be turned off by its own
# variable, for testing a production build over plain HTTP on one's own machine only.
_HTTPS_DEFAULT = not (DEBUG or TESTING)
SECURE_SSL_REDIRECT = env_bool("SECURE_SSL_REDIRECT", _HTTPS_DEFAULT)
# The health check answers over plain HTTP too, for a monitor on the server asking gunicorn itself.
SECURE_REDIRECT_EXEMPT = [r"^healthz$"]
SESSION_COOKIE_SECURE = env_bool("SESSION_COOKIE_SECURE", _HTTPS_DEFAULT)
CSRF_COOKIE_SECURE = env_bool("CSRF_COOKIE_SECURE", _HTTPS_DEFAULT)
SECURE_HSTS_SECONDS = env_int("SECURE_HSTS_SECONDS", 31_536_000 if _HTTPS_DEFAULT else 0)
SECURE_HSTS_INCLUDE_SUBDOMAINS = env_bool("SECURE_HSTS_INCLUDE_SUBDOMAINS", True)
# The preload directive is a promise for the whole domain: only its owner should make it.
SECURE_HSTS_PRELOAD = env_bool("SECURE_HSTS_PRELOAD", False)
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
SESSION_COOKIE_HTTPONLY = True
# The forms send the token from their hidden field, and no script reads the cookie.
CSRF_COOKIE_HTTPONLY = True
# A form refused as stale (open too long, or the login changed in another tab): a Japanese page
# that shows what the form held, to copy into it again (wardservice.errors).
CSRF_FAILURE_VIEW = "wardservice.errors.csrf_failure"
SESSION_COOKIE_SAMESITE = CSRF_COOKIE_SAMESITE = "Lax"  # links in e-mails still arrive logged in

# Behind nginx (BEHIND_PROXY=1) the proxy's headers are trusted: X-Forwarded-Proto says whether
# the visitor used HTTPS, and the right-most X-Forwarded-For entry (the one nginx appends with
# $proxy_add_x_forwarded_for) is the visitor's address for login throttling. Without it both
# headers are ignored, since anyone could send them.
BEHIND_PROXY = env_bool("BEHIND_PROXY", False)
if BEHIND_PROXY:
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    AXES_IPWARE_META_PRECEDENCE_ORDER = ("HTTP_X_FORWARDED_FOR", "REMOTE_ADDR")
    # ipware counts the proxies listed in the header: nginx adds the visitor, not itself.
    AXES_IPWARE_PROXY_COUNT = 0
    IPWARE_STRICT = False  # a client-sent X-Forwarded-For left of nginx's entry is ignored
else:
    AXES_IPWARE_META_PRECEDENCE_ORDER = ("REMOTE_ADDR",)

# Sessions end after SESSION_IDLE_MINUTES without a request (the expiry moves forward with
# every request) and, by default, when the browser is closed.
SESSION_COOKIE_AGE = env_int("SESSION_IDLE_MINUTES", 30) * 60
if SESSION_COOKIE_AGE <= 0:
    raise ImproperlyConfigured("SESSION_IDLE_MINUTES must be a positive number of minutes.")
SESSION_SAVE_EVERY_REQUEST = True
SESSION_EXPIRE_AT_BROWSER_CLOSE = env_bool("SESSION_EXPIRE_AT_BROWSER_CLOSE", True)

# Content-Security-Policy: everything from this site, no inline script or style anywhere
# (templates, the published pages, the SVG charts). data: images are Bootstrap's form icons.
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": [SELF],
        "script-src": [SELF],
        "style-src": [SELF],
        "img-src": [SELF, "data:"],
        "object-src": [NONE],
        "base-uri": [SELF],
        "form-action": [SELF],
        "frame-ancestors": [NONE],
    }
}

# Login throttling (django-axes): a username is locked from one address after
# AXES_FAILURE_LIMIT failures in a row, for AXES_COOLOFF_MINUTES after the last one; other
# people behind the same office address, and the same person elsewhere, can still log in.
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_FAILURE_LIMIT = env_int("AXES_FAILURE_LIMIT", 5)
AXES_COOLOFF_TIME = timedelta(minutes=env_int("AXES_COOLOFF_MINUTES", 15))
if AXES_FAILURE_LIMIT < 1 or AXES_COOLOFF_TIME <= timedelta(0):
    raise ImproperlyConfigured("AXES_FAILURE_LIMIT and AXES_COOLOFF_MINUTES must be positive.")
AXES_RESET_ON_SUCCESS = True
AXES_LOCKOUT_CALLABLE = "wardservice.middleware.lockout_response"
AXES_USERNAME_CALLABLE = "wardservice.middleware.axes_username"  # cut to fit its column
AXES_VERBOSE = False  # no start-up banner; log lines name only the lockout parameters
