"""Exactly once under Google's failures, crashes, lost access, full Drives and disconnects."""

from __future__ import annotations

import datetime as dt
import logging

import pytest

from integrations import connection
from integrations.engine import plan, upload
from integrations.engine import run as engine_run
from integrations.engine.ledger import Ledger
from integrations.engine.run import RunExecution, execute_run
from integrations.google.client import RESUMABLE_THRESHOLD, DriveClient
from integrations.models import BackedUpFile, BackupRun, DriveFolder, GoogleDriveIntegration
from tests.factories import connect_integration, make_run
from tests.integrations.conftest import NIGHT

from .helpers import (
    NOV,
    counter,
    documents_in_drive,
    drive_files,
    invoice,
    md5,
    receipt,
    run_backup,
)


def make_documents(merchant, invoices: int, receipts: int = 0) -> list:
    docs = [
        invoice(merchant, f"FV {n}/11/2026", NOV + dt.timedelta(days=n % 28))
        for n in range(invoices)
    ]
    docs += [
        receipt(merchant, f"PAR {n}/11/2026", NOV + dt.timedelta(days=n % 28))
        for n in range(receipts)
    ]
    return docs


def test_every_document_lands_exactly_once_under_random_faults(engine, documents_only, merchant):
    docs = make_documents(merchant, 24, 12)
    engine.configure(seed=20261123, p_500=0.025, p_503=0.025, p_429=0.02, p_drop_after_write=0.01)

    first, _ = run_backup(documents_only)
    if first.status != BackupRun.Status.SUCCEEDED:
        run_backup(documents_only)

    in_drive = documents_in_drive(engine)
    assert in_drive == {str(doc.uuid): 1 for doc in docs}
    assert BackedUpFile.objects.filter(state="done").count() == len(docs)
    assert len([f for f in drive_files(engine) if f["folder"]]) == 5
    assert counter(engine, "upload.create") > counter(engine, "upload.create", "200")


def test_exactly_once_under_heavy_faults_with_lost_answers(engine, documents_only, merchant):
    docs = make_documents(merchant, 24, 12)
    engine.configure(seed=7, p_500=0.1, p_503=0.1, p_429=0.05, p_drop_after_write=0.1)

    first, _ = run_backup(documents_only)
    if first.status != BackupRun.Status.SUCCEEDED:
        run_backup(documents_only)

    assert documents_in_drive(engine) == {str(doc.uuid): 1 for doc in docs}
    assert len([f for f in drive_files(engine) if f["folder"]]) == 5
    # Creates that landed but whose answer was lost came back as 409 on the retry.
    assert counter(engine, "upload.create", "409") + counter(engine, "drive.files.create", "409")


def test_dropped_answers_of_creates_leave_no_duplicate(engine, documents_only, merchant):
    docs = make_documents(merchant, 6)
    engine.inject_fault("drop_after_write", count=3, endpoint="upload.create")
    engine.inject_fault("drop_after_write", count=1, endpoint="drive.files.create")

    _run, outcome = run_backup(documents_only)

    assert outcome.status == BackupRun.Status.SUCCEEDED
    assert documents_in_drive(engine) == {str(doc.uuid): 1 for doc in docs}
    assert len([f for f in drive_files(engine) if f["folder"]]) == 4


def test_crash_between_upload_and_ledger_completion_leaves_no_duplicate(
    engine, documents_only, merchant, monkeypatch
):
    docs = make_documents(merchant, 3)
    original = Ledger.complete
    calls = {"n": 0}

    def crash_on_second(self, row):
        calls["n"] += 1
        if calls["n"] == 2:
            raise SystemError("worker killed")
        original(self, row)

    monkeypatch.setattr(Ledger, "complete", crash_on_second)
    run = make_run(documents_only)
    with pytest.raises(SystemError):
        execute_run(run.pk, now=NIGHT)
    run.refresh_from_db()
    assert run.status == BackupRun.Status.RUNNING
    assert BackedUpFile.objects.filter(state="uploading").count() == 1
    monkeypatch.setattr(Ledger, "complete", original)
    creates_before = counter(engine, "upload.create")

    outcome = execute_run(run.pk, now=NIGHT)

    run.refresh_from_db()
    assert outcome.status == BackupRun.Status.SUCCEEDED
    assert documents_in_drive(engine) == {str(doc.uuid): 1 for doc in docs}
    # The file that landed before the crash was found by its id, not uploaded again.
    assert counter(engine, "upload.create") == creates_before + 1
    assert run.files_uploaded == 3
    assert run.attempts == 2


def test_checksum_mismatch_is_an_error_not_a_success(engine, documents_only, merchant, monkeypatch):
    (doc,) = make_documents(merchant, 1)
    monkeypatch.setattr(plan, "md5_hex", lambda content: "0" * 32)

    run, outcome = run_backup(documents_only)

    assert outcome.status == BackupRun.Status.FAILED
    assert outcome.retryable
    assert [e["code"] for e in run.errors] == ["checksum_mismatch"]
    assert run.errors[0]["number"] == doc.number
    assert run.files_uploaded == 0
    assert BackedUpFile.objects.get().state == "failed"
    monkeypatch.undo()
    monkeypatch.setattr(engine_run, "sleep", lambda s: None)

    _again, outcome = run_backup(documents_only)

    assert outcome.status == BackupRun.Status.SUCCEEDED
    assert BackedUpFile.objects.filter(state="done").count() == 1


def test_revoked_grant_marks_access_lost_and_stops_at_once(engine, documents_only, merchant):
    make_documents(merchant, 2)
    engine.user_revokes_app("merchant@example.com")

    run, outcome = run_backup(documents_only)

    assert (outcome.status, outcome.reason, outcome.retryable) == ("failed", "access_lost", False)
    assert run.drive_calls == 0
    assert counter(engine, "oauth.token") == 2  # the connect, and the one refresh of the run
    documents_only.refresh_from_db()
    assert documents_only.status == GoogleDriveIntegration.Status.ACCESS_LOST
    assert documents_only.access_lost_at is not None
    assert "Reconnect" in documents_only.last_error
    assert [e["code"] for e in run.errors] == ["access_lost"]
    assert documents_only.refresh_token not in str(run.errors)


def test_grant_revoked_during_the_run_stops_it(engine, documents_only, merchant, monkeypatch):
    make_documents(merchant, 5)
    original = RunExecution.uploaded

    def revoke_after_first(self, upload):
        original(self, upload)
        engine.user_revokes_app("merchant@example.com")

    monkeypatch.setattr(RunExecution, "uploaded", revoke_after_first)

    run, outcome = run_backup(documents_only)

    assert (outcome.status, outcome.reason) == ("failed", "access_lost")
    assert run.files_uploaded == 1
    assert sum(documents_in_drive(engine).values()) == 1


def test_full_drive_stops_the_run_with_reason_quota(engine, documents_only, merchant):
    make_documents(merchant, 4)
    engine.configure(storage_quota_bytes=30_000)

    run, outcome = run_backup(documents_only)

    assert (outcome.status, outcome.reason, outcome.retryable) == ("failed", "quota", False)
    assert run.errors[0]["code"] == "quota"
    assert "full" in run.errors[0]["message"]
    assert 0 < run.files_uploaded < 4
    assert counter(engine, "upload.create", "403") == 1
    documents_only.refresh_from_db()
    assert documents_only.status == GoogleDriveIntegration.Status.CONNECTED
    assert documents_only.consecutive_failures == 1


def test_disconnecting_during_the_run_stops_the_uploads(
    engine, documents_only, merchant, monkeypatch
):
    make_documents(merchant, 6)
    monkeypatch.setattr(engine_run, "RECHECK_EVERY_FILES", 2)
    original = RunExecution.uploaded

    def disconnect_after_first(self, upload):
        original(self, upload)
        GoogleDriveIntegration.objects.filter(pk=self.integration.pk).update(
            status=GoogleDriveIntegration.Status.NOT_CONNECTED, refresh_token=""
        )

    monkeypatch.setattr(RunExecution, "uploaded", disconnect_after_first)

    run, outcome = run_backup(documents_only)

    assert (outcome.status, outcome.reason) == ("partial", "disconnected")
    assert run.files_uploaded == 2
    assert sum(documents_in_drive(engine).values()) == 2
    documents_only.refresh_from_db()
    assert documents_only.consecutive_failures == 0


def test_disconnect_pressed_during_a_run_stops_it_as_disconnected_not_as_lost_access(
    engine, documents_only, merchant, monkeypatch, caplog
):
    """Disconnect revokes the grant at Google, so the running upload meets a revoked token
    before the run looks at the integration again: the merchant's doing, not lost access."""
    make_documents(merchant, 5)
    original = RunExecution.uploaded

    def disconnect_after_first(self, upload):
        original(self, upload)
        if self.tally.files == 1:
            assert connection.disconnect(merchant) == connection.DisconnectOutcome.REVOKED

    monkeypatch.setattr(RunExecution, "uploaded", disconnect_after_first)
    caplog.set_level(logging.INFO, logger="integrations")

    run, outcome = run_backup(documents_only)

    assert (outcome.status, outcome.reason) == ("partial", "disconnected")
    assert [e["code"] for e in run.errors] == ["disconnected"]
    assert run.files_uploaded == 1
    documents_only.refresh_from_db()
    assert documents_only.status == GoogleDriveIntegration.Status.NOT_CONNECTED
    assert (documents_only.consecutive_failures, documents_only.last_error) == (0, "")
    assert not [r for r in caplog.records if r.levelno >= logging.WARNING], caplog.text


def test_switching_google_account_during_a_run_stops_it_as_disconnected(
    engine, documents_only, merchant, monkeypatch
):
    """A switch revokes the previous account's grant; the new connection must not be
    marked as having lost access, nor counted as failing."""
    make_documents(merchant, 5)
    original = RunExecution.uploaded

    def switch_after_first(self, upload):
        original(self, upload)
        if self.tally.files == 1:
            connect_integration(engine, merchant, "other@example.com")
            engine.user_revokes_app("merchant@example.com")

    monkeypatch.setattr(RunExecution, "uploaded", switch_after_first)

    run, outcome = run_backup(documents_only)

    assert (outcome.status, outcome.reason) == ("partial", "disconnected")
    assert [e["code"] for e in run.errors] == ["disconnected"]
    documents_only.refresh_from_db()
    assert documents_only.status == GoogleDriveIntegration.Status.CONNECTED
    assert documents_only.google_email == "other@example.com"
    assert (documents_only.consecutive_failures, documents_only.last_error) == (0, "")


def test_disconnected_integration_gets_no_upload(engine, documents_only, merchant):
    make_documents(merchant, 1)
    documents_only.status = GoogleDriveIntegration.Status.NOT_CONNECTED
    documents_only.save()

    _run, outcome = run_backup(documents_only)

    assert (outcome.status, outcome.reason) == ("failed", "disconnected")
    assert counter(engine, "oauth.token") == 1
    assert documents_in_drive(engine) == {}


def test_google_down_is_retryable_and_counted_once_on_the_final_attempt(
    engine, documents_only, merchant, slept, settings
):
    docs = make_documents(merchant, 3)
    run = make_run(documents_only)
    engine.configure(p_503=1.0)

    early = execute_run(run.pk, now=NIGHT, final_attempt=False)

    run.refresh_from_db()
    documents_only.refresh_from_db()
    assert (early.retryable, early.reason) == (True, "transient")
    assert run.status == BackupRun.Status.QUEUED
    assert run.finished_at is None
    assert documents_only.consecutive_failures == 0
    assert slept  # backoff between attempts, without real sleeping
    # Bounded: a few attempts per request for a few files in a row, not a retry storm.
    attempts = settings.BACKUP_DRIVE_MAX_ATTEMPTS * upload.MAX_CONSECUTIVE_TRANSIENT_FAILURES
    assert 0 < counter(engine, "drive.files") <= attempts

    last = execute_run(run.pk, now=NIGHT, final_attempt=True)

    run.refresh_from_db()
    documents_only.refresh_from_db()
    assert last.status == BackupRun.Status.FAILED
    assert run.status == BackupRun.Status.FAILED
    assert documents_only.consecutive_failures == 1

    engine.configure(p_503=0.0)
    _good, outcome = run_backup(documents_only)
    documents_only.refresh_from_db()
    assert outcome.succeeded
    assert documents_in_drive(engine) == {str(doc.uuid): 1 for doc in docs}
    assert documents_only.consecutive_failures == 0


def test_rate_limit_answers_are_retried_after_retry_after(engine, documents_only, merchant, slept):
    docs = make_documents(merchant, 2)
    engine.configure(retry_after_s=7)
    engine.inject_fault("429", count=1, endpoint="upload.create")

    _run, outcome = run_backup(documents_only)

    assert outcome.succeeded
    assert documents_in_drive(engine) == {str(doc.uuid): 1 for doc in docs}
    assert sum(slept) >= 7


def test_a_retry_in_the_log_names_its_run_and_what_google_answered(
    engine, documents_only, merchant, caplog
):
    make_documents(merchant, 1)
    engine.inject_fault("503", count=1, endpoint="upload.create")

    with caplog.at_level("INFO", logger="integrations.google.client"):
        run, outcome = run_backup(documents_only)

    assert outcome.succeeded
    [line] = [r.getMessage() for r in caplog.records if "retry 1 in" in r.getMessage()]
    assert line.startswith(f"Run {run.pk} of integration {documents_only.pk}: Drive ")
    assert "503" in line


def test_a_large_file_goes_resumable_and_resumes_after_a_dropped_chunk(
    engine, documents_only, merchant
):
    from documents.models import ApiInvoicePdf, Invoice

    doc = invoice(merchant, "API 1/11/2026", NOV, source=Invoice.Source.API)
    content = b"%PDF-1.4\n" + bytes(range(256)) * ((RESUMABLE_THRESHOLD * 2) // 256)
    ApiInvoicePdf.objects.create(invoice=doc, content=content, sha256="", size=len(content))
    # Twice: httplib2 quietly resends once, the second drop reaches our retry.
    engine.inject_fault("drop", count=2, endpoint="upload.resumable.put")

    run, outcome = run_backup(documents_only)

    assert outcome.succeeded
    stored = [f for f in drive_files(engine) if not f["folder"]]
    assert len(stored) == 1 and int(stored[0]["size"]) == len(content)
    assert stored[0]["md5Checksum"] == md5(content)
    assert counter(engine, "upload.resumable.put", "dropped") == 2
    assert counter(engine, "upload.resumable.put", "body_timeout") == 0
    assert run.errors == []


def test_a_reserved_id_taken_by_an_invisible_file_is_given_up(
    engine, documents_only, merchant, monkeypatch
):
    """A 409, and nothing of ours under the id nor in the folder: the file takes another id."""
    (doc,) = make_documents(merchant, 1)
    engine.inject_fault("drop_after_write", count=2, endpoint="upload.create")
    monkeypatch.setattr(DriveClient, "get_file", lambda self, file_id: None)
    monkeypatch.setattr(DriveClient, "find_landed", lambda self, *args: None)
    taken: list[str] = []
    give_new_id = Ledger.give_new_id

    def spy(ledger, row):
        taken.append(row.drive_file_id)
        give_new_id(ledger, row)

    monkeypatch.setattr(Ledger, "give_new_id", spy)

    run, outcome = run_backup(documents_only)

    assert outcome.succeeded, run.errors
    row = BackedUpFile.objects.get(state="done")
    assert row.document_uuid == doc.uuid
    assert len(taken) == 1 and row.drive_file_id != taken[0]
    assert counter(engine, "upload.create", "409") == 1


def test_a_copy_under_another_id_with_its_answer_lost_is_found_by_its_app_properties(
    engine, documents_only, merchant
):
    """The copy landed under another id than the reserved one and its answer was lost: the
    resend's id is refused (used up), and before sending without an id the copy is found
    in its folder by appProperties, so no second copy is made."""
    (doc,) = make_documents(merchant, 1)
    engine.configure(replace_client_id=True)
    engine.inject_fault("drop_after_write", count=1, endpoint="upload.create")

    run, outcome = run_backup(documents_only)

    assert outcome.succeeded, run.errors
    assert documents_in_drive(engine) == {str(doc.uuid): 1}
    [stored] = [f for f in drive_files(engine) if not f["folder"]]
    assert BackedUpFile.objects.get(state="done").drive_file_id == stored["id"]
    assert counter(engine, "upload.create", "400") == 1
    assert counter(engine, "upload.create") == 2


def test_a_folders_reserved_id_taken_by_an_invisible_file_is_given_up(
    engine, documents_only, merchant, monkeypatch
):
    """A folder create answered 409, with nothing of ours under its id nor in its parent: the
    id is spent, the folder is created under another one and the cache names that one."""
    make_documents(merchant, 1)
    engine.inject_fault("drop_after_write", count=2, endpoint="drive.files.create")
    monkeypatch.setattr(DriveClient, "get_file", lambda self, file_id: None)
    monkeypatch.setattr(DriveClient, "find_landed", lambda self, *args: None)

    run, outcome = run_backup(documents_only)

    assert outcome.succeeded, run.errors
    assert counter(engine, "drive.files.create", "409") == 1
    in_drive = {f["id"] for f in drive_files(engine) if f["folder"]}
    cached = set(DriveFolder.objects.values_list("drive_id", flat=True))
    assert cached <= in_drive and len(cached) == 4
