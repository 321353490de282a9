"""Re-send missing copies: a run of its own that sends again what the merchant deleted or
trashed, exactly once, and never deletes, moves or overwrites anything in Drive."""

from __future__ import annotations

import datetime as dt
from collections import Counter

import pytest

from integrations import runs
from integrations.engine.run import execute_run
from integrations.engine.upload import Uploader
from integrations.models import BackedUpFile, BackupRun
from tests.integrations.conftest import NIGHT

from .drive_user import check, delete_for_good, folder_id, one_of_each, trash
from .helpers import MONTH, NOV, counter, drive_files, invoice, receipt, run_backup


def repair(integration, attempts: int = 1) -> BackupRun:
    """A repair run, started as the page starts it, run here until it succeeds (or gives up)."""
    run = runs.start_repair_run(integration.pk, now=NIGHT, enqueue=None)
    execute_run(run.pk, now=NIGHT)
    run.refresh_from_db()
    for _ in range(attempts - 1):
        if run.status == BackupRun.Status.SUCCEEDED:
            break
        run = runs.start_repair_run(integration.pk, now=NIGHT, enqueue=None)
        execute_run(run.pk, now=NIGHT)
        run.refresh_from_db()
    return run


def live_copies(fake) -> Counter:
    """Copies of each document that are not in the trash."""
    return Counter(
        f["appProperties"]["doc"] for f in drive_files(fake) if "doc" in f["appProperties"]
    )


def trashed_ids(fake) -> set[str]:
    return {f["id"] for f in drive_files(fake, trashed=True) if f["trashed"] and not f["folder"]}


def test_repair_sends_deleted_and_trashed_copies_again_and_touches_nothing(
    engine, documents_only, backed_up
):
    one_of_each(engine, documents_only, backed_up)
    edited = {f["id"]: f["md5Checksum"] for f in drive_files(engine) if not f["folder"]}

    run = repair(documents_only)

    assert run.trigger == BackupRun.Trigger.REPAIR
    assert run.status == BackupRun.Status.SUCCEEDED, run.errors
    assert run.files_uploaded == 2
    # Every file that was there is there, as it was: the trashed copy stays in the trash.
    now = {f["id"]: f["md5Checksum"] for f in drive_files(engine, trashed=True) if not f["folder"]}
    assert edited.items() <= now.items()
    assert backed_up["FV 2_11_2026.pdf"].drive_file_id in trashed_ids(engine)
    assert len(engine.state_dump()["deletes"]) == 1  # the merchant's own
    # The new copies are in their issue month's folder, under the document's usual name.
    invoices = {f["name"] for f in drive_files(engine) if f["path"].startswith(f"{MONTH}/Inv")}
    assert {"FV 2_11_2026.pdf", "FV 3_11_2026.pdf"} <= invoices
    states = lambda name: list(  # noqa: E731
        BackedUpFile.objects.filter(name=name).order_by("id").values_list("state", flat=True)
    )
    assert states("FV 2_11_2026.pdf") == ["in_trash", "done"]
    assert states("FV 3_11_2026.pdf") == ["gone", "done"]
    # Changed and moved copies are the merchant's business: told, not "fixed".
    assert check(documents_only).counts() == {
        "present": 4,
        "changed": 1,
        "trashed": 0,
        "missing": 0,
        "moved": 1,
        "unknown": 1,
    }


def test_a_second_repair_sends_nothing(engine, documents_only, backed_up):
    delete_for_good(documents_only, backed_up["FV 0_11_2026.pdf"].drive_file_id)
    assert repair(documents_only).files_uploaded == 1
    creates = counter(engine, "upload.create")

    again = repair(documents_only)

    assert again.status == BackupRun.Status.SUCCEEDED
    assert again.files_uploaded == 0
    assert counter(engine, "upload.create") == creates


def test_a_repair_is_refused_while_a_backup_runs(engine, documents_only, backed_up):
    active = runs.start_manual_run(documents_only.pk, now=NIGHT, enqueue=None)

    with pytest.raises(runs.BackupNowRefused) as refused:
        runs.start_repair_run(documents_only.pk, now=NIGHT, enqueue=None)

    assert refused.value.reason == runs.BackupNowRefused.ALREADY_ACTIVE
    assert refused.value.run == active


def test_a_repair_killed_halfway_resumes_without_a_duplicate(
    engine, documents_only, backed_up, monkeypatch
):
    for name in ("FV 0_11_2026.pdf", "FV 1_11_2026.pdf", "FV 2_11_2026.pdf"):
        delete_for_good(documents_only, backed_up[name].drive_file_id)
    original = Uploader.upload
    calls = {"n": 0}

    def killed_on_second(self, upload):
        calls["n"] += 1
        if calls["n"] == 2:
            raise SystemError("worker killed")
        original(self, upload)

    monkeypatch.setattr(Uploader, "upload", killed_on_second)
    run = runs.start_repair_run(documents_only.pk, now=NIGHT, enqueue=None)
    with pytest.raises(SystemError):
        execute_run(run.pk, now=NIGHT)
    monkeypatch.setattr(Uploader, "upload", original)

    outcome = execute_run(run.pk, now=NIGHT)

    assert outcome.succeeded
    assert set(live_copies(engine).values()) == {1}
    assert len(live_copies(engine)) == 6
    assert check(documents_only).counts()["present"] == 6


@pytest.fixture
def two_months(engine, documents_only, merchant):
    """24 invoices and 12 receipts of October and November in Drive (a backfill's worth)."""
    october = dt.date(2026, 10, 1)
    docs = [
        invoice(merchant, f"FV {n}/11/2026", NOV + dt.timedelta(days=n % 28)) for n in range(12)
    ]
    docs += [
        invoice(merchant, f"FV {n}/10/2026", october + dt.timedelta(days=n)) for n in range(12)
    ]
    docs += [receipt(merchant, f"PAR {n}/11/2026", NOV + dt.timedelta(days=n)) for n in range(12)]
    documents_only.documents_since = october
    documents_only.save()
    _run, outcome = run_backup(documents_only)
    assert outcome.succeeded, outcome.message
    return docs


def test_check_and_repair_under_faults_leave_every_document_once(
    engine, documents_only, two_months
):
    rows = list(
        BackedUpFile.objects.filter(kind="invoice", folder_path__contains="/11/").order_by("id")
    )
    for row in rows[:4]:
        trash(documents_only, row.drive_file_id)
    for row in rows[4:8]:
        delete_for_good(documents_only, row.drive_file_id)
    # The merchant trashes the whole Receipts folder of November, and October's month.
    trash(documents_only, folder_id(engine, f"{MONTH}/Receipts"))
    trash(documents_only, folder_id(engine, "/BaseLinker Backup/2026/10"))
    in_trash_before = trashed_ids(engine)
    engine.configure(seed=2026, p_500=0.04, p_503=0.04, p_429=0.03, p_drop_after_write=0.05)

    before = check(documents_only)
    run = repair(documents_only, attempts=3)
    after = check(documents_only)

    # Four November invoices, November's receipts and October's invoices are in the trash.
    assert before.counts() == {
        "present": 4,
        "changed": 0,
        "trashed": 4 + 12 + 12,
        "missing": 4,
        "moved": 0,
        "unknown": 0,
    }
    assert run.status == BackupRun.Status.SUCCEEDED, run.errors
    assert live_copies(engine) == {str(doc.uuid): 1 for doc in two_months}
    # What was in the trash is still there; nothing was deleted but the merchant's four.
    assert in_trash_before <= trashed_ids(engine)
    assert len(engine.state_dump()["deletes"]) == 4
    assert after.counts() == {
        "present": 36,
        "changed": 0,
        "trashed": 0,
        "missing": 0,
        "moved": 0,
        "unknown": 0,
    }
    assert counter(engine, "upload.create") > counter(engine, "upload.create", "200")
