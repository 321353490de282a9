"""Writes are paced per Google account, so Google's per-user write limit is never hit."""

from __future__ import annotations

import datetime as dt

from .helpers import counter, documents_in_drive, invoice, run_backup


def test_run_stays_under_googles_write_limit(engine, integration, merchant, settings, google_clock):
    integration.backup_orders = False
    integration.save()
    docs = [invoice(merchant, f"FV {n}/11/2026", dt.date(2026, 11, 2)) for n in range(12)]
    settings.BACKUP_DRIVE_WRITES_PER_SECOND = 3.0
    settings.BACKUP_DRIVE_WRITE_BURST = 5
    # Google's side a little more lenient than ours, so float rounding cannot decide a test.
    engine.configure(write_limit=True, write_rate=3.2, write_burst=5)

    _run, outcome = run_backup(integration)

    assert outcome.succeeded
    assert documents_in_drive(engine) == {str(doc.uuid): 1 for doc in docs}
    writes = counter(engine, "upload.create") + counter(engine, "drive.files.create")
    assert writes == 12 + 4
    assert counter(engine, "upload.create", "403") == 0
    assert counter(engine, "drive.files.create", "403") == 0
    # 16 writes, 5 from the burst, the other 11 a third of a second apart (less the time the
    # test itself took, which also refills the bucket).
    assert 0 < sum(google_clock) <= 11 / 3 + 0.01


def test_without_pacing_the_same_run_meets_the_limit_and_recovers(
    engine, integration, merchant, settings, google_clock
):
    integration.backup_orders = False
    integration.save()
    docs = [invoice(merchant, f"FV {n}/11/2026", dt.date(2026, 11, 2)) for n in range(12)]
    settings.BACKUP_DRIVE_WRITES_PER_SECOND = 1000.0
    settings.BACKUP_DRIVE_WRITE_BURST = 1000
    engine.configure(write_limit=True, write_rate=3.0, write_burst=5)

    _run, outcome = run_backup(integration)

    # Google's 403 userRateLimitExceeded is retried after a backoff: nothing is lost.
    assert counter(engine, "upload.create", "403") + counter(engine, "drive.files.create", "403")
    assert outcome.succeeded
    assert documents_in_drive(engine) == {str(doc.uuid): 1 for doc in docs}
