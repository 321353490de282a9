"""One log line when a backup run starts and one when it ends, for a log stack to index.

The fields (run_id, integration_id, trigger, attempt, outcome, ...) are passed as `extra`, so
with LOG_FORMAT=json each is a key of the line's JSON object; in plain lines they are in the
message. Called by the engine where an attempt starts and where a run reaches its final outcome.
"""

from __future__ import annotations

import logging

logger = logging.getLogger("integrations.runs")


def log_run_started(run_id: int, integration_id: int, *, trigger: str, attempt: int) -> None:
    logger.info(
        "Backup run %s started: integration %s, %s, attempt %s",
        run_id,
        integration_id,
        trigger,
        attempt,
        extra={
            "event": "run_started",
            "run_id": run_id,
            "integration_id": integration_id,
            "trigger": trigger,
            "attempt": attempt,
        },
    )


def log_run_finished(
    run_id: int,
    integration_id: int,
    *,
    outcome: str,
    trigger: str,
    files: int = 0,
    size: int = 0,
    duration_seconds: float | None = None,
    reason: str = "",
) -> None:
    """The run's final outcome; a failure is logged at WARNING so it stands out."""
    level = logging.INFO if outcome in ("succeeded", "skipped") else logging.WARNING
    logger.log(
        level,
        "Backup run %s finished: integration %s, %s%s, %s files, %s bytes",
        run_id,
        integration_id,
        outcome,
        f" ({reason})" if reason else "",
        files,
        size,
        extra={
            "event": "run_finished",
            "run_id": run_id,
            "integration_id": integration_id,
            "outcome": outcome,
            "reason": reason,
            "trigger": trigger,
            "files": files,
            "bytes": size,
            "duration_seconds": duration_seconds,
        },
    )
