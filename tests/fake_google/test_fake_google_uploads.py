"""Uploads (media, multipart, resumable) through googleapiclient's MediaUpload classes."""

from __future__ import annotations

import http.client
import io
import random

import pytest
from googleapiclient.errors import HttpError
from googleapiclient.http import MediaIoBaseUpload

from tests.fake_google.helpers import (
    MERCHANT,
    error_reason,
    finish_upload,
    make_folder,
    md5,
    resumable_create,
    upload,
)

KIB = 1024
CHUNK = 256 * KIB


def _payload(size: int, seed: int = 1) -> bytes:
    return random.Random(seed).randbytes(size)


def test_simple_media_upload(drive):
    media = MediaIoBaseUpload(io.BytesIO(b"a;b\n1;2\n"), mimetype="text/csv")

    created = drive.files().create(media_body=media, fields="name,mimeType,md5Checksum").execute()

    assert created == {
        "name": "Untitled",
        "mimeType": "text/csv",
        "md5Checksum": md5(b"a;b\n1;2\n"),
    }


def test_multipart_upload_keeps_binary_content_intact(fake_google, drive):
    data = bytes(range(256)) * 40 + b"\r\n--not-a-boundary\r\n\r"
    folder = make_folder(drive, "Invoices")

    created = upload(
        drive, "FV 1.pdf", data, folder, "application/pdf", appProperties={"doc": "u-1"}
    )

    assert created["md5Checksum"] == md5(data)
    assert created["size"] == str(len(data))
    assert created["parents"] == [folder]
    assert created["appProperties"] == {"doc": "u-1"}
    (stored,) = [f for f in fake_google.files(MERCHANT) if f["name"] == "FV 1.pdf"]
    assert stored["path"] == "/Invoices/FV 1.pdf"
    assert stored["mimeType"] == "application/pdf"


def test_multipart_upload_with_a_generated_id(drive):
    (file_id,) = drive.files().generateIds(count=1).execute()["ids"]

    created = upload(drive, "a.pdf", b"%PDF", id=file_id)

    assert created["id"] == file_id
    with pytest.raises(HttpError) as excinfo:
        upload(drive, "a.pdf", b"%PDF", id=file_id)
    assert error_reason(excinfo.value) == "fileIdInUse"


def test_resumable_upload_in_256_kib_chunks(fake_google, drive):
    data = _payload(700 * KIB)
    request = resumable_create(drive, data)

    progress = []
    response = None
    while response is None:
        status, response = request.next_chunk()
        if status:
            progress.append(status.resumable_progress)

    assert progress == [CHUNK, 2 * CHUNK]
    assert response["md5Checksum"] == md5(data)
    assert response["size"] == str(len(data))
    counters = fake_google.state_dump()["counters"]
    assert counters["upload.create.resumable"] == {"200": 1}
    assert counters["upload.resumable.put"] == {"308": 2, "201": 1}


def test_chunks_that_are_not_multiples_of_256_kib_are_partly_kept(drive):
    data = _payload(700 * KIB)
    request = resumable_create(drive, data, chunksize=300 * KIB)

    status, _ = request.next_chunk()

    assert status.resumable_progress == CHUNK  # the server kept only whole 256 KiB units
    assert finish_upload(request)["md5Checksum"] == md5(data)


def test_non_final_chunks_below_256_kib_are_refused(drive):
    request = resumable_create(drive, _payload(300 * KIB), chunksize=100 * KIB)

    with pytest.raises(HttpError) as excinfo:
        request.next_chunk()

    assert excinfo.value.status_code == 400
    assert "262144" in excinfo.value.reason


def test_resumable_upload_resumes_after_a_broken_connection(fake_google, drive):
    # httplib2 re-sends the chunk once on a dropped connection, but googleapiclient's stream is
    # already consumed: the server waits for a body that never comes and hangs up.
    fake_google.configure(body_timeout_s=0.2)
    data = _payload(700 * KIB)
    request = resumable_create(drive, data)
    request.next_chunk()

    fake_google.inject_fault("drop_after_write", endpoint="upload.resumable.put")
    with pytest.raises(http.client.RemoteDisconnected):
        request.next_chunk()

    # The next call asks "bytes */N" where the upload stands (2 chunks), then sends the rest.
    _, response = request.next_chunk()
    assert request.resumable_progress == 2 * CHUNK
    assert response["md5Checksum"] == md5(data)
    assert len(fake_google.files(MERCHANT)) == 1
    puts = fake_google.state_dump()["counters"]["upload.resumable.put"]
    assert (puts["dropped"], puts["body_timeout"]) == (1, 1)


def test_resumable_upload_resumes_after_a_server_error(fake_google, drive):
    data = _payload(600 * KIB)
    request = resumable_create(drive, data)
    request.next_chunk()

    fake_google.inject_fault("503", endpoint="upload.resumable.put")
    with pytest.raises(HttpError) as excinfo:
        request.next_chunk()
    assert excinfo.value.status_code == 503

    assert finish_upload(request)["md5Checksum"] == md5(data)


def test_lost_answer_to_the_last_chunk_is_recovered_by_a_status_query(fake_google, drive):
    fake_google.configure(body_timeout_s=0.2)
    data = _payload(300 * KIB)
    request = resumable_create(drive, data)
    request.next_chunk()

    fake_google.inject_fault("drop_after_write", endpoint="upload.resumable.put")
    with pytest.raises(http.client.RemoteDisconnected):
        request.next_chunk()

    _, response = request.next_chunk()
    assert response["md5Checksum"] == md5(data)
    assert len(fake_google.files(MERCHANT)) == 1


def test_resumable_create_with_a_used_id_fails_at_initiation(drive):
    (file_id,) = drive.files().generateIds(count=1).execute()["ids"]
    finish_upload(resumable_create(drive, _payload(10 * KIB), id=file_id))

    with pytest.raises(HttpError) as excinfo:
        resumable_create(drive, _payload(10 * KIB), id=file_id).next_chunk()

    assert excinfo.value.status_code == 409


def test_resumable_upload_into_a_trashed_folder_lands_in_the_trash(drive):
    folder = make_folder(drive, "Invoices", trashed=True)
    media = MediaIoBaseUpload(
        io.BytesIO(_payload(300 * KIB)), mimetype="application/pdf", chunksize=CHUNK, resumable=True
    )
    request = drive.files().create(
        body={"name": "big.pdf", "parents": [folder]}, media_body=media, fields="id,trashed"
    )

    assert finish_upload(request)["trashed"] is True


def test_resumable_upload_into_a_deleted_folder_is_404_at_initiation(drive):
    folder = make_folder(drive, "Invoices")
    drive.files().delete(fileId=folder).execute()

    with pytest.raises(HttpError) as excinfo:
        resumable_create(drive, _payload(10 * KIB), parents=[folder]).next_chunk()

    assert excinfo.value.status_code == 404
    assert error_reason(excinfo.value) == "notFound"


def test_empty_fileresumable_create(drive):
    assert finish_upload(resumable_create(drive, b""))["size"] == "0"


def test_update_content_with_media_andresumable_create(drive):
    file_id = upload(drive, "a.csv", b"old")["id"]

    simple = MediaIoBaseUpload(io.BytesIO(b"newer"), mimetype="text/csv")
    updated = drive.files().update(fileId=file_id, media_body=simple, fields="md5Checksum,version")
    assert updated.execute() == {"md5Checksum": md5(b"newer"), "version": "2"}

    data = _payload(300 * KIB)
    media = MediaIoBaseUpload(
        io.BytesIO(data), mimetype="text/csv", chunksize=CHUNK, resumable=True
    )
    request = drive.files().update(fileId=file_id, media_body=media, fields="md5Checksum")
    assert finish_upload(request) == {"md5Checksum": md5(data)}
