"""One file into Drive: ledger row -> folder -> client, with id and folder recovery.

    reserve the ledger row (or find the file already landed)
    -> resolve its folder (engine.folders) -> create the file under the row's id
    -> Drive answers:
       stored, our md5         -> the row is done
       stored, in the trash    -> the merchant trashed its folder: that copy stays there, the
                                  folder is made again and the file sent anew (new row, new id)
       404                     -> the folder was deleted for good: made again, same id again
       id not usable           -> the account's id pool is dropped; the row takes a new id
       anything else           -> the file fails (or the run stops, see DriveError)

Nothing in Drive is ever overwritten or deleted.
"""

from __future__ import annotations

from typing import Protocol

from integrations.engine.drive_ids import DriveIdPool
from integrations.engine.folders import FolderInTrash, FolderTree
from integrations.engine.ledger import Ledger
from integrations.engine.outcome import StopRun, stop_for
from integrations.engine.plan import Report, Upload
from integrations.google.client import DriveClient, StoredFile
from integrations.google.errors import ChecksumMismatch, DriveError, ErrorKind
from integrations.models import BackedUpFile, BackupRun

# This many files in a row failing for transient reasons means Google is down for us.
MAX_CONSECUTIVE_TRANSIENT_FAILURES = 3


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

    def upload(self, upload: Upload) -> None:
        """Ledger row, upload, ledger completion; failures of the file are recorded."""
        row: BackedUpFile | None = None
        try:
            row = self.ledger.reserve(upload)
            while row is not None:
                stored = self._send(row, upload)
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
        except ChecksumMismatch as error:
            self.ledger.fail(row)
            self.report.file_failed(
                upload.kind, upload.number, "checksum_mismatch", error.detail, True
            )
        except DriveError as error:
            if error.kind in (ErrorKind.ID_IN_USE, ErrorKind.ID_UNUSABLE) and row is not None:
                # The reserved id cannot be used: the next attempt reserves another one.
                self.ledger.fail(row)
            self._failed(upload, error)
        self.report.item_processed()

    def _send(self, row: BackedUpFile, upload: Upload) -> StoredFile:
        """Create the row's file in its folder: once more after the folder had to be made
        again (deleted for good: 404) or after Drive refused a pooled id."""
        while True:
            parent_id = self.tree.folder_id(upload.folder)
            try:
                return self.client.upload(
                    file_id=row.drive_file_id,
                    name=row.name,
                    parent_id=parent_id,
                    mimetype=upload.mimetype,
                    stream=upload.stream,
                    size=upload.size,
                    md5=upload.md5,
                    app_properties=upload.app_properties(self.run.pk),
                )
            except DriveError as error:
                if error.kind == ErrorKind.NOT_FOUND and self.tree.recover(upload.folder):
                    continue  # nothing was created: same id, into the folder made again
                if error.kind == ErrorKind.ID_UNUSABLE and self.ids.refused(row.drive_file_id):
                    self.ledger.give_new_id(row)
                    continue
                raise

    def _failed(self, upload: Upload, error: DriveError) -> None:
        """The file failed: record it, or stop the run when no further file can succeed."""
        if error.ends_run:
            raise stop_for(
                error, code="upload_failed", integration=self.run.integration, run_id=self.run.pk
            )
        if error.permanent:
            self.report.file_failed(upload.kind, upload.number, "rejected", error.detail, False)
            return
        self.report.file_failed(upload.kind, upload.number, "upload_failed", error.detail, True)
        self._transient_streak += 1
        if self._transient_streak >= MAX_CONSECUTIVE_TRANSIENT_FAILURES:
            raise StopRun("google_unavailable", "transient", retryable=True, detail=error.detail)
