"""One file into Drive, with id and folder recovery, against an in-process Drive."""

from __future__ import annotations

import pytest

from integrations.engine.outcome import StopRun
from integrations.engine.upload import MAX_CONSECUTIVE_TRANSIENT_FAILURES
from integrations.google.errors import DriveError, ErrorKind
from integrations.models import BackedUpFile, GoogleDriveIntegration, ReservedDriveId

from .conftest import pdf_upload

pytestmark = pytest.mark.django_db


def states() -> list[str]:
    return list(BackedUpFile.objects.order_by("pk").values_list("state", flat=True))


def test_a_file_lands_in_its_month_folder_and_its_row_is_done(attempt):
    _ledger, uploader = attempt.parts()

    uploader.upload(pdf_upload())

    [stored] = attempt.drive.files()
    assert attempt.drive.path_of(stored.id) == "BaseLinker Backup/2026/11/Invoices/FV 1_11_2026.pdf"
    assert stored.app_properties["doc"]
    row = BackedUpFile.objects.get()
    assert (row.state, row.drive_file_id, row.size) == ("done", stored.id, stored.size)
    assert [u.number for u in attempt.report.uploaded] == ["FV 1/11/2026"]
    assert attempt.report.processed == 1


def test_a_lost_answer_is_recovered_by_the_next_attempt_without_a_second_copy(attempt):
    upload = pdf_upload()
    attempt.drive.lose_next_answer()
    _ledger, uploader = attempt.parts()
    uploader.upload(upload)
    assert attempt.report.failed == [("upload_failed", True)]

    _ledger, uploader = attempt.parts()
    uploader.upload(pdf_upload(document_uuid=upload.document_uuid))

    assert len(attempt.drive.files()) == 1
    assert attempt.drive.counts["upload"] == 1
    assert states() == ["done"]


def test_a_trashed_folder_keeps_its_copy_and_the_file_goes_into_a_new_folder(attempt):
    _ledger, uploader = attempt.parts()
    uploader.upload(pdf_upload("FV 1/11/2026"))
    month = attempt.drive.items[attempt.drive.files()[0].parent].parent
    attempt.drive.trash(month)

    _ledger, uploader = attempt.parts()
    uploader.upload(pdf_upload("FV 2/11/2026"))

    assert states() == ["done", "in_trash", "done"]
    live = [f for f in attempt.drive.files() if not attempt.drive.in_trash(f.id)]
    assert [attempt.drive.path_of(f.id) for f in live] == [
        "BaseLinker Backup/2026/11/Invoices/FV 2_11_2026.pdf"
    ]
    assert len(attempt.drive.files()) == 3  # nothing deleted


def test_a_folder_deleted_for_good_is_made_again_and_the_same_id_is_used(attempt):
    _ledger, uploader = attempt.parts()
    uploader.upload(pdf_upload("FV 1/11/2026"))
    attempt.drive.delete(attempt.drive.files()[0].parent)

    _ledger, uploader = attempt.parts()
    uploader.upload(pdf_upload("FV 2/11/2026"))

    row = BackedUpFile.objects.get(name="FV 2_11_2026.pdf")
    assert row.state == "done"
    assert attempt.drive.items[row.drive_file_id].name == "FV 2_11_2026.pdf"
    assert attempt.drive.counts["create_folder"] == 4 + 1


def test_a_refused_reserved_id_drops_the_pool_and_the_row_takes_another(attempt):
    _ledger, uploader = attempt.parts()
    uploader.upload(pdf_upload("FV 1/11/2026"))  # the tree exists; the pool holds old ids
    _ledger, uploader = attempt.parts()
    # Ids of the pool lapsed (Google promises no lifetime); fresh ones are fine.
    attempt.drive.refused_ids.update(ReservedDriveId.objects.values_list("drive_id", flat=True))

    uploader.upload(pdf_upload("FV 2/11/2026"))

    row = BackedUpFile.objects.get(name="FV 2_11_2026.pdf")
    assert row.state == "done" and row.drive_file_id not in attempt.drive.refused_ids
    assert attempt.drive.counts["generate_ids"] == 2


def test_other_bytes_stored_fail_the_file_for_a_retry(attempt):
    upload = pdf_upload()
    _ledger, uploader = attempt.parts()
    uploader.upload(upload)
    row = BackedUpFile.objects.get()
    BackedUpFile.objects.filter(pk=row.pk).update(state="uploading")
    attempt.drive.items[row.drive_file_id].md5 = "0" * 32

    _ledger, uploader = attempt.parts()
    uploader.upload(pdf_upload(document_uuid=upload.document_uuid))

    assert states() == ["failed", "done"]


@pytest.mark.parametrize(
    ("error", "expected"),
    [
        (DriveError(ErrorKind.PERMANENT, "bad request", status=400), ("rejected", False)),
        (DriveError(ErrorKind.TRANSIENT, "503", status=503), ("upload_failed", True)),
    ],
)
def test_a_failure_of_one_file_is_recorded_and_the_run_goes_on(attempt, error, expected):
    _ledger, uploader = attempt.parts()
    # A refusal in unknown words is tried once more without the reserved id: twice.
    attempt.drive.fail_next("upload", error, times=2 if error.permanent else 1)

    uploader.upload(pdf_upload("FV 1/11/2026"))
    uploader.upload(pdf_upload("FV 2/11/2026"))

    assert attempt.report.failed == [expected]
    assert [u.number for u in attempt.report.uploaded] == ["FV 2/11/2026"]
    assert attempt.report.processed == 2


def test_transient_failures_in_a_row_stop_the_run_for_a_retry(attempt):
    _ledger, uploader = attempt.parts()
    attempt.drive.fail_next(
        "upload",
        DriveError(ErrorKind.TRANSIENT, "503", status=503),
        times=MAX_CONSECUTIVE_TRANSIENT_FAILURES,
    )
    for n in range(MAX_CONSECUTIVE_TRANSIENT_FAILURES - 1):
        uploader.upload(pdf_upload(f"FV {n}/11/2026"))

    with pytest.raises(StopRun) as stop:
        uploader.upload(pdf_upload("FV 9/11/2026"))

    assert (stop.value.code, stop.value.reason, stop.value.retryable) == (
        "google_unavailable",
        "transient",
        True,
    )


@pytest.mark.parametrize(
    ("error", "code"),
    [
        (DriveError(ErrorKind.ACCESS_LOST, "401", status=401), "access_lost"),
        (DriveError(ErrorKind.QUOTA, "storageQuotaExceeded", status=403), "quota"),
    ],
)
def test_what_only_the_merchant_can_fix_stops_the_run_at_once(attempt, error, code):
    _ledger, uploader = attempt.parts()
    attempt.drive.fail_next("upload", error)

    with pytest.raises(StopRun) as stop:
        uploader.upload(pdf_upload())

    assert (stop.value.code, stop.value.retryable) == (code, False)
    integration = GoogleDriveIntegration.objects.get()
    lost = integration.status == GoogleDriveIntegration.Status.ACCESS_LOST
    assert lost == (code == "access_lost")


def test_a_refusal_in_unknown_words_is_answered_by_an_upload_without_the_reserved_id(attempt):
    _ledger, uploader = attempt.parts()
    attempt.drive.fail_next("upload", DriveError(ErrorKind.PERMANENT, "odd", status=400))

    uploader.upload(pdf_upload("FV 1/11/2026"))
    uploader.upload(pdf_upload("FV 2/11/2026"))

    assert [u.number for u in attempt.report.uploaded] == ["FV 1/11/2026", "FV 2/11/2026"]
    rows = BackedUpFile.objects.order_by("id")
    # Drive's own ids are recorded; the second file went without one straight away.
    assert [r.drive_file_id.startswith("drive-") for r in rows] == [True, True]
    assert attempt.drive.counts["upload"] == 3
    assert attempt.drive.counts["find_landed"] == 2
