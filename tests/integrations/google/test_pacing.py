from __future__ import annotations

import pytest

from integrations.google.pacing import Backoff, WritePacer


class FakeClock:
    """Time that moves only when somebody sleeps."""

    def __init__(self) -> None:
        self.now = 1_000.0
        self.slept: list[float] = []

    def __call__(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.slept.append(seconds)
        self.now += seconds


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


def pacer(backup_redis, clock: FakeClock, account: str = "acct-1") -> WritePacer:
    return WritePacer(
        account, rate=3.0, burst=5, client=backup_redis, clock=clock, sleep=clock.sleep
    )


def test_burst_goes_out_at_once_then_three_writes_per_second(backup_redis, clock):
    limiter = pacer(backup_redis, clock)
    for _ in range(5):
        limiter.acquire()
    assert clock.slept == []
    for _ in range(15):
        limiter.acquire()
    # 15 writes beyond the burst at 3/s take 5 seconds, each one a third of a second apart.
    assert sum(clock.slept) == pytest.approx(5.0)
    assert all(s == pytest.approx(1 / 3) for s in clock.slept)


def test_workers_of_one_account_share_the_budget_other_accounts_do_not(backup_redis, clock):
    worker_a = pacer(backup_redis, clock)
    worker_b = pacer(backup_redis, clock)
    other_account = pacer(backup_redis, clock, account="acct-2")
    waits = [(worker_a if i % 2 else worker_b).reserve() for i in range(8)]
    # Eight reservations in the same instant: five from the burst, then slots 1/3 s apart.
    assert waits[:5] == [0, 0, 0, 0, 0]
    assert waits[5:] == pytest.approx([1 / 3, 2 / 3, 1.0])
    assert other_account.reserve() == 0


def test_slow_down_holds_every_worker_of_the_account(backup_redis, clock):
    first, second = pacer(backup_redis, clock), pacer(backup_redis, clock)
    first.slow_down(10.0)
    assert second.reserve() == pytest.approx(10.0 + 1 / 3)


def test_tokens_refill_with_time_up_to_the_burst(backup_redis, clock):
    limiter = pacer(backup_redis, clock)
    for _ in range(5):
        limiter.reserve()
    clock.now += 60
    assert [limiter.reserve() for _ in range(5)] == [0, 0, 0, 0, 0]
    assert limiter.reserve() > 0


def test_redis_clock_is_used_without_an_injected_one(backup_redis):
    limiter = WritePacer("acct-3", rate=3.0, burst=2, client=backup_redis)
    assert limiter.reserve() == 0
    assert limiter.reserve() == 0
    assert 0.2 < limiter.reserve() <= 1 / 3 + 0.01


def test_backoff_grows_exponentially_with_jitter_and_is_truncated():
    lowest = Backoff(base=1.0, cap=32.0, rng=lambda: 0.0)
    highest = Backoff(base=1.0, cap=32.0, rng=lambda: 1.0)
    assert [highest.delay(n) for n in range(1, 8)] == [1, 2, 4, 8, 16, 32, 32]
    assert [lowest.delay(n) for n in range(1, 8)] == [0.5, 1, 2, 4, 8, 16, 16]


def test_backoff_honours_retry_after():
    backoff = Backoff(base=1.0, cap=32.0, rng=lambda: 1.0)
    assert backoff.delay(1, retry_after=30.0) == 30.0
    assert backoff.delay(6, retry_after=3.0) == 32.0
