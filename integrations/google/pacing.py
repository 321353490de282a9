"""Pacing of Drive writes per Google account across every worker, and the backoff rule.

Google allows about 3 sustained writes per second per user, whatever the number of our
workers: the budget lives in Redis, one token bucket per Google account, changed atomically by
a Lua script. A caller *reserves* a slot: the script answers how long to wait before the write
may go out, so waiting threads queue fairly without polling Redis.
"""

from __future__ import annotations

import random
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import cache

import redis
from django.conf import settings

from integrations.google.metrics import record_rate_limit_wait

KEY_PREFIX = "drivebackup:writes:"

# KEYS[1] bucket; ARGV: rate/s, burst, now (negative = use Redis TIME), cost, penalty seconds.
# Tokens may go negative: that is the queue of reserved future slots. Returns the wait in
# seconds as a string (Lua numbers are truncated to integers on the way out).
_RESERVE_SCRIPT = """
local rate = tonumber(ARGV[1])
local burst = tonumber(ARGV[2])
local now = tonumber(ARGV[3])
local cost = tonumber(ARGV[4])
local penalty = tonumber(ARGV[5])
if now < 0 then
  local t = redis.call('TIME')
  now = tonumber(t[1]) + tonumber(t[2]) / 1000000
end
local state = redis.call('HMGET', KEYS[1], 'tokens', 'ts')
local tokens = tonumber(state[1])
local ts = tonumber(state[2])
if tokens == nil or ts == nil then
  tokens = burst
  ts = now
end
if now > ts then
  tokens = math.min(burst, tokens + (now - ts) * rate)
  ts = now
end
if penalty > 0 then
  tokens = math.min(tokens, -penalty * rate)
end
tokens = tokens - cost
redis.call('HSET', KEYS[1], 'tokens', tostring(tokens), 'ts', tostring(ts))
local wait = 0
if tokens < 0 then
  wait = -tokens / rate
end
redis.call('EXPIRE', KEYS[1], math.ceil(wait + burst / rate) + 60)
return tostring(wait)
"""


@cache
def _client_for(url: str) -> redis.Redis:
    return redis.Redis.from_url(url)


def redis_client() -> redis.Redis:
    """A shared (thread-safe, pooled) client for settings.REDIS_URL."""
    return _client_for(settings.REDIS_URL)


def writes_per_second() -> float:
    return float(getattr(settings, "BACKUP_DRIVE_WRITES_PER_SECOND", 3.0))


def write_burst() -> int:
    return int(getattr(settings, "BACKUP_DRIVE_WRITE_BURST", 5))


class WritePacer:
    """Token bucket of one Google account's Drive writes, shared through Redis."""

    def __init__(
        self,
        account_key: str,
        *,
        rate: float | None = None,
        burst: int | None = None,
        client: redis.Redis | None = None,
        clock: Callable[[], float] | None = None,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self.key = KEY_PREFIX + account_key
        self.rate = rate if rate is not None else writes_per_second()
        self.burst = burst if burst is not None else write_burst()
        self.client = client or redis_client()
        # None: Redis' own clock, the same for every machine.
        self.clock = clock
        self.sleep = sleep
        self.waited = 0.0
        self._script = self.client.register_script(_RESERVE_SCRIPT)

    def reserve(self, *, penalty: float = 0.0) -> float:
        """Take a token; returns how many seconds to wait before the write may be sent."""
        now = self.clock() if self.clock else -1.0
        answer = self._script(keys=[self.key], args=[self.rate, self.burst, now, 1, penalty])
        return max(0.0, float(answer))

    def acquire(self) -> float:
        """Wait (sleeping this thread only) until this account may send one more write."""
        wait = self.reserve()
        if wait > 0:
            self.waited += wait
            record_rate_limit_wait(wait)
            self.sleep(wait)
        return wait

    def slow_down(self, seconds: float) -> None:
        """Google said "too fast": hold every worker's writes for this account for `seconds`."""
        now = self.clock() if self.clock else -1.0
        self._script(keys=[self.key], args=[self.rate, self.burst, now, 0, seconds])


@dataclass
class Backoff:
    """Truncated exponential backoff with jitter that honours Retry-After.

    Delay before retry n (n = 1, 2, ...): min(cap, base * 2**(n-1)) scaled by a random factor
    in [0.5, 1.0], but never less than what the server asked for.
    """

    base: float = 1.0
    cap: float = 32.0
    max_attempts: int = 6
    rng: Callable[[], float] = field(default=random.random)

    def delay(self, retry_number: int, retry_after: float | None = None) -> float:
        exponential = min(self.cap, self.base * 2 ** max(0, retry_number - 1))
        jittered = exponential * (0.5 + 0.5 * self.rng())
        return max(jittered, retry_after or 0.0)


def default_backoff() -> Backoff:
    return Backoff(
        base=float(getattr(settings, "BACKUP_BACKOFF_BASE_SECONDS", 1.0)),
        cap=float(getattr(settings, "BACKUP_BACKOFF_CAP_SECONDS", 32.0)),
        max_attempts=int(getattr(settings, "BACKUP_DRIVE_MAX_ATTEMPTS", 6)),
    )
