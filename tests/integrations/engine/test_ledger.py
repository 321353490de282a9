"""The ledger's exactly-once states, against an in-process Drive (no server, no Redis)."""

from __future__ import annotations

import pytest

from integrations.models import BackedUpFile, ReservedDriveId

from .conftest import pdf_upload

pytestmark = pytest.mark.django_db


def test_a_row_with_a_reserved_id_is_committed_before_anything_is_sent(attempt):
    ledger, _uploader = attempt.parts()

    row = ledger.reserve(pdf_upload())

    assert row.state == BackedUpFile.State.UPLOADING
    assert row.drive_file_id.startswith("id-")
    assert attempt.drive.counts["upload"] == 0
    # Taken from the pool in the same transaction: the id is in the row, not in the pool.
    assert not ReservedDriveId.objects.filter(drive_id=row.drive_file_id).exists()
    assert ReservedDriveId.objects.count() > 0


def test_an_unfinished_row_whose_file_landed_is_completed_without_sending_again(attempt):
    upload = pdf_upload()
    ledger, uploader = attempt.parts()
    attempt.drive.lose_next_answer()
    uploader.upload(upload)  # lands, but the answer is lost
    assert BackedUpFile.objects.get().state == BackedUpFile.State.UPLOADING

    ledger, _uploader = attempt.parts()
    assert ledger.reserve(pdf_upload(document_uuid=upload.document_uuid)) is None

    row = BackedUpFile.objects.get()
    assert row.state == BackedUpFile.State.DONE
    assert row.run == attempt.run
    assert attempt.drive.counts["upload"] == 1


def test_an_unfinished_row_that_never_landed_goes_again_under_its_id_with_todays_bytes(
    attempt,
):
    ledger, _uploader = attempt.parts()
    first = ledger.reserve(pdf_upload())
    again = pdf_upload(document_uuid=first.document_uuid)
    again.md5, again.size = "0" * 32, 99

    row = ledger.reserve(again)

    assert row.pk == first.pk and row.drive_file_id == first.drive_file_id
    assert (row.md5, row.size) == ("0" * 32, 99)


def test_other_bytes_under_the_id_fail_the_row_and_a_new_id_is_taken(attempt):
    upload = pdf_upload()
    ledger, _uploader = attempt.parts()
    row = ledger.reserve(upload)
    # Someone else's bytes under our id (a stale row): not ours.
    attempt.drive.upload(
        file_id=row.drive_file_id,
        name="x",
        parent_id="root",
        mimetype="application/pdf",
        stream=None,
        size=1,
        md5="f" * 32,
        app_properties={},
    )

    new = ledger.reserve(pdf_upload(document_uuid=upload.document_uuid))

    row.refresh_from_db()
    assert row.state == BackedUpFile.State.FAILED
    assert new.pk != row.pk and new.drive_file_id != row.drive_file_id


def test_a_copy_that_landed_in_the_trash_is_left_there_and_recorded_so(attempt):
    upload = pdf_upload()
    ledger, uploader = attempt.parts()
    uploader.upload(upload)
    row = BackedUpFile.objects.get()
    BackedUpFile.objects.filter(pk=row.pk).update(state=BackedUpFile.State.UPLOADING)
    attempt.drive.trash(attempt.drive.items[row.drive_file_id].parent)

    ledger.settle(BackedUpFile.objects.get(pk=row.pk))

    row.refresh_from_db()
    assert row.state == BackedUpFile.State.IN_TRASH
    assert row.drive_file_id in attempt.drive.items  # nothing deleted


def test_recovery_settles_rows_of_older_versions_and_leaves_the_current_ones(attempt):
    ledger, uploader = attempt.parts()
    lost = pdf_upload("FV 1/11/2026")
    attempt.drive.lose_next_answer()
    uploader.upload(lost)
    never_sent = ledger.reserve(pdf_upload("FV 2/11/2026"))

    ledger.recover_unfinished()

    states = dict(BackedUpFile.objects.values_list("name", "state"))
    # No such document any more (older version): asked about, closed either way.
    assert states == {"FV 1_11_2026.pdf": "done", "FV 2_11_2026.pdf": "failed"}
    assert never_sent.drive_file_id not in attempt.drive.items
