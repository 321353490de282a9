"""A repair run ("Re-send missing copies"): which documents it sends again.

A repair is a BackupRun of its own trigger; it runs like any run (lock, ledger, uploads,
faults and retries, engine.run) except for its plan, which is made here:

1. list our files in Drive (engine.verify) and find the current copies that are deleted for
   good or in the trash;
2. ask Drive about each of those by id (`Ledger.landed`), so a listing that lags behind
   Drive never makes us send a copy that is there; mark the row "gone" or "in the trash";
3. plan the documents whose copy is gone or trashed, as a nightly run would plan a new one:
   a new ledger row, a new id, their issue month's folder (made again if it is gone).

Nothing in Drive is deleted, moved or overwritten: a trashed copy stays in the trash. A
document already sent again (a second attempt, or a newer version in Drive) is covered and
skipped by the usual selection. An orders CSV is a snapshot of its night and is not sent
again; the next night's CSV holds every order changed in the window.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

from integrations.engine import verify
from integrations.engine.folders import FolderPath
from integrations.engine.ledger import Ledger
from integrations.models import GoogleDriveIntegration

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class RepairPlan:
    """The documents to send again, and our folders the listing showed in the trash."""

    documents: set
    trashed_folders: list[FolderPath]


def plan_repair(integration: GoogleDriveIntegration, ledger: Ledger) -> RepairPlan:
    """Mark the lost copies the listing shows, and return what the repair sends again."""
    listed = verify.list_our_files(ledger.client)
    rows = ledger.done_rows()
    comparison = verify.compare(rows, listed, integration_id=integration.pk, known_ids=set())
    suspects = {f.drive_id for f in comparison.findings if f.category in ("missing", "trashed")}
    for row in rows.filter(drive_file_id__in=suspects):
        landed = ledger.landed(row)
        if landed == "nothing":
            ledger.mark_gone(row)
        elif landed == "in_trash":
            ledger.put_in_trash(row)
        # "ours" (the listing lagged) or "others" (changed by someone): the copy is there.
    lost = ledger.lost_document_uuids()
    logger.info(
        "Repair of integration %s: %d copies checked, %d documents with a lost copy",
        integration.pk,
        len(suspects),
        len(lost),
    )
    return RepairPlan(lost, verify.trashed_folders(listed, integration.pk))
