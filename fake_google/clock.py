"""A clock that tests can move forward instead of sleeping."""

from __future__ import annotations

import threading
import time


class Clock:
    """Real time plus an offset.

    Token expiry, auth-code lifetime and the write-rate buckets all read this clock, so a
    test can expire an access token with ``advance(3600)`` instead of waiting an hour.
    """

    def __init__(self) -> None:
        self._offset = 0.0
        self._lock = threading.Lock()

    def time(self) -> float:
        """Seconds since the epoch (wall clock, shifted)."""
        return time.time() + self._offset

    def monotonic(self) -> float:
        """Monotonic seconds (shifted by the same offset), for rate buckets."""
        return time.monotonic() + self._offset

    def advance(self, seconds: float) -> None:
        if seconds < 0:
            raise ValueError("the clock only moves forward")
        with self._lock:
            self._offset += seconds

    def reset(self) -> None:
        with self._lock:
            self._offset = 0.0

    @property
    def offset(self) -> float:
        return self._offset
