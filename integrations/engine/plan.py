"""What a run uploads: the orders CSV and the PDFs of documents, each as an `Upload`.

An Upload carries everything the upload needs and the ledger records: folder, file name
(`FV 12_11_2026 (2).pdf` for a changed document), bytes, md5, size and the fingerprint of the
source data. Which documents are taken is integrations.selection's; here they are turned into
files: the CSV is written to a spooled temporary file (memory up to SPOOL_MAX_BYTES), PDFs are
rendered in batches of RENDER_BATCH_SIZE documents (documents.pdf).
"""

from __future__ import annotations

import hashlib
import io
import logging
import tempfile
from collections.abc import Collection, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import date, datetime
from typing import IO, Protocol, TypeVar
from zoneinfo import ZoneInfo

from django.utils import translation

from documents import pdf
from documents.csv_export import orders_csv_filename, write_orders_csv
from documents.filenames import document_filename, versioned_filename
from documents.models import Invoice, Receipt
from integrations.engine.folders import APP_TAG, FolderPath, folder_for
from integrations.models import BackedUpFile, GoogleDriveIntegration
from integrations.selection import (
    documents_to_back_up,
    invoices_wanted,
    orders_window_start,
)

logger = logging.getLogger(__name__)

RENDER_BATCH_SIZE = pdf.RENDER_BATCH_SIZE
CSV_MIMETYPE = "text/csv"
SPOOL_MAX_BYTES = 8 * 1024 * 1024
FINGERPRINT_PREFIX = 16

DocumentModel = type[Invoice] | type[Receipt]


class Report(Protocol):
    """Where the plan reports a file it could not make, and each item it is done with."""

    def file_failed(self, kind: str, number: str, code: str, detail: str, retry: bool) -> None: ...

    def item_processed(self) -> None: ...


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
    mimetype: str = CSV_MIMETYPE
    number: str = ""
    document_uuid: object | None = None
    source_updated_at: datetime | None = None
    orders: int = 0

    def app_properties(self, run_id: int) -> dict[str, str]:
        """What Drive keeps with the file for us: a document's uuid, or the run of a CSV."""
        properties = {
            "app": APP_TAG,
            "kind": self.kind,
            "fp": self.fingerprint[:FINGERPRINT_PREFIX],
        }
        if self.document_uuid:
            properties["doc"] = str(self.document_uuid)
        else:
            properties["run"] = str(run_id)
        return properties


@dataclass
class DocumentWork:
    """The documents of one kind a run takes: (id, issue date), oldest first."""

    kind: str
    model: DocumentModel
    found: list[tuple[int, date]]


def documents_work(
    integration: GoogleDriveIntegration,
    account: str,
    since: date | None,
    among: Collection | None = None,
) -> list[DocumentWork]:
    """The invoices and receipts this run takes, by the boxes ticked (S11 for invoices).

    `among`: only these document uuids, whatever their issue date (a repair run's plan).
    """
    work: list[DocumentWork] = []
    kinds: list[tuple[bool, str, DocumentModel]] = [
        (invoices_wanted(integration), BackedUpFile.Kind.INVOICE, Invoice),
        (integration.backup_receipts, BackedUpFile.Kind.RECEIPT, Receipt),
    ]
    for wanted, kind, model in kinds:
        if wanted:
            found = documents_to_back_up(model, kind, integration, account, since, among)
            work.append(DocumentWork(kind, model, found))
    return work


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


T = TypeVar("T")


def chunks(items: list[T], size: int) -> Iterator[list[T]]:
    for start in range(0, len(items), size):
        yield items[start : start + size]


# --- The orders CSV ---------------------------------------------------------------------------


def orders_folder(started: datetime, zone: ZoneInfo) -> FolderPath:
    return folder_for(BackedUpFile.Kind.ORDERS, started.astimezone(zone))


@contextmanager
def orders_upload(
    integration: GoogleDriveIntegration, started: datetime, zone: ZoneInfo, report: Report
) -> Iterator[Upload | None]:
    """The orders CSV of a run started at `started` (S7), or None if it could not be made."""
    stream = tempfile.SpooledTemporaryFile(max_size=SPOOL_MAX_BYTES)  # noqa: SIM115
    try:
        try:
            since = orders_window_start(started)
            stats = write_orders_csv(integration.merchant_id, since, started, stream, zone)
        except Exception as exc:
            logger.exception("Orders export of integration %s failed", integration.pk)
            report.file_failed(BackedUpFile.Kind.ORDERS, "", "csv_failed", repr(exc), False)
            report.item_processed()
            yield None
            return
        md5, size = md5_of(stream)
        yield Upload(
            kind=BackedUpFile.Kind.ORDERS,
            folder=orders_folder(started, zone),
            name=orders_csv_filename(started, zone),
            stream=stream,
            size=size,
            md5=md5,
            fingerprint=stats.sha256,
            orders=stats.rows,
        )
    finally:
        stream.close()


# --- Invoices and receipts --------------------------------------------------------------------


@dataclass
class PreparedBatch:
    """One batch of documents, read and fingerprinted, whose PDFs are still to be made.

    `pending`: (document, fingerprint, version) of each document Drive does not hold in its
    current print. Rendering it touches no database (items and API PDFs are prefetched), so
    it may happen in another thread (engine.pipeline).
    """

    work: DocumentWork
    pending: list[tuple[Invoice | Receipt, str, int]]
    language: str


@dataclass
class RenderedBatch:
    """The PDFs of a PreparedBatch, in its order; None where one could not be made."""

    files: list[pdf.RenderedFile | None]
    failures: dict[int, str]


def prepare_batch(
    work: DocumentWork,
    ids: list[int],
    integration: GoogleDriveIntegration,
    account: str,
    report: Report,
) -> PreparedBatch:
    """Read one batch of documents and say which of them need a new copy in Drive.

    A document whose print did not change since its last backup is skipped (and remembered
    as seen); a changed one gets the next free "(n)" name.
    """
    kind = work.kind
    documents = list(work.model.objects.filter(pk__in=ids).order_by("issue_date", "id"))
    pdf.prefetch_for_print(documents)
    live = _live_rows(integration, account, kind, documents)
    pending = []
    for document in documents:
        try:
            fingerprint = pdf.document_fingerprint(document)
        except Exception as exc:
            logger.exception("Fingerprint of %s %s failed", kind, document.pk)
            report.file_failed(kind, document.number, "render_failed", repr(exc), False)
            report.item_processed()
            continue
        rows = live.get(document.uuid, [])
        same = next((r for r in rows if r.fingerprint == fingerprint), None)
        if same is not None and same.state == BackedUpFile.State.DONE:
            _note_unchanged(same, document)
            report.item_processed()
            continue
        pending.append((document, fingerprint, len(rows) + (0 if same else 1)))
    # Prints are in the merchant's language. The fingerprint leaves the language out on
    # purpose: a new language applies to documents issued or changed from then on, and
    # does not upload a second copy of every document already in Drive.
    return PreparedBatch(work, pending, integration.merchant.language)


def render_batch(batch: PreparedBatch) -> RenderedBatch:
    """The batch's PDFs; CPU only, so it may run in a thread of its own."""
    if not batch.pending:
        return RenderedBatch([], {})
    with translation.override(batch.language):
        return _render([doc for doc, _, _ in batch.pending], batch.work.kind)


def batch_uploads(
    batch: PreparedBatch, rendered: RenderedBatch, report: Report
) -> Iterator[Upload]:
    """The Uploads of a rendered batch; a document that could not be rendered fails alone.

    Each Upload's stream is closed when the caller asks for the next one.
    """
    kind = batch.work.kind
    for index, ((document, fingerprint, version), file) in enumerate(
        zip(batch.pending, rendered.files, strict=True)
    ):
        if file is None:
            detail = rendered.failures.get(index, "")
            report.file_failed(kind, document.number, "render_failed", detail, False)
            report.item_processed()
            continue
        upload = Upload(
            kind=kind,
            folder=folder_for(kind, document.issue_date),
            name=versioned_filename(document_filename(document.number), version),
            stream=io.BytesIO(file.content),
            size=len(file.content),
            md5=md5_hex(file.content),
            fingerprint=fingerprint,
            mimetype=file.mimetype,
            number=document.number,
            document_uuid=document.uuid,
            source_updated_at=document.updated_at,
        )
        try:
            yield upload
        finally:
            upload.stream.close()


def _live_rows(
    integration: GoogleDriveIntegration, account: str, kind: str, documents: list
) -> dict[object, list[BackedUpFile]]:
    """The ledger rows of these documents that are in Drive or on their way there."""
    rows: dict[object, list[BackedUpFile]] = {}
    for row in BackedUpFile.objects.filter(
        integration=integration,
        google_account_id=account,
        kind=kind,
        document_uuid__in=[d.uuid for d in documents],
        state__in=BackedUpFile.LIVE_STATES,
    ):
        rows.setdefault(row.document_uuid, []).append(row)
    return rows


def _note_unchanged(row: BackedUpFile, document) -> None:
    """A change that does not show in the print: remember it was seen."""
    if row.source_updated_at is None or row.source_updated_at < document.updated_at:
        BackedUpFile.objects.filter(pk=row.pk).update(source_updated_at=document.updated_at)


def _render(documents: list, kind: str) -> RenderedBatch:
    """One batch render; if it fails, one by one, so one bad document fails alone."""
    try:
        return RenderedBatch(list(pdf.render_pdfs(documents)), {})
    except Exception:
        logger.warning("Batch render failed; rendering %d documents one by one", len(documents))
    files: list[pdf.RenderedFile | None] = []
    failures: dict[int, str] = {}
    for index, document in enumerate(documents):
        try:
            files.append(pdf.render_pdfs([document])[0])
        except Exception as exc:
            logger.exception("Rendering %s %s failed", kind, document.pk)
            failures[index] = repr(exc)
            files.append(None)
    return RenderedBatch(files, failures)
