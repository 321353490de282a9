"""Whole nights under each alternative answer of Google, alone and with random faults.

Each night backs up invoices, receipts and one large invoice (a resumable session), then
the merchant trashes this month's invoices folder and a second night adds more. Whatever the
knob, every document must be in Drive exactly once (a copy left in the trashed folder counts;
nothing is sent twice), nothing deleted, and each run's history must say in words what
happened. The knobs are fake_google's (fake_google/README.md, "Alternative answers").
"""

from __future__ import annotations

import datetime as dt
from collections import Counter
from collections.abc import Callable

import pytest

from documents.models import ApiInvoicePdf, Invoice
from integrations import run_errors
from integrations.engine import run as engine_run
from integrations.google.client import DriveClient
from integrations.google.errors import DriveError, ErrorKind
from integrations.models import BackedUpFile, BackupRun
from tests.integrations.conftest import FIRST_NIGHT, SECOND_NIGHT

from .helpers import NOV, documents_in_drive, drive_files, invoice, receipt, run_backup, trash

# One knob set per point of the alternatives table (fake_google/README.md).
KNOBS = {
    "1-409-duplicate": {"id_in_use_reason": "duplicate"},
    "2-ids-refused-at-start": {"upload_ids": "refuse", "id_refusal": "invalid"},
    "2-ids-refused-at-last-chunk": {
        "upload_ids": "refuse",
        "resumable_id_check": "final",
        "id_refusal": "notSupported",
    },
    "2-ids-lapse": {"generated_id_lifetime_s": 1800},
    "3-trashed-parent-refused": {"trashed_parent": "refuse"},
    "4-session-gone-410": {"expired_session_status": 410},
    "6-no-md5-in-answer": {"omit_md5_in_create": True},
    "7-ids-replaced": {"replace_client_id": True},
}
EVERY_KNOB = {
    "id_in_use_reason": "duplicate",
    "upload_ids": "refuse",
    "resumable_id_check": "final",
    "id_refusal": "notSupported",
    "generated_id_lifetime_s": 1800,
    "trashed_parent": "refuse",
    "expired_session_status": 410,
    "omit_md5_in_create": True,
    "replace_client_id": True,
}
# Today's random faults: 5 % 5xx, 2 % 429, 1 % writes applied and their answers dropped.
RANDOM_FAULTS = {"p_500": 0.025, "p_503": 0.025, "p_429": 0.02, "p_drop_after_write": 0.01}
LARGE_PDF_BYTES = 6 * 1024 * 1024 + 17
# Attempts of one night: the task retries a retryable run (BACKUP_RUN_RETRY_COUNTDOWNS).
ATTEMPTS_PER_NIGHT = 4


def large_api_invoice(merchant, number: str, day: dt.date) -> Invoice:
    doc = invoice(merchant, number, day, source=Invoice.Source.API)
    content = b"%PDF-1.4\n" + number.encode() + bytes(range(256)) * (LARGE_PDF_BYTES // 256)
    ApiInvoicePdf.objects.create(invoice=doc, content=content, sha256="", size=len(content))
    return doc


def documents(merchant, first: int, count: int) -> list:
    docs = []
    for n in range(first, first + count):
        day = NOV + dt.timedelta(days=n % 20)
        docs.append(invoice(merchant, f"FV {n}/11/2026", day))
        if n % 2:
            docs.append(receipt(merchant, f"PAR {n}/11/2026", day))
    docs.append(large_api_invoice(merchant, f"API {first}/11/2026", NOV))
    return docs


def night(fake, integration, now: dt.datetime) -> list[BackupRun]:
    """Runs of one night until one finishes without a retryable failure."""
    runs = []
    for _ in range(ATTEMPTS_PER_NIGHT):
        # A session of the night's large file expires once before its next chunk.
        fake.inject_fault("expire_session", count=1, endpoint="upload.resumable.put")
        run, outcome = run_backup(integration, now=now)
        runs.append(run)
        if outcome.succeeded or not outcome.retryable:
            break
    return runs


def assert_history_in_words(runs: list[BackupRun]) -> None:
    """Every run has a finished status and each of its errors a known, worded message."""
    for run in runs:
        assert run.status in (
            BackupRun.Status.SUCCEEDED,
            BackupRun.Status.PARTIAL,
            BackupRun.Status.FAILED,
        )
        for entry in run.errors:
            assert entry["code"] in run_errors.MESSAGES
            assert run_errors.describe(entry) == entry["message"] and len(entry["message"]) > 20


def assert_each_once(fake, early: list, late: list) -> None:
    """The first night's documents once each (in the folder the merchant trashed); the
    second night's once each outside the trash, plus a copy in the trash only where the
    ledger knows one landed in the trashed folder (it stays there: nothing is deleted)."""
    in_drive = documents_in_drive(fake)
    assert {str(d.uuid): in_drive[str(d.uuid)] for d in early} == {str(d.uuid): 1 for d in early}
    live = documents_in_drive_outside_trash(fake)
    assert {str(d.uuid): live[str(d.uuid)] for d in late} == {str(d.uuid): 1 for d in late}
    in_trash_rows = BackedUpFile.objects.filter(
        state=BackedUpFile.State.IN_TRASH, document_uuid__in=[d.uuid for d in late]
    ).count()
    assert sum(in_drive[str(d.uuid)] for d in late) == len(late) + in_trash_rows
    assert in_trash_rows <= 1  # only the file that found the folder trashed


def documents_in_drive_outside_trash(fake) -> Counter:
    return Counter(
        f["appProperties"]["doc"] for f in drive_files(fake) if "doc" in f["appProperties"]
    )


def two_nights(fake, integration, merchant, knobs: dict) -> list[BackupRun]:
    fake.configure(**knobs)
    early = documents(merchant, 1, 8)
    runs = night(fake, integration, FIRST_NIGHT)
    assert runs[-1].status == BackupRun.Status.SUCCEEDED, runs[-1].errors
    invoices_folder = next(
        f["id"] for f in drive_files(fake) if f["folder"] and f["path"].endswith("11/Invoices")
    )
    trash(integration, invoices_folder)
    fake.clock.advance(3600)  # past the lifetime of generated ids, when that knob is on
    late = documents(merchant, 20, 8)
    later = night(fake, integration, SECOND_NIGHT)
    assert later[-1].status == BackupRun.Status.SUCCEEDED, later[-1].errors
    runs += later

    assert_each_once(fake, early, late)
    assert fake.state_dump()["deletes"] == []
    live = {f["id"]: f for f in drive_files(fake) if not f["folder"]}
    for doc in late:
        row = BackedUpFile.objects.get(document_uuid=doc.uuid, state=BackedUpFile.State.DONE)
        assert live[row.drive_file_id]["appProperties"]["doc"] == str(doc.uuid)
    live_folders = [f["path"] for f in drive_files(fake) if f["folder"]]
    assert len(live_folders) == len(set(live_folders))
    assert_history_in_words(runs)
    return runs


@pytest.mark.slow
@pytest.mark.parametrize("knobs", KNOBS.values(), ids=KNOBS.keys())
def test_two_nights_under_each_knob_land_every_document_once(
    engine, documents_only, merchant, knobs
):
    two_nights(engine, documents_only, merchant, knobs)


@pytest.mark.slow
@pytest.mark.parametrize("knobs", KNOBS.values(), ids=KNOBS.keys())
def test_two_nights_under_each_knob_and_random_faults_land_every_document_once(
    engine, documents_only, merchant, knobs
):
    two_nights(engine, documents_only, merchant, {"seed": 20261206, **RANDOM_FAULTS, **knobs})


@pytest.mark.slow
def test_two_nights_under_every_knob_and_random_faults_land_every_document_once(
    engine, documents_only, merchant
):
    runs = two_nights(engine, documents_only, merchant, {"seed": 7, **RANDOM_FAULTS, **EVERY_KNOB})

    # No file was refused on the way: each refusal of an id was answered by another way in.
    assert [e for r in runs for e in r.errors if e["code"] == "rejected"] == []


@pytest.mark.parametrize("reason", ["activeItemCreationLimitExceeded", "domainPolicy"])
def test_a_night_under_an_account_wide_refusal_stops_once_and_the_next_catches_up(
    engine, documents_only, merchant, reason
):
    docs = documents(merchant, 1, 4)
    engine.configure(account_write_refusal=reason, **RANDOM_FAULTS, seed=3)

    refused = night(engine, documents_only, FIRST_NIGHT)

    assert [r.status for r in refused] == [BackupRun.Status.FAILED]
    [entry] = refused[0].errors
    assert entry["code"] == "account_refused" and reason in entry["detail"]
    assert_history_in_words(refused)
    engine.configure(account_write_refusal=None)

    runs = night(engine, documents_only, SECOND_NIGHT)

    assert runs[-1].status == BackupRun.Status.SUCCEEDED, runs[-1].errors
    assert documents_in_drive(engine) == {str(doc.uuid): 1 for doc in docs}


def refuse_uploads(monkeypatch, reason: Callable[[], str]) -> None:
    """Every upload is answered with a 403 of `reason()`, a reason no list names."""

    def refuse(self, **kwargs):
        why = reason()
        raise DriveError(ErrorKind.PERMANENT, f"HTTP 403 {why}: No.", status=403, reason=why)

    monkeypatch.setattr(DriveClient, "upload", refuse)


def test_an_unknown_403_repeating_file_after_file_ends_the_run_with_one_message(
    engine, documents_only, merchant, monkeypatch
):
    """A 403 whose reason no list names, answered to two files in a row: the account's."""
    docs = documents(merchant, 1, 4)
    refuse_uploads(monkeypatch, lambda: "tooManyThings")

    run, outcome = run_backup(documents_only, now=FIRST_NIGHT)

    assert (outcome.status, outcome.retryable) == (BackupRun.Status.FAILED, False)
    assert [e["code"] for e in run.errors] == ["account_refused", "rejected"]
    assert "tooManyThings" in run.errors[0]["detail"]
    # Two files met the refusal; the others were not sent to it.
    assert run.progress_done == 1 < len(docs)
    assert not BackedUpFile.objects.filter(state=BackedUpFile.State.UPLOADING).exists()
    monkeypatch.undo()
    monkeypatch.setattr(engine_run, "sleep", lambda s: None)

    runs = night(engine, documents_only, SECOND_NIGHT)

    assert runs[-1].status == BackupRun.Status.SUCCEEDED, runs[-1].errors
    assert documents_in_drive(engine) == {str(doc.uuid): 1 for doc in docs}


def test_different_403s_file_after_file_are_each_the_files_own(
    engine, documents_only, merchant, monkeypatch
):
    """Refusals that differ are no sign of an account-wide one: each file fails alone."""
    docs = documents(merchant, 1, 2)
    reasons = iter(range(100))
    refuse_uploads(monkeypatch, lambda: f"reason{next(reasons)}")

    run, outcome = run_backup(documents_only, now=FIRST_NIGHT)

    assert outcome.status == BackupRun.Status.FAILED
    assert [e["code"] for e in run.errors].count("rejected") == len(docs)
