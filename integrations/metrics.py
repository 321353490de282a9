"""Prometheus metrics the backup engine feeds: finished runs and uploaded files.

What the database can tell at scrape time (runs queued and running, tonight's runs, integrations
by state, the dispatcher's last pass) is not counted here but read when Prometheus scrapes
(monitoring.collector), so it is right whichever process changed it. The Drive client's own
hooks live in integrations.google.metrics (the google package imports nothing of the app) and
are re-exported here so the engine has one module to call.

Only prometheus_client is imported: any module of the app may call these hooks.
"""

from __future__ import annotations

from prometheus_client import Counter

from integrations.google.metrics import (
    record_backoff,
    record_drive_request,
    record_rate_limit_wait,
)

__all__ = [
    "record_backoff",
    "record_drive_request",
    "record_rate_limit_wait",
    "record_run_finished",
    "record_upload",
]

# Label values known in advance start at 0, so a rate() or an alert sees a series from the
# first scrape (Prometheus's advice on missing metrics). They mirror BackupRun's statuses and
# triggers and BackedUpFile's kinds (a test holds them equal); kept as literals so this module
# imports no Django model.
OUTCOMES = ("succeeded", "partial", "failed", "skipped")
TRIGGERS = ("scheduled", "manual")
KINDS = ("orders", "invoice", "receipt")

RUNS_FINISHED = Counter(
    "drivebackup_runs_finished",
    "Backup runs that reached a final outcome (succeeded, partial, failed, skipped), by outcome "
    "and trigger (scheduled, manual).",
    ["outcome", "trigger"],
)
FILES_UPLOADED = Counter(
    "drivebackup_uploaded_files",
    "Files uploaded to Drive and confirmed (md5 checked), by kind (orders, invoice, receipt).",
    ["kind"],
)
BYTES_UPLOADED = Counter(
    "drivebackup_uploaded_bytes",
    "Bytes of the files uploaded to Drive and confirmed, by kind.",
    ["kind"],
)


def record_run_finished(outcome: str, trigger: str) -> None:
    """A run ended with `outcome` (a BackupRun status, or 'skipped'); call once per run."""
    RUNS_FINISHED.labels(outcome=outcome, trigger=trigger).inc()


def record_upload(kind: str, size: int) -> None:
    """One file of `kind` (a BackedUpFile kind) of `size` bytes landed in Drive."""
    FILES_UPLOADED.labels(kind=kind).inc()
    BYTES_UPLOADED.labels(kind=kind).inc(size)


def _start_known_series_at_zero() -> None:
    for outcome in OUTCOMES:
        for trigger in TRIGGERS:
            RUNS_FINISHED.labels(outcome=outcome, trigger=trigger)
    for kind in KINDS:
        FILES_UPLOADED.labels(kind=kind)
        BYTES_UPLOADED.labels(kind=kind)


_start_known_series_at_zero()
