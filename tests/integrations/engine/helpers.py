"""What the backup tests look at: the fake's Drive, the ledger, runs."""

from __future__ import annotations

import datetime as dt
import hashlib
from collections import Counter
from decimal import Decimal

import requests

from documents.models import Invoice, Receipt
from integrations.engine.run import execute_run
from integrations.google.client import DriveClient
from integrations.google.oauth import credentials_from_refresh_token
from integrations.models import GoogleDriveIntegration
from tests.factories import make_invoice, make_receipt, make_run
from tests.integrations.conftest import NIGHT

ROOT = "/BaseLinker Backup"
NOV = dt.date(2026, 11, 1)
MONTH = f"{ROOT}/2026/11"


def run_backup(integration: GoogleDriveIntegration, now: dt.datetime = NIGHT, **kwargs):
    run = make_run(integration)
    outcome = execute_run(run.pk, now=now, **kwargs)
    run.refresh_from_db()
    return run, outcome


def drive_files(fake, email: str = "merchant@example.com", *, trashed: bool = False) -> list:
    return [
        f for f in fake.files(email) if f["created_by_client"] and (trashed or not f["trashed"])
    ]


def folder_paths(fake, email: str = "merchant@example.com") -> list[str]:
    return sorted(f["path"] for f in drive_files(fake, email) if f["folder"])


def documents_in_drive(fake, email: str = "merchant@example.com") -> Counter:
    """How many files of ours carry each document uuid (appProperties `doc`)."""
    return Counter(
        f["appProperties"]["doc"]
        for f in drive_files(fake, email, trashed=True)
        if not f["folder"] and "doc" in f["appProperties"]
    )


def content_of(fake, file_id: str) -> bytes:
    answer = requests.get(f"{fake.url}/_fake/files/{file_id}/content", timeout=10)
    answer.raise_for_status()
    return answer.content


def md5(content: bytes) -> str:
    return hashlib.md5(content, usedforsecurity=False).hexdigest()


def counter(fake, endpoint: str, status: str | None = None) -> int:
    """Requests the fake counted for `endpoint` (or endpoints under it, "upload.create")."""
    total = 0
    for name, counts in fake.state_dump()["counters"].items():
        if name == endpoint or name.startswith(endpoint + "."):
            total += counts.get(status, 0) if status else sum(counts.values())
    return total


def drive_requests(fake) -> int:
    """Every Drive API request the fake answered (token requests are not Drive requests)."""
    return counter(fake, "drive") + counter(fake, "upload")


def app_client(integration: GoogleDriveIntegration) -> DriveClient:
    """A Drive client with the integration's grant: what the merchant's Drive shows us."""
    return DriveClient(credentials_from_refresh_token(integration.refresh_token))


def trash(integration: GoogleDriveIntegration, file_id: str) -> None:
    """The merchant moves one of our files to the trash."""
    client = app_client(integration)
    client.service.files().update(fileId=file_id, body={"trashed": True}).execute()


def invoice(merchant, number: str, day: dt.date, *, gross: str = "123.00", **fields) -> Invoice:
    return make_invoice(
        merchant,
        number,
        issue_date=day,
        seller_name="Loja Azul Lda.",
        buyer_name="João Araújo",
        total_net=Decimal(gross) / Decimal("1.23"),
        total_gross=Decimal(gross),
        items=[
            {
                "name": "Caneca",
                "quantity": 1,
                "unit_price_net": Decimal("100.00"),
                "total_net": Decimal("100.00"),
                "total_gross": Decimal(gross),
            }
        ],
        **fields,
    )


def receipt(merchant, number: str, day: dt.date, *, gross: str = "49.90") -> Receipt:
    return make_receipt(
        merchant,
        number,
        issue_date=day,
        seller_name="Loja Azul Lda.",
        buyer_name="",
        total_gross=Decimal(gross),
        items=[
            {
                "name": "Chá verde",
                "quantity": 1,
                "unit_price_gross": Decimal(gross),
                "total_gross": Decimal(gross),
            }
        ],
    )
