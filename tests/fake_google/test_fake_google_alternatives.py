"""The knobs for answers Google does not document, each set over the control API at run time
and met through googleapiclient, as the app meets Google (README "Alternative answers")."""

from __future__ import annotations

import random
from urllib.parse import parse_qs, urlsplit

import pytest
import requests
from googleapiclient.errors import HttpError

from tests.fake_google.helpers import (
    MERCHANT,
    error_reason,
    finish_upload,
    make_flow,
    make_folder,
    md5,
    resumable_create,
    upload,
)

CHUNK = 256 * 1024


def set_knobs(fake, **knobs) -> dict:
    """Change knobs as another process would: POST /_fake/config."""
    answer = requests.post(f"{fake.url}/_fake/config", json=knobs, timeout=10)
    assert answer.status_code == 200, answer.text
    return answer.json()


def inject(fake, **fault) -> None:
    answer = requests.post(f"{fake.url}/_fake/faults", json=fault, timeout=10)
    assert answer.status_code == 200, answer.text


def reserve_id(drive) -> str:
    (file_id,) = drive.files().generateIds(count=1, space="drive", type="files").execute()["ids"]
    return file_id


def resumable(drive, data: bytes, **body):
    return resumable_create(drive, data, fields="id,md5Checksum,trashed", **body)


def payload(size: int) -> bytes:
    return random.Random(size).randbytes(size)


def our_files(fake) -> list[dict]:
    return [f for f in fake.files(MERCHANT) if f["created_by_client"] and not f["folder"]]


# --- the control API -------------------------------------------------------------------


def test_every_alternative_is_off_by_default_and_settable_at_run_time(fake_google):
    defaults = requests.get(f"{fake_google.url}/_fake/config", timeout=10).json()
    assert {
        k: defaults[k]
        for k in (
            "id_in_use_reason",
            "id_refusal",
            "upload_ids",
            "resumable_id_check",
            "generated_id_lifetime_s",
            "trashed_parent",
            "expired_session_status",
            "account_write_refusal",
            "omit_md5_in_create",
            "replace_client_id",
        )
    } == {
        "id_in_use_reason": "fileIdInUse",
        "id_refusal": "fileIdNotUsable",
        "upload_ids": "accept",
        "resumable_id_check": "start",
        "generated_id_lifetime_s": None,
        "trashed_parent": "trash",
        "expired_session_status": 404,
        "account_write_refusal": None,
        "omit_md5_in_create": False,
        "replace_client_id": False,
    }

    changed = set_knobs(
        fake_google,
        id_in_use_reason="duplicate",
        upload_ids="refuse",
        expired_session_status="410",
        omit_md5_in_create="true",
    )

    assert changed["id_in_use_reason"] == "duplicate"
    assert changed["upload_ids"] == "refuse"
    assert changed["expired_session_status"] == 410
    assert changed["omit_md5_in_create"] is True


@pytest.mark.parametrize(
    "knobs",
    [
        {"upload_ids": "sometimes"},
        {"resumable_id_check": "never"},
        {"trashed_parent": "delete"},
        {"expired_session_status": 500},
        {"account_write_refusal": "storageQuotaExceeded"},
        {"id_refusal": "polite"},
        {"id_in_use_reason": ""},
        {"generated_id_lifetime_s": -1},
    ],
)
def test_a_knob_outside_its_choices_is_refused_with_a_message(fake_google, knobs):
    answer = requests.post(f"{fake_google.url}/_fake/config", json=knobs, timeout=10)

    assert answer.status_code == 400
    assert next(iter(knobs)) in answer.json()["error"]


# --- 1. the 409 of a taken id ----------------------------------------------------------


def test_the_409_of_a_taken_id_can_carry_another_reason(fake_google, drive):
    set_knobs(fake_google, id_in_use_reason="duplicate")
    file_id = reserve_id(drive)
    upload(drive, "a.pdf", b"%PDF-1", id=file_id)

    with pytest.raises(HttpError) as excinfo:
        upload(drive, "a.pdf", b"%PDF-1", id=file_id)

    assert excinfo.value.resp.status == 409
    assert error_reason(excinfo.value) == "duplicate"
    assert len(our_files(fake_google)) == 1


# --- 2. generated ids in uploads -------------------------------------------------------


def test_uploads_may_refuse_generated_ids_while_folders_take_them(fake_google, drive):
    set_knobs(fake_google, upload_ids="refuse")
    folder_id = reserve_id(drive)
    assert make_folder(drive, "Invoices", id=folder_id) == folder_id

    with pytest.raises(HttpError) as excinfo:
        upload(drive, "a.pdf", b"%PDF-1", folder_id, id=reserve_id(drive))

    assert excinfo.value.resp.status == 400
    assert error_reason(excinfo.value) == "fileIdNotUsable"
    assert our_files(fake_google) == []
    # The same upload without an id lands.
    assert upload(drive, "a.pdf", b"%PDF-1", folder_id)["md5Checksum"] == md5(b"%PDF-1")


def test_a_resumable_create_has_its_id_refused_when_the_session_opens(fake_google, drive):
    set_knobs(fake_google, upload_ids="refuse")
    request = resumable(drive, payload(CHUNK + 10), id=reserve_id(drive))

    with pytest.raises(HttpError) as excinfo:
        request.next_chunk(num_retries=0)

    assert excinfo.value.resp.status == 400
    assert counter(fake_google, "upload.resumable.put") == 0


def test_a_resumable_create_may_have_its_id_refused_only_with_the_last_chunk(fake_google, drive):
    set_knobs(fake_google, upload_ids="refuse", resumable_id_check="final")
    request = resumable(drive, payload(2 * CHUNK + 10), id=reserve_id(drive))

    status, _ = request.next_chunk(num_retries=0)  # the session opened, one chunk taken
    assert status.resumable_progress == CHUNK
    request.next_chunk(num_retries=0)
    with pytest.raises(HttpError) as excinfo:
        request.next_chunk(num_retries=0)

    assert excinfo.value.resp.status == 400
    assert counter(fake_google, "upload.resumable.put") == 3
    assert our_files(fake_google) == []


@pytest.mark.parametrize(
    ("style", "status", "reason", "message"),
    [
        ("fileIdNotUsable", 400, "fileIdNotUsable", "The provided file ID is not usable."),
        ("invalid", 400, "invalid", "The provided file ID is not usable."),
        (
            "notSupported",
            403,
            "insufficientFilePermissions",
            "Generated IDs are not supported for this upload type.",
        ),
    ],
)
def test_an_id_drive_did_not_issue_is_refused_in_each_wording(
    fake_google, drive, style, status, reason, message
):
    set_knobs(fake_google, id_refusal=style)

    with pytest.raises(HttpError) as excinfo:
        upload(drive, "a.pdf", b"%PDF-1", id="1NeverIssuedByGenerateIdsAtAllxxxx")

    assert excinfo.value.resp.status == status
    assert error_reason(excinfo.value) == reason
    assert excinfo.value.error_details[0]["message"] == message


def test_generated_ids_may_lapse(fake_google, drive):
    set_knobs(fake_google, generated_id_lifetime_s=3600)
    fresh, old = reserve_id(drive), reserve_id(drive)
    upload(drive, "fresh.pdf", b"%PDF-1", id=fresh)
    fake_google.clock.advance(3601)

    with pytest.raises(HttpError) as excinfo:
        upload(drive, "old.pdf", b"%PDF-2", id=old)

    assert error_reason(excinfo.value) == "fileIdNotUsable"
    assert [f["name"] for f in our_files(fake_google)] == ["fresh.pdf"]


# --- 3. a create inside a trashed folder ----------------------------------------------


def _trashed_folder(drive) -> str:
    folder = make_folder(drive, "Invoices")
    drive.files().update(fileId=folder, body={"trashed": True}).execute()
    return folder


def test_by_default_a_file_made_in_a_trashed_folder_lands_in_the_trash(fake_google, drive):
    created = upload(drive, "a.pdf", b"%PDF-1", _trashed_folder(drive), fields="id,trashed")

    assert created["trashed"] is True


def test_a_create_in_a_trashed_folder_may_be_refused(fake_google, drive):
    set_knobs(fake_google, trashed_parent="refuse")
    folder = _trashed_folder(drive)

    with pytest.raises(HttpError) as excinfo:
        upload(drive, "a.pdf", b"%PDF-1", folder)
    with pytest.raises(HttpError):
        make_folder(drive, "2026", folder)
    with pytest.raises(HttpError):
        resumable(drive, payload(CHUNK + 1), parents=[folder]).next_chunk(num_retries=0)

    assert excinfo.value.resp.status == 400
    assert error_reason(excinfo.value) == "parentTrashed"
    assert our_files(fake_google) == []


# --- 4. a gone resumable session ------------------------------------------------------


@pytest.mark.parametrize("status", [404, 410])
def test_an_expired_session_answers_the_configured_status(fake_google, drive, status):
    set_knobs(fake_google, expired_session_status=status)
    request = resumable(drive, payload(2 * CHUNK + 10))
    request.next_chunk(num_retries=0)
    inject(fake_google, kind="expire_session", endpoint="upload.resumable.put")

    with pytest.raises(HttpError) as excinfo:
        request.next_chunk(num_retries=0)

    assert excinfo.value.resp.status == status
    # A new session for the same upload works.
    assert finish_upload(resumable(drive, payload(2 * CHUNK + 10)))["md5Checksum"]


def test_sessions_expire_after_their_lifetime(fake_google, drive):
    set_knobs(fake_google, upload_session_lifetime_s=60)
    request = resumable(drive, payload(2 * CHUNK + 10))
    request.next_chunk(num_retries=0)
    fake_google.clock.advance(61)

    with pytest.raises(HttpError) as excinfo:
        request.next_chunk(num_retries=0)

    assert excinfo.value.resp.status == 404


# --- 5. an account-wide refusal -------------------------------------------------------


@pytest.mark.parametrize("reason", ["activeItemCreationLimitExceeded", "domainPolicy"])
def test_an_account_may_refuse_every_create(fake_google, drive, reason):
    folder = make_folder(drive, "Invoices")
    set_knobs(fake_google, account_write_refusal=reason)

    for create in (
        lambda: upload(drive, "a.pdf", b"%PDF-1", folder),
        lambda: make_folder(drive, "2026", folder),
        lambda: resumable(drive, payload(CHUNK + 1)).next_chunk(num_retries=0),
    ):
        with pytest.raises(HttpError) as excinfo:
            create()
        assert excinfo.value.resp.status == 403
        assert error_reason(excinfo.value) == reason
    # Reads still work.
    assert drive.files().get(fileId=folder, fields="id").execute() == {"id": folder}


# --- 6. a create answer without md5Checksum -------------------------------------------


def test_a_create_answer_may_leave_out_md5_although_asked(fake_google, drive):
    set_knobs(fake_google, omit_md5_in_create=True)

    small = upload(drive, "a.pdf", b"%PDF-1", fields="id,md5Checksum,size")
    big = finish_upload(resumable(drive, payload(CHUNK + 10)))

    assert "md5Checksum" not in small and small["size"] == "6"
    assert "md5Checksum" not in big
    stored = drive.files().get(fileId=small["id"], fields="md5Checksum").execute()
    assert stored == {"md5Checksum": md5(b"%PDF-1")}


# --- 7. a create that ignores the chosen id -------------------------------------------


def test_a_create_may_put_the_file_under_another_id(fake_google, drive):
    set_knobs(fake_google, replace_client_id=True)
    wanted = reserve_id(drive)

    created = upload(drive, "a.pdf", b"%PDF-1", id=wanted)

    assert created["id"] != wanted
    (stored,) = our_files(fake_google)
    assert stored["id"] == created["id"]
    with pytest.raises(HttpError) as excinfo:
        drive.files().get(fileId=wanted).execute()
    assert excinfo.value.resp.status == 404


# --- smaller fidelity points ----------------------------------------------------------


def test_a_chunk_that_skips_ahead_answers_503_in_plain_text_and_the_upload_recovers(
    fake_google, drive
):
    data = payload(3 * CHUNK + 10)
    request = resumable(drive, data)
    request.next_chunk(num_retries=0)
    request.resumable_progress += CHUNK  # a client that lost track of the offset

    with pytest.raises(HttpError) as excinfo:
        request.next_chunk(num_retries=0)

    assert excinfo.value.resp.status == 503
    assert excinfo.value.resp["content-type"].startswith("text/plain")
    assert excinfo.value.content.decode() == (
        "Invalid request.  According to the Content-Range header, the upload offset is "
        f"{2 * CHUNK} byte(s), which exceeds already uploaded size of {CHUNK} byte(s)."
    )
    # In error state, the next call asks where the session stands and resends from there.
    assert finish_upload(request)["md5Checksum"] == md5(data)


def test_the_consent_redirect_names_google_as_issuer(fake_google):
    flow = make_flow(fake_google)
    url, state = flow.authorization_url(prompt="consent", access_type="offline")

    callback = fake_google.authorize(url, MERCHANT)

    query = parse_qs(urlsplit(callback).query)
    assert query["iss"] == ["https://accounts.google.com"]
    assert query["state"] == [state]
    flow.fetch_token(authorization_response=callback)
    assert flow.credentials.refresh_token


def counter(fake, endpoint: str) -> int:
    return sum(
        sum(counts.values())
        for name, counts in fake.state_dump()["counters"].items()
        if name == endpoint or name.startswith(endpoint + ".")
    )
