"""Prometheus metrics of the Drive client: requests, write-pacing waits, backoff.

Imports nothing of the app (only prometheus_client and the Google client's types), so the
Drive client can call these hooks from where each request, wait or backoff happens. In a
process started with PROMETHEUS_MULTIPROC_DIR set (web, workers), values go to that directory
and the web process's /metrics adds up every process's; see monitoring.exposition.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass

from googleapiclient.errors import HttpError
from googleapiclient.http import HttpRequest
from prometheus_client import Counter, Histogram

# Drive answers to wait for before trying again: seconds from Google's Retry-After or our own
# truncated exponential backoff (capped at 32-64 s by Google's advice).
BACKOFF_BUCKETS = (0.5, 1, 2, 4, 8, 16, 32, 64, float("inf"))
# Waits for a Google account's write budget (3 writes/s): mostly a fraction of a second.
PACING_BUCKETS = (0.01, 0.05, 0.1, 0.25, 0.5, 1, 2, 5, 10, float("inf"))

DRIVE_REQUESTS = Counter(
    "drivebackup_drive_requests",
    "Drive API requests, by API method (e.g. files.create) and HTTP status; "
    "status 'error' when no answer came (connection dropped, timeout).",
    ["method", "status"],
)
RATE_LIMIT_WAIT = Histogram(
    "drivebackup_drive_rate_limit_wait_seconds",
    "Time spent waiting for a Google account's write budget before a Drive write.",
    buckets=PACING_BUCKETS,
)
BACKOFF = Histogram(
    "drivebackup_drive_backoff_seconds",
    "Backoff slept before retrying a Drive request Google refused or failed (429, 403 rate "
    "limit, 5xx, network).",
    buckets=BACKOFF_BUCKETS,
)


def record_drive_request(method: str, status: int | str) -> None:
    """One Drive request answered with HTTP `status` (or 'error' when no answer came)."""
    DRIVE_REQUESTS.labels(method=method, status=str(status)).inc()


def record_rate_limit_wait(seconds: float) -> None:
    """The pacing made a write wait `seconds` for its account's budget (0 is not recorded)."""
    if seconds > 0:
        RATE_LIMIT_WAIT.observe(seconds)


def record_backoff(seconds: float) -> None:
    """A retry of a Drive request waits `seconds` first."""
    BACKOFF.observe(max(seconds, 0.0))


@dataclass
class Answer:
    """The HTTP status an attempt got when it raised nothing (a caller may say otherwise)."""

    status: int = 200


@contextmanager
def counted_request(request: HttpRequest) -> Iterator[Answer]:
    """Count one attempt at `request` in the metrics, by method and the status it got.

    An HttpError carries its status; any other exception means no answer came ("error").
    """
    method = request.methodId.removeprefix("drive.")
    answer = Answer()
    try:
        yield answer
    except HttpError as exc:
        record_drive_request(method, exc.resp.status)
        raise
    except Exception:
        record_drive_request(method, "error")
        raise
    record_drive_request(method, answer.status)
