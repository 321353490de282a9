""" "Check my backup": what Drive holds of the ledger's copies, one category each, at list cost."""

from __future__ import annotations

import datetime as dt
import math

import pytest

from integrations import verify
from integrations.engine.folders import APP_TAG
from integrations.engine.locking import IntegrationLock
from integrations.google.pacing import default_backoff
from integrations.models import BackedUpFile, GoogleDriveIntegration, VerifyReport
from tests.conftest import FAKE_CLIENT_ID

from .drive_user import ONE_OF_EACH, check, folder_id, one_of_each, trash
from .helpers import MONTH, counter, md5


def test_everything_present_after_a_backup(engine, documents_only, backed_up):
    report = check(documents_only)

    assert report.status == VerifyReport.Status.DONE
    assert report.counts() == {
        "present": 6,
        "changed": 0,
        "trashed": 0,
        "missing": 0,
        "moved": 0,
        "unknown": 0,
    }
    assert report.files == []


def test_each_category_is_told_apart(engine, documents_only, backed_up):
    stray_id = one_of_each(engine, documents_only, backed_up)

    report = check(documents_only)

    assert report.counts() == ONE_OF_EACH
    by_category = {f["category"]: f for f in report.files}
    assert by_category["changed"]["name"] == "FV 1_11_2026.pdf"
    assert by_category["trashed"]["name"] == "FV 2_11_2026.pdf"
    assert by_category["missing"]["name"] == "FV 3_11_2026.pdf"
    assert by_category["moved"]["name"] == "FV 4_11_2026.pdf"
    assert by_category["moved"]["folder"] == f"{MONTH.lstrip('/')}/Invoices"
    assert by_category["unknown"] == {
        "category": "unknown",
        "name": "FV 99_11_2026.pdf",
        "folder": f"{MONTH.lstrip('/')}/Invoices",
        "drive_id": stray_id,
    }
    # A check changes nothing: not Drive, not the ledger.
    assert BackedUpFile.objects.filter(state="done").count() == 6
    assert len(engine.state_dump()["deletes"]) == 1  # the merchant's own


def test_a_trashed_folder_puts_its_files_in_the_trash(engine, documents_only, backed_up):
    trash(documents_only, folder_id(engine, MONTH))

    assert check(documents_only).counts()["trashed"] == 6


def test_one_check_at_a_time(engine, documents_only, backed_up):
    first = verify.request_check(documents_only.pk, VerifyReport.Trigger.MANUAL)

    with pytest.raises(verify.CheckRefused) as refused:
        verify.request_check(documents_only.pk, VerifyReport.Trigger.MANUAL)

    assert refused.value.reason == verify.CheckRefused.ALREADY_ACTIVE
    assert refused.value.report == first


def test_a_running_backup_makes_the_check_wait(engine, documents_only, backed_up):
    report = verify.request_check(documents_only.pk, VerifyReport.Trigger.MANUAL)
    lock = IntegrationLock(documents_only.pk)
    assert lock.acquire()
    try:
        with pytest.raises(verify.CheckBusy):
            verify.execute_check(report.pk)
    finally:
        lock.release()
    assert verify.execute_check(report.pk).status == VerifyReport.Status.DONE


def test_checks_run_by_themselves_once_a_month(engine, documents_only, backed_up):
    connected = documents_only.connected_at
    assert verify.request_monthly_checks(connected + dt.timedelta(days=29)) == []

    (due,) = verify.request_monthly_checks(connected + dt.timedelta(days=31))
    verify.execute_check(due.pk)

    assert verify.request_monthly_checks(connected + dt.timedelta(days=45)) == []
    assert len(verify.request_monthly_checks(connected + dt.timedelta(days=62))) == 1


# --- what it costs ----------------------------------------------------------------------------


def seed_backed_up_files(engine, integration, folder_id: str, count: int) -> None:
    """`count` files of ours in Drive with their done ledger rows, without uploading each."""
    rows = []
    for n in range(count):
        content = f"%PDF-1.7 receipt {n}".encode()
        drive_id = engine.seed_user_file(
            "merchant@example.com",
            f"PAR {n}_11_2026.pdf",
            mime_type="application/pdf",
            parent_id=folder_id,
            content=content,
            app_properties={"app": APP_TAG, "kind": "receipt"},
            created_by_client=FAKE_CLIENT_ID,
        )
        rows.append(
            BackedUpFile(
                integration=integration,
                google_account_id=integration.google_account_key,
                kind=BackedUpFile.Kind.RECEIPT,
                fingerprint=f"{n:064d}",
                name=f"PAR {n}_11_2026.pdf",
                folder_path=f"{MONTH.lstrip('/')}/Invoices",
                drive_file_id=drive_id,
                md5=md5(content),
                state=BackedUpFile.State.DONE,
            )
        )
    BackedUpFile.objects.bulk_create(rows)


def test_a_check_costs_one_listing_request_per_thousand_files(engine, documents_only, backed_up):
    seed_backed_up_files(engine, documents_only, folder_id(engine, f"{MONTH}/Invoices"), 2500)
    lists_before = counter(engine, "drive.files.list")
    requests_before = counter(engine, "drive") + counter(engine, "upload")

    report = check(documents_only)

    files = 2506 + 5  # 2,506 files and the 5 folders of the tree, all listed
    listings = counter(engine, "drive.files.list") - lists_before
    assert listings == math.ceil(files / 1000) == 3
    # Nothing else: no get per file, no write.
    assert counter(engine, "drive") + counter(engine, "upload") - requests_before == listings
    assert report.drive_calls == listings
    assert report.counts()["present"] == 2506


# --- when it cannot finish, and what it does not count ---------------------------------------


def test_a_revoked_grant_fails_the_check_and_marks_access_lost(engine, documents_only, backed_up):
    engine.user_revokes_app("merchant@example.com")

    report = check(documents_only)

    assert (report.status, report.error) == (VerifyReport.Status.FAILED, verify.ACCESS_LOST)
    documents_only.refresh_from_db()
    assert documents_only.status == GoogleDriveIntegration.Status.ACCESS_LOST


def test_google_down_fails_the_check_after_the_retries(engine, documents_only, backed_up):
    attempts = default_backoff().max_attempts
    engine.inject_fault("503", count=attempts, endpoint="drive.files.list")

    report = check(documents_only)

    assert (report.status, report.error) == (VerifyReport.Status.FAILED, verify.GOOGLE_UNAVAILABLE)
    assert report.drive_calls == attempts  # retried before giving up
    # The next check is not refused because of this one.
    assert check(documents_only).status == VerifyReport.Status.DONE


def test_copies_left_in_the_trash_on_purpose_are_known(engine, documents_only, backed_up):
    """A copy the ledger says went to the trash with its folder is no current copy, and no
    stranger either."""
    row = backed_up["FV 5_11_2026.pdf"]
    trash(documents_only, row.drive_file_id)
    BackedUpFile.objects.filter(pk=row.pk).update(state=BackedUpFile.State.IN_TRASH)

    assert check(documents_only).counts() == {**ONE_OF_EACH_ZERO, "present": 5}


ONE_OF_EACH_ZERO = dict.fromkeys(ONE_OF_EACH, 0)
