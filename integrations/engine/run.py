"""Execute one backup run: lock, connect, plan, upload, heartbeat, progress, outcome.

    execute_run(run_id)
      -> the integration's Redis lock (engine.locking): one worker per integration
      -> refresh the access token (a revoked grant is known before any work)
      -> settle unfinished ledger rows of earlier attempts (engine.ledger)
      -> plan: the orders CSV and the documents not yet in Drive (engine.plan, selection)
      -> upload each file (engine.upload) while the next batch of PDFs renders
         (engine.pipeline), re-reading the integration every few files so a
         disconnect stops the uploads, with a heartbeat on the run row
      -> the outcome: closed through integrations.runs, or left queued for the task's retry

Idempotent: a second call continues where the ledger says; a finished run is skipped.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from datetime import datetime

from django.utils import timezone

from accounts.time_zones import zone_named
from integrations import metrics, run_log, runs
from integrations.engine import plan, repair
from integrations.engine.drive_ids import DriveIdPool
from integrations.engine.folders import FolderTree, folder_for
from integrations.engine.ledger import Ledger
from integrations.engine.locking import IntegrationLock
from integrations.engine.outcome import LockLost, StopRun, Tally, stop_for, tally_from_ledger
from integrations.engine.pipeline import RenderAhead
from integrations.engine.upload import Uploader
from integrations.google.client import DriveClient
from integrations.google.errors import DriveError
from integrations.google.oauth import credentials_from_refresh_token
from integrations.google.pacing import WritePacer
from integrations.models import BackupRun, GoogleDriveIntegration
from integrations.runs import SKIPPED, RunOutcome
from integrations.selection import documents_since

logger = logging.getLogger(__name__)

# Far more often than the dispatcher takes a silent run for dead
# (dispatcher.stalled_run_seconds, after the run's lock has expired).
HEARTBEAT_INTERVAL_SECONDS = 10
# Re-read the integration every this many files: a disconnect stops the uploads.
RECHECK_EVERY_FILES = 20
# The progress bar moves at least every this many files (one UPDATE each time).
PROGRESS_EVERY_FILES = 5

# Injected by tests; production sleeps for real and paces writes by Redis' own clock.
sleep: Callable[[float], None] = time.sleep
pacer_clock: Callable[[], float] | None = None

_TALLY_FIELDS = (
    "files_uploaded",
    "bytes_uploaded",
    "invoices_uploaded",
    "receipts_uploaded",
    "orders_exported",
    "progress_done",
    "drive_calls",
)


def execute_run(
    run_id: int, *, now: datetime | None = None, final_attempt: bool = True
) -> RunOutcome:
    """Run (or continue) backup run `run_id`; idempotent, continues where the ledger says.

    `final_attempt=False` says the caller will retry a retryable outcome: the run is then left
    "queued" (not finished) for that retry, and consecutive_failures is not touched.
    Expected failures end in an outcome; unexpected exceptions propagate (the run stays
    "running", and a later call continues it).
    """
    run = BackupRun.objects.select_related("integration__merchant").filter(pk=run_id).first()
    if run is None:
        return RunOutcome(SKIPPED, message="no such run")
    if run.status in runs.FINISHED_STATUSES:
        return RunOutcome(SKIPPED, message="the run has already finished")
    lock = IntegrationLock(run.integration_id)
    if not lock.acquire():
        return RunOutcome(SKIPPED, message="another worker is backing up this integration")
    try:
        run.refresh_from_db()
        if run.status in runs.FINISHED_STATUSES:
            return RunOutcome(SKIPPED, message="the run has already finished")
        return RunExecution(run, lock, now or timezone.now(), final_attempt).execute()
    except LockLost:
        logger.warning("Run %s lost its lock to another worker; stopped", run_id)
        return RunOutcome(SKIPPED, message="the lock expired and another worker took over")
    finally:
        lock.release()


class RunExecution:
    """One attempt at a run, holding the integration's lock; reports to the uploads (Report)."""

    def __init__(
        self, run: BackupRun, lock: IntegrationLock, now: datetime, final_attempt: bool
    ) -> None:
        self.run = run
        self.integration = run.integration
        self.lock = lock
        self.now = now
        self.final_attempt = final_attempt
        self.account = self.integration.google_account_key
        self.zone = zone_named(self.integration.time_zone)
        # Only an earlier attempt can have put files of this run into Drive.
        self.tally = tally_from_ledger(run) if run.attempts else Tally(orders=run.orders_exported)
        self.calls_before = run.drive_calls
        self.client: DriveClient | None = None
        self._files_since_flush = 0
        self._last_beat = time.monotonic()
        self._files_since_check = 0

    # --- lifecycle ----------------------------------------------------------------------

    def execute(self) -> RunOutcome:
        self._start()
        try:
            self._check_still_connected()
            self._back_up(self._connect())
        except StopRun as stop:
            return self._finish(stop)
        except DriveError as error:
            # A Drive failure outside any single file (token, listing, folders).
            return self._finish(
                stop_for(
                    error, code="folder_failed", integration=self.integration, run_id=self.run.pk
                )
            )
        return self._finish(None)

    def _start(self) -> None:
        run = self.run
        run.status = BackupRun.Status.RUNNING
        run.started_at = run.started_at or self.now
        run.attempts += 1
        run.heartbeat_at = timezone.now()
        run.errors = []
        run.save(update_fields=["status", "started_at", "attempts", "heartbeat_at", "errors"])
        run_log.log_run_started(
            run.pk, self.integration.pk, trigger=run.trigger, attempt=run.attempts
        )

    def _connect(self) -> DriveClient:
        pacer = WritePacer(self.account, clock=pacer_clock, sleep=self._sleep)
        credentials = credentials_from_refresh_token(self.integration.refresh_token)
        self.client = DriveClient(
            credentials,
            pacer=pacer,
            sleep=self._sleep,
            before_request=self._beat,
            log_context=f"Run {self.run.pk} of integration {self.integration.pk}",
        )
        self.client.refresh_access_token()
        return self.client

    def _back_up(self, client: DriveClient) -> None:
        ids = DriveIdPool(client, self.integration, self.account)
        ledger = Ledger(self.run, self.integration, self.account, client, ids)
        ledger.recover_unfinished()
        repairing = None
        if self.run.trigger == BackupRun.Trigger.REPAIR:
            # Only the documents whose copy the merchant deleted or trashed (engine.repair).
            repairing = repair.plan_repair(self.integration, ledger)
            work = plan.documents_work(
                self.integration, self.account, None, among=repairing.documents
            )
            orders_pending = False
        else:
            today = self.run.started_at.astimezone(self.zone).date()
            since = documents_since(self.integration, today)
            work = plan.documents_work(self.integration, self.account, since)
            orders_pending = self.integration.backup_orders and (
                self.run.attempts == 1 or not ledger.orders_done()
            )
        planned = int(orders_pending) + sum(len(w.found) for w in work)
        self.run.progress_total = self.tally.done + planned
        self.run.progress_done = self.tally.done
        self.run.save(update_fields=["progress_total", "progress_done"])
        if not planned:
            return
        folders = [folder_for(w.kind, day) for w in work for _, day in w.found]
        if orders_pending:
            folders.append(plan.orders_folder(self.run.started_at, self.zone))
        tree = FolderTree(client, self.integration, self.account, ids)
        if repairing is not None:
            tree.forget_trashed(repairing.trashed_folders)
        # Tell the pool how many ids the run may need, so one refill covers it.
        ids.expect(planned + tree.missing_count(folders))
        uploader = Uploader(self.run, client, ledger, tree, ids, self)
        with RenderAhead(work, self.integration, self.account, self) as documents:
            # The first PDFs render while the orders CSV is written and sent.
            documents.start()
            if orders_pending:
                with plan.orders_upload(
                    self.integration, self.run.started_at, self.zone, self
                ) as upload:
                    if upload is not None:
                        uploader.upload(upload)
            for upload in documents.uploads():
                uploader.upload(upload)

    def _finish(self, stop: StopRun | None) -> RunOutcome:
        outcome, errors = self.tally.outcome(stop)
        self._copy_tally_to_run()
        self.run.heartbeat_at = timezone.now()
        will_retry = outcome.retryable and not self.final_attempt
        if will_retry:
            self.run.status = BackupRun.Status.QUEUED
            self.run.finished_at = None
            self.run.errors = errors
            self.run.save(
                update_fields=["status", "finished_at", "errors", "heartbeat_at", *_TALLY_FIELDS]
            )
        else:
            runs.close_run(
                self.run,
                status=outcome.status,
                errors=errors,
                reason=outcome.reason,
                message=outcome.message,
                also_save=("heartbeat_at", *_TALLY_FIELDS),
            )
        logger.info(
            "Run %s of integration %s: %s (%s files, %s bytes, %s Drive calls)",
            self.run.pk,
            self.integration.pk,
            "queued for a retry" if will_retry else outcome.status,
            self.tally.files,
            self.tally.bytes,
            self._drive_calls(),
        )
        return outcome

    # --- what the uploads report (plan.Report, upload.UploadReport) ---------------------

    def uploaded(self, upload: plan.Upload) -> None:
        self.tally.count_upload(upload.kind, upload.size, upload.orders)
        metrics.record_upload(upload.kind, upload.size)

    def file_failed(self, kind: str, number: str, code: str, detail: str, retry: bool) -> None:
        self.tally.record_failure(kind, number, code, detail, retry)

    def item_processed(self) -> None:
        self.tally.done += 1
        self._files_since_check += 1
        self._files_since_flush += 1
        if self._files_since_check >= RECHECK_EVERY_FILES:
            self._files_since_check = 0
            self._check_still_connected()
        self._beat(force=self._files_since_flush >= PROGRESS_EVERY_FILES)

    # --- heartbeat, progress, checks ----------------------------------------------------

    def _sleep(self, seconds: float) -> None:
        """Sleep in slices so the heartbeat keeps beating during long backoffs."""
        remaining = seconds
        while remaining > 0:
            step = min(remaining, HEARTBEAT_INTERVAL_SECONDS / 2)
            sleep(step)
            remaining -= step
            self._beat()

    def _beat(self, *, force: bool = False) -> None:
        if not force and time.monotonic() - self._last_beat < HEARTBEAT_INTERVAL_SECONDS:
            return
        self._last_beat = time.monotonic()
        self._files_since_flush = 0
        if not self.lock.renew():
            raise LockLost
        self._copy_tally_to_run()
        self.run.heartbeat_at = timezone.now()
        self.run.save(update_fields=["heartbeat_at", *_TALLY_FIELDS])

    def _copy_tally_to_run(self) -> None:
        run, tally = self.run, self.tally
        run.files_uploaded = tally.files
        run.bytes_uploaded = tally.bytes
        run.invoices_uploaded = tally.invoices
        run.receipts_uploaded = tally.receipts
        run.orders_exported = tally.orders
        run.progress_done = min(tally.done, run.progress_total) if run.progress_total else 0
        run.drive_calls = self._drive_calls()

    def _drive_calls(self) -> int:
        return self.calls_before + (self.client.calls if self.client else 0)

    def _check_still_connected(self) -> None:
        """Stop if the merchant disconnected, switched accounts or lost access meanwhile."""
        current = (
            GoogleDriveIntegration.objects.filter(pk=self.integration.pk)
            .only("status", "google_account_id", "google_email")
            .first()
        )
        if current is None:
            raise StopRun("disconnected", "disconnected", retryable=False)
        if current.status == GoogleDriveIntegration.Status.ACCESS_LOST:
            raise StopRun("access_lost", "access_lost", retryable=False)
        same_account = current.google_account_key == self.account
        if current.status != GoogleDriveIntegration.Status.CONNECTED or not same_account:
            raise StopRun("disconnected", "disconnected", retryable=False)
        if not self.integration.refresh_token:
            raise StopRun("disconnected", "disconnected", retryable=False)
