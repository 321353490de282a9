"""The ledger (BackedUpFile): every file we put into Drive, and the exactly-once rule.

Before a file is sent, its row is committed in state "uploading" with a Drive id reserved
through files.generateIds (taken from the account's pool in the same transaction, see
drive_ids), and the file is created under that id. A later attempt that finds the row
unfinished asks Drive for that id:

    our md5 there           -> "done" (it landed before the worker stopped)
    our md5, in the trash   -> "in the trash" (its folder was trashed; the copy stays there)
    nothing there           -> sent again under the same id and name, with today's bytes
    other bytes there       -> "failed"; the file gets a new row and id

So neither a worker killed between upload and commit nor a request resent by httplib2 can
leave a second copy. States: uploading -> done | failed | in_trash; only "uploading" and
"done" are live (one live row per document version, a database constraint). A repair run
(engine.repair) also turns done rows whose copy the merchant removed into in_trash | gone.
"""

from __future__ import annotations

import logging
from typing import Literal

from django.db import IntegrityError
from django.db.models import Q
from django.utils import timezone

from documents import pdf
from documents.models import Invoice, Receipt
from integrations.engine.drive_ids import DriveIdPool
from integrations.engine.folders import display_path
from integrations.engine.plan import Upload
from integrations.google.client import DriveClient
from integrations.google.files import StoredFile
from integrations.models import BackedUpFile, BackupRun, GoogleDriveIntegration

logger = logging.getLogger(__name__)

# What Drive holds under the id of an unfinished ledger row.
Landed = Literal["ours", "nothing", "others", "in_trash"]


class Ledger:
    """The ledger rows of one run's integration and Google account."""

    def __init__(
        self,
        run: BackupRun,
        integration: GoogleDriveIntegration,
        account: str,
        client: DriveClient,
        ids: DriveIdPool,
    ) -> None:
        self.run = run
        self.integration = integration
        self.account = account
        self.client = client
        self.ids = ids
        self._unfinished: dict[tuple, BackedUpFile] | None = None

    def _rows(self):
        return BackedUpFile.objects.filter(
            integration=self.integration, google_account_id=self.account
        )

    # --- reserving ------------------------------------------------------------------------

    def reserve(self, upload: Upload, *, reread: bool = False) -> BackedUpFile | None:
        """The committed "uploading" row for this upload; None if it already landed."""
        row = self.unfinished_row(upload)
        if row is not None:
            landed = self.landed(row)
            if landed == "ours":
                self.complete_planned(row)
                return None
            if landed == "nothing":
                # It never landed: go again under the same id and name with today's bytes.
                row.md5, row.size = upload.md5, upload.size
                row.source_updated_at = upload.source_updated_at
                row.save(update_fields=["md5", "size", "source_updated_at"])
                return row
            if landed == "in_trash":
                self.put_in_trash(row)
            else:
                self.fail(row)
        try:
            return self._new_row(upload)
        except IntegrityError:
            if reread:
                raise
            # This document version got a live row after the run read its unfinished rows
            # (a worker that lost the integration's lock, still at work): read them again and
            # continue from that row, as a later attempt would.
            self._unfinished = None
            return self.reserve(upload, reread=True)

    def _new_row(self, upload: Upload) -> BackedUpFile:
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

    def unfinished_row(self, upload: Upload) -> BackedUpFile | None:
        """The "uploading" row an earlier attempt left for this upload, if any.

        The rows are read once per run, not once per file (a query for each of thousands of
        files): under the integration's lock nothing else adds any, and the unique live row
        per document version catches a worker that lost the lock (see reserve). Each row is
        handed out once: whatever reserve makes of it, it is no longer unfinished.
        """
        if self._unfinished is None:
            self._unfinished = {
                _unfinished_key(row.kind, row.document_uuid, row.fingerprint, row.run_id): row
                for row in self._rows()
                .filter(state=BackedUpFile.State.UPLOADING)
                .filter(Q(document_uuid__isnull=False) | Q(run=self.run))
                .order_by("-id")
            }
        key = _unfinished_key(upload.kind, upload.document_uuid, upload.fingerprint, self.run.pk)
        return self._unfinished.pop(key, None)

    def give_new_id(self, row: BackedUpFile) -> None:
        """The row's id was refused (nothing was created under it): it holds another one."""

        def hold(drive_id: str) -> None:
            row.drive_file_id = drive_id
            row.save(update_fields=["drive_file_id"])

        self.ids.take(hold)

    def record_true_id(self, row: BackedUpFile, drive_id: str) -> None:
        """Drive created the row's file under `drive_id`, not the id the row reserved."""
        logger.info(
            "Ledger row %s: Drive gave the file id %s, not %s", row.pk, drive_id, row.drive_file_id
        )
        row.drive_file_id = drive_id
        row.save(update_fields=["drive_file_id"])

    def orders_done(self) -> bool:
        """This run's orders CSV is in Drive already (an earlier attempt sent it)."""
        return (
            self._rows()
            .filter(run=self.run, kind=BackedUpFile.Kind.ORDERS, state=BackedUpFile.State.DONE)
            .exists()
        )

    def done_rows(self):
        return self._rows().filter(state=BackedUpFile.State.DONE)

    def lost_document_uuids(self) -> set:
        """Documents with a copy the merchant trashed or deleted (a repair may resend them)."""
        return set(
            self._rows()
            .filter(
                state__in=(BackedUpFile.State.IN_TRASH, BackedUpFile.State.GONE),
                document_uuid__isnull=False,
            )
            .values_list("document_uuid", flat=True)
        )

    # --- what landed ----------------------------------------------------------------------

    def landed(self, row: BackedUpFile) -> Landed:
        """What Drive holds under the row's id: our bytes (maybe in the trash), others, nothing."""
        stored = self.client.get_file(row.drive_file_id)
        if stored is None:
            return "nothing"
        if stored.md5 != row.md5:
            logger.warning("Drive holds other bytes under %s (ledger row %s)", stored.id, row.pk)
            return "others"
        # Landed in a folder that was in the trash: not a backup.
        return "in_trash" if stored.trashed else "ours"

    def settle(self, row: BackedUpFile) -> None:
        """Close an unfinished row from what Drive holds."""
        landed = self.landed(row)
        if landed == "ours":
            self.complete(row)
        elif landed == "in_trash":
            self.put_in_trash(row)
        else:
            self.fail(row)

    def recover_unfinished(self) -> None:
        """Settle every "uploading" row: did the file land before the worker stopped?

        Rows of the current document version and of this run's orders export are resumed by
        the upload itself; older ones are asked about here and closed either way.
        """
        rows = (
            self._rows()
            .filter(state=BackedUpFile.State.UPLOADING)
            .exclude(kind=BackedUpFile.Kind.ORDERS, run=self.run)
        )
        for row in rows:
            if row.document_uuid and _is_current_version(row):
                continue
            self.settle(row)

    # --- closing a row --------------------------------------------------------------------

    def complete(self, row: BackedUpFile) -> None:
        row.state = BackedUpFile.State.DONE
        row.completed_at = timezone.now()
        row.save(update_fields=["state", "completed_at", "size", "run"])

    def complete_planned(self, row: BackedUpFile) -> None:
        """A file of this run's plan is in Drive; the run that confirmed it counts it."""
        row.run = self.run
        self.complete(row)

    def fail(self, row: BackedUpFile) -> None:
        row.state = BackedUpFile.State.FAILED
        row.save(update_fields=["state"])

    def mark_gone(self, row: BackedUpFile) -> None:
        """The row's copy was deleted for good from Drive (a repair asked Drive by its id)."""
        row.state = BackedUpFile.State.GONE
        row.save(update_fields=["state"])
        logger.info("Ledger row %s: its copy was deleted from Drive (%s)", row.pk, row.folder_path)

    def put_in_trash(self, row: BackedUpFile, stored: StoredFile | None = None) -> None:
        """The row's copy went to the trash with its folder; it is left there, not counted."""
        if stored is not None and stored.size is not None:
            row.size = stored.size
        row.state = BackedUpFile.State.IN_TRASH
        row.save(update_fields=["state", "size"])
        logger.info("Ledger row %s landed in a trashed folder (%s)", row.pk, row.folder_path)


def _unfinished_key(kind: str, document_uuid, fingerprint: str, run_id: int | None) -> tuple:
    """A document's version, or the orders export of one run."""
    if document_uuid:
        return (kind, document_uuid, fingerprint)
    return (kind, None, run_id)


def _is_current_version(row: BackedUpFile) -> bool:
    model = Invoice if row.kind == BackedUpFile.Kind.INVOICE else Receipt
    document = model.objects.filter(uuid=row.document_uuid).first()
    if document is None:
        return False
    try:
        return pdf.document_fingerprint(document) == row.fingerprint
    except Exception:
        return False
