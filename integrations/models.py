"""The Google Drive integration of a merchant, its backup runs and the ledger of uploads."""

from __future__ import annotations

from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from accounts.models import Merchant
from accounts.time_zones import DEFAULT_TIME_ZONE
from integrations.crypto import EncryptedTextField


class GoogleDriveIntegration(models.Model):
    class Status(models.TextChoices):
        NOT_CONNECTED = "not_connected", _("Not connected")
        CONNECTED = "connected", _("Connected")
        ACCESS_LOST = "access_lost", _("Access lost")

    merchant = models.OneToOneField(
        Merchant, on_delete=models.CASCADE, related_name="drive_integration"
    )
    status = models.CharField(
        max_length=20, choices=Status.choices, default=Status.NOT_CONNECTED, db_index=True
    )
    google_email = models.EmailField(blank=True)
    # Google's stable id of the account (about.user.permissionId): tells a reconnect with the
    # same account from a switch to another one.
    google_account_id = models.CharField(max_length=100, blank=True)
    refresh_token = EncryptedTextField(blank=True, editable=False)
    granted_scopes = models.TextField(blank=True, editable=False)
    connected_at = models.DateTimeField(null=True, blank=True)
    access_lost_at = models.DateTimeField(null=True, blank=True)

    backup_orders = models.BooleanField(_("Orders (CSV)"), default=True)
    backup_invoices = models.BooleanField(_("Invoices (PDF)"), default=True)
    backup_receipts = models.BooleanField(_("Receipts, non-fiscal (PDF)"), default=True)
    time_zone = models.CharField(_("time zone"), max_length=64, default=DEFAULT_TIME_ZONE)

    # When the dispatcher looks at the integration next: its start moment in the coming night
    # (integrations.schedule). Null: not computed yet; the dispatcher does it.
    next_run_at = models.DateTimeField(null=True, blank=True, db_index=True)
    # First day of accounting documents to back up; set by the first run (S9).
    documents_since = models.DateField(null=True, blank=True)
    root_folder_id = models.CharField(max_length=200, blank=True)
    consecutive_failures = models.PositiveIntegerField(default=0)
    last_error = models.TextField(blank=True)
    # When the merchant was last e-mailed about each kind of trouble, so one problem gets one
    # e-mail rather than one per night.
    access_lost_notified_at = models.DateTimeField(null=True, blank=True)
    quota_notified_at = models.DateTimeField(null=True, blank=True)
    account_refused_notified_at = models.DateTimeField(null=True, blank=True)
    failure_streak_notified_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    def __str__(self) -> str:
        return f"Google Drive of {self.merchant}"

    @property
    def is_connected(self) -> bool:
        return self.status == self.Status.CONNECTED

    @property
    def google_account_key(self) -> str:
        """Which Google account the backup writes to: its stable id, else its e-mail.

        The ledger, the folder cache, the id pool and the write pacing are kept under it.
        """
        return self.google_account_id or self.google_email.lower()

    def same_google_account(self) -> Q | None:
        """Integrations connected to this one's Google account (by its id, else its e-mail);
        None when it has none."""
        if self.google_account_id:
            return Q(google_account_id=self.google_account_id)
        if self.google_email:
            return Q(google_email__iexact=self.google_email)
        return None


class BackupRun(models.Model):
    class Trigger(models.TextChoices):
        SCHEDULED = "scheduled", _("Nightly")
        MANUAL = "manual", _("Manual")
        # "Re-send missing copies": uploads again the documents whose copy the merchant
        # deleted or trashed (integrations.engine.repair).
        REPAIR = "repair", _("Re-send missing copies")

    class Status(models.TextChoices):
        QUEUED = "queued", _("Queued")
        RUNNING = "running", _("Running")
        SUCCEEDED = "succeeded", _("Succeeded")
        PARTIAL = "partial", _("Finished with errors")
        FAILED = "failed", _("Failed")

    ACTIVE_STATUSES = (Status.QUEUED, Status.RUNNING)

    integration = models.ForeignKey(
        GoogleDriveIntegration, on_delete=models.CASCADE, related_name="runs"
    )
    trigger = models.CharField(max_length=10, choices=Trigger.choices)
    # The merchant's local date on which the night began; one scheduled run per night.
    night = models.DateField(null=True, blank=True)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.QUEUED)
    not_before = models.DateTimeField(null=True, blank=True)
    queued_at = models.DateTimeField(auto_now_add=True)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    attempts = models.PositiveIntegerField(default=0)

    orders_exported = models.PositiveIntegerField(default=0)
    invoices_uploaded = models.PositiveIntegerField(default=0)
    receipts_uploaded = models.PositiveIntegerField(default=0)
    files_uploaded = models.PositiveIntegerField(default=0)
    bytes_uploaded = models.BigIntegerField(default=0)
    drive_calls = models.PositiveIntegerField(default=0)
    progress_total = models.PositiveIntegerField(default=0)
    progress_done = models.PositiveIntegerField(default=0)
    errors = models.JSONField(default=list, blank=True)
    # Written by the worker at least every 30 s while the run is being worked on; a running
    # run with an old heartbeat lost its worker.
    heartbeat_at = models.DateTimeField(null=True, blank=True)
    # When the run's task was last handed to the broker, and how often the dispatcher had to
    # hand it over again because no worker showed signs of life.
    enqueued_at = models.DateTimeField(null=True, blank=True)
    requeues = models.PositiveSmallIntegerField(default=0)

    class Meta:
        ordering = ["-queued_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["integration", "night"],
                condition=Q(trigger="scheduled"),
                name="one_scheduled_run_per_night",
            ),
            models.UniqueConstraint(
                fields=["integration"],
                condition=Q(status__in=["queued", "running"]),
                name="one_active_run_per_integration",
            ),
        ]

    def __str__(self) -> str:
        return f"Run {self.pk} ({self.get_status_display()})"

    @property
    def duration(self):
        if self.started_at and self.finished_at:
            return self.finished_at - self.started_at
        return None


class BackedUpFile(models.Model):
    """The ledger: one row per file the system put (or is putting) into Drive."""

    class Kind(models.TextChoices):
        ORDERS = "orders", _("Orders CSV")
        INVOICE = "invoice", _("Invoice")
        RECEIPT = "receipt", _("Receipt")

    class State(models.TextChoices):
        UPLOADING = "uploading", _("Uploading")
        DONE = "done", _("Done")
        # Never landed (abandoned for a newer version) or landed with other bytes than ours.
        FAILED = "failed", _("Failed")
        # Landed inside a folder the merchant had trashed, so it went straight to the trash:
        # not a backup. The copy is left where it is; the file is uploaded again elsewhere.
        IN_TRASH = "in_trash", _("In the trash")
        # Deleted for good from Drive by the merchant, as a repair found: not a backup any more.
        GONE = "gone", _("Deleted from Drive")

    LIVE_STATES = (State.UPLOADING, State.DONE)

    integration = models.ForeignKey(
        GoogleDriveIntegration, on_delete=models.CASCADE, related_name="backed_up_files"
    )
    # Google's id of the account whose Drive holds the file: another account starts afresh.
    google_account_id = models.CharField(max_length=100, blank=True, default="")
    run = models.ForeignKey(BackupRun, on_delete=models.SET_NULL, null=True, related_name="files")
    kind = models.CharField(max_length=10, choices=Kind.choices)
    # The invoice's or receipt's uuid; empty for orders exports.
    document_uuid = models.UUIDField(null=True, blank=True)
    # Hash of what was uploaded's source data: a changed document gets a new row and file.
    fingerprint = models.CharField(max_length=64)
    name = models.CharField(max_length=255)
    folder_path = models.CharField(max_length=255)
    drive_file_id = models.CharField(max_length=200)
    # md5 and size of the bytes being uploaded, written before the upload: a retry compares
    # them with what Drive holds under drive_file_id.
    md5 = models.CharField(max_length=32, blank=True)
    size = models.BigIntegerField(default=0)
    state = models.CharField(max_length=10, choices=State.choices, default=State.UPLOADING)
    # The document's updated_at when it was read for this upload: a later change is newer.
    source_updated_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    completed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["id"]
        constraints = [
            models.UniqueConstraint(
                fields=["integration", "google_account_id", "kind", "document_uuid", "fingerprint"],
                condition=Q(document_uuid__isnull=False, state__in=["uploading", "done"]),
                name="one_live_upload_per_document_version",
            ),
            models.UniqueConstraint(
                fields=["run", "google_account_id"],
                condition=Q(kind="orders", state__in=["uploading", "done"]),
                name="one_live_orders_export_per_run",
            ),
        ]
        indexes = [
            models.Index(
                fields=["integration", "google_account_id", "kind", "document_uuid"],
                name="ledger_account_doc_idx",
            ),
            models.Index(
                fields=["integration", "google_account_id", "state"], name="ledger_state_idx"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.folder_path}/{self.name}"


class DriveFolder(models.Model):
    """Cache of the Drive folder ids of an integration's backup tree, by path and account.

    A row is written before its folder is created and is only ever deleted with its
    integration: no row for an integration means no tree of it exists in any Drive, and a run
    may create the tree without looking for one first (integrations.folders).
    """

    integration = models.ForeignKey(
        GoogleDriveIntegration, on_delete=models.CASCADE, related_name="folders"
    )
    google_account_id = models.CharField(max_length=100, blank=True, default="")
    path = models.CharField(max_length=255)
    drive_id = models.CharField(max_length=200)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["integration", "google_account_id", "path"], name="uniq_account_folder_path"
            ),
        ]

    def __str__(self) -> str:
        return self.path


class ReservedDriveId(models.Model):
    """A file id that files.generateIds reserved for a Google account and nobody used yet.

    Runs take ids from here (oldest first) so that a regular night needs no generateIds call;
    an id leaves the pool in the same transaction as the ledger row or folder row that holds it.
    """

    integration = models.ForeignKey(
        GoogleDriveIntegration, on_delete=models.CASCADE, related_name="reserved_drive_ids"
    )
    # Ids are issued per Google account: another account's ids are useless (or refused).
    google_account_id = models.CharField(max_length=100)
    drive_id = models.CharField(max_length=200, unique=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        indexes = [
            models.Index(
                fields=["integration", "google_account_id", "created_at"],
                name="reserved_id_pool_idx",
            ),
        ]

    def __str__(self) -> str:
        return self.drive_id


class VerifyReport(models.Model):
    """One "Check my backup": what Drive holds of the ledger's files, kept for the page.

    Counts are of the ledger's current copies (done rows), one category each, plus the files
    of ours in Drive that no ledger row knows ("unknown"). `files` lists the affected ones
    (not the present), up to a cap per category (integrations.engine.verify).
    """

    class Trigger(models.TextChoices):
        MANUAL = "manual", _("Manual")
        MONTHLY = "monthly", _("Monthly")
        COMMAND = "command", _("Command line")

    class Status(models.TextChoices):
        QUEUED = "queued", _("Queued")
        RUNNING = "running", _("Running")
        DONE = "done", _("Done")
        FAILED = "failed", _("Failed")

    ACTIVE_STATUSES = (Status.QUEUED, Status.RUNNING)

    integration = models.ForeignKey(
        GoogleDriveIntegration, on_delete=models.CASCADE, related_name="verify_reports"
    )
    google_account_id = models.CharField(max_length=100, blank=True, default="")
    trigger = models.CharField(max_length=10, choices=Trigger.choices)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.QUEUED)
    requested_at = models.DateTimeField()
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    present = models.PositiveIntegerField(default=0)
    changed = models.PositiveIntegerField(default=0)
    trashed = models.PositiveIntegerField(default=0)
    missing = models.PositiveIntegerField(default=0)
    moved = models.PositiveIntegerField(default=0)
    unknown = models.PositiveIntegerField(default=0)
    files = models.JSONField(default=list, blank=True)
    drive_calls = models.PositiveIntegerField(default=0)
    error = models.TextField(blank=True)

    class Meta:
        ordering = ["-requested_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["integration"],
                condition=Q(status__in=["queued", "running"]),
                name="one_active_verify_per_integration",
            ),
        ]

    def __str__(self) -> str:
        return f"Check {self.pk} ({self.get_status_display()})"

    def counts(self) -> dict[str, int]:
        return {name: getattr(self, name) for name in VERIFY_CATEGORIES}

    @property
    def lost(self) -> int:
        """Copies a repair would send again: deleted for good or in the trash."""
        return self.missing + self.trashed


VERIFY_CATEGORIES = ("present", "changed", "trashed", "missing", "moved", "unknown")
