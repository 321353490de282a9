"""What one test session has to itself on a shared machine: Redis databases and a bench database.

Tests flush their Redis databases and start Celery workers on them. Two sessions on one machine
(two `make test`, or a suite while `make run` or CI is up) sharing fixed databases would flush
each other's keys and take each other's tasks: flaky "lost its lock" failures that say nothing
about the code. So a session claims a slot, a set of Redis databases no other session uses
while the claim holds, the first time a test needs one.

Claims live in ``CLAIMS_DB`` as ``drivebackup-tests:slot:<n>`` = ``<host>:<pid>``; no test
flushes that database. A claim ends with the session, or after ``CLAIM_TTL_SECONDS`` if the
session was killed; a claim whose process is gone on this host is taken over at once.
Databases 0 (``make run``), 11 (``python -m bench.profile_run``) and 12 (``make bench``) are
never in a slot.
"""

from __future__ import annotations

import os
import socket
import sys
import time
from dataclasses import dataclass
from functools import cache

import redis

REDIS_SERVER = "redis://127.0.0.1:6379"
CLAIMS_DB = 10
CLAIM_KEY_PREFIX = "drivebackup-tests:slot:"
# Far longer than a whole suite (CI allows 90 minutes); a killed session's claim lapses then.
CLAIM_TTL_SECONDS = 3 * 60 * 60
# A session that finds every slot taken waits this long for one to be given back before it
# gives up (TEST_SLOT_WAIT_SECONDS); a whole suite takes a few minutes.
SLOT_WAIT_SECONDS = float(os.environ.get("TEST_SLOT_WAIT_SECONDS", 30 * 60))
SLOT_POLL_SECONDS = 2.0
# (backup engine, Celery broker of worker processes, `python -m bench` smoke run)
SLOTS = ((13, 14, 15), (1, 2, 3), (4, 5, 6), (7, 8, 9))


class NoFreeSlot(RuntimeError):
    pass


@dataclass(frozen=True)
class Slot:
    number: int
    backup_db: int
    broker_db: int
    bench_db: int

    @property
    def backup_redis_url(self) -> str:
        """The REDIS_URL of in-process backups (locks, write pacing)."""
        return f"{REDIS_SERVER}/{self.backup_db}"

    @property
    def broker_url(self) -> str:
        """The broker and REDIS_URL of real `celery worker` processes and their publishers."""
        return f"{REDIS_SERVER}/{self.broker_db}"

    @property
    def bench_redis_url(self) -> str:
        return f"{REDIS_SERVER}/{self.bench_db}"

    @property
    def bench_database_name(self) -> str:
        return f"drivebackup_bench_smoke_{self.number}"


def claims_client() -> redis.Redis:
    return redis.Redis.from_url(f"{REDIS_SERVER}/{CLAIMS_DB}", decode_responses=True)


def holder_name() -> str:
    return f"{socket.gethostname()}:{os.getpid()}"


def holder_is_gone(holder: str) -> bool:
    """True only for a process of this host that no longer exists."""
    host, _, pid = holder.rpartition(":")
    if host != socket.gethostname() or not pid.isdigit():
        return False
    try:
        os.kill(int(pid), 0)
    except ProcessLookupError:
        return True
    except PermissionError:
        return False
    return False


def try_claim(client: redis.Redis, number: int, holder: str) -> bool:
    key = f"{CLAIM_KEY_PREFIX}{number}"
    if client.set(key, holder, nx=True, ex=CLAIM_TTL_SECONDS):
        return True
    current = client.get(key)
    if current == holder:
        return True
    if current is not None and holder_is_gone(current):
        # Compare-and-delete, so two sessions taking over the same stale claim don't both win.
        pipe = client.pipeline()
        try:
            pipe.watch(key)
            if pipe.get(key) == current:
                pipe.multi()
                pipe.set(key, holder, ex=CLAIM_TTL_SECONDS)
                pipe.execute()
                return True
        except redis.WatchError:
            return False
        finally:
            pipe.reset()
    return False


@cache
def session_slot() -> Slot:
    """This session's slot, claimed on first use and kept until ``release_session_slot``.

    With every slot taken (four sessions already running on this machine) it waits for one
    to be given back, saying so once, rather than failing the tests that need Redis.
    """
    return wait_for_slot(claims_client(), holder_name())


def wait_for_slot(client: redis.Redis, holder: str) -> Slot:
    deadline = time.monotonic() + SLOT_WAIT_SECONDS
    said_so = False
    while True:
        slot = claim_free_slot(client, holder)
        if slot is not None:
            return slot
        if time.monotonic() >= deadline:
            raise NoFreeSlot(
                f"all {len(SLOTS)} Redis slots for test sessions stayed taken for "
                f"{SLOT_WAIT_SECONDS:.0f} s (keys {CLAIM_KEY_PREFIX}* in Redis db {CLAIMS_DB}: "
                f"{', '.join(current_holders(client))}); wait for another session to end"
            )
        if not said_so:
            print(
                f"\nAll {len(SLOTS)} Redis slots for test sessions are taken; waiting up to "
                f"{SLOT_WAIT_SECONDS:.0f} s for one (TEST_SLOT_WAIT_SECONDS)",
                file=sys.stderr,
            )
            said_so = True
        time.sleep(SLOT_POLL_SECONDS)


def claim_free_slot(client: redis.Redis, holder: str) -> Slot | None:
    for number, (backup_db, broker_db, bench_db) in enumerate(SLOTS):
        if try_claim(client, number, holder):
            return Slot(number, backup_db, broker_db, bench_db)
    return None


def current_holders(client: redis.Redis) -> list[str]:
    return [f"{number}={client.get(f'{CLAIM_KEY_PREFIX}{number}')}" for number in range(len(SLOTS))]


def release_session_slot() -> None:
    """Give the slot back if this session claimed one (called when the session ends)."""
    if session_slot.cache_info().currsize == 0:
        return
    slot = session_slot()
    key = f"{CLAIM_KEY_PREFIX}{slot.number}"
    client = claims_client()
    if client.get(key) == holder_name():
        client.delete(key)
    session_slot.cache_clear()
