"""Create the development secrets file `make run` needs, once: SECRET_KEY and a Fernet key.

The application has no secret written in its code and refuses to start without SECRET_KEY and
FIELD_ENCRYPTION_KEYS. So that a fresh checkout still runs with nothing configured, `make run`
calls this script, which writes random values for whichever of the two the environment (or
.env) leaves unset into a git-ignored file readable by its owner only; backupsite/settings.py
reads that file for what the environment leaves unset. An existing file is never rewritten:
the encryption key in it is what decrypts the refresh tokens stored in the local database.

    python scripts/local_secrets.py var/local-secrets.env

Standard library only: it runs before the virtualenv's packages are needed.
"""

from __future__ import annotations

import base64
import os
import secrets
import sys
from pathlib import Path

NAMES = ("SECRET_KEY", "FIELD_ENCRYPTION_KEYS")
HEADER = """\
# Development secrets written once by scripts/local_secrets.py (make run). Never used in
# production: there SECRET_KEY and FIELD_ENCRYPTION_KEYS come from the environment.
# Deleting this file makes the Google tokens stored in the local database unreadable.
"""


def new_secret_key() -> str:
    return secrets.token_urlsafe(50)


def new_fernet_key() -> str:
    # What cryptography's Fernet.generate_key() returns: 32 random bytes, URL-safe base64.
    return base64.urlsafe_b64encode(os.urandom(32)).decode()


def names_in(path: Path) -> set[str]:
    if not path.is_file():
        return set()
    lines = path.read_text().splitlines()
    return {line.split("=", 1)[0].strip() for line in lines if "=" in line}


def ensure_local_secrets(path: Path, environ: dict[str, str] | None = None) -> list[str]:
    """Add to `path` each secret that neither the environment nor the file has yet; return the
    names written."""
    environ = os.environ if environ is None else environ
    present = names_in(path)
    generators = {"SECRET_KEY": new_secret_key, "FIELD_ENCRYPTION_KEYS": new_fernet_key}
    missing = [name for name in NAMES if not environ.get(name) and name not in present]
    if not missing:
        return []
    path.parent.mkdir(parents=True, exist_ok=True)
    header = "" if path.exists() else HEADER
    # Created readable by its owner only, before anything is written into it.
    descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600)
    with os.fdopen(descriptor, "a") as file:
        file.write(header + "".join(f"{name}={generators[name]()}\n" for name in missing))
    return missing


if __name__ == "__main__":
    written = ensure_local_secrets(Path(sys.argv[1]))
    if written:
        print(f"Generated {' and '.join(written)} into {sys.argv[1]} (development only).")
