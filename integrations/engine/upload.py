"""One file into Drive: ledger row -> folder -> client, with id and folder recovery.

    reserve the ledger row (or find the file already landed)
    -> resolve its folder (engine.folders) -> create the file under the row's id
    -> Drive answers:
       stored, our md5         -> the row is done, under the id Drive gave (not always ours)
       stored, in the trash    -> the merchant trashed its folder: that copy stays there, the
                                  folder is made again and the file sent anew (new row, new id)
       404, or a refusal while
       the folder is trashed   -> the folder was deleted or trashed: made again, same id again
       id not usable           -> the account's id pool is dropped; the row takes a new id
       id refused again, or a
       refusal in other words  -> sent once without an id (after looking for a copy that an
                                  earlier id-less attempt left, by its appProperties)
       account-wide refusal    -> the run stops with one message (also when one unknown 403
                                  repeats file after file)
       anything else           -> the file fails (or the run stops, see DriveError)

Nothing in Drive is ever overwritten or deleted.
"""

from __future__ import annotations

import logging
from typing import Protocol

from integrations.engine.drive_ids import DriveIdPool
from integrations.engine.folders import FolderInTrash, FolderTree
from integrations.engine.ledger import Ledger
from integrations.engine.outcome import StopRun, stop_for
from integrations.engine.plan import Report, Upload
from integrations.google.client import SESSION_EXPIRED, DriveClient
from integrations.google.errors import ChecksumMismatch, DriveError, ErrorKind
from integrations.google.files import StoredFile
from integrations.models import BackedUpFile, BackupRun

logger = logging.getLogger(__name__)

# This many files in a row failing for transient reasons means Google is down for us.
MAX_CONSECUTIVE_TRANSIENT_FAILURES = 3
# This many files in a row refused with the same 403 that no list names: the refusal is the
# account's, not the files' (Google's list of such reasons may grow).
MAX_CONSECUTIVE_SAME_REFUSALS = 2
# Creates of one file before it fails: folder recovered, new id, no id, new session...
MAX_SENDS_PER_FILE = 6


class UploadReport(Report, Protocol):
    def uploaded(self, upload: Upload) -> None: ...


class Uploader:
    """Sends the files of one run, one at a time."""

    def __init__(
        self,
        run: BackupRun,
        client: DriveClient,
        ledger: Ledger,
        tree: FolderTree,
        ids: DriveIdPool,
        report: UploadReport,
    ) -> None:
        self.run = run
        self.client = client
        self.ledger = ledger
        self.tree = tree
        self.ids = ids
        self.report = report
        self._transient_streak = 0
        self._refusals: list[str] = []
        # Drive refused reserved ids in uploads this run: the next files go without one.
        self._ids_refused = False

    def upload(self, upload: Upload) -> None:
        """Ledger row, upload, ledger completion; failures of the file are recorded."""
        row: BackedUpFile | None = None
        try:
            row = self.ledger.reserve(upload)
            while row is not None:
                stored = self._send(row, upload)
                if stored.id != row.drive_file_id:
                    # Drive gave the file another id than the reserved one: record the true one.
                    self.ledger.record_true_id(row, stored.id)
                if not stored.trashed:
                    row.size = stored.size if stored.size is not None else upload.size
                    self.ledger.complete_planned(row)
                    break
                # Its folder is in the trash (the merchant's doing): the copy stays there.
                self.ledger.put_in_trash(row, stored)
                if not self.tree.recover(upload.folder):
                    raise FolderInTrash(upload.folder)
                row = self.ledger.reserve(upload)
            self.report.uploaded(upload)
            self._transient_streak = 0
            self._refusals.clear()
        except ChecksumMismatch as error:
            self.ledger.fail(row)
            self.report.file_failed(
                upload.kind, upload.number, "checksum_mismatch", error.detail, True
            )
        except DriveError as error:
            if row is not None and _nothing_created(error):
                # Refused (nothing was created) or the reserved id cannot be used: the next
                # attempt reserves another one.
                self.ledger.fail(row)
            self._failed(upload, error)
        self.report.item_processed()

    def _send(self, row: BackedUpFile, upload: Upload) -> StoredFile:
        """Create the row's file in its folder: again after the folder had to be made again
        (deleted or trashed), under another id after Drive refused a pooled id, and without
        an id after Drive refused the reserved ids of uploads."""
        without_id = self._ids_refused
        for _ in range(MAX_SENDS_PER_FILE - 1):
            parent_id = self.tree.folder_id(upload.folder)
            try:
                return self._create(row, upload, parent_id, without_id=without_id)
            except DriveError as error:
                if self.tree.parent_gone(error, parent_id) and self.tree.recover(upload.folder):
                    continue  # nothing was created: same id, into the folder made again
                if error.reason == SESSION_EXPIRED:
                    continue  # an id-less session expired: look for the file, then a new one
                if without_id or error.retryable or error.ends_run:
                    raise
                if error.kind == ErrorKind.ID_IN_USE:
                    # Taken by a file we may not see (its copy is not in this folder).
                    self.ledger.give_new_id(row)
                    continue
                if error.kind == ErrorKind.ID_UNUSABLE:
                    # Also what a resend meets when the first send landed under another id
                    # (its answer lost): look for that copy before using another id.
                    found = self.client.find_landed(
                        upload.app_properties(self.run.pk), parent_id, upload.md5
                    )
                    if found is not None:
                        return found
                if error.kind == ErrorKind.ID_UNUSABLE and self.ids.refused(row.drive_file_id):
                    self.ledger.give_new_id(row)
                    continue
                if error.kind == ErrorKind.ID_UNUSABLE or error.status in (400, 403):
                    # A fresh id refused too, or a refusal in words we do not know: Drive may
                    # not take reserved ids in uploads at all (it documents them only "when
                    # creating or copying files"). Once more without one.
                    without_id = True
                    continue
                raise
        parent_id = self.tree.folder_id(upload.folder)
        return self._create(row, upload, parent_id, without_id=without_id)

    def _create(
        self, row: BackedUpFile, upload: Upload, parent_id: str, *, without_id: bool
    ) -> StoredFile:
        properties = upload.app_properties(self.run.pk)
        if without_id:
            # Without an id a second create is a second copy: first look for one an earlier
            # attempt made (its answer lost, its worker stopped).
            found = self.client.find_landed(properties, parent_id, upload.md5)
            if found is not None:
                return found
        stored = self.client.upload(
            file_id=None if without_id else row.drive_file_id,
            name=row.name,
            parent_id=parent_id,
            mimetype=upload.mimetype,
            stream=upload.stream,
            size=upload.size,
            md5=upload.md5,
            app_properties=properties,
        )
        if without_id and not self._ids_refused:
            logger.warning(
                "Run %s: Drive refuses reserved ids in uploads; sending without", self.run.pk
            )
            self._ids_refused = True
        return stored

    def _failed(self, upload: Upload, error: DriveError) -> None:
        """The file failed: record it, or stop the run when no further file can succeed."""
        if error.ends_run:
            raise stop_for(
                error, code="upload_failed", integration=self.run.integration, run_id=self.run.pk
            )
        if error.permanent:
            self._count_refusal(error)
            self.report.file_failed(upload.kind, upload.number, "rejected", error.detail, False)
            return
        self.report.file_failed(upload.kind, upload.number, "upload_failed", error.detail, True)
        self._transient_streak += 1
        if self._transient_streak >= MAX_CONSECUTIVE_TRANSIENT_FAILURES:
            raise StopRun("google_unavailable", "transient", retryable=True, detail=error.detail)

    def _count_refusal(self, error: DriveError) -> None:
        """The same 403 file after file, for a reason no list names: the account's."""
        if error.status != 403:
            self._refusals.clear()
            return
        self._refusals = [*self._refusals, error.reason][-MAX_CONSECUTIVE_SAME_REFUSALS:]
        if len(self._refusals) == MAX_CONSECUTIVE_SAME_REFUSALS and len(set(self._refusals)) == 1:
            raise StopRun(
                "account_refused", "account_refused", retryable=False, detail=error.detail
            )


def _nothing_created(error: DriveError) -> bool:
    """The create was refused, or its reserved id cannot be used: the row's id is done."""
    return error.kind in (
        ErrorKind.ID_IN_USE,
        ErrorKind.ID_UNUSABLE,
        ErrorKind.ACCOUNT_REFUSED,
    ) or (error.permanent and error.status in (400, 403))
