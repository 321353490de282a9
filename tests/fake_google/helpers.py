"""Helpers that drive the fake only through Google's own client libraries."""

from __future__ import annotations

import copy
import hashlib
import io
import json
import signal
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from importlib import resources
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

from google.auth.transport.requests import Request
from google.oauth2.credentials import Credentials
from google_auth_httplib2 import AuthorizedHttp
from google_auth_oauthlib.flow import Flow
from googleapiclient.discovery import build_from_document
from googleapiclient.errors import HttpError
from googleapiclient.http import MediaIoBaseUpload, build_http

from fake_google import DEFAULT_CLIENT_ID, DEFAULT_CLIENT_SECRET, DEFAULT_REDIRECT_URI, FakeGoogle

DRIVE_FILE = "https://www.googleapis.com/auth/drive.file"
DRIVE = "https://www.googleapis.com/auth/drive"
FOLDER = "application/vnd.google-apps.folder"
MERCHANT = "merchant@example.com"
REPO = Path(__file__).resolve().parents[2]
OTHER = "other.account@example.com"


def load_drive_discovery() -> dict[str, Any]:
    """The static Drive v3 discovery document that ships inside googleapiclient."""
    path = resources.files("googleapiclient") / "discovery_cache/documents/drive.v3.json"
    return json.loads(path.read_text())


def make_flow(
    fake: FakeGoogle,
    scopes: list[str] | None = None,
    *,
    client_id: str = DEFAULT_CLIENT_ID,
    client_secret: str = DEFAULT_CLIENT_SECRET,
    redirect_uri: str = DEFAULT_REDIRECT_URI,
) -> Flow:
    config = {
        "web": {
            "client_id": client_id,
            "client_secret": client_secret,
            "auth_uri": fake.auth_uri,
            "token_uri": fake.token_uri,
        }
    }
    return Flow.from_client_config(config, scopes=scopes or [DRIVE_FILE], redirect_uri=redirect_uri)


def connect(
    fake: FakeGoogle,
    email: str = MERCHANT,
    scopes: list[str] | None = None,
    **auth_params: str,
) -> Credentials:
    """The whole web-server flow as our app runs it: consent, callback, code exchange."""
    flow = make_flow(fake, scopes)
    auth_params.setdefault("prompt", "consent")
    url, _state = flow.authorization_url(**auth_params)
    callback = fake.authorize(url, email)
    flow.fetch_token(authorization_response=callback)
    return flow.credentials


def drive_service(
    fake: FakeGoogle,
    discovery: dict[str, Any],
    credentials: Credentials,
    refresh_on_401: bool = True,
) -> Any:
    """googleapiclient's Drive v3 client with rootUrl (so also upload URLs) on the fake."""
    document = copy.deepcopy(discovery)
    document["rootUrl"] = fake.api_root
    if refresh_on_401:
        return build_from_document(document, credentials=credentials)
    http = AuthorizedHttp(credentials, http=build_http(), refresh_status_codes=())
    return build_from_document(document, http=http)


def error_reason(error: HttpError) -> str:
    """errors[0].reason of a Drive error, the field googleapiclient's retry logic reads."""
    return json.loads(error.content)["error"]["errors"][0]["reason"]


def revoke(fake: FakeGoogle, token: str) -> tuple[int, dict[str, Any]]:
    """POST the token to the revoke endpoint with google-auth's own transport."""
    response = Request()(
        url=fake.revoke_uri,
        method="POST",
        body=urlencode({"token": token}),
        headers={"Content-Type": "application/x-www-form-urlencoded"},
    )
    return response.status, json.loads(response.data or b"{}")


def make_folder(drive: Any, name: str, parent: str | None = None, **extra: Any) -> str:
    body = {"name": name, "mimeType": FOLDER, **extra}
    if parent:
        body["parents"] = [parent]
    return drive.files().create(body=body, fields="id").execute()["id"]


def upload(
    drive: Any,
    name: str,
    data: bytes,
    parent: str | None = None,
    mimetype: str = "text/plain",
    fields: str = "id,name,md5Checksum,size,parents,appProperties",
    **extra: Any,
) -> dict[str, Any]:
    """A multipart upload, as the app does for small files."""
    body = {"name": name, **extra}
    if parent:
        body["parents"] = [parent]
    media = MediaIoBaseUpload(io.BytesIO(data), mimetype=mimetype)
    return drive.files().create(body=body, media_body=media, fields=fields).execute()


def md5(data: bytes) -> str:
    return hashlib.md5(data).hexdigest()


RESUMABLE_CHUNK = 256 * 1024


def resumable_create(
    drive: Any,
    data: bytes,
    chunksize: int = RESUMABLE_CHUNK,
    fields: str = "id,name,size,md5Checksum",
    **body: Any,
) -> Any:
    """A resumable create request (not started yet: next_chunk() opens the session)."""
    media = MediaIoBaseUpload(
        io.BytesIO(data), mimetype="application/pdf", chunksize=chunksize, resumable=True
    )
    return drive.files().create(body={"name": "big.pdf", **body}, media_body=media, fields=fields)


def finish_upload(request: Any) -> dict[str, Any]:
    """Send the remaining chunks; the File resource of the last answer."""
    response = None
    while response is None:
        _, response = request.next_chunk(num_retries=0)
    return response


@contextmanager
def fake_google_process(
    *args: str, python_flags: tuple[str, ...] = (), env: dict[str, str] | None = None
) -> Iterator[str]:
    """`python -m fake_google ARGS` in its own process; yields its URL, then stops it with
    SIGTERM and checks that it exits cleanly."""
    process = subprocess.Popen(
        [sys.executable, *python_flags, "-m", "fake_google", *args],
        stdout=subprocess.PIPE,
        text=True,
        env=env,
        cwd=REPO,
    )
    try:
        line = process.stdout.readline().strip()
        assert line.startswith("fake_google listening on http://127.0.0.1:"), line
        yield line.rsplit(" ", 1)[1]
        process.send_signal(signal.SIGTERM)
        assert process.wait(timeout=10) == 0
    finally:
        if process.poll() is None:
            process.kill()
        process.stdout.close()
