"""Readiness checks: the database, Redis and the Celery broker answer; beat's dispatcher runs.

Each check returns a Check; a failure carries a short reason with nothing secret in it (the
exception's class, never its text, which can hold host names, user names or URLs). The full
exception goes to the log.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

import redis
from django.conf import settings
from django.db import DEFAULT_DB_ALIAS, connections
from django.db.backends.base.base import BaseDatabaseWrapper
from django.utils import timezone
from kombu import Connection

from monitoring.heartbeats import last_dispatcher_pass

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class Check:
    name: str
    ok: bool
    detail: str = ""

    def as_json(self) -> dict[str, object]:
        return {"ok": self.ok, **({"detail": self.detail} if self.detail else {})}


def _unreachable(name: str, exc: BaseException) -> Check:
    logger.warning("Readiness: %s unreachable: %r", name, exc)
    return Check(name, False, f"unreachable ({type(exc).__name__})")


def database_connection() -> BaseDatabaseWrapper:
    return connections[DEFAULT_DB_ALIAS]


def check_database() -> Check:
    try:
        with database_connection().cursor() as cursor:
            cursor.execute("SELECT 1")
            cursor.fetchone()
    except Exception as exc:
        return _unreachable("database", exc)
    return Check("database", True)


def check_redis() -> Check:
    """The Redis of run locks and write pacing (REDIS_URL)."""
    timeout = settings.HEALTH_CHECK_TIMEOUT_SECONDS
    client = redis.Redis.from_url(
        settings.REDIS_URL, socket_connect_timeout=timeout, socket_timeout=timeout
    )
    try:
        client.ping()
    except Exception as exc:
        return _unreachable("redis", exc)
    finally:
        client.close()
    return Check("redis", True)


def check_broker() -> Check:
    """The Celery broker (the same Redis by default, but it may be configured apart)."""
    timeout = settings.HEALTH_CHECK_TIMEOUT_SECONDS
    try:
        with Connection(
            settings.CELERY_BROKER_URL,
            connect_timeout=timeout,
            transport_options={**settings.CELERY_BROKER_TRANSPORT_OPTIONS},
        ) as connection:
            # One attempt: a probe answers within its own timeout instead of retrying.
            connection.ensure_connection(max_retries=1, interval_start=0, timeout=timeout)
    except Exception as exc:
        return _unreachable("broker", exc)
    return Check("broker", True)


def dispatcher_max_age() -> timedelta:
    return timedelta(seconds=settings.HEALTH_DISPATCHER_MAX_AGE_SECONDS)


def check_dispatcher(now: datetime | None = None) -> Check:
    """Beat's dispatcher passed within HEALTH_DISPATCHER_MAX_AGE_SECONDS."""
    now = now or timezone.now()
    try:
        last = last_dispatcher_pass()
    except Exception as exc:
        return _unreachable("dispatcher", exc)
    limit = dispatcher_max_age()
    if last is None:
        return Check("dispatcher", False, "no dispatcher pass recorded yet: is beat running?")
    age = now - last
    if age > limit:
        return Check(
            "dispatcher",
            False,
            f"last pass {int(age.total_seconds())} s ago at {last.isoformat()}, "
            f"limit {int(limit.total_seconds())} s: is beat running?",
        )
    return Check("dispatcher", True, f"last pass at {last.isoformat()}")


READINESS_CHECKS: tuple[Callable[[], Check], ...] = (
    check_database,
    check_redis,
    check_broker,
    check_dispatcher,
)


def readiness() -> list[Check]:
    return [check() for check in READINESS_CHECKS]
