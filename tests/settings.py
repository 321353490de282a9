"""Settings of the test run: the application's own, with secrets made up for this run.

The application has no secret in its code and refuses to start without SECRET_KEY and
FIELD_ENCRYPTION_KEYS. The test run generates random ones here, into the environment, so that
the processes tests start (Celery workers, manage.py, make run) inherit the same ones; a value
the environment already has is kept. Uploaded files go to a temporary directory of the run,
shared with those processes the same way, and removed at its end.
"""

from __future__ import annotations

import atexit
import os
import secrets
import shutil
import tempfile

from cryptography.fernet import Fernet

os.environ.setdefault("SECRET_KEY", secrets.token_urlsafe(50))
os.environ.setdefault("FIELD_ENCRYPTION_KEYS", Fernet.generate_key().decode())
if "MEDIA_ROOT" not in os.environ:
    os.environ["MEDIA_ROOT"] = tempfile.mkdtemp(prefix="drivebackup-test-media-")
    atexit.register(shutil.rmtree, os.environ["MEDIA_ROOT"], ignore_errors=True)

from backupsite.settings import *  # noqa: F403

# Per process, with no server: rate limits of one test never reach another test's process.
CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
