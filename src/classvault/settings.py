"""Django settings for ClassVault, read from the environment only.

The embedded default needs nothing: SQLite, blobs and keys under ``CLASSVAULT_HOME``.
Secrets come from ``CLASSVAULT_<NAME>`` or from the file named by ``CLASSVAULT_<NAME>_FILE``;
nothing here writes to disk (``classvault init`` does that).
"""

import os
import secrets
from pathlib import Path

import dj_database_url
from django.core.exceptions import ImproperlyConfigured
from django.utils.translation import gettext_lazy as _

PACKAGE_DIR = Path(__file__).resolve().parent


def env(name: str, default: str = "") -> str:
    return os.environ.get(name, default)


TRUE_WORDS = ("true", "1", "yes", "on")
FALSE_WORDS = ("false", "0", "no", "off")


def env_bool(name: str, default: bool = False) -> bool:
    """A switch: true/1/yes/on or false/0/no/off, any case; unset or empty is ``default``.

    Anything else stops the start: a typo in a security switch (CLASSVAULT_HTTPS=ture) must
    not quietly mean "off".
    """
    value = os.environ.get(name, "").strip().lower()
    if not value:
        return default
    if value in TRUE_WORDS:
        return True
    if value in FALSE_WORDS:
        return False
    raise ImproperlyConfigured(
        f"{name}={os.environ[name]!r} is not a yes or no. Use one of "
        f"{', '.join(TRUE_WORDS)} or {', '.join(FALSE_WORDS)} (any case), or leave it empty "
        f"for the default ({'true' if default else 'false'})."
    )


def env_int(name: str, default: int) -> int:
    value = os.environ.get(name, "")
    return int(value) if value.strip() else default


def env_secret(name: str, default_file: Path) -> str:
    """A secret from NAME, else from the file NAME_FILE, else from default_file; '' if none."""
    if os.environ.get(name):
        return os.environ[name]
    path = Path(os.environ.get(f"{name}_FILE") or default_file)
    try:
        return path.read_text(encoding="utf-8").strip()
    except (FileNotFoundError, PermissionError):
        return ""


CLASSVAULT_HOME = Path(env("CLASSVAULT_HOME", "./classvault-data")).resolve()
CLASSVAULT_SECRET_KEY_FILE = Path(
    env("CLASSVAULT_SECRET_KEY_FILE") or CLASSVAULT_HOME / "secret.key"
)
CLASSVAULT_MASTER_KEY_FILE = Path(
    env("CLASSVAULT_MASTER_KEY_FILE") or CLASSVAULT_HOME / "master.key"
)
# The audit chain's HMAC key (docs/audit.md): beside the master key, never in the database.
CLASSVAULT_AUDIT_KEY_FILE = Path(env("CLASSVAULT_AUDIT_KEY_FILE") or CLASSVAULT_HOME / "audit.key")
# Checkpoints of the chain's head, appended outside the database: every N events, at least every
# S seconds per process while events arrive, and by `classvault init` and `audit verify`.
CLASSVAULT_AUDIT_CHECKPOINT_FILE = Path(
    env("CLASSVAULT_AUDIT_CHECKPOINT_FILE") or CLASSVAULT_HOME / "audit-checkpoints"
)
CLASSVAULT_AUDIT_CHECKPOINT_EVERY = env_int("CLASSVAULT_AUDIT_CHECKPOINT_EVERY", 100)
CLASSVAULT_AUDIT_CHECKPOINT_SECONDS = env_int("CLASSVAULT_AUDIT_CHECKPOINT_SECONDS", 300)
# Per-day retention keys (docs/retention.md): never in a backup; default beside the master key.
CLASSVAULT_RETENTION_KEY_DIR = env("CLASSVAULT_RETENTION_KEY_DIR")
# The default, kept by name: while the URL is still it, the blobs follow CLASSVAULT_HOME.
CLASSVAULT_STORAGE_URL_DEFAULT = f"file://{CLASSVAULT_HOME / 'blobs'}"
CLASSVAULT_STORAGE_URL = env("CLASSVAULT_STORAGE_URL") or CLASSVAULT_STORAGE_URL_DEFAULT
CLASSVAULT_RETENTION_MONTHS = env_int("CLASSVAULT_RETENTION_MONTHS", 6)
CLASSVAULT_TOKEN_HOURS = env_int("CLASSVAULT_TOKEN_HOURS", 8)
CLASSVAULT_INSTITUTE_NAME = env("CLASSVAULT_INSTITUTE_NAME", "Lerarenopleiding")
# The assessment scale, lowest first; the institute's own words.
CLASSVAULT_ASSESSMENT_SCALE = [
    v.strip()
    for v in env("CLASSVAULT_ASSESSMENT_SCALE", "onvoldoende,voldoende,goed,uitstekend").split(",")
    if v.strip()
]
# Small means small (R8): at most this many fellow students in one screening.
CLASSVAULT_SCREENING_MAX_ATTENDEES = env_int("CLASSVAULT_SCREENING_MAX_ATTENDEES", 12)
# A screening is a meeting (R8), not a standing share: it lasts at most this many hours.
CLASSVAULT_SCREENING_MAX_HOURS = env_int("CLASSVAULT_SCREENING_MAX_HOURS", 4)
# `serve` kills and replaces a worker whose heartbeat (every 30 s) is older than this: a hung
# worker (stopped, stuck) transcodes nothing and sweeps nothing, yet never exits.
CLASSVAULT_WORKER_STALE_SECONDS = env_int("CLASSVAULT_WORKER_STALE_SECONDS", 300)

# An empty key would make Django refuse to start; a random one keeps management commands
# usable before `classvault init`, and the system check classvault.E001 blocks serving.
_secret = env_secret("CLASSVAULT_SECRET_KEY", CLASSVAULT_SECRET_KEY_FILE)
CLASSVAULT_SECRET_KEY_MISSING = not _secret
SECRET_KEY = _secret or secrets.token_urlsafe(50)

DEBUG = env_bool("CLASSVAULT_DEBUG", False)
ALLOWED_HOSTS = [h for h in env("CLASSVAULT_ALLOWED_HOSTS", "127.0.0.1,localhost").split(",") if h]
CSRF_TRUSTED_ORIGINS = [o for o in env("CLASSVAULT_CSRF_TRUSTED_ORIGINS").split(",") if o]

INSTALLED_APPS = [
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django_tasks",
    "django_tasks_db",
    "ninja",
    "classvault.core",
    "classvault.people",
    "classvault.audit",
    "classvault.consent",
    "classvault.vault",
    "classvault.recordings",
    "classvault.sharing",
    "classvault.retention",
    "classvault.redaction",
    "classvault.web",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "classvault.core.middleware.SecurityHeadersMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "classvault.core.middleware.DutchFirstLocaleMiddleware",
    # Inside the locale middleware, so their messages speak the person's language.
    "classvault.core.middleware.ApiJsonErrorsMiddleware",
    "classvault.core.middleware.InputGuardMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "classvault.web.middleware.DatabaseBusyMiddleware",
    "classvault.core.middleware.DomainErrorPagesMiddleware",
]

ROOT_URLCONF = "classvault.urls"
WSGI_APPLICATION = "classvault.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "classvault.web.context_processors.notifications",
            ],
        },
    },
]

DATABASES = {
    "default": dj_database_url.parse(
        env("DATABASE_URL") or f"sqlite:///{CLASSVAULT_HOME / 'classvault.sqlite3'}",
        # Reusing a connection saves a fresh SQLite open (and its PRAGMAs) per request:
        # about 1 ms of every stream Range request (bench/README.md).
        conn_max_age=env_int("CLASSVAULT_DB_CONN_MAX_AGE", 60),
        conn_health_checks=True,
    )
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # WAL lets the web server read while the worker writes; IMMEDIATE avoids the
    # "database is locked" upgrade deadlock between two writers (a write transaction takes
    # the lock at BEGIN, and waits for it there up to `timeout` seconds). Long writes are
    # cut into short transactions (the roster import), so the wait stays short; one that
    # still times out answers 503 "try again" (core.busy), and the worker waits it out.
    DATABASES["default"]["OPTIONS"] = {
        "transaction_mode": "IMMEDIATE",
        "timeout": 20,
        "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
    }
CLASSVAULT_EMBEDDED = DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3"

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
AUTH_USER_MODEL = "people.User"

PASSWORD_HASHERS = [
    "django.contrib.auth.hashers.Argon2PasswordHasher",
    "django.contrib.auth.hashers.PBKDF2PasswordHasher",
]
AUTH_PASSWORD_VALIDATORS = [
    {
        "NAME": "django.contrib.auth.password_validation.MinimumLengthValidator",
        "OPTIONS": {"min_length": 10},
    },
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
CSRF_FAILURE_VIEW = "classvault.core.views.csrf_failure"
LOGIN_URL = "web:login"
LOGIN_REDIRECT_URL = "web:home"
LOGOUT_REDIRECT_URL = "web:login"

# Cookies: HttpOnly and SameSite always; Secure whenever the site is served over HTTPS,
# which every deployment beyond one laptop must be (system check classvault.W002).
CLASSVAULT_HTTPS = env_bool("CLASSVAULT_HTTPS", False)
SESSION_COOKIE_SECURE = CLASSVAULT_HTTPS
CSRF_COOKIE_SECURE = CLASSVAULT_HTTPS
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
CSRF_COOKIE_SAMESITE = "Lax"
SESSION_COOKIE_AGE = 8 * 3600
SESSION_EXPIRE_AT_BROWSER_CLOSE = True
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
if CLASSVAULT_HTTPS:
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    SECURE_HSTS_SECONDS = 31536000
    SECURE_SSL_REDIRECT = env_bool("CLASSVAULT_SSL_REDIRECT", False)

LANGUAGE_CODE = "nl"
LANGUAGES = [("nl", _("Dutch")), ("en", _("English"))]
LOCALE_PATHS = [PACKAGE_DIR / "locale"]
TIME_ZONE = "Europe/Amsterdam"
# One date format everywhere, "28 november 2026", times "14:05" (classvault/formats).
FORMAT_MODULE_PATH = ["classvault.formats"]
USE_I18N = True
USE_TZ = True

# Uploads: recordings are encrypted as they arrive by their own handler
# (recordings/uploads.py). Any other upload (a roster CSV) is small and stays in memory;
# Django's spooling to temporary files is switched off, so no upload ever reaches the disk
# as plaintext.
FILE_UPLOAD_HANDLERS = ["django.core.files.uploadhandler.MemoryFileUploadHandler"]
FILE_UPLOAD_MAX_MEMORY_SIZE = 10 * 1024 * 1024
CLASSVAULT_MAX_UPLOAD_BYTES = env_int("CLASSVAULT_MAX_UPLOAD_BYTES", 16 * 1024**3)
# The browser's resumable upload sends chunks of this size (a whole number of 1 MiB vault
# segments): larger means less bookkeeping per byte, smaller means less to resend after a drop.
CLASSVAULT_UPLOAD_CHUNK_BYTES = env_int("CLASSVAULT_UPLOAD_CHUNK_BYTES", 8 * 1024 * 1024)

STATIC_URL = "/static/"
STATIC_ROOT = env("CLASSVAULT_STATIC_ROOT") or None
# Serve straight from the installed apps' static folders: no collectstatic step is needed.
WHITENOISE_USE_FINDERS = True
WHITENOISE_AUTOREFRESH = DEBUG

TASKS = {
    "default": {
        "BACKEND": "django_tasks_db.DatabaseBackend",
        "QUEUES": ["default"],
    }
}

EMAIL_BACKEND = env("CLASSVAULT_EMAIL_BACKEND", "django.core.mail.backends.console.EmailBackend")
DEFAULT_FROM_EMAIL = env("CLASSVAULT_FROM_EMAIL", "classvault@localhost")

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": env("CLASSVAULT_LOG_LEVEL", "INFO")},
    "loggers": {"django.db.backends": {"level": "INFO"}},
}
