"""A backfill: the start date moved 14 months back, and the next run fills Drive to it.

Exactly the documents Drive does not hold yet, each into its issue month's folder, once,
also under Google's failures and lost answers; from the engine and from `backup_now --since`.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter

import pytest
import time_machine
from django.core.management import CommandError, call_command

from integrations.models import BackupRun
from integrations.selection import SinceRefused, move_documents_since_back
from tests.integrations.conftest import NIGHT

from .helpers import ROOT, documents_in_drive, drive_files, invoice, receipt, run_backup

# 14 months before the test night (23 November 2026).
SINCE = dt.date(2025, 9, 23)


def months(first: dt.date, last: dt.date):
    day = first.replace(day=1)
    while day <= last:
        yield day
        day = (day + dt.timedelta(days=32)).replace(day=1)


@pytest.fixture
def fifteen_months(engine, documents_only, merchant):
    """An invoice on the 5th and the 25th and a receipt on the 25th of every month from
    September 2025 to November 2026; November's are in Drive already (the first run)."""
    docs = []
    for month in months(dt.date(2025, 9, 1), dt.date(2026, 11, 1)):
        tag = f"{month.month}/{month.year}"
        docs.append(invoice(merchant, f"FV 5-{tag}", month.replace(day=5)))
        docs.append(invoice(merchant, f"FV 25-{tag}", month.replace(day=25)))
        docs.append(receipt(merchant, f"PAR 25-{tag}", month.replace(day=25)))
    _run, outcome = run_backup(documents_only)
    assert outcome.succeeded, outcome.message
    assert len(documents_in_drive(engine)) == 3
    return docs


def expected_path(doc) -> str:
    kind = "Invoices" if doc.number.startswith("FV") else "Receipts"
    return f"{ROOT}/{doc.issue_date:%Y}/{doc.issue_date:%m}/{kind}"


def assert_backfilled(fake, docs) -> None:
    wanted = [d for d in docs if d.issue_date >= SINCE]
    assert documents_in_drive(fake) == {str(d.uuid): 1 for d in wanted}
    files = [f for f in drive_files(fake) if not f["folder"]]
    where = {f["appProperties"]["doc"]: f["path"].rsplit("/", 1)[0] for f in files}
    assert all(where[str(d.uuid)] == expected_path(d) for d in wanted)
    # 15 months of Invoices (and Receipts), never a folder twice.
    folders = Counter(f["path"] for f in drive_files(fake) if f["folder"])
    assert set(folders.values()) == {1}
    assert len(folders) == 1 + 2 + 15 + 15 * 2  # root, years, months, Invoices and Receipts


def test_a_backfill_uploads_exactly_the_missing_documents_under_faults(
    engine, documents_only, fifteen_months
):
    move_documents_since_back(documents_only, SINCE, NIGHT.date())
    first_copies = {f["id"] for f in drive_files(engine) if not f["folder"]}
    engine.configure(seed=1409, p_500=0.04, p_503=0.04, p_429=0.03, p_drop_after_write=0.05)
    # And for certain: lost answers of two uploads and of a folder's creation.
    engine.inject_fault("drop_after_write", count=2, endpoint="upload.create")
    engine.inject_fault("drop_after_write", count=1, endpoint="drive.files.create")

    run, _ = run_backup(documents_only)
    for _attempt in range(3):
        if run.status == BackupRun.Status.SUCCEEDED:
            break
        run, _ = run_backup(documents_only)

    assert run.status == BackupRun.Status.SUCCEEDED, run.errors
    # September's 5th is before the start date; the three of November were there already.
    assert_backfilled(engine, fifteen_months)
    assert first_copies <= {f["id"] for f in drive_files(engine)}
    assert engine.state_dump()["deletes"] == []
    # Lost answers happened and were answered by the reserved ids, not by second copies.
    counters = engine.state_dump()["counters"]
    assert counters["upload.create.multipart"].get("409", 0) >= 1
    assert counters["drive.files.create"].get("409", 0) >= 1


def test_backup_now_since_moves_the_start_back_and_runs(
    engine, documents_only, fifteen_months, capsys
):
    with time_machine.travel(NIGHT, tick=True):
        call_command("backup_now", "--merchant", "merchant@example.com", "--since", "2025-09-23")

    out = capsys.readouterr().out
    assert "documents from 2025-09-23 on (was 2026-11-01)" in out
    assert "status: succeeded" in out
    documents_only.refresh_from_db()
    assert documents_only.documents_since == SINCE
    assert_backfilled(engine, fifteen_months)


@pytest.mark.parametrize(
    ("since", "message"),
    [
        ("2026-11-15", "a start date only moves back"),
        ("2026-12-01", "is in the future"),
    ],
)
def test_backup_now_since_refuses_a_later_date(
    engine, documents_only, fifteen_months, since, message
):
    with time_machine.travel(NIGHT, tick=True), pytest.raises(CommandError, match=message):
        call_command("backup_now", "--merchant", "merchant@example.com", "--since", since)

    assert BackupRun.objects.count() == 1


def test_backup_now_since_wants_a_date(engine, documents_only):
    with pytest.raises(CommandError, match="is not a date like 2025-10-01"):
        call_command("backup_now", "--merchant", "merchant@example.com", "--since", "last year")


def test_the_start_date_only_moves_back(documents_only):
    documents_only.documents_since = dt.date(2026, 11, 1)

    with pytest.raises(SinceRefused):
        move_documents_since_back(documents_only, dt.date(2026, 11, 2), NIGHT.date())
