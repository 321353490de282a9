"""A run against fake_google: the tree, the files, the ledger, and every way it can go wrong."""

from __future__ import annotations

import datetime as dt
import io
from decimal import Decimal

from pypdf import PdfReader

from documents.models import ApiInvoicePdf, Invoice
from documents.printing import format_amount
from integrations.engine.run import execute_run
from integrations.models import BackedUpFile, BackupRun
from integrations.runs import RunOutcome
from tests.factories import make_run
from tests.integrations.conftest import NIGHT

from .helpers import (
    MONTH,
    NOV,
    ROOT,
    content_of,
    counter,
    documents_in_drive,
    drive_files,
    drive_requests,
    folder_paths,
    invoice,
    md5,
    receipt,
    run_backup,
    trash,
)


def pdf_text(content: bytes) -> str:
    reader = PdfReader(io.BytesIO(content))
    return "\n".join(page.extract_text() for page in reader.pages)


def test_first_run_puts_each_document_of_the_month_in_its_folder(engine, documents_only, merchant):
    first = invoice(merchant, "FV 1/11/2026", NOV + dt.timedelta(days=2), gross="1234.56")
    second = invoice(merchant, "FV 2/11/2026", NOV + dt.timedelta(days=9))
    till = receipt(merchant, "PAR 7/11/2026", NOV + dt.timedelta(days=4), gross="49.90")
    invoice(merchant, "FV 9/10/2026", dt.date(2026, 10, 30))  # before the first run's month
    invoice(merchant, "EXT 1/11/2026", NOV, source=Invoice.Source.EXTERNAL)  # S11

    run, outcome = run_backup(documents_only)

    assert outcome == RunOutcome(BackupRun.Status.SUCCEEDED, message="backed up")
    assert folder_paths(engine) == [
        ROOT,
        f"{ROOT}/2026",
        MONTH,
        f"{MONTH}/Invoices",
        f"{MONTH}/Receipts",
    ]
    files = {f["path"]: f for f in drive_files(engine) if not f["folder"]}
    assert sorted(files) == [
        f"{MONTH}/Invoices/FV 1_11_2026.pdf",
        f"{MONTH}/Invoices/FV 2_11_2026.pdf",
        f"{MONTH}/Receipts/PAR 7_11_2026.pdf",
    ]
    for doc, kind, path in [
        (first, "invoice", f"{MONTH}/Invoices/FV 1_11_2026.pdf"),
        (second, "invoice", f"{MONTH}/Invoices/FV 2_11_2026.pdf"),
        (till, "receipt", f"{MONTH}/Receipts/PAR 7_11_2026.pdf"),
    ]:
        stored = files[path]
        row = BackedUpFile.objects.get(document_uuid=doc.uuid)
        assert stored["appProperties"] == {
            "app": "drivebackup",
            "kind": kind,
            "doc": str(doc.uuid),
            "fp": row.fingerprint[:16],
        }
        content = content_of(engine, stored["id"])
        assert (row.state, row.drive_file_id, row.md5) == ("done", stored["id"], md5(content))
        assert stored["md5Checksum"] == md5(content)
        assert stored["mimeType"] == "application/pdf"
        text = pdf_text(content)
        assert doc.number in text
        assert format_amount(doc.total_gross) in text
    assert (run.files_uploaded, run.invoices_uploaded, run.receipts_uploaded) == (3, 2, 1)
    assert run.bytes_uploaded == sum(int(f["size"]) for f in files.values())
    assert (run.progress_done, run.progress_total) == (3, 3)
    assert run.started_at and run.finished_at and run.heartbeat_at
    documents_only.refresh_from_db()
    assert documents_only.documents_since == NOV
    assert documents_only.root_folder_id == next(
        f["id"] for f in drive_files(engine) if f["path"] == ROOT
    )


def test_second_run_uploads_only_what_is_new_and_creates_no_folder(
    engine, documents_only, merchant
):
    invoice(merchant, "FV 1/11/2026", NOV)
    receipt(merchant, "PAR 1/11/2026", NOV)
    run_backup(documents_only)
    folders_before = folder_paths(engine)
    creates_before = counter(engine, "drive.files.create")
    late = invoice(merchant, "FV 2/11/2026", NOV + dt.timedelta(days=20))

    run, outcome = run_backup(documents_only, now=dt.datetime(2026, 11, 24, 2, tzinfo=dt.UTC))

    assert outcome.status == BackupRun.Status.SUCCEEDED
    assert (run.files_uploaded, run.invoices_uploaded, run.receipts_uploaded) == (1, 1, 0)
    assert folder_paths(engine) == folders_before
    assert counter(engine, "drive.files.create") == creates_before
    assert documents_in_drive(engine)[str(late.uuid)] == 1
    assert sum(documents_in_drive(engine).values()) == 3


def test_nothing_new_costs_no_drive_request(engine, documents_only, merchant):
    invoice(merchant, "FV 1/11/2026", NOV)
    run_backup(documents_only)
    run, outcome = run_backup(documents_only)
    assert outcome.status == BackupRun.Status.SUCCEEDED
    assert (run.files_uploaded, run.drive_calls, run.progress_total) == (0, 0, 0)


def test_a_failed_night_is_caught_up_by_the_next_run(engine, documents_only, merchant):
    old = invoice(merchant, "FV 1/11/2026", NOV)
    run_backup(documents_only)
    # Issued in November but created after a night that did not run: still picked up in
    # December, into November's folder.
    missed = invoice(merchant, "FV 30/11/2026", dt.date(2026, 11, 30))
    december = dt.datetime(2026, 12, 2, 2, tzinfo=dt.UTC)

    run, _ = run_backup(documents_only, now=december)

    assert run.files_uploaded == 1
    assert f"{MONTH}/Invoices/FV 30_11_2026.pdf" in {f["path"] for f in drive_files(engine)}
    assert documents_in_drive(engine) == {str(old.uuid): 1, str(missed.uuid): 1}


def test_changed_document_is_uploaded_again_as_a_numbered_copy(engine, documents_only, merchant):
    doc = invoice(merchant, "FV 5/11/2026", NOV, gross="100.00")
    run_backup(documents_only)
    first_id = BackedUpFile.objects.get(document_uuid=doc.uuid).drive_file_id
    doc.buyer_name = "Maria Conceição"
    doc.save()

    run, _ = run_backup(documents_only)
    doc.save()  # touched again without a visible change: no third copy
    third, _ = run_backup(documents_only)

    invoices = sorted(
        f["name"] for f in drive_files(engine) if f["path"].startswith(f"{MONTH}/Invoices/")
    )
    assert invoices == ["FV 5_11_2026 (2).pdf", "FV 5_11_2026.pdf"]
    assert run.files_uploaded == 1
    assert third.files_uploaded == 0
    copy = BackedUpFile.objects.filter(document_uuid=doc.uuid).exclude(drive_file_id=first_id)
    assert "Maria Conceição" in pdf_text(content_of(engine, copy.get().drive_file_id))
    assert counter(engine, "drive.files.update") == 0
    assert engine.state_dump()["deletes"] == []


def test_trashed_folder_is_created_again_without_duplicates(engine, documents_only, merchant):
    invoice(merchant, "FV 1/11/2026", NOV)
    run_backup(documents_only)
    month = next(f for f in drive_files(engine) if f["path"] == MONTH)
    trash(documents_only, month["id"])
    invoice(merchant, "FV 2/11/2026", NOV)

    run, outcome = run_backup(documents_only)

    assert outcome.status == BackupRun.Status.SUCCEEDED
    live = [f for f in drive_files(engine) if f["folder"]]
    assert sorted(f["path"] for f in live) == [
        ROOT,
        f"{ROOT}/2026",
        MONTH,
        f"{MONTH}/Invoices",
    ]
    assert [f["name"] for f in drive_files(engine) if not f["folder"]] == ["FV 2_11_2026.pdf"]
    # What was in the trashed folder stays there: the merchant's choice, not re-uploaded.
    assert run.files_uploaded == 1


def test_a_folder_of_the_user_with_the_same_name_is_not_used(engine, documents_only, merchant):
    theirs = engine.seed_user_file("merchant@example.com", "BaseLinker Backup")
    invoice(merchant, "FV 1/11/2026", NOV)

    run_backup(documents_only)

    ours = [f for f in drive_files(engine) if f["path"] == ROOT]
    assert len(ours) == 1 and ours[0]["id"] != theirs
    assert all(theirs not in f["parents"] for f in drive_files(engine))


def test_api_invoice_is_backed_up_byte_for_byte(engine, documents_only, merchant):
    doc = invoice(merchant, "API 1/11/2026", NOV, source=Invoice.Source.API)
    sent = b"%PDF-1.4\n% the merchant's own PDF\n%%EOF\n"
    ApiInvoicePdf.objects.create(invoice=doc, content=sent, sha256="", size=len(sent))

    run_backup(documents_only)

    stored = next(f for f in drive_files(engine) if f["name"] == "API 1_11_2026.pdf")
    assert content_of(engine, stored["id"]) == sent


def test_external_accounting_without_api_invoices_backs_up_no_invoices(
    engine, documents_only, merchant
):
    merchant.external_accounting_enabled = True
    merchant.save()
    invoice(merchant, "FV 1/11/2026", NOV)
    receipt(merchant, "PAR 1/11/2026", NOV)

    run, _ = run_backup(documents_only)

    assert (run.invoices_uploaded, run.receipts_uploaded) == (0, 1)


def test_switching_google_account_backs_everything_up_again(engine, documents_only, merchant):
    from tests.factories import connect_integration

    doc = invoice(merchant, "FV 1/11/2026", NOV)
    run_backup(documents_only)
    switched = connect_integration(
        engine, merchant, email="other.account@example.com", documents_since=None
    )

    run, _ = run_backup(switched)

    assert run.files_uploaded == 1
    assert documents_in_drive(engine, "other.account@example.com") == {str(doc.uuid): 1}
    assert documents_in_drive(engine, "merchant@example.com") == {str(doc.uuid): 1}
    assert folder_paths(engine, "other.account@example.com")[0] == ROOT


def test_a_finished_run_is_not_run_again(engine, documents_only, merchant):
    invoice(merchant, "FV 1/11/2026", NOV)
    run, _ = run_backup(documents_only)
    again = execute_run(run.pk, now=NIGHT)
    assert again.skipped
    assert sum(documents_in_drive(engine).values()) == 1


def test_a_run_of_an_integration_locked_by_another_worker_is_skipped(
    engine, documents_only, merchant
):
    from integrations.engine.locking import IntegrationLock

    invoice(merchant, "FV 1/11/2026", NOV)
    other_worker = IntegrationLock(documents_only.pk)
    assert other_worker.acquire()
    run = make_run(documents_only)
    try:
        outcome = execute_run(run.pk, now=NIGHT)
    finally:
        other_worker.release()
    run.refresh_from_db()
    assert outcome.skipped
    assert run.status == BackupRun.Status.QUEUED
    assert documents_in_drive(engine) == {}


def test_clean_night_costs_about_one_drive_request_per_file(engine, integration, merchant):
    # Clean night: the month's folders exist; 59 new documents and the orders export.
    invoice(merchant, "FV 0/11/2026", NOV)
    receipt(merchant, "PAR 0/11/2026", NOV)
    run_backup(integration, now=dt.datetime(2026, 11, 22, 2, tzinfo=dt.UTC))
    for n in range(1, 40):
        invoice(merchant, f"FV {n}/11/2026", NOV + dt.timedelta(days=n % 20))
    for n in range(1, 21):
        receipt(merchant, f"PAR {n}/11/2026", NOV + dt.timedelta(days=n))
    calls_before = drive_requests(engine)

    run, outcome = run_backup(integration)

    assert outcome.status == BackupRun.Status.SUCCEEDED, outcome.message
    assert run.files_uploaded == 60
    assert run.drive_calls == drive_requests(engine) - calls_before
    assert run.drive_calls / run.files_uploaded <= 1.05


def test_totals_on_pdf_use_the_document_data(engine, documents_only, merchant):
    doc = invoice(merchant, "FV 77/11/2026", NOV, gross="9876.54")
    run_backup(documents_only)
    row = BackedUpFile.objects.get(document_uuid=doc.uuid)
    assert format_amount(Decimal("9876.54")) in pdf_text(content_of(engine, row.drive_file_id))


def test_two_merchants_on_one_google_account_keep_separate_trees(engine, documents_only, merchant):
    from accounts.models import Merchant
    from tests.factories import connect_integration

    other = Merchant.objects.create(name="Sklep Zielony")
    other_integration = connect_integration(engine, other, backup_orders=False)
    invoice(merchant, "FV 1/11/2026", NOV)
    invoice(other, "FV 1/11/2026", NOV)

    run_backup(documents_only)
    run_backup(other_integration)

    roots = [f for f in drive_files(engine) if f["path"] == ROOT]
    assert len(roots) == 2
    for root in roots:
        children = [f for f in drive_files(engine) if root["id"] in f["parents"]]
        assert [f["name"] for f in children] == ["2026"]
