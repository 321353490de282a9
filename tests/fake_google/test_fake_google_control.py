"""The /_fake control API, the operator pages, the CLI and the pytest fixtures."""

from __future__ import annotations

import os
from urllib.parse import quote

import requests
from google.auth.exceptions import RefreshError
from google.auth.transport.requests import Request

from fake_google import FakeGoogle
from tests.fake_google.helpers import (
    MERCHANT,
    REPO,
    connect,
    drive_service,
    fake_google_process,
    make_flow,
    make_folder,
    md5,
    upload,
)


def test_state_dump_shows_paths_md5_app_properties_grants_and_counters(fake_google, drive):
    root = make_folder(drive, "BaseLinker Backup")
    upload(drive, "orders.csv", b"id;total\n", parent=root, appProperties={"doc": "o-1"})
    drive.files().delete(fileId=make_folder(drive, "mistake")).execute()

    state = requests.get(f"{fake_google.url}/_fake/state", timeout=5).json()

    files = {f["path"]: f for f in state["files"]}
    assert set(files) == {"/BaseLinker Backup", "/BaseLinker Backup/orders.csv"}
    assert files["/BaseLinker Backup/orders.csv"]["md5Checksum"] == md5(b"id;total\n")
    assert files["/BaseLinker Backup/orders.csv"]["appProperties"] == {"doc": "o-1"}
    assert [d["path"] for d in state["deletes"]] == ["/mistake"]
    assert state["grants"][0]["email"] == MERCHANT and not state["grants"][0]["revoked"]
    assert state["counters"]["drive.files.delete"] == {"204": 1}
    assert state["peak_concurrency"] >= 1


def test_reset_over_http(fake_google, drive):
    make_folder(drive, "x")

    requests.post(f"{fake_google.url}/_fake/reset", timeout=5)

    assert fake_google.state_dump()["files"] == []


def test_register_a_client_over_http(fake_google):
    redirect = "http://localhost:9000/cb"
    answer = requests.post(
        f"{fake_google.url}/_fake/clients",
        json={
            "client_id": "ci.apps.googleusercontent.com",
            "client_secret": "s",
            "redirect_uris": [redirect],
        },
        timeout=5,
    )
    assert answer.status_code == 200

    flow = make_flow(
        fake_google,
        client_id="ci.apps.googleusercontent.com",
        client_secret="s",
        redirect_uri=redirect,
    )
    url, _ = flow.authorization_url()
    assert flow.fetch_token(authorization_response=fake_google.authorize(url))["access_token"]


def test_user_revokes_the_app_over_http(fake_google, merchant_credentials):
    answer = requests.post(f"{fake_google.url}/_fake/users/{quote(MERCHANT)}/revoke", timeout=5)

    assert answer.json() == {"email": MERCHANT, "revoked_grants": 1}
    try:
        merchant_credentials.refresh(Request())
    except RefreshError as exc:
        assert "invalid_grant" in str(exc)
    else:
        raise AssertionError("refresh should fail after the user removed the app")


def test_seed_user_files_and_users_over_http(fake_google, drive):
    requests.post(
        f"{fake_google.url}/_fake/users", json={"email": "x@example.com", "name": "X"}, timeout=5
    )
    seeded = requests.post(
        f"{fake_google.url}/_fake/users/{quote(MERCHANT)}/files",
        json={"name": "BaseLinker Backup"},
        timeout=5,
    ).json()

    assert drive.files().list().execute()["files"] == []
    (file,) = fake_google.files(MERCHANT)
    assert file["id"] == seeded["id"] and file["created_by_client"] is None
    assert "x@example.com" in [u["email"] for u in fake_google.state_dump()["users"]]


def test_clock_over_http_expires_tokens(fake_google, drive_discovery, merchant_credentials):
    requests.post(f"{fake_google.url}/_fake/clock", json={"seconds": 4000}, timeout=5)

    drive = drive_service(fake_google, drive_discovery, merchant_credentials)
    drive.files().list().execute()  # 401, refresh, retry

    assert fake_google.state_dump()["counters"]["drive.files.list"] == {"401": 1, "200": 1}


def test_html_pages_show_each_drive_as_a_tree(fake_google, drive):
    fake_google.seed_user_file(MERCHANT, "Holiday photos")
    root = make_folder(drive, "BaseLinker Backup")
    year = make_folder(drive, "2026", parent=root)
    upload(drive, "orders_2026-11-23.csv", b"x", parent=year)

    index = requests.get(f"{fake_google.url}/_fake/", timeout=5)
    tree = requests.get(f"{fake_google.url}/_fake/drive/{quote(MERCHANT)}", timeout=5)

    assert f"/_fake/drive/{quote(MERCHANT)}" in index.text
    assert tree.status_code == 200
    positions = [tree.text.index(n) for n in ("BaseLinker Backup", "2026", "orders_2026-11-23")]
    assert positions == sorted(positions)
    assert 'class="invisible">' in tree.text and "Holiday photos" in tree.text


def test_unknown_paths_are_404(fake_google):
    assert requests.get(f"{fake_google.url}/nothing/here", timeout=5).status_code == 404


def test_reset_restores_the_baseline_but_drops_runtime_clients():
    with FakeGoogle(seed=5, latency_ms=1) as fake:
        fake.register_client("runtime.apps.googleusercontent.com", "s", ["http://x/cb"])
        fake.configure(latency_ms=50)

        fake.reset()

        assert fake.config.latency_ms == 1 and fake.config.seed == 5
        clients = [c["client_id"] for c in fake.state_dump()["clients"]]
        assert clients == ["fake-client-id.apps.googleusercontent.com"]


def test_settings_point_the_app_at_the_fake(fake_google):
    assert fake_google.settings() == {
        "GOOGLE_OAUTH_AUTH_URI": f"{fake_google.url}/o/oauth2/auth",
        "GOOGLE_OAUTH_TOKEN_URI": f"{fake_google.url}/token",
        "GOOGLE_OAUTH_REVOKE_URI": f"{fake_google.url}/revoke",
        "GOOGLE_API_ROOT": f"{fake_google.url}/",
    }
    assert not fake_google.url.endswith("/")


def test_fixture_gives_a_clean_fake_each_test_part_one(fake_google, drive):
    fake_google.configure(latency_ms=3)
    make_folder(drive, "left behind")


def test_fixture_gives_a_clean_fake_each_test_part_two(fake_google):
    assert fake_google.files() == [] and fake_google.config.latency_ms == 0


def test_cli_prints_its_url_and_stops_on_sigterm():
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    args = ("--port", "0", "--seed", "1", "--latency-ms", "2")
    redirects = ("--redirect-uri", "http://a/cb", "--redirect-uri", "http://b/cb")
    with fake_google_process(*args, *redirects, env=env) as url:
        state = requests.get(f"{url}/_fake/state", timeout=5).json()
        assert state["config"]["latency_ms"] == 2.0 and state["config"]["seed"] == 1
        assert state["clients"][0]["redirect_uris"] == ["http://a/cb", "http://b/cb"]


def test_connect_helper_uses_the_default_client(fake_google):
    assert connect(fake_google).client_id == "fake-client-id.apps.googleusercontent.com"
