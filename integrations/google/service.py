"""The Drive service pointed at settings.GOOGLE_API_ROOT, and who granted access.

The only code besides google.client that talks to Google's Drive API. The service is built
from the discovery document packaged with google-api-python-client, with its rootUrl replaced
by settings.GOOGLE_API_ROOT: `client_options={"api_endpoint": ...}` would move ordinary calls
but not media uploads, whose URLs derive from rootUrl.
"""

from __future__ import annotations

import copy
import json
from dataclasses import dataclass
from functools import cache
from pathlib import Path

import googleapiclient.discovery_cache
import httplib2
from django.conf import settings
from google_auth_httplib2 import AuthorizedHttp
from googleapiclient.discovery import Resource, build_from_document

HTTP_TIMEOUT_SECONDS = 60


@cache
def _packaged_discovery_document() -> dict:
    documents = Path(googleapiclient.discovery_cache.__file__).parent / "documents"
    return json.loads((documents / "drive.v3.json").read_text())


def drive_discovery_document(api_root: str | None = None) -> dict:
    """The Drive v3 discovery document pointed at the configured API root."""
    root = api_root or settings.GOOGLE_API_ROOT
    document = copy.deepcopy(_packaged_discovery_document())
    document["rootUrl"] = root if root.endswith("/") else root + "/"
    document["mtlsRootUrl"] = document["rootUrl"]
    return document


def drive_http(timeout: int = HTTP_TIMEOUT_SECONDS) -> httplib2.Http:
    return without_308_redirects(httplib2.Http(timeout=timeout))


def without_308_redirects(http: httplib2.Http) -> httplib2.Http:
    """Resumable uploads answer 308 for "incomplete"; httplib2 would follow it as a redirect.

    googleapiclient's build_http() does the same, but only for the Http it creates itself.
    """
    http.redirect_codes = http.redirect_codes - {308}
    return http


def build_drive_service(credentials, *, timeout: int = HTTP_TIMEOUT_SECONDS) -> Resource:
    """A Drive client for one thread: httplib2 connections must not be shared across threads."""
    http = AuthorizedHttp(credentials, http=drive_http(timeout))
    return build_from_document(drive_discovery_document(), http=http)


@dataclass(frozen=True)
class GoogleAccount:
    email: str
    permission_id: str
    display_name: str


def fetch_account(credentials) -> GoogleAccount:
    """Who granted access: `about.get(fields=user)`."""
    about = build_drive_service(credentials).about().get(fields="user").execute()
    user = about.get("user") or {}
    return GoogleAccount(
        email=user.get("emailAddress", ""),
        permission_id=user.get("permissionId", ""),
        display_name=user.get("displayName", ""),
    )


class CountingHttp(httplib2.Http):
    """httplib2.Http that counts the requests sent to the Drive API (token refreshes excluded)."""

    def __init__(self, api_root: str, not_counted: tuple[str, ...] = (), **kwargs) -> None:
        super().__init__(**kwargs)
        self.api_root = api_root
        self.not_counted = not_counted
        self.api_requests = 0

    def request(self, uri, *args, **kwargs):
        uri_text = str(uri)
        if uri_text.startswith(self.api_root) and not uri_text.startswith(self.not_counted):
            self.api_requests += 1
        return super().request(uri, *args, **kwargs)
