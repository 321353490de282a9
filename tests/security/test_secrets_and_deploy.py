"""F3: no secret in the code, refuse to start without one, nothing for `check --deploy` to say.

The review decrypted stored refresh tokens from a database file and the SECRET_KEY written in
settings.py, from which the encryption key was derived.
"""

from __future__ import annotations

import ast
import io
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
from cryptography.fernet import Fernet, InvalidToken
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.core.management import call_command
from django.db import connection

from integrations import crypto
from integrations.management.commands.rotate_encryption_keys import legacy_key_derived_from
from integrations.models import GoogleDriveIntegration

BASE_DIR = Path(settings.BASE_DIR)


def documented_production_settings() -> dict[str, str]:
    """The variables README.md lists under "In production set at least", with the secrets it
    leaves as "..." made up here."""
    readme = (BASE_DIR / "README.md").read_text()
    block = readme.split("In production set at least", 1)[1].split("```sh", 1)[1]
    lines = block.split("```", 1)[0].strip().splitlines()
    variables = dict(line.split("#", 1)[0].strip().split("=", 1) for line in lines)
    secrets = {"SECRET_KEY": "x7Vq2m9LrT4pZc8Wn1Yb6Hs3Jd5Kf0Ga-Ue_Oi7Py2Rw4Tz9Xv1Mn3Bq8Ld6Sh5Ck"}
    secrets["FIELD_ENCRYPTION_KEYS"] = Fernet.generate_key().decode()
    assert {k for k, v in variables.items() if v == "..."} == set(secrets)
    return {**variables, **secrets}


PRODUCTION = documented_production_settings()


def manage(*args: str, **variables: str) -> subprocess.CompletedProcess:
    """manage.py with the application's own settings. Every variable the test cares about is
    set explicitly (an empty one counts as unset and wins over .env and the local file)."""
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "backupsite.settings",
        "DEBUG": "false",
        "SECRET_KEY": "",
        "FIELD_ENCRYPTION_KEYS": "",
        **variables,
    }
    return subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=BASE_DIR,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )


@pytest.mark.parametrize("missing", ["SECRET_KEY", "FIELD_ENCRYPTION_KEYS"])
def test_nothing_starts_without_a_secret(missing):
    others = {name: PRODUCTION[name] for name in ("SECRET_KEY", "FIELD_ENCRYPTION_KEYS")}
    done = manage("check", **{**others, missing: ""})

    assert done.returncode != 0
    assert f"{missing} is not set" in done.stderr


def test_a_key_that_is_not_a_fernet_key_stops_the_start_too():
    done = manage("check", SECRET_KEY=PRODUCTION["SECRET_KEY"], FIELD_ENCRYPTION_KEYS="not-a-key")

    assert done.returncode != 0
    assert "FIELD_ENCRYPTION_KEYS: key 1 is not a Fernet key" in done.stderr


def test_the_worker_does_not_start_either():
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "backupsite.settings", "SECRET_KEY": ""}
    done = subprocess.run(
        [sys.executable, "-c", "import django; django.setup()"],
        cwd=BASE_DIR,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode != 0
    assert "SECRET_KEY is not set" in done.stderr


def test_check_deploy_has_nothing_to_report_under_the_documented_production_settings():
    done = manage("check", "--deploy", "--fail-level", "DEBUG", **PRODUCTION)

    assert done.returncode == 0, done.stderr
    assert "System check identified no issues (0 silenced)." in done.stdout


def test_a_proxy_that_redirects_to_https_stands_for_the_ssl_redirect():
    done = manage(
        "check",
        "--deploy",
        "--fail-level",
        "DEBUG",
        **PRODUCTION,
        SECURE_SSL_REDIRECT="false",
        HTTPS_REDIRECT_BY_PROXY="true",
    )
    assert done.returncode == 0, done.stderr + done.stdout


def test_without_https_check_deploy_says_so():
    done = manage("check", "--deploy", **{**PRODUCTION, "SECURE_COOKIES": "false"})

    for warning in ("W004", "W008", "W012", "W016"):
        assert f"security.{warning}" in done.stderr + done.stdout


def raw_token(pk: int) -> str:
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT refresh_token FROM integrations_googledriveintegration WHERE id = %s", [pk]
        )
        return cursor.fetchone()[0]


def repository_strings() -> set[str]:
    """Every string literal of the repository's Python and every key-like word of its other
    files: what someone holding a copy of the code could try as a key or a SECRET_KEY."""
    listed = subprocess.run(
        ["git", "ls-files"], cwd=BASE_DIR, capture_output=True, text=True, check=True
    ).stdout.split()
    found: set[str] = set()
    for name in listed:
        path = BASE_DIR / name
        if not path.is_file() or path.suffix in {".ttf", ".png", ".mo", ".pdf"}:
            continue
        text = path.read_text(errors="ignore")
        found.update(re.findall(r"[A-Za-z0-9_\-=+/]{16,}", text))
        if path.suffix == ".py":
            try:
                tree = ast.parse(text)
            except SyntaxError:
                continue
            found.update(
                node.value
                for node in ast.walk(tree)
                if isinstance(node, ast.Constant) and isinstance(node.value, str)
            )
    return found


def opens(key: bytes, ciphertext: str) -> bool:
    try:
        Fernet(key).decrypt(ciphertext.encode())
    except (ValueError, InvalidToken):
        return False
    return True


def test_a_database_dump_and_the_repository_do_not_decrypt_a_token(merchant):
    integration = GoogleDriveIntegration.objects.create(
        merchant=merchant, refresh_token="1//stolen-with-the-database"
    )
    ciphertext = raw_token(integration.pk)
    candidates = repository_strings()
    assert len(candidates) > 1000, "the repository was read"

    for candidate in candidates:
        assert not opens(candidate.encode(), ciphertext), "a key written in the repository"
        assert not opens(legacy_key_derived_from(candidate), ciphertext), (
            "a key derived from a SECRET_KEY written in the repository"
        )
    # The key is never derived from SECRET_KEY either (one secret for signing and encryption).
    assert not opens(legacy_key_derived_from(settings.SECRET_KEY), ciphertext)
    assert crypto.decrypt(ciphertext) == "1//stolen-with-the-database"


def test_no_key_no_fallback(settings):
    settings.FIELD_ENCRYPTION_KEYS = []

    with pytest.raises(ImproperlyConfigured, match="FIELD_ENCRYPTION_KEYS"):
        crypto.encrypt("1//t")


def test_tokens_under_the_key_derived_from_secret_key_move_to_the_new_key(
    settings, merchant, monkeypatch
):
    """The documented migration for deployments that had no FIELD_ENCRYPTION_KEYS."""
    old_secret_key = "the-secret-key-the-deployment-used-then"
    derived = legacy_key_derived_from(old_secret_key).decode()
    settings.FIELD_ENCRYPTION_KEYS = [derived]
    integration = GoogleDriveIntegration.objects.create(merchant=merchant, refresh_token="1//old")
    new_key = Fernet.generate_key().decode()
    settings.FIELD_ENCRYPTION_KEYS = [new_key]
    monkeypatch.setenv("LEGACY_SECRET_KEY", old_secret_key)
    out = io.StringIO()

    call_command("rotate_encryption_keys", "--from-secret-key", stdout=out)

    assert "1 re-encrypted" in out.getvalue()
    assert Fernet(new_key.encode()).decrypt(raw_token(integration.pk).encode()) == b"1//old"
    assert GoogleDriveIntegration.objects.get(pk=integration.pk).refresh_token == "1//old"
    assert not opens(derived.encode(), raw_token(integration.pk))
