"""Settings of the test run: the application's own, with secrets made up for this run.

The application has no secret in its code and refuses to start without SECRET_KEY and
FIELD_ENCRYPTION_KEYS. The test run generates random ones here, into the environment, so that
the processes tests start (Celery workers, manage.py, make run) inherit the same ones; a value
the environment already has is kept.
"""

from __future__ import annotations

import os
import secrets

from cryptography.fernet import Fernet

os.environ.setdefault("SECRET_KEY", secrets.token_urlsafe(50))
os.environ.setdefault("FIELD_ENCRYPTION_KEYS", Fernet.generate_key().decode())

from backupsite.settings import *  # noqa: F403
