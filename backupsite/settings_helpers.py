"""The functions settings.py reads and checks its environment with (kept apart so the
settings module stays a list of settings)."""

from __future__ import annotations

import base64
import hashlib
import os
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
