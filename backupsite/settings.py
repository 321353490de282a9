"""Settings for Drive Backup, read from the environment (django-environ).

Production sets at least SECRET_KEY, FIELD_ENCRYPTION_KEYS, ALLOWED_HOSTS, DATABASE_URL,
REDIS_URL, EMAIL_URL and the Google OAuth client; without the first two nothing starts. On a
developer machine `make run` generates those two into var/local-secrets.env, and the test run
supplies random ones (tests/settings.py).
"""

from __future__ import annotations

import os
from datetime import timedelta
from email.utils import getaddresses
from pathlib import Path

import environ
from csp.constants import NONCE, NONE, SELF
from kombu import Queue

from backupsite.logging import base_logging, use_log_format
from backupsite.settings_helpers import (
    check_fernet_keys,
    csp_source_hash,
    database_settings,
    file_storage,
    is_loopback,
    read_fake_google_env,
    required_secret,
)

BASE_DIR = Path(__file__).resolve().parent.parent

env = environ.Env()
environ.Env.read_env(BASE_DIR / ".env", overwrite=False)
read_fake_google_env(BASE_DIR / "var" / "fake-google.env")

# --- Secrets (security) -------------------------------------------------------------------
# No secret is written in the code. What the environment and .env leave unset may come from
# the development file `make run` generates (scripts/local_secrets.py); with neither, web,
# worker and every manage.py command refuse to start rather than run with a guessable key.
environ.Env.read_env(BASE_DIR / "var" / "local-secrets.env", overwrite=False)


SECRET_KEY = env("SECRET_KEY", default="")
required_secret("SECRET_KEY", SECRET_KEY)
# Comma-separated Fernet keys for the refresh tokens at rest; the first one encrypts, all of
# them decrypt (rotate_encryption_keys). Never derived from SECRET_KEY: one secret leaked or
# rotated must not take the other with it.
FIELD_ENCRYPTION_KEYS = env.list("FIELD_ENCRYPTION_KEYS", default=[])
required_secret("FIELD_ENCRYPTION_KEYS", [key for key in FIELD_ENCRYPTION_KEYS if key.strip()])
check_fernet_keys(FIELD_ENCRYPTION_KEYS)
# --- end of secrets -----------------------------------------------------------------------

DEBUG = env.bool("DEBUG", default=False)
ALLOWED_HOSTS = env.list("ALLOWED_HOSTS", default=["127.0.0.1", "localhost", "[::1]"])
CSRF_TRUSTED_ORIGINS = env.list("CSRF_TRUSTED_ORIGINS", default=[])

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "accounts",
    "documents",
    "integrations",
    "axes",
    "csp",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "backupsite.csp.PanelCSPMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "accounts.middleware.MerchantTimeZoneMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    # Last, as django-axes asks: it turns a locked-out log-in into the lockout page.
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "backupsite.urls"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
            ],
        },
    },
]

WSGI_APPLICATION = "backupsite.wsgi.application"

DATABASES = {"default": database_settings(env, BASE_DIR)}
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_USER_MODEL = "accounts.User"
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
# --- Log-in throttling (security) ---------------------------------------------------------
# django-axes counts failed log-ins (the panel's and the admin's) per e-mail address and client
# address: after AXES_FAILURE_LIMIT of them that pair is refused for LOGIN_LOCKOUT_MINUTES
# (the page says so, answer 429), and a success resets the count. Keyed on the pair, so an
# attacker elsewhere cannot lock a merchant out of their own account.
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]
AXES_FAILURE_LIMIT = env.int("LOGIN_FAILURE_LIMIT", default=5)
AXES_COOLOFF_TIME = timedelta(minutes=env.int("LOGIN_LOCKOUT_MINUTES", default=15))
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_RESET_ON_SUCCESS = True
# The log-in forms (the panel's and the admin's) post and authenticate the e-mail address as
# "username"; axes would look for the model's USERNAME_FIELD, "email", and count nobody.
AXES_USERNAME_FORM_FIELD = "username"
AXES_LOCKOUT_CALLABLE = "accounts.throttling.lockout_response"
AXES_CLIENT_IP_CALLABLE = "accounts.throttling.client_ip"
# Sign-ups per client address, and confirmation e-mails per address they go to.
SIGNUP_RATE_LIMIT = env("SIGNUP_RATE_LIMIT", default="10/h")
SIGNUP_EMAIL_RATE_LIMIT = env("SIGNUP_EMAIL_RATE_LIMIT", default="3/h")
# --- end of log-in throttling -------------------------------------------------------------

LOGIN_URL = "accounts:login"
LOGIN_REDIRECT_URL = "documents:orders"
LOGOUT_REDIRECT_URL = "accounts:login"

LANGUAGE_CODE = "en"
# Each language under its own name: the header's switch and the merchant's document language.
LANGUAGES = [("en", "English"), ("pl", "Polski"), ("pt-br", "Português (Brasil)")]
LOCALE_PATHS = [BASE_DIR / "locale"]
# Unambiguous dates ("6 Dec 2026, 15:40") in every language of the panel.
FORMAT_MODULE_PATH = ["backupsite.formats"]
TIME_ZONE = env("TIME_ZONE", default="UTC")
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = BASE_DIR / "staticfiles"
STATICFILES_DIRS = [BASE_DIR / "static"]


# --- Uploaded files (security) ------------------------------------------------------------
# PDFs sent in through the invoice API live here, never in database rows: a directory by
# default, S3-compatible object storage (django-storages) when MEDIA_STORAGE_URL says
# s3://bucket/optional/prefix[?endpoint_url=https://...&region_name=...]; the credentials come
# from boto3's usual sources (AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY, or the machine's role).
# Nothing here is served over HTTP: the panel and the backup read the files through the model.
MEDIA_ROOT = env.path("MEDIA_ROOT", default=BASE_DIR / "media")
MEDIA_STORAGE_URL = env("MEDIA_STORAGE_URL", default="")


STORAGES = {
    "default": file_storage(MEDIA_STORAGE_URL),
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}
# --- end of uploaded files ----------------------------------------------------------------


# --- HTTPS (security) ---------------------------------------------------------------------
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
# SECURE_COOKIES=true says the site is served over HTTPS (production); local runs and tests
# are plain http on loopback. It turns on, each overridable by its own variable: secure
# cookies, the redirect of plain http to https and HSTS for a year with subdomains and the
# preload flag, so that `manage.py check --deploy` has nothing to report.
SERVED_OVER_HTTPS = env.bool("SECURE_COOKIES", default=False)
SESSION_COOKIE_SECURE = SERVED_OVER_HTTPS
CSRF_COOKIE_SECURE = SERVED_OVER_HTTPS
# Behind a proxy the client's address is the last one of X-Forwarded-For (throttling).
BEHIND_PROXY = env.bool("BEHIND_HTTPS_PROXY", default=False)
if BEHIND_PROXY:
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
SECURE_SSL_REDIRECT = env.bool("SECURE_SSL_REDIRECT", default=SERVED_OVER_HTTPS)
if not SECURE_SSL_REDIRECT and env.bool("HTTPS_REDIRECT_BY_PROXY", default=False):
    # The proxy in front already sends every plain-http request to https (the equivalent of
    # SECURE_SSL_REDIRECT, which Django cannot see).
    SILENCED_SYSTEM_CHECKS = ["security.W008"]
# Probes of a process supervisor or load balancer speak plain http to the process itself.
SECURE_REDIRECT_EXEMPT = [r"^healthz/?$", r"^readyz/?$", r"^metrics/?$"]
SECURE_HSTS_SECONDS = env.int("SECURE_HSTS_SECONDS", default=365 * 24 * 3600 * SERVED_OVER_HTTPS)
SECURE_HSTS_INCLUDE_SUBDOMAINS = env.bool("SECURE_HSTS_INCLUDE_SUBDOMAINS", default=True)
SECURE_HSTS_PRELOAD = env.bool("SECURE_HSTS_PRELOAD", default=True)
# --- end of HTTPS -------------------------------------------------------------------------

# --- E-mail -------------------------------------------------------------------------------
EMAIL_CONFIG = env.email_url("EMAIL_URL", default="consolemail://")
vars().update(EMAIL_CONFIG)
DEFAULT_FROM_EMAIL = env("DEFAULT_FROM_EMAIL", default="Drive Backup <no-reply@example.com>")

# --- Redis and Celery ---------------------------------------------------------------------
REDIS_URL = env("REDIS_URL", default="redis://127.0.0.1:6379/0")
CELERY_BROKER_URL = REDIS_URL
CELERY_RESULT_BACKEND = REDIS_URL
CELERY_ACCEPT_CONTENT = ["json"]
CELERY_TASK_SERIALIZER = "json"
CELERY_RESULT_SERIALIZER = "json"
CELERY_RESULT_EXPIRES = 3600
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TASK_SOFT_TIME_LIMIT = env.int("CELERY_TASK_SOFT_TIME_LIMIT", default=3 * 3600)
CELERY_TASK_TIME_LIMIT = env.int("CELERY_TASK_TIME_LIMIT", default=3 * 3600 + 300)
# A message not acknowledged within this time is handed to another worker: it must be longer
# than the longest task, or a healthy long run would be started twice.
CELERY_BROKER_TRANSPORT_OPTIONS = {
    "visibility_timeout": env.int("CELERY_VISIBILITY_TIMEOUT", default=4 * 3600),
}
CELERY_RESULT_BACKEND_TRANSPORT_OPTIONS = CELERY_BROKER_TRANSPORT_OPTIONS
CELERY_TASK_ALWAYS_EAGER = env.bool("CELERY_TASK_ALWAYS_EAGER", default=False)
CELERY_WORKER_HIJACK_ROOT_LOGGER = False
# What a task prints (the console e-mail backend's mails, in development) is no warning.
CELERY_WORKER_REDIRECT_STDOUTS_LEVEL = "INFO"
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
# A run mostly waits (Google's 3 writes/s per account, network) and renders PDFs now and then:
# one process per core with many threads keeps many accounts uploading while the core renders.
# The threads pool has no time limits and ignores max-tasks/memory-per-child: runs bound their
# own HTTP calls, and the dispatcher rescues a run whose heartbeat stopped.
CELERY_WORKER_POOL = env("CELERY_WORKER_POOL", default="threads")
CELERY_WORKER_CONCURRENCY = env.int("CELERY_WORKER_CONCURRENCY", default=12)
# The dispatcher has a queue of its own. Behind a night's backlog of runs it would wait, and
# expire unrun (beat sends it with expires=interval): accounts of later time zones would not be
# queued and runs of dead workers not taken over until the backlog drained. Every worker
# consumes both queues, and Redis hands them out in turn.
CELERY_TASK_DEFAULT_QUEUE = "celery"
DISPATCH_QUEUE = "dispatch"
CELERY_TASK_QUEUES = (Queue(CELERY_TASK_DEFAULT_QUEUE), Queue(DISPATCH_QUEUE))
CELERY_TASK_ROUTES = {"integrations.tasks.dispatch_due_backups": {"queue": DISPATCH_QUEUE}}

# --- Rate limits of the invoice API (security) --------------------------------------------
# Counters shared by every web process, in Redis (django-ratelimit counts in the cache).
CACHES = {
    "default": {
        "BACKEND": "django.core.cache.backends.redis.RedisCache",
        "LOCATION": REDIS_URL,
        "KEY_PREFIX": "drivebackup",
    }
}
# Requests per merchant to the invoice API ("120/m": 120 a minute; s, m, h, d), and the bytes of
# PDFs a merchant may keep through it.
API_RATE_LIMIT = env("API_RATE_LIMIT", default="120/m")
API_STORAGE_QUOTA_BYTES = env.int("API_STORAGE_QUOTA_BYTES", default=1024**3)
# --- end of rate limits -------------------------------------------------------------------

# --- Content-Security-Policy (security) ---------------------------------------------------
# Scripts and <style> elements run only from our origin or with the answer's nonce
# (nonce="{{ request.csp_nonce }}"); style attributes are allowed (the print's column
# widths; autoescaped data cannot open one), and so is the print page's one inline handler,
# by its hash. backupsite.csp adds Google's sign-in origin to form-action.


CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": [SELF],
        "script-src": [SELF, NONCE],
        # onclick="window.print()" on the print page's toolbar, allowed by its hash alone.
        "script-src-attr": ["'unsafe-hashes'", csp_source_hash("window.print()")],
        "style-src": [SELF, NONCE],
        "style-src-elem": [SELF, NONCE],
        "style-src-attr": ["'unsafe-inline'"],
        "img-src": [SELF, "data:"],
        "font-src": [SELF],
        "connect-src": [SELF],
        "form-action": [SELF],
        "frame-ancestors": [NONE],
        "base-uri": [NONE],
        "object-src": [NONE],
    }
}
# --- end of Content-Security-Policy -------------------------------------------------------

# --- Google -------------------------------------------------------------------------------
GOOGLE_OAUTH_CLIENT_ID = env("GOOGLE_OAUTH_CLIENT_ID", default="")
GOOGLE_OAUTH_CLIENT_SECRET = env("GOOGLE_OAUTH_CLIENT_SECRET", default="")
GOOGLE_OAUTH_AUTH_URI = env(
    "GOOGLE_OAUTH_AUTH_URI", default="https://accounts.google.com/o/oauth2/auth"
)
GOOGLE_OAUTH_TOKEN_URI = env(
    "GOOGLE_OAUTH_TOKEN_URI", default="https://oauth2.googleapis.com/token"
)
GOOGLE_OAUTH_REVOKE_URI = env(
    "GOOGLE_OAUTH_REVOKE_URI", default="https://oauth2.googleapis.com/revoke"
)
GOOGLE_API_ROOT = env("GOOGLE_API_ROOT", default="https://www.googleapis.com/")
# The OAuth redirect URI registered with Google; empty = built from the request (set it when
# the app runs behind a proxy that changes the host or scheme).
GOOGLE_OAUTH_REDIRECT_URI = env("GOOGLE_OAUTH_REDIRECT_URI", default="")
GOOGLE_DRIVE_SCOPE = "https://www.googleapis.com/auth/drive.file"


GOOGLE_ENDPOINTS_ARE_LOOPBACK = all(
    is_loopback(u)
    for u in (
        GOOGLE_OAUTH_AUTH_URI,
        GOOGLE_OAUTH_TOKEN_URI,
        GOOGLE_OAUTH_REVOKE_URI,
        GOOGLE_API_ROOT,
    )
)
if GOOGLE_ENDPOINTS_ARE_LOOPBACK:
    # oauthlib refuses http:// endpoints otherwise; only ever for a local fake Google.
    os.environ["OAUTHLIB_INSECURE_TRANSPORT"] = "1"

# --- Backups ------------------------------------------------------------------------------
BACKUP_ROOT_FOLDER_NAME = env("BACKUP_ROOT_FOLDER_NAME", default="BaseLinker Backup")
BACKUP_NIGHT_START_HOUR = env.int("BACKUP_NIGHT_START_HOUR", default=0)
BACKUP_NIGHT_END_HOUR = env.int("BACKUP_NIGHT_END_HOUR", default=6)
BACKUP_DISPATCH_INTERVAL_SECONDS = env.int("BACKUP_DISPATCH_INTERVAL_SECONDS", default=300)
BACKUP_ORDERS_WINDOW_DAYS = 30
# Nightly runs start at a stable moment of each merchant's window, spread over all of it but
# this last part, which is left for retries.
BACKUP_NIGHT_SPREAD_MARGIN_SECONDS = env.int("BACKUP_NIGHT_SPREAD_MARGIN_SECONDS", default=3600)
# A started run whose heartbeat is older than this lost its worker and is queued again; a run
# no worker started within the second limit probably lost its message. After
# BACKUP_RUN_MAX_REQUEUES such rescues the run is closed as failed.
BACKUP_RUN_STALE_SECONDS = env.int("BACKUP_RUN_STALE_SECONDS", default=300)
BACKUP_QUEUED_RUN_STALE_SECONDS = env.int("BACKUP_QUEUED_RUN_STALE_SECONDS", default=1800)
BACKUP_RUN_MAX_REQUEUES = env.int("BACKUP_RUN_MAX_REQUEUES", default=3)
# Seconds before each retry of a run that met transient trouble (Google 5xx, network): about
# 20 minutes in all, so a night's run is retried within the same night.
BACKUP_RUN_RETRY_COUNTDOWNS = env.list(
    "BACKUP_RUN_RETRY_COUNTDOWNS", cast=int, default=[60, 5 * 60, 15 * 60]
)
# Google asks for at most 3 sustained writes per second per user; the bucket is shared by every
# worker through Redis. Backoff is truncated exponential with jitter, never below Retry-After.
BACKUP_DRIVE_WRITES_PER_SECOND = env.float("BACKUP_DRIVE_WRITES_PER_SECOND", default=3.0)
BACKUP_DRIVE_WRITE_BURST = env.int("BACKUP_DRIVE_WRITE_BURST", default=5)
BACKUP_BACKOFF_BASE_SECONDS = env.float("BACKUP_BACKOFF_BASE_SECONDS", default=1.0)
BACKUP_BACKOFF_CAP_SECONDS = env.float("BACKUP_BACKOFF_CAP_SECONDS", default=32.0)
BACKUP_DRIVE_MAX_ATTEMPTS = env.int("BACKUP_DRIVE_MAX_ATTEMPTS", default=6)
# Drive file ids are reserved ahead (files.generateIds) and kept per integration and Google
# account, so a regular night spends no request on them: a run that finds its pool dry asks
# for at least this many (at most 1000, Google's limit per call). Google documents no expiry
# for generated ids; a pool older than the second setting is thrown away all the same.
BACKUP_ID_POOL_SIZE = env.int("BACKUP_ID_POOL_SIZE", default=100)
BACKUP_ID_POOL_MAX_AGE_DAYS = env.int("BACKUP_ID_POOL_MAX_AGE_DAYS", default=30)
# Absolute links in e-mails (e.g. "reconnect your Google account") start with this.
SITE_URL = env("SITE_URL", default="http://127.0.0.1:8000")
API_MAX_PDF_BYTES = env.int("API_MAX_PDF_BYTES", default=10 * 1024 * 1024)
DATA_UPLOAD_MAX_MEMORY_SIZE = API_MAX_PDF_BYTES * 2


# --- Operations: health checks, metrics, operator alerts, log format --------------------
# (one block; see the README's Operating section)
INSTALLED_APPS += ["monitoring"]
# First: /healthz, /readyz and /metrics answer probes and scrapers addressed by IP, over plain
# HTTP, before host validation, redirects and sessions.
MIDDLEWARE.insert(0, "monitoring.middleware.OperationsEndpointsMiddleware")
# /metrics: a request carrying this bearer token, or coming from one of these networks
# (comma-separated CIDRs), may read; with neither set, loopback clients only.
METRICS_BEARER_TOKEN = env("METRICS_BEARER_TOKEN", default="")
METRICS_ALLOWED_NETWORKS = env.list("METRICS_ALLOWED_NETWORKS", default=[])
# /readyz fails when beat's last dispatcher pass is older than this (3 passes by default).
HEALTH_DISPATCHER_MAX_AGE_SECONDS = env.int(
    "HEALTH_DISPATCHER_MAX_AGE_SECONDS", default=3 * BACKUP_DISPATCH_INTERVAL_SECONDS
)
HEALTH_CHECK_TIMEOUT_SECONDS = env.float("HEALTH_CHECK_TIMEOUT_SECONDS", default=2.0)
# Who gets the operator e-mails (a night's runs not finished by the end of the window):
# "Ops <ops@example.com>, oncall@example.com".
ADMINS = [
    (name, address) for name, address in getaddresses(env.list("ADMINS", default=[])) if address
]
SERVER_EMAIL = env("SERVER_EMAIL", default=DEFAULT_FROM_EMAIL)
LOGGING = use_log_format(
    base_logging(env("LOG_LEVEL", default="INFO")), env("LOG_FORMAT", default="plain")
)
