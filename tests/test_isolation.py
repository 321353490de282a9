"""Two test sessions on one machine get different Redis databases (tests/isolation.py)."""

from __future__ import annotations

import subprocess
import sys
import uuid
from pathlib import Path

import pytest
import redis

from tests import isolation

BASE_DIR = Path(__file__).resolve().parents[1]


@pytest.fixture
def claims(monkeypatch):
    """The real claims database, under a key prefix of this test only."""
    prefix = f"drivebackup-tests:isolation-test-{uuid.uuid4().hex[:8]}:"
    monkeypatch.setattr(isolation, "CLAIM_KEY_PREFIX", prefix)
    client = isolation.claims_client()
    try:
        client.ping()
    except redis.ConnectionError as error:  # pragma: no cover - depends on the machine
        pytest.skip(f"Redis not reachable: {error}")
    yield client
    for key in client.scan_iter(f"{prefix}*"):
        client.delete(key)


def dead_pid() -> int:
    finished = subprocess.run(
        [sys.executable, "-c", "import os; print(os.getpid())"],
        check=True,
        capture_output=True,
        text=True,
    )
    return int(finished.stdout)


def test_a_slot_held_by_a_live_session_is_not_taken(claims):
    here = isolation.holder_name()
    assert isolation.try_claim(claims, 0, here)
    assert isolation.try_claim(claims, 0, here), "the holder keeps its own claim"
    assert not isolation.try_claim(claims, 0, f"{isolation.socket.gethostname()}:1")


def test_a_slot_of_a_process_that_died_is_taken_over(claims):
    stale = f"{isolation.socket.gethostname()}:{dead_pid()}"
    assert isolation.try_claim(claims, 1, stale)
    assert isolation.try_claim(claims, 1, isolation.holder_name())
    assert claims.get(f"{isolation.CLAIM_KEY_PREFIX}1") == isolation.holder_name()


def test_a_slot_of_another_host_waits_for_its_claim_to_lapse(claims):
    assert isolation.try_claim(claims, 2, "another-host:1")
    assert not isolation.try_claim(claims, 2, isolation.holder_name())
    assert 0 < claims.ttl(f"{isolation.CLAIM_KEY_PREFIX}2") <= isolation.CLAIM_TTL_SECONDS


def test_slots_share_no_database_and_leave_out_the_ones_in_use_elsewhere():
    databases = [db for slot in isolation.SLOTS for db in slot]
    assert len(databases) == len(set(databases))
    reserved = {0, 11, 12, isolation.CLAIMS_DB}
    assert not reserved & set(databases)
    assert all(0 <= db <= 15 for db in databases), "a default Redis has databases 0-15"


def test_a_second_session_gets_another_slot_and_gives_it_back(claims):
    """Another process on this machine, while this one holds slot 0, is given a different one."""
    claims.set(f"{isolation.CLAIM_KEY_PREFIX}0", isolation.holder_name())
    code = (
        "from tests import isolation\n"
        f"isolation.CLAIM_KEY_PREFIX = {isolation.CLAIM_KEY_PREFIX!r}\n"
        "print(isolation.session_slot().broker_db)\n"
        "isolation.release_session_slot()\n"
    )
    other = subprocess.run(
        [sys.executable, "-c", code], cwd=BASE_DIR, check=True, capture_output=True, text=True
    )
    assert int(other.stdout) == isolation.SLOTS[1][1]
    assert claims.get(f"{isolation.CLAIM_KEY_PREFIX}0") == isolation.holder_name()
    assert not claims.exists(f"{isolation.CLAIM_KEY_PREFIX}1"), "given back when it ended"


def take_every_slot(claims, holder: str) -> None:
    for number in range(len(isolation.SLOTS)):
        claims.set(f"{isolation.CLAIM_KEY_PREFIX}{number}", holder)


def test_a_session_that_finds_every_slot_taken_waits_for_one(claims, monkeypatch):
    """A fifth session on one machine waits for a slot instead of failing its tests."""
    take_every_slot(claims, "another-host:1")
    monkeypatch.setattr(isolation, "SLOT_POLL_SECONDS", 0.01)
    polls = {"n": 0}
    real_claim = isolation.claim_free_slot

    def another_session_ends_after_three_polls(client, holder):
        polls["n"] += 1
        if polls["n"] == 3:
            client.delete(f"{isolation.CLAIM_KEY_PREFIX}2")
        return real_claim(client, holder)

    monkeypatch.setattr(isolation, "claim_free_slot", another_session_ends_after_three_polls)
    slot = isolation.wait_for_slot(claims, isolation.holder_name())

    assert (slot.number, polls["n"]) == (2, 3)


def test_a_session_gives_up_with_the_holders_named_once_the_wait_is_over(claims, monkeypatch):
    take_every_slot(claims, "another-host:1")
    monkeypatch.setattr(isolation, "SLOT_WAIT_SECONDS", 0.05)
    monkeypatch.setattr(isolation, "SLOT_POLL_SECONDS", 0.01)
    with pytest.raises(isolation.NoFreeSlot, match="0=another-host:1"):
        isolation.wait_for_slot(claims, isolation.holder_name())
