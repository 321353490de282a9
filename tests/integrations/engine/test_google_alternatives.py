"""The engine under answers Google might give where it documents nothing.

One test per point where the client stakes a document on undocumented behaviour; each runs
a backup through the public entry point against fake_google with that point's knob on (see
fake_google/README.md, "Alternative answers") and asserts what must hold under either answer:
every document in Drive exactly once, the ledger holding the id Drive really gave, one clear
message when nothing more can be written. Each of these failed on the engine before it
learnt to answer the point (they were strict xfails then).

Only run-level entry points, models and the fake are used here, so the tests outlive a
reshuffle of the engine's modules.
"""

from __future__ import annotations

import datetime as dt
import hashlib

import pytest

from documents.models import ApiInvoicePdf, Invoice
from integrations.models import BackedUpFile, BackupRun, DriveFolder
from tests.integrations.conftest import FIRST_NIGHT, NIGHT, SECOND_NIGHT

from .helpers import (
    MONTH,
    NOV,
    counter,
    documents_in_drive,
    drive_files,
    invoice,
    run_backup,
    trash,
)

# Above the size the engine sends in one multipart request (5 MiB): goes resumable.
LARGE_PDF_BYTES = 6 * 1024 * 1024 + 17


def large_api_invoice(merchant, number: str) -> Invoice:
    """An invoice the merchant's system sent with its own (large) PDF."""
    doc = invoice(merchant, number, NOV, source=Invoice.Source.API)
    content = b"%PDF-1.4\n" + bytes(range(256)) * (LARGE_PDF_BYTES // 256)
    ApiInvoicePdf.objects.create(invoice=doc, content=content, sha256="", size=len(content))
    return doc


def one_invoice(merchant, *, large: bool) -> Invoice:
    """A small invoice (one multipart request) or a large one (a resumable session)."""
    if large:
        return large_api_invoice(merchant, "API 1/11/2026")
    return invoice(merchant, "FV 1/11/2026", NOV)


def stored_documents(fake) -> list[dict]:
    """Our files in the fake's Drive (not in the trash), folders left out."""
    return [f for f in drive_files(fake) if not f["folder"]]


def assert_in_drive_once_with_true_ids(fake, *docs) -> None:
    """Each document once in Drive (trash included), its done ledger row naming that file."""
    in_drive = documents_in_drive(fake)
    assert {str(d.uuid): in_drive[str(d.uuid)] for d in docs} == {str(d.uuid): 1 for d in docs}
    by_doc = {f["appProperties"]["doc"]: f for f in stored_documents(fake)}
    for doc in docs:
        row = BackedUpFile.objects.get(document_uuid=doc.uuid, state=BackedUpFile.State.DONE)
        stored = by_doc[str(doc.uuid)]
        assert (row.drive_file_id, row.md5) == (stored["id"], stored["md5Checksum"])


def backs_up_each_once(fake, integration, *docs, now: dt.datetime = NIGHT) -> BackupRun:
    """A run that succeeds with each of `docs` in Drive once, under the id its ledger holds."""
    run, outcome = run_backup(integration, now=now)
    assert outcome.succeeded, run.errors
    assert_in_drive_once_with_true_ids(fake, *docs)
    return run


# --- 1. a 409 whose reason is not fileIdInUse --------------------------------------------


def test_1_a_409_with_another_reason_still_means_the_file_landed(engine, documents_only, merchant):
    engine.configure(id_in_use_reason="duplicate")
    doc = invoice(merchant, "FV 1/11/2026", NOV)
    # The create lands, its answer is lost; httplib2 resends it and meets the 409.
    engine.inject_fault("drop_after_write", count=1, endpoint="upload.create")

    backs_up_each_once(engine, documents_only, doc)

    assert counter(engine, "upload.create", "409") == 1


# --- 2. uploads that do not take reserved ids ---------------------------------------------


@pytest.mark.parametrize(
    ("large", "check", "wording"),
    [
        (False, "start", "fileIdNotUsable"),
        (False, "start", "notSupported"),
        (True, "start", "fileIdNotUsable"),
        (True, "final", "fileIdNotUsable"),
    ],
    ids=["multipart", "multipart-403-wording", "resumable-at-start", "resumable-at-last-chunk"],
)
def test_2_uploads_that_refuse_reserved_ids_still_land_once(
    engine, documents_only, merchant, large, check, wording
):
    engine.configure(upload_ids="refuse", resumable_id_check=check, id_refusal=wording)
    doc = one_invoice(merchant, large=large)

    backs_up_each_once(engine, documents_only, doc)

    if large:
        assert counter(engine, "upload.create.resumable") >= 1


def test_2_reserved_ids_that_lapsed_in_the_pool_are_replaced(engine, documents_only, merchant):
    """Pooled ids that Drive stopped accepting: the pool is dropped and refilled (today too)."""
    early = invoice(merchant, "FV 1/11/2026", NOV)
    backs_up_each_once(engine, documents_only, early, now=FIRST_NIGHT)
    engine.configure(generated_id_lifetime_s=12 * 3600)
    engine.clock.advance(24 * 3600)
    late = invoice(merchant, "FV 2/11/2026", NOV)

    backs_up_each_once(engine, documents_only, late, now=SECOND_NIGHT)

    assert counter(engine, "upload.create", "400") == 1


# --- 3. a create inside a trashed folder refused ------------------------------------------


def test_3_a_create_refused_in_a_trashed_folder_makes_the_folder_again(
    engine, documents_only, merchant
):
    early = invoice(merchant, "FV 1/11/2026", NOV)
    backs_up_each_once(engine, documents_only, early, now=FIRST_NIGHT)
    month_id = {f["path"]: f["id"] for f in drive_files(engine)}[MONTH]
    trash(documents_only, month_id)
    engine.configure(trashed_parent="refuse")
    late = invoice(merchant, "FV 2/11/2026", NOV)

    backs_up_each_once(engine, documents_only, late, now=SECOND_NIGHT)

    live_month = [f for f in drive_files(engine) if f["path"] == MONTH]
    assert len(live_month) == 1 and live_month[0]["id"] != month_id
    assert DriveFolder.objects.get(path="2026/11").drive_id == live_month[0]["id"]


# --- 4. an expired resumable session answering 410 ----------------------------------------


def test_4_an_expired_session_answering_410_is_started_again(engine, documents_only, merchant):
    engine.configure(expired_session_status=410)
    doc = large_api_invoice(merchant, "API 1/11/2026")
    engine.inject_fault("expire_session", count=1, endpoint="upload.resumable.put")

    backs_up_each_once(engine, documents_only, doc)

    assert counter(engine, "upload.resumable.put", "410") == 1
    assert counter(engine, "upload.create.resumable") == 2


# --- 5. an account-wide 403 ----------------------------------------------------------------


@pytest.mark.parametrize("reason", ["activeItemCreationLimitExceeded", "domainPolicy"])
def test_5_an_account_wide_refusal_ends_the_run_with_one_message(
    engine, documents_only, merchant, reason
):
    early = invoice(merchant, "FV 1/11/2026", NOV)
    backs_up_each_once(engine, documents_only, early, now=FIRST_NIGHT)
    for number in range(2, 6):
        invoice(merchant, f"FV {number}/11/2026", NOV + dt.timedelta(days=number))
    engine.configure(account_write_refusal=reason)
    creates_before = counter(engine, "upload.create")

    run, outcome = run_backup(documents_only, now=SECOND_NIGHT)

    assert outcome.status == BackupRun.Status.FAILED
    # One request found out; the other files were not sent to the same refusal.
    assert counter(engine, "upload.create") - creates_before == 1
    # One message about the run, not one "refused" per file.
    [error] = run.errors
    assert (error["kind"], error["number"]) == ("run", "")
    assert error["code"] != "rejected"
    assert reason in error["detail"]
    assert not BackedUpFile.objects.filter(state=BackedUpFile.State.UPLOADING).exists()


# --- 6. a create answer without md5Checksum ----------------------------------------------


@pytest.mark.parametrize("large", [False, True], ids=["multipart", "resumable"])
def test_6_a_create_answer_without_md5_is_checked_against_drive(
    engine, documents_only, merchant, large
):
    engine.configure(omit_md5_in_create=True)
    doc = one_invoice(merchant, large=large)

    backs_up_each_once(engine, documents_only, doc)

    row = BackedUpFile.objects.get(document_uuid=doc.uuid)
    if large:
        assert row.md5 == hashlib.md5(doc.api_pdf.content, usedforsecurity=False).hexdigest()


# --- 7. a create answer with another id ---------------------------------------------------


def test_7_the_ledger_records_the_id_drive_gave(engine, documents_only, merchant):
    engine.configure(replace_client_id=True)
    doc = invoice(merchant, "FV 1/11/2026", NOV)

    backs_up_each_once(engine, documents_only, doc, now=FIRST_NIGHT)

    folders = {f["path"]: f["id"] for f in drive_files(engine) if f["folder"]}
    assert len(folders) == len([f for f in drive_files(engine) if f["folder"]])
    cached = dict(DriveFolder.objects.values_list("path", "drive_id"))
    assert sorted(cached.values()) == sorted(folders.values())
    # The next night files into the folders the cache names: no folder is made again.
    late = invoice(merchant, "FV 2/11/2026", NOV)
    folder_creates = counter(engine, "drive.files.create")

    backs_up_each_once(engine, documents_only, doc, late, now=SECOND_NIGHT)

    assert counter(engine, "drive.files.create") == folder_creates


def test_7_lost_answers_under_replaced_ids_leave_no_second_copy(engine, documents_only, merchant):
    """A create lands under an id of Drive's choosing and its answer is lost: the resend finds
    the reserved id used up, and the folder or file is found by its appProperties instead of
    being made again under another id (from a renewed pool, on the second night)."""
    engine.configure(replace_client_id=True)
    engine.inject_fault("drop_after_write", count=1, endpoint="drive.files.create")
    early = invoice(merchant, "FV 1/11/2026", NOV)

    backs_up_each_once(engine, documents_only, early, now=FIRST_NIGHT)

    folders = [f["path"] for f in drive_files(engine) if f["folder"]]
    assert len(folders) == len(set(folders)) == 4
    engine.inject_fault("drop_after_write", count=1, endpoint="upload.create")
    late = invoice(merchant, "FV 2/11/2026", NOV)

    backs_up_each_once(engine, documents_only, early, late, now=SECOND_NIGHT)

    assert counter(engine, "upload.create", "400") == 1
    assert counter(engine, "drive.files.create", "400") == 1
