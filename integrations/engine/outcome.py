"""How a run's work ends up: the tally of files, the failures, and what stops a run.

`stop_for` is where a Google failure that no single file can absorb becomes the end of the
run; which failures those are is `DriveError`'s to say (integrations.google.errors).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field

from django.db.models import Count, Sum
from django.utils import timezone

from integrations import run_errors
from integrations.google.errors import DriveError
from integrations.models import BackedUpFile, BackupRun, GoogleDriveIntegration
from integrations.runs import Reason, RunOutcome

logger = logging.getLogger(__name__)


class LockLost(Exception):
    """The run's integration lock expired and another worker may have taken over."""


class StopRun(Exception):
    """Nothing more can be uploaded in this run."""

    def __init__(self, code: str, reason: Reason | None, retryable: bool, detail: str = ""):
        super().__init__(code)
        self.code = code
        self.reason = reason
        self.retryable = retryable
        self.detail = detail


@dataclass
class Tally:
    """What the run put into Drive, over all its attempts, and what failed in this one."""

    files: int = 0
    bytes: int = 0
    invoices: int = 0
    receipts: int = 0
    orders: int = 0
    done: int = 0
    failures: list[dict] = field(default_factory=list)
    retryable_failures: int = 0
    extra_failures: int = 0
    uploaded_this_attempt: int = 0

    def count_upload(self, kind: str, size: int, orders: int) -> None:
        self.files += 1
        self.bytes += size
        self.uploaded_this_attempt += 1
        if kind == BackedUpFile.Kind.INVOICE:
            self.invoices += 1
        elif kind == BackedUpFile.Kind.RECEIPT:
            self.receipts += 1
        else:
            self.orders += orders

    def record_failure(self, kind: str, number: str, code: str, detail: str, retry: bool) -> None:
        if len(self.failures) < run_errors.MAX_ERRORS_PER_RUN:
            self.failures.append(
                run_errors.error_entry(code, kind=kind, number=number, detail=detail)
            )
        else:
            self.extra_failures += 1
        if retry:
            self.retryable_failures += 1

    def outcome(self, stop: StopRun | None) -> tuple[RunOutcome, list[dict]]:
        """The attempt's outcome and the run's error entries, first the one that stopped it."""
        errors = list(self.failures)
        if self.extra_failures:
            errors.append(run_errors.error_entry("more_errors", count=self.extra_failures))
        if stop is not None:
            errors.insert(0, run_errors.error_entry(stop.code, detail=stop.detail))
            uploaded = self.uploaded_this_attempt > 0 or self.files > 0
            if stop.reason in ("access_lost", "quota", "account_refused") or not uploaded:
                status = BackupRun.Status.FAILED
            else:
                status = BackupRun.Status.PARTIAL
            return RunOutcome(status, stop.retryable, stop.reason, errors[0]["message"]), errors
        if self.failures or self.extra_failures:
            retryable = self.retryable_failures > 0
            count = len(self.failures) + self.extra_failures
            outcome = RunOutcome(
                BackupRun.Status.PARTIAL if self.files else BackupRun.Status.FAILED,
                retryable,
                "transient" if retryable else None,
                run_errors.english_message("files_failed", count=count),
            )
            return outcome, errors
        return RunOutcome(BackupRun.Status.SUCCEEDED, message="backed up"), errors


def tally_from_ledger(run: BackupRun) -> Tally:
    """What earlier attempts of the run put into Drive, from the ledger (crashes included)."""
    tally = Tally(orders=run.orders_exported)
    done = (
        BackedUpFile.objects.filter(run=run, state=BackedUpFile.State.DONE)
        .values("kind")
        .annotate(files=Count("id"), size=Sum("size"))
    )
    for group in done:
        tally.files += group["files"]
        tally.bytes += group["size"] or 0
        if group["kind"] == BackedUpFile.Kind.INVOICE:
            tally.invoices = group["files"]
        elif group["kind"] == BackedUpFile.Kind.RECEIPT:
            tally.receipts = group["files"]
    tally.done = tally.files
    return tally


def stop_for(
    error: DriveError, *, code: str, integration: GoogleDriveIntegration, run_id: int
) -> StopRun:
    """The StopRun for a failure that ends the run; marks access loss on the integration."""
    if error.access_lost:
        return _stop_for_refused_grant(error, integration, run_id)
    if error.drive_full:
        return StopRun("quota", "quota", retryable=False, detail=error.detail)
    if error.account_refused:
        return StopRun("account_refused", "account_refused", retryable=False, detail=error.detail)
    if error.misconfigured:
        logger.error("Google refused our OAuth client: %s", error.detail)
        return StopRun("misconfigured", None, retryable=False, detail=error.detail)
    if error.permanent:
        return StopRun(code, None, retryable=False, detail=error.detail)
    return StopRun("google_unavailable", "transient", retryable=True, detail=error.detail)


def _stop_for_refused_grant(
    error: DriveError, integration: GoogleDriveIntegration, run_id: int
) -> StopRun:
    """Google refused the grant this run holds: access lost, or the merchant's own doing.

    Disconnect and a switch to another Google account revoke this grant at Google, so the
    running upload meets the revoked token before the run looks at the integration again.
    Then the run stops as disconnected: no "access lost" on the page, in an e-mail or in
    the failure count.
    """
    if _mark_access_lost(integration):
        logger.warning("Integration %s lost access to Google: %s", integration.pk, error)
        return StopRun("access_lost", "access_lost", retryable=False, detail=error.detail)
    status = (
        GoogleDriveIntegration.objects.filter(pk=integration.pk)
        .values_list("status", flat=True)
        .first()
    )
    if status == GoogleDriveIntegration.Status.ACCESS_LOST:
        return StopRun("access_lost", "access_lost", retryable=False, detail=error.detail)
    logger.info("Run %s stopped: Google Drive was disconnected or reconnected meanwhile", run_id)
    return StopRun("disconnected", "disconnected", retryable=False, detail=error.detail)


def _mark_access_lost(integration: GoogleDriveIntegration) -> bool:
    """Mark the integration "access lost"; False if the grant is no longer its own."""
    message = run_errors.english_message("access_lost")
    # Only the grant this run used: after a disconnect or a reconnect meanwhile the
    # integration holds no grant or another one, which has not been lost.
    return bool(
        GoogleDriveIntegration.objects.filter(
            pk=integration.pk,
            status=GoogleDriveIntegration.Status.CONNECTED,
            connected_at=integration.connected_at,
        ).update(
            status=GoogleDriveIntegration.Status.ACCESS_LOST,
            access_lost_at=timezone.now(),
            last_error=message,
        )
    )
