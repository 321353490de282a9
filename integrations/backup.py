"""One integration's backup run: lock, refresh, plan, folders, render, upload, ledger, close."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Literal

from integrations.models import BackupRun

SKIPPED = "skipped"

Reason = Literal["access_lost", "quota", "disconnected", "transient"]


@dataclass(frozen=True)
class RunOutcome:
    """How a call of execute_run ended; the task layer maps it to retries and e-mails.

    status: a BackupRun.Status value (succeeded / partial / failed) or SKIPPED when another
    worker holds the integration's lock or the run had already finished.
    """

    status: str
    retryable: bool = False
    reason: Reason | None = None
    message: str = ""

    @property
    def skipped(self) -> bool:
        return self.status == SKIPPED

    @property
    def succeeded(self) -> bool:
        return self.status == BackupRun.Status.SUCCEEDED


def execute_run(
    run_id: int, *, now: datetime | None = None, final_attempt: bool = True
) -> RunOutcome:
    """Run (or continue) backup run `run_id`; idempotent, continues where the ledger says.

    `final_attempt=False` tells that the caller will retry a retryable outcome, so the
    integration's consecutive_failures counter is not touched by this call.
    Expected failures end in an outcome; unexpected exceptions propagate.
    """
    raise NotImplementedError
