from __future__ import annotations

import hashlib
import io
import uuid
from dataclasses import dataclass, field

import pytest
from django.utils import timezone

from integrations.engine.drive_ids import DriveIdPool
from integrations.engine.folders import FolderTree
from integrations.engine.ledger import Ledger
from integrations.engine.plan import Upload
from integrations.engine.upload import Uploader
from integrations.models import BackupRun
from tests.factories import make_integration

from .fake_drive import FakeDrive

NOV = ("2026", "11", "Invoices")


@dataclass
class Report:
    """What the uploads tell the run."""

    uploaded: list[Upload] = field(default_factory=list)
    failed: list[tuple[str, bool]] = field(default_factory=list)
    processed: int = 0

    def file_failed(self, kind: str, number: str, code: str, detail: str, retry: bool) -> None:
        self.failed.append((code, retry))

    def item_processed(self) -> None:
        self.processed += 1


@dataclass
class Attempt:
    """One run's engine parts around an in-process Drive."""

    drive: FakeDrive
    run: BackupRun
    report: Report

    def parts(self) -> tuple[Ledger, Uploader]:
        """A fresh attempt: new pool, tree and ledger over the same Drive and database."""
        integration = self.run.integration
        account = integration.google_account_key
        ids = DriveIdPool(self.drive, integration, account)
        tree = FolderTree(self.drive, integration, account, ids)
        ledger = Ledger(self.run, integration, account, self.drive, ids)
        return ledger, Uploader(self.run, self.drive, ledger, tree, ids, _Reporter(self.report))


class _Reporter:
    def __init__(self, report: Report) -> None:
        self.report = report

    def uploaded(self, upload: Upload) -> None:
        self.report.uploaded.append(upload)

    def file_failed(self, *args) -> None:
        self.report.file_failed(*args)

    def item_processed(self) -> None:
        self.report.item_processed()


@pytest.fixture
def attempt(db) -> Attempt:
    integration = make_integration()
    run = BackupRun.objects.create(integration=integration, trigger=BackupRun.Trigger.MANUAL)
    run = BackupRun.objects.select_related("integration__merchant").get(pk=run.pk)
    return Attempt(FakeDrive(), run, Report())


def pdf_upload(number: str = "FV 1/11/2026", content: bytes = b"%PDF-1 invoice", **fields):
    return Upload(
        kind="invoice",
        folder=NOV,
        name=number.replace("/", "_") + ".pdf",
        stream=io.BytesIO(content),
        size=len(content),
        md5=hashlib.md5(content, usedforsecurity=False).hexdigest(),
        fingerprint=hashlib.sha256(content).hexdigest(),
        mimetype="application/pdf",
        number=number,
        document_uuid=fields.pop("document_uuid", None) or uuid.uuid4(),
        source_updated_at=timezone.now(),
        **fields,
    )
