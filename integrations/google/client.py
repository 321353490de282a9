"""The backup's Drive client: every Drive call of a run, paced and retried by one rule.

Reads (generateIds, list, get) and writes (folders, multipart and resumable uploads under
reserved ids, each checked against Drive's md5Checksum). The service it calls is built in
google.service; which failures are retried is google.errors'; the write budget google.pacing's.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from typing import BinaryIO, TypeVar

from django.conf import settings
from google_auth_httplib2 import AuthorizedHttp
from google_auth_httplib2 import Request as GoogleAuthRequest
from googleapiclient.discovery import build_from_document
from googleapiclient.http import HttpRequest, MediaIoBaseUpload

from integrations.google.errors import ChecksumMismatch, DriveError, ErrorKind, classify
from integrations.google.files import StoredFile, app_properties_query, quote
from integrations.google.metrics import counted_request, record_backoff
from integrations.google.pacing import Backoff, WritePacer, default_backoff
from integrations.google.service import (
    HTTP_TIMEOUT_SECONDS,
    CountingHttp,
    drive_discovery_document,
    without_308_redirects,
)

logger = logging.getLogger(__name__)

FOLDER_MIME = "application/vnd.google-apps.folder"
# Files up to this size go in one multipart request; larger ones use a resumable session.
RESUMABLE_THRESHOLD = 5 * 1024 * 1024
# Resumable chunks must be multiples of 256 KiB.
RESUMABLE_CHUNK_SIZE = 32 * 256 * 1024
GENERATE_IDS_MAX = 1000
# `trashed` is true for a file created inside a trashed folder: the folder is gone for us.
UPLOAD_FIELDS = "id,md5Checksum,size,trashed"
FOLDER_CREATE_FIELDS = "id,trashed"
ID_SPENT = "fileIdSpent"
SESSION_EXPIRED = "uploadSessionExpired"
SESSION_GONE_STATUSES = (404, 410)
FILE_FIELDS = "id,name,md5Checksum,size,trashed,parents,appProperties"

T = TypeVar("T")


class ChunkBytesUpload(MediaIoBaseUpload):
    """A resumable upload whose chunks are sent as bytes rather than stream slices.

    httplib2 silently resends a request once when the connection drops; a stream slice is
    consumed by then, so the resend promises a Content-Length it never sends and stalls until
    the server times out. Bytes can be sent again.
    """

    def has_stream(self) -> bool:
        return False


class DriveClient:
    """The Drive calls of a backup run, each paced and retried by the same rules.

    One instance per thread: httplib2 connections are not thread-safe. Every write takes a
    token from the account's WritePacer first; TRANSIENT and RATE_LIMITED failures are retried
    here with the Backoff (googleapiclient's own retries stay off: they ignore Retry-After and
    resend consumed upload streams); everything else is raised as a classified DriveError.
    """

    def __init__(
        self,
        credentials,
        *,
        pacer: WritePacer | None = None,
        backoff: Backoff | None = None,
        sleep: Callable[[float], None] = time.sleep,
        before_request: Callable[[], None] | None = None,
        timeout: int = HTTP_TIMEOUT_SECONDS,
        log_context: str = "",
    ) -> None:
        self.credentials = credentials
        self.before_request = before_request
        # Who the calls are for ("run 33 of integration 1"), so a retry in the log says so.
        self.log_context = log_context
        document = drive_discovery_document()
        oauth_endpoints = (settings.GOOGLE_OAUTH_TOKEN_URI, settings.GOOGLE_OAUTH_REVOKE_URI)
        self._http = without_308_redirects(
            CountingHttp(document["rootUrl"], not_counted=oauth_endpoints, timeout=timeout)
        )
        self.service = build_from_document(
            document, http=AuthorizedHttp(credentials, http=self._http)
        )
        # `service.files()` builds a new resource with every method of the collection at each
        # call (a few ms of CPU); requests are built from one resource per client instead.
        self._files = self.service.files()
        self.pacer = pacer
        self.backoff = backoff or default_backoff()
        self.sleep = sleep

    @property
    def calls(self) -> int:
        """Drive requests sent so far, retries included."""
        return self._http.api_requests

    # --- credentials --------------------------------------------------------------------

    def refresh_access_token(self) -> None:
        """Exchange the refresh token now, so a revoked grant is known before any work."""
        request = GoogleAuthRequest(self._http)
        self._with_retries(lambda: self.credentials.refresh(request), write=False)

    # --- reads --------------------------------------------------------------------------

    def generate_ids(self, count: int) -> list[str]:
        ids: list[str] = []
        while len(ids) < count:
            batch = min(GENERATE_IDS_MAX, count - len(ids))
            answer = self._execute(
                lambda n=batch: self._files.generateIds(
                    count=n, space="drive", type="files", fields="ids"
                ),
                write=False,
            )
            ids.extend(answer.get("ids") or [])
        return ids

    def list_files(self, q: str, fields: str = "id,name,parents,appProperties") -> list[dict]:
        files: list[dict] = []
        page_token: str | None = None
        while True:
            answer = self._execute(
                lambda token=page_token: self._files.list(
                    q=q,
                    spaces="drive",
                    pageSize=1000,
                    pageToken=token,
                    fields=f"nextPageToken,files({fields})",
                ),
                write=False,
            )
            files.extend(answer.get("files") or [])
            page_token = answer.get("nextPageToken")
            if not page_token:
                return files

    def get_file(self, file_id: str) -> StoredFile | None:
        """The file with this id, or None if Drive does not know it (or we may not see it)."""
        try:
            answer = self._execute(
                lambda: self._files.get(fileId=file_id, fields=FILE_FIELDS),
                write=False,
            )
        except DriveError as error:
            if error.kind == ErrorKind.NOT_FOUND:
                return None
            raise
        return StoredFile.from_api(answer)

    # --- writes -------------------------------------------------------------------------

    def create_folder(
        self, file_id: str, name: str, parent_id: str, app_properties: dict[str, str]
    ) -> StoredFile:
        """Create a folder under a reserved id; a 409 means an earlier attempt created it.

        The answer says whether the folder landed in the trash (its parent is trashed).
        """
        body = {
            "id": file_id,
            "name": name,
            "mimeType": FOLDER_MIME,
            "parents": [parent_id],
            "appProperties": app_properties,
        }
        try:
            answer = self._execute(
                lambda: self._files.create(body=body, fields=FOLDER_CREATE_FIELDS),
                write=True,
            )
        except DriveError as error:
            if error.kind != ErrorKind.ID_IN_USE:
                raise
            # An earlier attempt created it: ask where it stands, by id or, when the id shows
            # nothing (Drive gave the folder another id), by our appProperties.
            return self._landed_under(file_id, None, parent_id, app_properties, error)
        return StoredFile.from_api(answer)

    def upload(
        self,
        *,
        file_id: str | None,
        name: str,
        parent_id: str,
        mimetype: str,
        stream: BinaryIO,
        size: int,
        md5: str,
        app_properties: dict[str, str],
    ) -> StoredFile:
        """Create a file with content under a reserved id and check Drive stored our bytes.

        A 409 (an earlier attempt, or a request httplib2 resent, already created it) is
        answered by reading the file back. Raises ChecksumMismatch if the md5 differs. The
        answer's `trashed` says whether the file landed in a trashed folder; its `id` is the
        one Drive gave, which is not always the one we asked for.

        Without `file_id` (Drive refused reserved ids) the file always goes through a
        resumable session: a session completes once, so httplib2 resending its last chunk
        cannot make a second copy, as it would with a multipart create.
        """
        body = {
            "name": name,
            "parents": [parent_id],
            "mimeType": mimetype,
            "appProperties": app_properties,
        }
        if file_id is not None:
            body["id"] = file_id
        try:
            if size > RESUMABLE_THRESHOLD or file_id is None:
                answer = self._upload_resumable(body, stream, mimetype)
            else:
                answer = self._upload_multipart(body, stream, mimetype)
            stored = StoredFile.from_api(answer)
        except DriveError as error:
            if error.kind != ErrorKind.ID_IN_USE or file_id is None:
                raise
            stored = self._landed_under(file_id, md5, parent_id, app_properties, error)
        if stored.md5 is None:
            # Drive may leave md5Checksum out of the create answer (it promises it only "for
            # files with content stored in Google Drive"): ask for it.
            stored = self.get_file(stored.id) or stored
        if stored.md5 != md5:
            raise ChecksumMismatch(md5, stored.md5)
        return stored

    def _landed_under(
        self,
        file_id: str,
        md5: str | None,
        parent_id: str,
        app_properties: dict[str, str],
        error: DriveError,
    ) -> StoredFile:
        """A create under `file_id` answered 409: the file an earlier attempt made.

        Looked up by id; when the id shows nothing we may see (Drive gave the file another
        id, or it was deleted for good), by our appProperties in the same folder.
        """
        found = self.get_file(file_id)
        if found is None:
            found = self.find_landed(app_properties, parent_id, md5)
        if found is None:
            raise DriveError(
                ErrorKind.ID_IN_USE,
                f"id {file_id} is in use but the file is not visible",
                status=409,
                reason=ID_SPENT,
            ) from error
        return found

    def find_landed(
        self, app_properties: dict[str, str], parent_id: str, md5: str | None
    ) -> StoredFile | None:
        """Our file with exactly these appProperties in `parent_id`, not in the trash (and
        with this md5, unless None): what an earlier create made, whatever its id."""
        q = f"'{quote(parent_id)}' in parents and trashed=false and " + app_properties_query(
            app_properties
        )
        for data in self.list_files(q, fields=FILE_FIELDS):
            stored = StoredFile.from_api(data)
            if md5 is None or stored.md5 == md5:
                return stored
        return None

    def _upload_multipart(self, body: dict, stream: BinaryIO, mimetype: str) -> dict:
        def build() -> HttpRequest:
            stream.seek(0)
            media = MediaIoBaseUpload(stream, mimetype=mimetype, resumable=False)
            return self._files.create(body=body, media_body=media, fields=UPLOAD_FIELDS)

        return self._execute(build, write=True)

    def _upload_resumable(self, body: dict, stream: BinaryIO, mimetype: str) -> dict:
        def new_session() -> HttpRequest:
            stream.seek(0)
            media = ChunkBytesUpload(
                stream, mimetype=mimetype, chunksize=RESUMABLE_CHUNK_SIZE, resumable=True
            )
            return self._files.create(body=body, media_body=media, fields=UPLOAD_FIELDS)

        request = new_session()
        failures = 0
        while True:
            self._before_request(write=True)
            try:
                # After a failure the request is "in error state": this call first asks the
                # session where it stands (Content-Range: bytes */N) and resumes from there.
                with counted_request(request) as answer:
                    _, response = request.next_chunk(num_retries=0)
                    if response is None:
                        answer.status = 308  # "Resume Incomplete": send the next chunk
            except Exception as exc:
                error = classify(exc)
                if error is None:
                    raise
                failures += 1
                if error.status in SESSION_GONE_STATUSES and request.resumable_uri:
                    # The session expired (404, as Google documents, or 410 Gone): start a new
                    # one. Under a reserved id a create that landed answers 409; without one
                    # the caller looks for the file by its appProperties first.
                    if "id" not in body:
                        raise DriveError(
                            ErrorKind.TRANSIENT,
                            error.detail,
                            status=error.status,
                            reason=SESSION_EXPIRED,
                        ) from exc
                    request = new_session()
                    error = DriveError(ErrorKind.TRANSIENT, error.detail, status=error.status)
                self._wait_before_retry(error, failures, exc)
                continue
            failures = 0
            if response is not None:
                return response

    # --- the one retry loop -------------------------------------------------------------

    def _execute(self, build: Callable[[], HttpRequest], *, write: bool) -> dict:
        def attempt() -> dict:
            request = build()
            with counted_request(request):
                return request.execute(num_retries=0)

        return self._with_retries(attempt, write=write)

    def _with_retries(self, call: Callable[[], T], *, write: bool) -> T:
        failures = 0
        while True:
            self._before_request(write=write)
            try:
                return call()
            except Exception as exc:
                error = classify(exc)
                if error is None:
                    raise
                failures += 1
                self._wait_before_retry(error, failures, exc)

    def _before_request(self, *, write: bool) -> None:
        if self.before_request:
            self.before_request()
        if write and self.pacer:
            self.pacer.acquire()

    def _wait_before_retry(self, error: DriveError, failures: int, cause: BaseException) -> None:
        """Sleep before the next attempt, or raise `error` if it must not be retried."""
        if not error.retryable or failures >= self.backoff.max_attempts:
            if error is cause:
                raise error
            raise error from cause
        delay = self.backoff.delay(failures, error.retry_after)
        if error.kind == ErrorKind.RATE_LIMITED and self.pacer:
            self.pacer.slow_down(delay)
        logger.info(
            "%sDrive %s (%s), retry %d in %.1fs",
            f"{self.log_context}: " if self.log_context else "",
            error.kind,
            error.detail,
            failures,
            delay,
        )
        record_backoff(delay)
        self.sleep(delay)
