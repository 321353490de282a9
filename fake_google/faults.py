"""Fault injection: seeded dice, one-shot injected faults, and per-user write buckets."""

from __future__ import annotations

import random
import threading
from dataclasses import dataclass

from .clock import Clock
from .config import Config

# Faults a request can meet. "drop_after_write" applies the write and then hangs up without
# a status line; "drop" hangs up without applying anything; "expire_session" makes the
# resumable session a chunk PUT addresses expire just before it arrives.
FAULT_KINDS = (
    "500",
    "503",
    "429",
    "rate_limit",
    "quota",
    "drop",
    "drop_after_write",
    "expire_session",
)


@dataclass
class InjectedFault:
    kind: str
    remaining: int
    endpoint: str | None = None
    method: str | None = None


@dataclass(frozen=True)
class Decision:
    """What the dice (or an injected fault) decided for one request."""

    error: str | None = None  # "500", "503", "429", "rate_limit", "quota", "drop"
    drop_after_write: bool = False


class FaultInjector:
    def __init__(self, clock: Clock) -> None:
        self._clock = clock
        self._lock = threading.Lock()
        self._rng = random.Random()
        self._injected: list[InjectedFault] = []
        self._buckets: dict[str, _TokenBucket] = {}

    def reset(self, seed: int | None) -> None:
        with self._lock:
            self._rng = random.Random(seed)
            self._injected.clear()
            self._buckets.clear()

    def reseed(self, seed: int | None) -> None:
        with self._lock:
            self._rng = random.Random(seed)

    def inject(
        self,
        kind: str,
        count: int = 1,
        endpoint: str | None = None,
        method: str | None = None,
    ) -> None:
        """Make the next `count` matching Drive requests meet `kind`.

        `endpoint` matches the counter name or a dotted prefix of it ("upload" matches
        "upload.resumable.put"); `method` matches the HTTP method.
        """
        if kind not in FAULT_KINDS:
            raise ValueError(f"unknown fault kind {kind!r}; choose from {', '.join(FAULT_KINDS)}")
        if count < 1:
            raise ValueError("count must be at least 1")
        with self._lock:
            self._injected.append(
                InjectedFault(kind, count, endpoint, method.upper() if method else None)
            )

    def pending(self) -> list[dict[str, object]]:
        with self._lock:
            return [vars(f).copy() for f in self._injected]

    def decide(self, config: Config, endpoint: str, method: str, is_write: bool) -> Decision:
        """Roll the dice for one Drive request; injected faults win over the dice.

        Two numbers are drawn for every request, whatever the outcome, so that a seed replays
        the same sequence of faults for the same sequence of requests.
        """
        with self._lock:
            error_roll = self._rng.random()
            drop_roll = self._rng.random()
            injected = self._take_injected(endpoint, method)
        if injected == "drop_after_write":
            return Decision(drop_after_write=True)
        if injected:
            return Decision(error=injected)
        error = _error_for_roll(config, error_roll)
        drop = is_write and error is None and drop_roll < config.p_drop_after_write
        return Decision(error=error, drop_after_write=drop)

    def allow_write(self, config: Config, user: str) -> bool:
        """Take one token from the user's write bucket; False means 403 userRateLimitExceeded."""
        if not config.write_limit:
            return True
        now = self._clock.monotonic()
        with self._lock:
            bucket = self._buckets.get(user)
            if (
                bucket is None
                or bucket.rate != config.write_rate
                or bucket.burst != config.write_burst
            ):
                bucket = _TokenBucket(config.write_rate, config.write_burst, now)
                self._buckets[user] = bucket
            return bucket.take(now)

    def _take_injected(self, endpoint: str, method: str) -> str | None:
        for fault in self._injected:
            if fault.method and fault.method != method:
                continue
            if fault.endpoint and not _endpoint_matches(fault.endpoint, endpoint):
                continue
            fault.remaining -= 1
            if fault.remaining <= 0:
                self._injected.remove(fault)
            return fault.kind
        return None


def _endpoint_matches(pattern: str, endpoint: str) -> bool:
    return endpoint == pattern or endpoint.startswith(pattern + ".")


def _error_for_roll(config: Config, roll: float) -> str | None:
    threshold = 0.0
    for kind, probability in (("500", config.p_500), ("503", config.p_503), ("429", config.p_429)):
        threshold += probability
        if roll < threshold:
            return kind
    return None


class _TokenBucket:
    """`rate` tokens per second, holding at most `burst`; starts full."""

    def __init__(self, rate: float, burst: int, now: float) -> None:
        self.rate = rate
        self.burst = burst
        self.tokens = float(burst)
        self.updated = now

    def take(self, now: float) -> bool:
        self.tokens = min(self.burst, self.tokens + (now - self.updated) * self.rate)
        self.updated = now
        if self.tokens >= 1.0:
            self.tokens -= 1.0
            return True
        return False
