"""Faults and limits: seeded errors, dropped connections, write rate, quota, latency."""

from __future__ import annotations

import json
import threading
import time

import pytest
import requests
from googleapiclient.errors import HttpError

from tests.fake_google.helpers import (
    MERCHANT,
    OTHER,
    connect,
    drive_service,
    error_reason,
    make_folder,
    upload,
)


def _statuses(drive, n: int) -> list[int]:
    statuses = []
    for _ in range(n):
        try:
            drive.files().list().execute()
            statuses.append(200)
        except HttpError as exc:
            statuses.append(exc.status_code)
    return statuses


def test_faults_are_off_by_default(drive):
    assert set(_statuses(drive, 20)) == {200}


def test_seeded_error_probabilities_replay_exactly(fake_google, drive):
    knobs = {"seed": 42, "p_500": 0.2, "p_503": 0.2, "p_429": 0.2}
    fake_google.configure(**knobs)
    first = _statuses(drive, 40)

    fake_google.configure(**knobs)  # re-seeding restarts the dice
    second = _statuses(drive, 40)

    assert first == second
    assert {500, 503, 429, 200} == set(first)


def test_error_bodies_carry_the_reasons_googleapiclient_retries_on(fake_google, drive):
    fake_google.configure(retry_after_s=7)
    expected = {
        "500": (500, "backendError", None),
        "503": (503, "backendError", "7"),
        "429": (429, "rateLimitExceeded", "7"),
        "rate_limit": (403, "userRateLimitExceeded", None),
        "quota": (403, "storageQuotaExceeded", None),
    }
    for kind, (status, reason, retry_after) in expected.items():
        fake_google.inject_fault(kind)
        with pytest.raises(HttpError) as excinfo:
            drive.files().list().execute()
        assert (excinfo.value.status_code, error_reason(excinfo.value)) == (status, reason)
        assert excinfo.value.resp.get("retry-after") == retry_after


def test_googleapiclient_retries_user_rate_limit_errors(fake_google, drive):
    fake_google.inject_fault("rate_limit", count=2)
    request = drive.files().list()
    request._sleep = lambda seconds: None  # keep the test fast; the backoff is the client's

    assert request.execute(num_retries=3)["files"] == []
    assert fake_google.state_dump()["counters"]["drive.files.list"] == {"403": 2, "200": 1}


def test_dropped_connection_after_a_create_makes_a_silent_duplicate(fake_google, drive):
    # The server stores the file and hangs up; httplib2 re-sends once and gets the answer.
    fake_google.inject_fault("drop_after_write", endpoint="upload.create")

    created = upload(drive, "FV 1.pdf", b"%PDF-1.7", mimetype="application/pdf")

    names = [f["name"] for f in fake_google.files(MERCHANT)]
    assert names == ["FV 1.pdf", "FV 1.pdf"]
    assert created["id"] == fake_google.files(MERCHANT)[1]["id"]
    assert fake_google.state_dump()["counters"]["upload.create.multipart"] == {
        "dropped": 1,
        "200": 1,
    }


def test_dropped_connection_after_a_create_with_a_reserved_id_answers_409(fake_google, drive):
    (file_id,) = drive.files().generateIds(count=1).execute()["ids"]
    fake_google.inject_fault("drop_after_write", endpoint="upload.create")

    with pytest.raises(HttpError) as excinfo:
        upload(drive, "FV 1.pdf", b"%PDF-1.7", mimetype="application/pdf", id=file_id)

    assert excinfo.value.status_code == 409
    assert error_reason(excinfo.value) == "fileIdInUse"
    assert [f["id"] for f in fake_google.files(MERCHANT)] == [file_id]


def test_dropped_connection_after_a_folder_create_duplicates_the_folder(fake_google, drive):
    fake_google.inject_fault("drop_after_write", endpoint="drive.files.create")

    make_folder(drive, "BaseLinker Backup")

    assert [f["name"] for f in fake_google.files(MERCHANT)] == ["BaseLinker Backup"] * 2


def test_connection_dropped_before_the_write_is_retried_harmlessly(fake_google, drive):
    fake_google.inject_fault("drop", endpoint="drive.files.create")

    make_folder(drive, "BaseLinker Backup")

    assert [f["name"] for f in fake_google.files(MERCHANT)] == ["BaseLinker Backup"]
    assert fake_google.state_dump()["counters"]["drive.files.create"] == {"dropped": 1, "200": 1}


def test_drop_probability_is_seeded_and_only_hits_writes(fake_google, drive):
    fake_google.configure(seed=3, p_drop_after_write=1.0)
    # Every attempt drops, so httplib2's single re-send drops too and the client gets an error.
    with pytest.raises(ConnectionError):
        make_folder(drive, "x")
    assert len(fake_google.files(MERCHANT)) == 2
    assert drive.files().list().execute()  # reads are never dropped


def test_write_rate_limit_is_a_per_user_token_bucket(fake_google, drive, drive_discovery):
    # A slow refill (one token per 100 s), so real time passing on a busy machine adds none.
    fake_google.configure(write_limit=True, write_rate=0.01, write_burst=3)
    for n in range(3):
        make_folder(drive, f"f{n}")

    with pytest.raises(HttpError) as excinfo:
        make_folder(drive, "one too many")
    assert excinfo.value.status_code == 403
    assert error_reason(excinfo.value) == "userRateLimitExceeded"
    assert drive.files().list().execute()  # reads are not limited

    other = drive_service(fake_google, drive_discovery, connect(fake_google, OTHER))
    make_folder(other, "another user has their own bucket")

    fake_google.clock.advance(300.0)  # three more tokens
    for n in range(3):
        make_folder(drive, f"g{n}")
    with pytest.raises(HttpError):
        make_folder(drive, "again too many")


def test_storage_quota(fake_google, drive):
    fake_google.configure(storage_quota_bytes=1000)
    upload(drive, "a.bin", b"x" * 800)

    with pytest.raises(HttpError) as excinfo:
        upload(drive, "b.bin", b"x" * 300)

    assert excinfo.value.status_code == 403
    assert error_reason(excinfo.value) == "storageQuotaExceeded"
    quota = drive.about().get(fields="storageQuota").execute()["storageQuota"]
    assert (quota["limit"], quota["usage"]) == ("1000", "800")


def test_latency_per_request(fake_google, drive):
    fake_google.configure(latency_ms=60)

    started = time.perf_counter()
    drive.files().list().execute()

    assert time.perf_counter() - started >= 0.06


def test_concurrent_requests_are_served_in_parallel_and_peak_is_recorded(
    fake_google, drive_discovery, merchant_credentials
):
    fake_google.configure(latency_ms=300)
    # httplib2 connections are not thread-safe: one client per thread.
    clients = [drive_service(fake_google, drive_discovery, merchant_credentials) for _ in range(4)]
    threads = [threading.Thread(target=lambda d=d: d.files().list().execute()) for d in clients]

    started = time.perf_counter()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    # Served one after another, four requests would take 1.2 s.
    assert time.perf_counter() - started < 1.2
    assert fake_google.state_dump()["peak_concurrency"] >= 2


def test_faults_can_be_changed_at_run_time_over_http(fake_google, drive):
    answer = requests.post(f"{fake_google.url}/_fake/config", json={"p_503": 1.0}, timeout=5)
    assert answer.json()["p_503"] == 1.0
    assert set(_statuses(drive, 3)) == {503}

    requests.post(f"{fake_google.url}/_fake/config", json={"p_503": 0}, timeout=5)
    injected = requests.post(
        f"{fake_google.url}/_fake/faults", json={"kind": "500", "count": 2}, timeout=5
    )
    assert injected.status_code == 200
    assert _statuses(drive, 3) == [500, 500, 200]


def test_bad_config_is_refused(fake_google):
    answer = requests.post(f"{fake_google.url}/_fake/config", json={"p_5000": 1}, timeout=5)
    assert answer.status_code == 400
    with pytest.raises(ValueError):
        fake_google.configure(p_500=1.5)


def test_reset_turns_faults_off(fake_google, drive):
    fake_google.configure(p_500=1.0, latency_ms=5)
    fake_google.inject_fault("503", count=5)

    fake_google.reset()

    assert fake_google.config.p_500 == 0 and fake_google.config.latency_ms == 0
    state = fake_google.state_dump()
    assert state["pending_faults"] == [] and state["grants"] == []
    assert json.dumps(state)  # JSON-able
