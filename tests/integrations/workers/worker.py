"""Real Celery worker processes for the engine tests, sharing the test database and Redis.

The worker is started the way production starts it (`celery -A backupsite worker -P threads`)
with an environment that points it at the test database, a Redis database of its own, the
fake Google of the test process and a directory for the e-mails it sends.
"""

from __future__ import annotations

import email
import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from email.message import Message
from pathlib import Path
from urllib.parse import quote

import redis
from django.conf import settings
from django.db import connection

from integrations.engine.locking import KEY_PREFIX as LOCK_KEY_PREFIX
from tests.clock import child_environment
from tests.isolation import session_slot

BASE_DIR = Path(settings.BASE_DIR)
READY_TIMEOUT = 60.0


def database_url() -> str:
    """The URL of the database the test process uses right now (the test database)."""
    db = connection.settings_dict
    if db["ENGINE"].endswith("sqlite3"):
        return f"sqlite:///{db['NAME']}"
    if db["ENGINE"].endswith("postgresql"):
        credentials = quote(db["USER"] or "")
        if db.get("PASSWORD"):
            credentials += ":" + quote(db["PASSWORD"])
        host = f"{db.get('HOST') or '127.0.0.1'}:{db.get('PORT') or 5432}"
        return f"postgres://{credentials}@{host}/{quote(db['NAME'])}"
    raise RuntimeError(f"no worker support for {db['ENGINE']}")


def worker_environment(fake_google, mail_dir: Path, **extra: str) -> dict[str, str]:
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "backupsite.settings",
        "PYTHONUNBUFFERED": "1",
        "DATABASE_URL": database_url(),
        "REDIS_URL": broker_url(),
        "SECRET_KEY": settings.SECRET_KEY,
        "FIELD_ENCRYPTION_KEYS": ",".join(settings.FIELD_ENCRYPTION_KEYS),
        # Four slashes: django-environ strips one from an absolute path.
        "EMAIL_URL": f"filemail:///{mail_dir.resolve()}",
        "GOOGLE_OAUTH_CLIENT_ID": settings.GOOGLE_OAUTH_CLIENT_ID,
        "GOOGLE_OAUTH_CLIENT_SECRET": settings.GOOGLE_OAUTH_CLIENT_SECRET,
        "BACKUP_ROOT_FOLDER_NAME": settings.BACKUP_ROOT_FOLDER_NAME,
        "SITE_URL": settings.SITE_URL,
        "LOG_LEVEL": "INFO",
        **fake_google.settings(),
        **child_environment(),
    }
    env.pop("CELERY_TASK_ALWAYS_EAGER", None)
    env.update(extra)
    return env


class Worker:
    """One `celery worker` process; `stop()` is always safe to call."""

    def __init__(self, env: dict[str, str], log_path: Path, name: str, concurrency: int = 4):
        self.env = env
        self.log_path = log_path
        self.name = name
        self.concurrency = concurrency
        self.process: subprocess.Popen | None = None

    def command(self) -> list[str]:
        return [
            sys.executable,
            "-m",
            "tests.clock",  # `python -m celery`, on the session's clock (TEST_NOW)
            "celery",
            "-A",
            "backupsite",
            "worker",
            "-P",
            "threads",
            "-c",
            str(self.concurrency),
            "-n",
            f"{self.name}@%h",
            "--without-heartbeat",
            "--without-mingle",
            "--without-gossip",
            "--loglevel",
            "INFO",
        ]

    def start(self) -> Worker:
        log = self.log_path.open("ab")
        self.process = subprocess.Popen(
            self.command(),
            cwd=BASE_DIR,
            env=self.env,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        log.close()
        wait_for(self._ready, timeout=READY_TIMEOUT, what=f"worker {self.name} to start")
        return self

    def _ready(self) -> bool:
        if self.process is not None and self.process.poll() is not None:
            raise RuntimeError(f"worker {self.name} exited:\n{self.log()}")
        return " ready." in self.log()

    def log(self) -> str:
        return self.log_path.read_text(errors="replace") if self.log_path.exists() else ""

    def kill(self) -> None:
        """SIGKILL: no warm shutdown, no acknowledgement, nothing handed back to Redis."""
        if self.process is not None and self.process.poll() is None:
            self.process.send_signal(signal.SIGKILL)
            self.process.wait(timeout=10)

    def stop(self) -> None:
        if self.process is None or self.process.poll() is not None:
            return
        self.process.send_signal(signal.SIGTERM)
        try:
            self.process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            self.kill()


def wait_for(
    condition: Callable[[], object],
    *,
    timeout: float,
    what: str,
    interval: float = 0.2,
) -> object:
    """Poll `condition` (work done by another process) until it is truthy."""
    deadline = time.monotonic() + timeout
    while True:
        result = condition()
        if result:
            return result
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout:.0f} s waiting for {what}")
        time.sleep(interval)


def broker_url() -> str:
    """The Redis database this session's workers use as broker and REDIS_URL."""
    return session_slot().broker_url


def redis_client() -> redis.Redis:
    return redis.Redis.from_url(broker_url())


def point_app_at(app, url: str) -> None:
    """Make the test process's Celery app publish to `url` from now on.

    kombu keeps one pool per broker URL for the whole process, so none is closed here.
    """
    app.conf.broker_url = url
    app._pool = None
    amqp = app.__dict__.get("amqp")
    if amqp is not None:
        amqp._producer_pool = None


def expire_integration_locks() -> int:
    """What time does to the lock of a killed worker (it expires), without waiting for it."""
    client = redis_client()
    keys = list(client.scan_iter(f"{LOCK_KEY_PREFIX}*"))
    return client.delete(*keys) if keys else 0


def sent_mail(mail_dir: Path) -> list[Message]:
    """The e-mails the worker wrote with Django's file backend (one file per connection)."""
    messages: list[Message] = []
    for path in sorted(mail_dir.glob("*.log")):
        for chunk in path.read_text().split("-" * 79):
            if chunk.strip():
                messages.append(email.message_from_string(chunk.strip()))
    return messages
