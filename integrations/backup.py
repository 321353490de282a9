"""One integration's backup run: lock, refresh, plan, folders, render, upload, ledger, close.

Exactly once (DESIGN §2): before a file is sent, its ledger row is committed in state
"uploading" with a Drive id reserved through files.generateIds (taken from the account's pool
of reserved ids in the same transaction, see integrations.drive_ids), and the file is created
under that id. A later attempt that finds the row unfinished asks Drive for that id: there
with our md5 → done; not there → uploaded again under the same id (a 409 means it landed
meanwhile). So neither a worker killed between upload and commit nor a request resent by
httplib2 can leave a second copy. Nothing in Drive is ever overwritten or deleted: a changed
document is a new file named "<name> (n).pdf".

A file whose folder the merchant trashed lands in the trash with it (Drive answers
trashed=true): that copy stays there, its row is closed as "in the trash", the folder is made
again and the file uploaded anew. A folder deleted for good answers 404: it is made again and
the same upload repeated (integrations.folders).
"""

from __future__ import annotations

import hashlib
import io
import logging
import tempfile
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import IO, Literal

from django.conf import settings
from django.db.models import Count, Exists, F, OuterRef, Sum
from django.utils import timezone, translation

from accounts.time_zones import zone_named
from documents import pdf
from documents.csv_export import orders_csv_filename, write_orders_csv
from documents.models import Invoice, Receipt, merchant_has_api_invoices
from integrations import run_errors
from integrations.drive_ids import DriveIdPool
from integrations.folders import (
    APP_TAG,
    FolderInTrash,
    FolderPath,
    FolderTree,
    display_path,
    folder_for,
)
from integrations.google.drive import DriveClient, StoredFile
from integrations.google.errors import ChecksumMismatch, DriveError, ErrorKind
from integrations.google.oauth import credentials_from_refresh_token
from integrations.locking import IntegrationLock
from integrations.models import BackedUpFile, BackupRun, GoogleDriveIntegration
from integrations.ratelimit import WritePacer

logger = logging.getLogger(__name__)

SKIPPED = "skipped"
FINISHED_STATUSES = (BackupRun.Status.SUCCEEDED, BackupRun.Status.PARTIAL, BackupRun.Status.FAILED)

# Far more often than the dispatcher takes a silent run for dead
# (dispatch.stalled_run_seconds, after the run's lock has expired).
HEARTBEAT_INTERVAL_SECONDS = 10
# Re-read the integration every this many files: a disconnect stops the uploads.
RECHECK_EVERY_FILES = 20
# The progress bar moves at least every this many files (one UPDATE each time).
PROGRESS_EVERY_FILES = 5
# This many files in a row failing for transient reasons means Google is down for us.
MAX_CONSECUTIVE_TRANSIENT_FAILURES = 3
RENDER_BATCH_SIZE = pdf.RENDER_BATCH_SIZE
CSV_MIMETYPE = "text/csv"
SPOOL_MAX_BYTES = 8 * 1024 * 1024
FINGERPRINT_PREFIX = 16

Reason = Literal["access_lost", "quota", "disconnected", "transient"]
# What Drive holds under the id of an unfinished ledger row.
Landed = Literal["ours", "nothing", "others", "in_trash"]

# Injected by tests; production sleeps for real and paces writes by Redis' own clock.
sleep: Callable[[float], None] = time.sleep
pacer_clock: Callable[[], float] | None = None


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

    `final_attempt=False` says the caller will retry a retryable outcome: the run is then left
    "queued" (not finished) for that retry, and consecutive_failures is not touched.
    Expected failures end in an outcome; unexpected exceptions propagate (the run stays
    "running", and a later call continues it).
    """
    run = BackupRun.objects.select_related("integration__merchant").filter(pk=run_id).first()
    if run is None:
        return RunOutcome(SKIPPED, message="no such run")
    if run.status in FINISHED_STATUSES:
        return RunOutcome(SKIPPED, message="the run has already finished")
    lock = IntegrationLock(run.integration_id)
    if not lock.acquire():
        return RunOutcome(SKIPPED, message="another worker is backing up this integration")
    try:
        run.refresh_from_db()
        if run.status in FINISHED_STATUSES:
            return RunOutcome(SKIPPED, message="the run has already finished")
        return RunExecution(run, lock, now or timezone.now(), final_attempt).execute()
    except LockLost:
        logger.warning("Run %s lost its lock to another worker; stopped", run_id)
        return RunOutcome(SKIPPED, message="the lock expired and another worker took over")
    finally:
        lock.release()


# --- Plan -----------------------------------------------------------------------------------


class LockLost(Exception):
    pass


class StopRun(Exception):
    """Nothing more can be uploaded in this run."""

    def __init__(self, code: str, reason: Reason | None, retryable: bool, detail: str = ""):
        super().__init__(code)
        self.code = code
        self.reason = reason
        self.retryable = retryable
        self.detail = detail


@dataclass
class Upload:
    """One file to put into Drive."""

    kind: str
    folder: FolderPath
    name: str
    stream: IO[bytes]
    size: int
    md5: str
    fingerprint: str
    number: str = ""
    document_uuid: object | None = None
    source_updated_at: datetime | None = None
    orders: int = 0


@dataclass
class Tally:
    files: int = 0
    bytes: int = 0
    invoices: int = 0
    receipts: int = 0
    orders: int = 0
    done: int = 0
    failures: list[dict] = field(default_factory=list)
    retryable_failures: int = 0
    extra_failures: int = 0


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


def account_key(integration: GoogleDriveIntegration) -> str:
    return integration.google_account_id or integration.google_email.lower()


def invoices_wanted(integration: GoogleDriveIntegration) -> bool:
    """S11: with external accounting and no API invoices there is nothing to keep."""
    merchant = integration.merchant
    if not integration.backup_invoices:
        return False
    return not merchant.external_accounting_enabled or merchant_has_api_invoices(merchant)


def documents_to_back_up(
    model: type[Invoice] | type[Receipt],
    kind: str,
    integration: GoogleDriveIntegration,
    account: str,
    since: date,
) -> list[tuple[int, date]]:
    """(id, issue date) of documents issued since `since` not covered by a done upload.

    A done upload covers a document if it was read no earlier than the document's last
    change; the fingerprint decides later whether a change altered the print.
    """
    covered = BackedUpFile.objects.filter(
        integration=integration,
        google_account_id=account,
        kind=kind,
        document_uuid=OuterRef("uuid"),
        state=BackedUpFile.State.DONE,
        source_updated_at__gte=OuterRef("updated_at"),
    )
    documents = model.objects.filter(merchant_id=integration.merchant_id, issue_date__gte=since)
    if model is Invoice:
        documents = documents.exclude(source=Invoice.Source.EXTERNAL)
    return list(
        documents.exclude(Exists(covered))
        .order_by("issue_date", "id")
        .values_list("id", "issue_date")
    )


def md5_of(stream: IO[bytes]) -> tuple[str, int]:
    stream.seek(0)
    digest = hashlib.md5(usedforsecurity=False)
    size = 0
    while chunk := stream.read(1024 * 1024):
        digest.update(chunk)
        size += len(chunk)
    stream.seek(0)
    return digest.hexdigest(), size


def md5_hex(content: bytes) -> str:
    return hashlib.md5(content, usedforsecurity=False).hexdigest()


def upload_app_properties(upload: Upload, run: BackupRun) -> dict[str, str]:
    properties = {
        "app": APP_TAG,
        "kind": upload.kind,
        "fp": upload.fingerprint[:FINGERPRINT_PREFIX],
    }
    if upload.document_uuid:
        properties["doc"] = str(upload.document_uuid)
    else:
        properties["run"] = str(run.pk)
    return properties


# --- The run --------------------------------------------------------------------------------


class RunExecution:
    def __init__(
        self, run: BackupRun, lock: IntegrationLock, now: datetime, final_attempt: bool
    ) -> None:
        self.run = run
        self.integration = run.integration
        self.lock = lock
        self.now = now
        self.final_attempt = final_attempt
        self.account = account_key(self.integration)
        self.zone = zone_named(self.integration.time_zone)
        self.tally = tally_from_ledger(run)
        self.calls_before = run.drive_calls
        self.client: DriveClient | None = None
        self.tree: FolderTree | None = None
        self.ids: DriveIdPool | None = None
        self._files_since_flush = 0
        self._last_beat = time.monotonic()
        self._files_since_check = 0
        self._transient_streak = 0
        self._uploaded_this_attempt = 0

    # --- lifecycle ----------------------------------------------------------------------

    def execute(self) -> RunOutcome:
        self._start()
        try:
            self._check_still_connected()
            self._connect()
            self._back_up()
        except StopRun as stop:
            return self._finish(stop)
        except DriveError as error:
            # A Drive failure outside any single file (token, listing, folders).
            return self._finish(self._stop_for(error, code="folder_failed"))
        return self._finish(None)

    def _start(self) -> None:
        run = self.run
        run.status = BackupRun.Status.RUNNING
        run.started_at = run.started_at or self.now
        run.attempts += 1
        run.heartbeat_at = timezone.now()
        run.errors = []
        run.save(update_fields=["status", "started_at", "attempts", "heartbeat_at", "errors"])

    def _connect(self) -> None:
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

    def _back_up(self) -> None:
        self._recover_unfinished_rows()
        since = self._documents_since()
        work: list[tuple[str, type[Invoice] | type[Receipt], list[tuple[int, date]]]] = []
        if invoices_wanted(self.integration):
            found = documents_to_back_up(
                Invoice, BackedUpFile.Kind.INVOICE, self.integration, self.account, since
            )
            work.append((BackedUpFile.Kind.INVOICE, Invoice, found))
        if self.integration.backup_receipts:
            found = documents_to_back_up(
                Receipt, BackedUpFile.Kind.RECEIPT, self.integration, self.account, since
            )
            work.append((BackedUpFile.Kind.RECEIPT, Receipt, found))
        orders_pending = self.integration.backup_orders and not self._orders_done()
        planned = int(orders_pending) + sum(len(found) for _, _, found in work)
        self.run.progress_total = self.tally.done + planned
        self.run.progress_done = self.tally.done
        self.run.save(update_fields=["progress_total", "progress_done"])
        if not planned:
            return
        folders = [folder_for(kind, day) for kind, _, found in work for _, day in found]
        if orders_pending:
            folders.append(self._orders_folder())
        self._plan_ids(planned, folders)
        if orders_pending:
            self._back_up_orders()
        for kind, model, found in work:
            for batch in _chunks([pk for pk, _ in found], RENDER_BATCH_SIZE):
                self._back_up_documents(kind, model, batch)

    def _orders_folder(self) -> FolderPath:
        return folder_for(BackedUpFile.Kind.ORDERS, self.run.started_at.astimezone(self.zone))

    def _finish(self, stop: StopRun | None) -> RunOutcome:
        tally = self.tally
        errors = list(tally.failures)
        if tally.extra_failures:
            errors.append(run_errors.error_entry("more_errors", count=tally.extra_failures))
        if stop is not None:
            errors.insert(0, run_errors.error_entry(stop.code, detail=stop.detail))
            uploaded = self._uploaded_this_attempt > 0 or tally.files > 0
            if stop.reason in ("access_lost", "quota") or not uploaded:
                status = BackupRun.Status.FAILED
            else:
                status = BackupRun.Status.PARTIAL
            outcome = RunOutcome(status, stop.retryable, stop.reason, errors[0]["message"])
        elif tally.failures or tally.extra_failures:
            retryable = tally.retryable_failures > 0
            count = len(tally.failures) + tally.extra_failures
            outcome = RunOutcome(
                BackupRun.Status.PARTIAL if tally.files else BackupRun.Status.FAILED,
                retryable,
                "transient" if retryable else None,
                run_errors.english_message("files_failed", count=count),
            )
        else:
            outcome = RunOutcome(BackupRun.Status.SUCCEEDED, message="backed up")
        will_retry = outcome.retryable and not self.final_attempt
        self._save_run(
            status=BackupRun.Status.QUEUED if will_retry else outcome.status,
            finished=not will_retry,
            errors=errors,
        )
        if not will_retry:
            self._record_on_integration(outcome)
        logger.info(
            "Run %s of integration %s: %s (%s files, %s bytes, %s Drive calls)",
            self.run.pk,
            self.integration.pk,
            "queued for a retry" if will_retry else outcome.status,
            tally.files,
            tally.bytes,
            self._drive_calls(),
        )
        return outcome

    def _save_run(self, *, status: str, finished: bool, errors: list[dict]) -> None:
        run = self.run
        run.status = status
        run.finished_at = timezone.now() if finished else None
        run.errors = errors
        self._copy_tally_to_run()
        run.heartbeat_at = timezone.now()
        run.save(
            update_fields=[
                "status",
                "finished_at",
                "errors",
                "heartbeat_at",
                *_TALLY_FIELDS,
            ]
        )

    def _record_on_integration(self, outcome: RunOutcome) -> None:
        integrations = GoogleDriveIntegration.objects.filter(pk=self.integration.pk)
        if outcome.succeeded:
            integrations.update(consecutive_failures=0, last_error="")
        elif outcome.reason != "disconnected":
            integrations.update(
                consecutive_failures=F("consecutive_failures") + 1, last_error=outcome.message
            )

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

    def _item_processed(self) -> None:
        self.tally.done += 1
        self._files_since_check += 1
        self._files_since_flush += 1
        if self._files_since_check >= RECHECK_EVERY_FILES:
            self._files_since_check = 0
            self._check_still_connected()
        self._beat(force=self._files_since_flush >= PROGRESS_EVERY_FILES)

    def _check_still_connected(self) -> None:
        current = (
            GoogleDriveIntegration.objects.filter(pk=self.integration.pk)
            .values("status", "google_account_id", "google_email")
            .first()
        )
        if current is None:
            raise StopRun("disconnected", "disconnected", retryable=False)
        if current["status"] == GoogleDriveIntegration.Status.ACCESS_LOST:
            raise StopRun("access_lost", "access_lost", retryable=False)
        same_account = (
            current["google_account_id"] or current["google_email"].lower()
        ) == self.account
        if current["status"] != GoogleDriveIntegration.Status.CONNECTED or not same_account:
            raise StopRun("disconnected", "disconnected", retryable=False)
        if not self.integration.refresh_token:
            raise StopRun("disconnected", "disconnected", retryable=False)

    # --- Google failures ----------------------------------------------------------------

    def _stop_for(self, error: DriveError, *, code: str) -> StopRun:
        """The StopRun for a failure that ends the run; marks access loss on the integration."""
        if error.kind == ErrorKind.ACCESS_LOST:
            return self._stop_for_refused_grant(error)
        if error.kind == ErrorKind.QUOTA:
            return StopRun("quota", "quota", retryable=False, detail=error.detail)
        if error.kind == ErrorKind.PERMANENT and error.status is None:
            logger.error("Google refused our OAuth client: %s", error.detail)
            return StopRun("misconfigured", None, retryable=False, detail=error.detail)
        if error.kind in (ErrorKind.PERMANENT, ErrorKind.ID_UNUSABLE):
            return StopRun(code, None, retryable=False, detail=error.detail)
        return StopRun("google_unavailable", "transient", retryable=True, detail=error.detail)

    def _stop_for_refused_grant(self, error: DriveError) -> StopRun:
        """Google refused the grant this run holds: access lost, or the merchant's own doing.

        Disconnect and a switch to another Google account revoke this grant at Google, so the
        running upload meets the revoked token before the run looks at the integration again.
        Then the run stops as disconnected: no "access lost" on the page, in an e-mail or in
        the failure count.
        """
        if self._mark_access_lost():
            logger.warning("Integration %s lost access to Google: %s", self.integration.pk, error)
            return StopRun("access_lost", "access_lost", retryable=False, detail=error.detail)
        if self._integration_status() == GoogleDriveIntegration.Status.ACCESS_LOST:
            return StopRun("access_lost", "access_lost", retryable=False, detail=error.detail)
        logger.info(
            "Run %s stopped: Google Drive was disconnected or reconnected meanwhile", self.run.pk
        )
        return StopRun("disconnected", "disconnected", retryable=False, detail=error.detail)

    def _mark_access_lost(self) -> bool:
        """Mark the integration "access lost"; False if the grant is no longer its own."""
        message = run_errors.english_message("access_lost")
        # Only the grant this run used: after a disconnect or a reconnect meanwhile the
        # integration holds no grant or another one, which has not been lost.
        return bool(
            GoogleDriveIntegration.objects.filter(
                pk=self.integration.pk,
                status=GoogleDriveIntegration.Status.CONNECTED,
                connected_at=self.integration.connected_at,
            ).update(
                status=GoogleDriveIntegration.Status.ACCESS_LOST,
                access_lost_at=timezone.now(),
                last_error=message,
            )
        )

    def _integration_status(self) -> str | None:
        return (
            GoogleDriveIntegration.objects.filter(pk=self.integration.pk)
            .values_list("status", flat=True)
            .first()
        )

    def _file_failed(self, upload_kind: str, number: str, code: str, detail: str, retry: bool):
        tally = self.tally
        if len(tally.failures) < run_errors.MAX_ERRORS_PER_RUN:
            tally.failures.append(
                run_errors.error_entry(code, kind=upload_kind, number=number, detail=detail)
            )
        else:
            tally.extra_failures += 1
        if retry:
            tally.retryable_failures += 1

    # --- Drive ids and folders ----------------------------------------------------------

    def _plan_ids(self, files: int, folders: list[FolderPath]) -> None:
        """Open the folder tree and the id pool, telling the pool how many ids may be needed."""
        assert self.client is not None
        self.ids = DriveIdPool(self.client, self.integration, self.account)
        self.tree = FolderTree(self.client, self.integration, self.account, self.ids)
        self.ids.expect(files + self.tree.missing_count(folders))

    def _folder_id(self, path: FolderPath) -> str:
        assert self.tree is not None
        return self.tree.folder_id(path)

    # --- unfinished uploads of earlier attempts -----------------------------------------

    def _recover_unfinished_rows(self) -> None:
        """Settle every "uploading" row: did the file land before the worker stopped?

        Rows of the current document version and of this run's orders export are resumed by
        the upload itself; older ones are asked about here and closed either way.
        """
        rows = BackedUpFile.objects.filter(
            integration=self.integration,
            google_account_id=self.account,
            state=BackedUpFile.State.UPLOADING,
        ).exclude(kind=BackedUpFile.Kind.ORDERS, run=self.run)
        for row in rows:
            if row.document_uuid and self._is_current_version(row):
                continue
            self._settle_row(row)

    def _is_current_version(self, row: BackedUpFile) -> bool:
        model = Invoice if row.kind == BackedUpFile.Kind.INVOICE else Receipt
        document = model.objects.filter(uuid=row.document_uuid).first()
        if document is None:
            return False
        try:
            return pdf.document_fingerprint(document) == row.fingerprint
        except Exception:
            return False

    def _settle_row(self, row: BackedUpFile) -> None:
        """Close an unfinished row from what Drive holds."""
        landed = self._landed(row)
        if landed == "ours":
            self._complete_row(row)
        elif landed == "in_trash":
            self._put_in_trash(row)
        else:
            self._fail_row(row)

    def _landed(self, row: BackedUpFile) -> Landed:
        """What Drive holds under the row's id: our bytes (maybe in the trash), others, nothing."""
        stored = self.client.get_file(row.drive_file_id)
        if stored is None:
            return "nothing"
        if stored.md5 != row.md5:
            logger.warning("Drive holds other bytes under %s (ledger row %s)", stored.id, row.pk)
            return "others"
        # Landed in a folder that was in the trash: not a backup.
        return "in_trash" if stored.trashed else "ours"

    def _fail_row(self, row: BackedUpFile) -> None:
        row.state = BackedUpFile.State.FAILED
        row.save(update_fields=["state"])

    def _put_in_trash(self, row: BackedUpFile, stored: StoredFile | None = None) -> None:
        """The row's copy went to the trash with its folder; it is left there, not counted."""
        if stored is not None and stored.size is not None:
            row.size = stored.size
        row.state = BackedUpFile.State.IN_TRASH
        row.save(update_fields=["state", "size"])
        logger.info("Ledger row %s landed in a trashed folder (%s)", row.pk, row.folder_path)

    def _complete_row(self, row: BackedUpFile) -> None:
        row.state = BackedUpFile.State.DONE
        row.completed_at = timezone.now()
        row.save(update_fields=["state", "completed_at", "size", "run"])

    def _complete_planned_row(self, row: BackedUpFile) -> None:
        """A file of this run's plan is in Drive; the run that confirmed it counts it."""
        row.run = self.run
        self._complete_row(row)

    # --- orders ---------------------------------------------------------------------------

    def _orders_done(self) -> bool:
        return BackedUpFile.objects.filter(
            run=self.run,
            google_account_id=self.account,
            kind=BackedUpFile.Kind.ORDERS,
            state=BackedUpFile.State.DONE,
        ).exists()

    def _back_up_orders(self) -> None:
        started = self.run.started_at
        tz = self.zone
        since = started - timedelta(days=settings.BACKUP_ORDERS_WINDOW_DAYS)
        stream = tempfile.SpooledTemporaryFile(max_size=SPOOL_MAX_BYTES)  # noqa: SIM115
        try:
            try:
                stats = write_orders_csv(self.integration.merchant_id, since, started, stream, tz)
            except Exception as exc:
                logger.exception("Orders export of integration %s failed", self.integration.pk)
                self._file_failed(BackedUpFile.Kind.ORDERS, "", "csv_failed", repr(exc), False)
                self._item_processed()
                return
            md5, size = md5_of(stream)
            upload = Upload(
                kind=BackedUpFile.Kind.ORDERS,
                folder=self._orders_folder(),
                name=orders_csv_filename(started, tz),
                stream=stream,
                size=size,
                md5=md5,
                fingerprint=stats.sha256,
                orders=stats.rows,
            )
            self._upload(upload)
        finally:
            stream.close()

    # --- invoices and receipts ----------------------------------------------------------

    def _back_up_documents(
        self, kind: str, model: type[Invoice] | type[Receipt], ids: list[int]
    ) -> None:
        documents = list(model.objects.filter(pk__in=ids).order_by("issue_date", "id"))
        pdf.prefetch_for_print(documents)
        live = self._live_rows(kind, documents)
        pending = []
        for document in documents:
            try:
                fingerprint = pdf.document_fingerprint(document)
            except Exception as exc:
                logger.exception("Fingerprint of %s %s failed", kind, document.pk)
                self._file_failed(kind, document.number, "render_failed", repr(exc), False)
                self._item_processed()
                continue
            rows = live.get(document.uuid, [])
            same = next((r for r in rows if r.fingerprint == fingerprint), None)
            if same is not None and same.state == BackedUpFile.State.DONE:
                self._note_unchanged(same, document)
                self._item_processed()
                continue
            pending.append((document, fingerprint, len(rows) + (0 if same else 1)))
        if not pending:
            return
        # Prints are in the merchant's language. The fingerprint leaves the language out on
        # purpose: a new language applies to documents issued or changed from then on, and
        # does not upload a second copy of every document already in Drive.
        with translation.override(self.integration.merchant.language):
            rendered = self._render([doc for doc, _, _ in pending], kind)
        for (document, fingerprint, version), file in zip(pending, rendered, strict=True):
            if file is None:
                self._item_processed()
                continue
            upload = Upload(
                kind=kind,
                folder=folder_for(kind, document.issue_date),
                name=pdf.versioned_filename(pdf.document_filename(document.number), version),
                stream=io.BytesIO(file.content),
                size=len(file.content),
                md5=md5_hex(file.content),
                fingerprint=fingerprint,
                number=document.number,
                document_uuid=document.uuid,
                source_updated_at=document.updated_at,
            )
            try:
                self._upload(upload, mimetype=file.mimetype)
            finally:
                upload.stream.close()

    def _live_rows(self, kind: str, documents: list) -> dict[object, list[BackedUpFile]]:
        rows: dict[object, list[BackedUpFile]] = {}
        for row in BackedUpFile.objects.filter(
            integration=self.integration,
            google_account_id=self.account,
            kind=kind,
            document_uuid__in=[d.uuid for d in documents],
            state__in=BackedUpFile.LIVE_STATES,
        ):
            rows.setdefault(row.document_uuid, []).append(row)
        return rows

    def _note_unchanged(self, row: BackedUpFile, document) -> None:
        """A change that does not show in the print: remember it was seen."""
        if row.source_updated_at is None or row.source_updated_at < document.updated_at:
            BackedUpFile.objects.filter(pk=row.pk).update(source_updated_at=document.updated_at)

    def _render(self, documents: list, kind: str) -> list[pdf.RenderedFile | None]:
        try:
            return list(pdf.render_pdfs(documents))
        except Exception:
            logger.warning("Batch render failed; rendering %d documents one by one", len(documents))
        results: list[pdf.RenderedFile | None] = []
        for document in documents:
            try:
                results.append(pdf.render_pdfs([document])[0])
            except Exception as exc:
                logger.exception("Rendering %s %s failed", kind, document.pk)
                self._file_failed(kind, document.number, "render_failed", repr(exc), False)
                results.append(None)
        return results

    # --- one upload -----------------------------------------------------------------------

    def _upload(self, upload: Upload, mimetype: str = CSV_MIMETYPE) -> None:
        """Ledger row, upload, ledger completion; failures of the file are recorded."""
        row: BackedUpFile | None = None
        try:
            row = self._ledger_row(upload)
            while row is not None:
                stored = self._send(row, upload, mimetype)
                if not stored.trashed:
                    row.size = stored.size if stored.size is not None else upload.size
                    self._complete_planned_row(row)
                    break
                # Its folder is in the trash (the merchant's doing): the copy stays there.
                self._put_in_trash(row, stored)
                assert self.tree is not None
                if not self.tree.recover(upload.folder):
                    raise FolderInTrash(upload.folder)
                row = self._ledger_row(upload)
            self._count_upload(upload)
            self._transient_streak = 0
        except ChecksumMismatch as error:
            self._fail_row(row)
            self._file_failed(upload.kind, upload.number, "checksum_mismatch", error.detail, True)
        except DriveError as error:
            if error.kind in (ErrorKind.ID_IN_USE, ErrorKind.ID_UNUSABLE) and row is not None:
                # The reserved id cannot be used: the next attempt reserves another one.
                self._fail_row(row)
            self._upload_failed(upload, error)
        self._item_processed()

    def _send(self, row: BackedUpFile, upload: Upload, mimetype: str) -> StoredFile:
        """Create the row's file in its folder: once more after the folder had to be made
        again (deleted for good: 404) or after Drive refused a pooled id."""
        assert self.tree is not None and self.ids is not None
        while True:
            parent_id = self._folder_id(upload.folder)
            try:
                return self.client.upload(
                    file_id=row.drive_file_id,
                    name=row.name,
                    parent_id=parent_id,
                    mimetype=mimetype,
                    stream=upload.stream,
                    size=upload.size,
                    md5=upload.md5,
                    app_properties=upload_app_properties(upload, self.run),
                )
            except DriveError as error:
                if error.kind == ErrorKind.NOT_FOUND and self.tree.recover(upload.folder):
                    continue  # nothing was created: same id, into the folder made again
                if error.kind == ErrorKind.ID_UNUSABLE and self.ids.refused(row.drive_file_id):
                    self._give_new_id(row)
                    continue
                raise

    def _give_new_id(self, row: BackedUpFile) -> None:
        """The row's id was refused (nothing was created under it): it holds another one."""
        assert self.ids is not None

        def hold(drive_id: str) -> None:
            row.drive_file_id = drive_id
            row.save(update_fields=["drive_file_id"])

        self.ids.take(hold)

    def _upload_failed(self, upload: Upload, error: DriveError) -> None:
        if error.ends_run or (error.kind == ErrorKind.PERMANENT and error.status is None):
            raise self._stop_for(error, code="upload_failed")
        if error.kind in (ErrorKind.PERMANENT, ErrorKind.ID_UNUSABLE):
            self._file_failed(upload.kind, upload.number, "rejected", error.detail, False)
            return
        self._file_failed(upload.kind, upload.number, "upload_failed", error.detail, True)
        self._transient_streak += 1
        if self._transient_streak >= MAX_CONSECUTIVE_TRANSIENT_FAILURES:
            raise StopRun("google_unavailable", "transient", retryable=True, detail=error.detail)

    def _ledger_row(self, upload: Upload) -> BackedUpFile | None:
        """The committed "uploading" row for this upload; None if it already landed."""
        row = self._unfinished_row(upload)
        if row is not None:
            landed = self._landed(row)
            if landed == "ours":
                self._complete_planned_row(row)
                return None
            if landed == "nothing":
                # It never landed: go again under the same id and name with today's bytes.
                row.md5, row.size = upload.md5, upload.size
                row.source_updated_at = upload.source_updated_at
                row.save(update_fields=["md5", "size", "source_updated_at"])
                return row
            if landed == "in_trash":
                self._put_in_trash(row)
            else:
                self._fail_row(row)
        assert self.ids is not None
        return self.ids.take(
            lambda drive_id: BackedUpFile.objects.create(
                integration=self.integration,
                google_account_id=self.account,
                run=self.run,
                kind=upload.kind,
                document_uuid=upload.document_uuid,
                fingerprint=upload.fingerprint,
                name=upload.name,
                folder_path=display_path(upload.folder),
                drive_file_id=drive_id,
                md5=upload.md5,
                size=upload.size,
                source_updated_at=upload.source_updated_at,
            )
        )

    def _unfinished_row(self, upload: Upload) -> BackedUpFile | None:
        rows = BackedUpFile.objects.filter(
            integration=self.integration,
            google_account_id=self.account,
            kind=upload.kind,
            state=BackedUpFile.State.UPLOADING,
        )
        if upload.document_uuid:
            rows = rows.filter(document_uuid=upload.document_uuid, fingerprint=upload.fingerprint)
        else:
            rows = rows.filter(run=self.run)
        return rows.first()

    def _count_upload(self, upload: Upload) -> None:
        tally = self.tally
        tally.files += 1
        tally.bytes += upload.size
        self._uploaded_this_attempt += 1
        if upload.kind == BackedUpFile.Kind.INVOICE:
            tally.invoices += 1
        elif upload.kind == BackedUpFile.Kind.RECEIPT:
            tally.receipts += 1
        else:
            tally.orders += upload.orders

    def _documents_since(self) -> date:
        """S9: the first run (for this Google account) starts at the 1st of the month."""
        since = self.integration.documents_since
        if since is None:
            today = self.run.started_at.astimezone(self.zone).date()
            since = today.replace(day=1)
            GoogleDriveIntegration.objects.filter(
                pk=self.integration.pk, documents_since__isnull=True
            ).update(documents_since=since)
            self.integration.documents_since = since
        return since


_TALLY_FIELDS = (
    "files_uploaded",
    "bytes_uploaded",
    "invoices_uploaded",
    "receipts_uploaded",
    "orders_exported",
    "progress_done",
    "drive_calls",
)


def _chunks(items: list[int], size: int) -> Iterator[list[int]]:
    for start in range(0, len(items), size):
        yield items[start : start + size]
