"""One worker at a time per integration: a Redis lock that lives as long as its heartbeat.

A Redis lock rather than a database row lock: a row lock would have to be held in a
transaction for the whole run (hours, with SQLite locking the whole file), while this one
expires by itself LOCK_TTL_SECONDS after its worker died, so a redelivered task can go on.
"""

from __future__ import annotations

import contextlib

from redis.exceptions import LockError
from redis.lock import Lock

from integrations.google.pacing import redis_client

LOCK_TTL_SECONDS = 120
KEY_PREFIX = "drivebackup:run-lock:integration:"


class IntegrationLock:
    def __init__(self, integration_id: int, *, ttl: int = LOCK_TTL_SECONDS) -> None:
        self.ttl = ttl
        self._lock = Lock(
            redis_client(), f"{KEY_PREFIX}{integration_id}", timeout=ttl, thread_local=False
        )

    def acquire(self) -> bool:
        """Take the lock if nobody holds it; never waits."""
        return bool(self._lock.acquire(blocking=False))

    def renew(self) -> bool:
        """Push the expiry ttl seconds ahead; False if the lock was lost to its expiry."""
        try:
            return bool(self._lock.reacquire())
        except LockError:
            return False

    def release(self) -> None:
        # Already expired: whoever holds it now is not ours to release.
        with contextlib.suppress(LockError):
            self._lock.release()
