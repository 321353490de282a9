"""Invoices and receipts of a given day, and their copies in the ledger, for coverage tests."""

from __future__ import annotations

import datetime as dt
import uuid

from documents.models import Invoice, Receipt
from integrations.models import BackedUpFile, GoogleDriveIntegration
from tests.rendering.factories import make_invoice, make_receipt


def invoice(merchant, number: str, day: dt.date, **fields) -> Invoice:
    return make_invoice(merchant, number, items=0, issue_date=day, **fields)


def receipt(merchant, number: str, day: dt.date) -> Receipt:
    document = make_receipt(merchant, number, items=0)
    document.issue_date = day
    document.save(update_fields=["issue_date"])
    return document


def copy_in_drive(
    integration: GoogleDriveIntegration,
    document: Invoice | Receipt,
    state: str = BackedUpFile.State.DONE,
) -> BackedUpFile:
    """A ledger row for the document's upload to the integration's Google account."""
    kind = BackedUpFile.Kind.INVOICE if isinstance(document, Invoice) else BackedUpFile.Kind.RECEIPT
    return BackedUpFile.objects.create(
        integration=integration,
        google_account_id=integration.google_account_id,
        kind=kind,
        document_uuid=document.uuid,
        fingerprint=uuid.uuid4().hex,
        name=f"{document.number.replace('/', '_')}.pdf",
        folder_path=f"{day_path(document.issue_date)}/{kind}",
        drive_file_id=uuid.uuid4().hex,
        state=state,
        source_updated_at=document.updated_at,
    )


def day_path(day: dt.date) -> str:
    return f"{day.year:04d}/{day.month:02d}"
