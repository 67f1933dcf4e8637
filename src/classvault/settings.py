"""Django settings for ClassVault, read from the environment only.

The embedded default needs nothing: SQLite, blobs and keys under ``CLASSVAULT_HOME``.
Secrets come from ``CLASSVAULT_<NAME>`` or from the file named by ``CLASSVAULT_<NAME>_FILE``;
nothing here writes to disk (``classvault init`` does that).
"""

import os
import secrets
from datetime import timedelta
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
# Requests one API token may make per window (people/ratelimit.py); 0 switches the limit off.
# 600 a minute is ten a second: far above a school system's sync, far below a scraper.
CLASSVAULT_API_RATE_LIMIT = env_int("CLASSVAULT_API_RATE_LIMIT", 600)
CLASSVAULT_API_RATE_WINDOW_SECONDS = env_int("CLASSVAULT_API_RATE_WINDOW_SECONDS", 60)
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
    "django_otp",
    "django_otp.plugins.otp_totp",
    "django_otp.plugins.otp_static",
    "axes",
    "classvault.core",
    "classvault.people",
    "classvault.audit",
    "classvault.consent",
    "classvault.vault",
    "classvault.recordings",
    "classvault.sharing",
    "classvault.retention",
    "classvault.rights",
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
    # request.user.is_verified(): whether this session passed the second factor.
    "django_otp.middleware.OTPMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "classvault.web.middleware.DatabaseBusyMiddleware",
    "classvault.core.middleware.DomainErrorPagesMiddleware",
    # Privileged roles reach no page before their second factor (web/middleware.py).
    "classvault.web.middleware.SecondFactorMiddleware",
    # Last: turns a lockout found by the login views' authenticate() into the lockout page.
    "axes.middleware.AxesMiddleware",
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
# PostgreSQL: the hottest statements (token, rate limit, lists) are prepared on the server
# once per session (core/prepared.py). Off behind a transaction-mode connection pooler.
CLASSVAULT_DB_PREPARE = env_bool("CLASSVAULT_DB_PREPARE", True)
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
# django-axes first: it refuses a locked-out account or address before any password is checked.
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
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
    # The public, cheap health check also answers over plain HTTP on the app's own port, for
    # probes on the machine (systemd, a load balancer); it carries nothing. Not the detail.
    SECURE_REDIRECT_EXEMPT = [r"^api/v1/health$"]

# --- Abuse limits (docs/login.md): django-axes counts failed logins per account and per
# address (web login and POST /api/v1/auth/token); at the limit, both lock for the cool-off.
# Every member of a school may share one address (NAT): the limit is per account OR address.
CLASSVAULT_LOGIN_FAILURE_LIMIT = env_int("CLASSVAULT_LOGIN_FAILURE_LIMIT", 10)
CLASSVAULT_LOGIN_LOCKOUT_MINUTES = env_int("CLASSVAULT_LOGIN_LOCKOUT_MINUTES", 15)
AXES_FAILURE_LIMIT = CLASSVAULT_LOGIN_FAILURE_LIMIT
AXES_COOLOFF_TIME = timedelta(minutes=CLASSVAULT_LOGIN_LOCKOUT_MINUTES)
AXES_LOCKOUT_PARAMETERS = ["username", "ip_address"]
AXES_RESET_ON_SUCCESS = True
# A lock lasts the cool-off from the failure that set it; attempts during it do not prolong it
# (a person retrying with the right password is not kept out for ever).
AXES_RESET_COOL_OFF_ON_FAILURE_DURING_LOCKOUT = False
AXES_USERNAME_CALLABLE = "classvault.people.lockouts.attempt_username"
AXES_LOCKOUT_CALLABLE = "classvault.web.account_views.locked_out"
AXES_DISABLE_ACCESS_LOG = True
AXES_VERBOSE = False
# Behind one reverse proxy (CLASSVAULT_BEHIND_PROXY=true), the client's address is the last
# one in X-Forwarded-For, the one that proxy appended (earlier ones are the client's to forge).
if env_bool("CLASSVAULT_BEHIND_PROXY"):
    AXES_IPWARE_META_PRECEDENCE_ORDER = ["HTTP_X_FORWARDED_FOR", "REMOTE_ADDR"]
    AXES_IPWARE_PROXY_ORDER = "right-most"
else:
    AXES_IPWARE_META_PRECEDENCE_ORDER = ["REMOTE_ADDR"]

# --- Second factor (docs/login.md): TOTP with recovery codes, required for these roles.
CLASSVAULT_SECOND_FACTOR_ROLES = [
    r.strip()
    for r in env("CLASSVAULT_SECOND_FACTOR_ROLES", "privacy_officer,institute_admin,trainer").split(
        ","
    )
    if r.strip()
]
OTP_TOTP_ISSUER = CLASSVAULT_INSTITUTE_NAME + " ClassVault"
# A code is accepted once (replay) within one step either side; no drift learning.
OTP_TOTP_SYNC = False

# --- Institutional login: OpenID Connect (SURFconext or any other provider), off unless
# CLASSVAULT_OIDC_ISSUER is set; local accounts keep working beside it (docs/login.md).
CLASSVAULT_OIDC_ISSUER = env("CLASSVAULT_OIDC_ISSUER").rstrip("/")
CLASSVAULT_OIDC_DISCOVERY_URL = env("CLASSVAULT_OIDC_DISCOVERY_URL") or (
    f"{CLASSVAULT_OIDC_ISSUER}/.well-known/openid-configuration" if CLASSVAULT_OIDC_ISSUER else ""
)
CLASSVAULT_OIDC_CLIENT_ID = env("CLASSVAULT_OIDC_CLIENT_ID")
CLASSVAULT_OIDC_CLIENT_SECRET = env_secret(
    "CLASSVAULT_OIDC_CLIENT_SECRET", CLASSVAULT_HOME / "oidc-client-secret"
)
CLASSVAULT_OIDC_SCOPES = env("CLASSVAULT_OIDC_SCOPES", "openid email profile")
# Which claim links an identity to a user the institute admin made: matched against the
# user's e-mail address (email) or username (eduperson_principal_name, uid, ...).
CLASSVAULT_OIDC_LINK_CLAIM = env("CLASSVAULT_OIDC_LINK_CLAIM", "email")
# Optional: provision unknown identities from a role claim, e.g. CLASSVAULT_OIDC_ROLE_CLAIM=
# eduperson_affiliation, CLASSVAULT_OIDC_ROLE_MAP=student:student_teacher,staff:trainer.
CLASSVAULT_OIDC_ROLE_CLAIM = env("CLASSVAULT_OIDC_ROLE_CLAIM")
CLASSVAULT_OIDC_ROLE_MAP = dict(
    pair.split(":", 1) for pair in env("CLASSVAULT_OIDC_ROLE_MAP").split(",") if ":" in pair
)
# Optional: trust the federation's second factor, e.g. CLASSVAULT_OIDC_MFA_CLAIM=acr and
# CLASSVAULT_OIDC_MFA_VALUES=https://refeds.org/profile/mfa (also asked for as acr_values).
CLASSVAULT_OIDC_MFA_CLAIM = env("CLASSVAULT_OIDC_MFA_CLAIM")
CLASSVAULT_OIDC_MFA_VALUES = [
    v.strip() for v in env("CLASSVAULT_OIDC_MFA_VALUES").split(",") if v.strip()
]
CLASSVAULT_OIDC_LABEL = env("CLASSVAULT_OIDC_LABEL", "SURFconext")

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
# Storage per student teacher: the original sizes of her recordings plus the announced sizes
# of her open uploads (recordings/quota.py); 0 = no quota. Checked when an upload starts and
# again when it becomes a recording (413).
CLASSVAULT_QUOTA_BYTES = env_int("CLASSVAULT_QUOTA_BYTES", 20 * 1024**3)
# The browser's resumable upload sends chunks of this size (a whole number of 1 MiB vault
# segments): larger means less bookkeeping per byte, smaller means less to resend after a drop.
CLASSVAULT_UPLOAD_CHUNK_BYTES = env_int("CLASSVAULT_UPLOAD_CHUNK_BYTES", 8 * 1024 * 1024)
# A recording made in the browser goes to the server in chunks of this size (a whole number
# of vault segments, or less than one): what a closed tab can lose is at most one chunk.
CLASSVAULT_RECORD_CHUNK_BYTES = env_int("CLASSVAULT_RECORD_CHUNK_BYTES", 1024 * 1024)
# The longest recording ClassVault keeps (a lesson or a double lesson with margin); checked
# when an upload starts (the duration the browser read from the file) and on the video.
CLASSVAULT_MAX_RECORDING_SECONDS = env_int("CLASSVAULT_MAX_RECORDING_SECONDS", 4 * 3600)

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
    "loggers": {
        "django.db.backends": {"level": "INFO"},
        # axes logs every login at INFO; failures and lockouts (WARNING) are enough.
        "axes": {"level": "WARNING"},
    },
}
