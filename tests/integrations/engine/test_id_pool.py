"""Reserved Drive ids: a pool per integration and Google account, used oldest first."""

from __future__ import annotations

import datetime as dt

import pytest
from django.db import IntegrityError
from django.utils import timezone

from integrations.engine.drive_ids import DriveIdPool
from integrations.google.client import DriveClient
from integrations.models import BackedUpFile, BackupRun, GoogleDriveIntegration, ReservedDriveId
from tests.factories import connect_integration
from tests.integrations.conftest import FIRST_NIGHT, SECOND_NIGHT

from .helpers import NOV, app_client, counter, documents_in_drive, invoice, run_backup

OTHER_EMAIL = "other.account@example.com"


@pytest.fixture
def asked_for(monkeypatch) -> list[int]:
    """How many ids each generateIds call of a run asked for."""
    counts: list[int] = []
    original = DriveClient.generate_ids

    def spy(self, count):
        counts.append(count)
        return original(self, count)

    monkeypatch.setattr(DriveClient, "generate_ids", spy)
    return counts


def pooled(integration: GoogleDriveIntegration) -> list[str]:
    return list(
        ReservedDriveId.objects.filter(integration=integration)
        .order_by("created_at", "pk")
        .values_list("drive_id", flat=True)
    )


def new_ids_of(run: BackupRun) -> list[str]:
    return list(
        BackedUpFile.objects.filter(run=run).order_by("pk").values_list("drive_file_id", flat=True)
    )


def test_ids_left_by_one_night_serve_the_next_oldest_first(
    engine, documents_only, merchant, asked_for
):
    invoice(merchant, "FV 1/11/2026", NOV)
    run_backup(documents_only, now=FIRST_NIGHT)
    # One call, for the pool's refill size; four folders and one file used five.
    assert asked_for == [100]
    left = pooled(documents_only)
    assert len(left) == 95
    invoice(merchant, "FV 2/11/2026", NOV)
    invoice(merchant, "FV 3/11/2026", NOV)

    run, outcome = run_backup(documents_only, now=SECOND_NIGHT)

    assert outcome.succeeded, outcome.message
    assert asked_for == [100]
    assert new_ids_of(run) == left[:2]
    assert pooled(documents_only) == left[2:]


def test_a_dry_pool_is_refilled_with_what_the_run_still_needs(
    engine, documents_only, merchant, asked_for, settings
):
    settings.BACKUP_ID_POOL_SIZE = 3
    for n in range(1, 8):
        invoice(merchant, f"FV {n}/11/2026", NOV)

    _run, outcome = run_backup(documents_only, now=FIRST_NIGHT)

    assert outcome.succeeded, outcome.message
    # 7 files and 4 folders: more than the pool's own size.
    assert asked_for == [11]
    assert pooled(documents_only) == []
    invoice(merchant, "FV 8/11/2026", NOV)

    run_backup(documents_only, now=SECOND_NIGHT)

    assert asked_for == [11, 3]
    assert len(pooled(documents_only)) == 2


def test_another_google_account_never_gets_this_accounts_ids(
    engine, documents_only, merchant, asked_for
):
    doc = invoice(merchant, "FV 1/11/2026", NOV)
    run_backup(documents_only, now=FIRST_NIGHT)
    first_account_ids = set(pooled(documents_only))
    switched = connect_integration(engine, merchant, email=OTHER_EMAIL, documents_since=None)

    run, outcome = run_backup(switched, now=SECOND_NIGHT)

    assert outcome.succeeded, outcome.message
    assert len(asked_for) == 2
    assert not first_account_ids & set(new_ids_of(run))
    assert documents_in_drive(engine, OTHER_EMAIL) == {str(doc.uuid): 1}
    # That account's ids are of no use here any more.
    assert not first_account_ids & set(pooled(switched))
    assert set(
        ReservedDriveId.objects.filter(integration=switched).values_list(
            "google_account_id", flat=True
        )
    ) == {switched.google_account_id}


def test_an_old_pool_is_thrown_away(engine, documents_only, merchant, asked_for, settings):
    invoice(merchant, "FV 1/11/2026", NOV)
    run_backup(documents_only, now=FIRST_NIGHT)
    old = set(pooled(documents_only))
    days = settings.BACKUP_ID_POOL_MAX_AGE_DAYS
    ReservedDriveId.objects.update(created_at=timezone.now() - dt.timedelta(days=days, hours=1))
    invoice(merchant, "FV 2/11/2026", NOV)

    run, outcome = run_backup(documents_only, now=SECOND_NIGHT)

    assert outcome.succeeded, outcome.message
    assert len(asked_for) == 2
    assert not old & set(new_ids_of(run))
    assert not old & set(pooled(documents_only))


def test_a_pool_younger_than_the_limit_is_used(
    engine, documents_only, merchant, asked_for, settings
):
    invoice(merchant, "FV 1/11/2026", NOV)
    run_backup(documents_only, now=FIRST_NIGHT)
    days = settings.BACKUP_ID_POOL_MAX_AGE_DAYS
    ReservedDriveId.objects.update(created_at=timezone.now() - dt.timedelta(days=days - 1))
    invoice(merchant, "FV 2/11/2026", NOV)

    run_backup(documents_only, now=SECOND_NIGHT)

    assert asked_for == [100]


def test_a_refused_pooled_id_drops_the_pool_and_the_file_goes_with_a_fresh_one(
    engine, documents_only, merchant, asked_for
):
    invoice(merchant, "FV 1/11/2026", NOV)
    run_backup(documents_only, now=FIRST_NIGHT)
    # Ids Drive does not know (as if they had lapsed): it answers 400 "not usable".
    lapsed = [f"1lapsed{n:026d}" for n in range(5)]
    ReservedDriveId.objects.all().delete()
    ReservedDriveId.objects.bulk_create(
        ReservedDriveId(
            integration=documents_only,
            google_account_id=documents_only.google_account_id,
            drive_id=drive_id,
        )
        for drive_id in lapsed
    )
    late = invoice(merchant, "FV 2/11/2026", NOV)
    refused_before = counter(engine, "upload.create", "400")

    run, outcome = run_backup(documents_only, now=SECOND_NIGHT)

    assert outcome.succeeded, run.errors
    assert counter(engine, "upload.create", "400") - refused_before == 1
    assert len(asked_for) == 2
    [row] = BackedUpFile.objects.filter(document_uuid=late.uuid)
    assert row.state == "done" and row.drive_file_id not in lapsed
    assert app_client(documents_only).get_file(row.drive_file_id).md5 == row.md5
    assert not set(lapsed) & set(pooled(documents_only))


def test_fresh_ids_that_are_refused_fail_the_file_without_another_refill(
    engine, documents_only, merchant, monkeypatch
):
    calls: list[int] = []

    def unusable_ids(self, count):
        calls.append(count)
        return [f"1unusable{len(calls)}x{n:022d}" for n in range(count)]

    monkeypatch.setattr(DriveClient, "generate_ids", unusable_ids)
    invoice(merchant, "FV 1/11/2026", NOV)

    run, outcome = run_backup(documents_only, now=FIRST_NIGHT)

    assert outcome.status == BackupRun.Status.FAILED
    assert [e["code"] for e in run.errors] == ["rejected"]
    assert len(calls) == 1
    assert counter(engine, "drive.files.create", "400") == 1


def test_an_id_leaves_the_pool_only_with_the_row_that_holds_it(engine, documents_only):
    ReservedDriveId.objects.create(
        integration=documents_only, google_account_id="acct", drive_id="1kept"
    )
    pool = DriveIdPool(app_client(documents_only), documents_only, "acct")

    def failing_row(drive_id: str):
        raise IntegrityError("the ledger row could not be written")

    with pytest.raises(IntegrityError):
        pool.take(failing_row)
    assert list(ReservedDriveId.objects.values_list("drive_id", flat=True)) == ["1kept"]

    assert DriveIdPool(app_client(documents_only), documents_only, "acct").take(str) == "1kept"
    assert not ReservedDriveId.objects.exists()
