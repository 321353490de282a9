"""The functions settings.py reads and checks its environment with (kept apart so the
settings module stays a list of settings)."""

from __future__ import annotations

import base64
import hashlib
import os
import tempfile
from pathlib import Path
from urllib.parse import parse_qsl, urlsplit

import environ
from cryptography.fernet import Fernet
from django.core.exceptions import ImproperlyConfigured


def read_fake_google_env(path: Path) -> None:
    """Take the fake_google settings `make run` wrote to `path` for what the environment (or
    .env) does not set.

    Without Google credentials scripts/run.sh points its processes at a local fake_google and
    writes the same settings to this file, so that a manage.py command started from another
    shell (backup_now) talks to that fake too instead of Google. A GOOGLE_OAUTH_CLIENT_ID in
    the environment is a real client: a file left by an earlier `make run` is then ignored.
    An empty one counts as unset, as it does in run.sh.
    """
    if os.environ.get("GOOGLE_OAUTH_CLIENT_ID") or not path.is_file():
        return
    os.environ.pop("GOOGLE_OAUTH_CLIENT_ID", None)
    environ.Env.read_env(path, overwrite=False)


def required_secret(name: str, value: object) -> None:
    if not value:
        raise ImproperlyConfigured(
            f"{name} is not set. Set it in the environment (production: a secret of its own, "
            "see README, Configuration); on a developer machine `make run` generates it into "
            "var/local-secrets.env."
        )


def check_fernet_keys(keys: list[str]) -> None:
    for position, key in enumerate(keys, start=1):
        try:
            Fernet(key.strip().encode())
        except ValueError:
            raise ImproperlyConfigured(
                f"FIELD_ENCRYPTION_KEYS: key {position} is not a Fernet key (32 bytes, URL-safe "
                "base64; generate one with: python -c 'from cryptography.fernet import Fernet; "
                "print(Fernet.generate_key().decode())')."
            ) from None


def file_storage(url: str) -> dict:
    if not url:
        return {"BACKEND": "django.core.files.storage.FileSystemStorage"}
    parts = urlsplit(url)
    if parts.scheme != "s3" or not parts.hostname:
        raise ImproperlyConfigured(
            f"MEDIA_STORAGE_URL must look like s3://bucket/prefix, not {url!r}."
        )
    options = {
        "bucket_name": parts.hostname,
        "location": parts.path.strip("/"),
        "default_acl": "private",
        "file_overwrite": False,
        "querystring_auth": True,
        **dict(parse_qsl(parts.query)),
    }
    return {"BACKEND": "storages.backends.s3.S3Storage", "OPTIONS": options}


def csp_source_hash(source: str) -> str:
    digest = base64.b64encode(hashlib.sha256(source.encode()).digest()).decode()
    return f"'sha256-{digest}'"


def is_loopback(url: str) -> bool:
    return (urlsplit(url).hostname or "") in {"127.0.0.1", "localhost", "::1"}


def database_settings(env: environ.Env, base_dir: Path) -> dict:
    """The default database from DATABASE_URL (SQLite beside manage.py without one)."""
    database = env.db("DATABASE_URL", default=f"sqlite:///{base_dir / 'db.sqlite3'}")
    database.setdefault("ATOMIC_REQUESTS", False)
    if database["ENGINE"].endswith("sqlite3"):
        # WAL lets the web process read while a worker writes.
        options = database.setdefault("OPTIONS", {})
        options.setdefault("init_command", "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;")
        options.setdefault("transaction_mode", "IMMEDIATE")
        options.setdefault("timeout", 20)
        # Tests with a real Celery worker process share the test database with it, which an
        # in-memory database cannot do; one file per test process keeps parallel runs apart.
        database.setdefault(
            "TEST",
            {"NAME": str(Path(tempfile.gettempdir()) / f"drivebackup-test-{os.getpid()}.sqlite3")},
        )
    elif pool_max_size := env.int("DATABASE_POOL_MAX_SIZE", default=16):
        # One pool per process (psycopg_pool, through Django). Celery closes a task's
        # connection before and after every task, and a web request's ends with it: without
        # the pool each of them started a PostgreSQL backend (about 15 ms of the server's CPU,
        # a fork, an authentication) for a few dozen statements. At least the threads of one
        # process (Procfile: 12 per worker, 4 per web process); 0 turns the pool off. A
        # connection is checked as it is handed out (one round trip), so one that PostgreSQL
        # closed (a restart) is replaced instead of failing a run; a thread waits at most the
        # timeout for one (the database down: /readyz answers after it).
        database["CONN_HEALTH_CHECKS"] = True
        database.setdefault("OPTIONS", {}).setdefault(
            "pool",
            {
                "min_size": 1,
                "max_size": pool_max_size,
                "timeout": env.float("DATABASE_POOL_TIMEOUT_SECONDS", default=5.0),
            },
        )
    return database
