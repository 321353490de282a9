"""Drive v3 uploads: `uploadType=media`, `multipart` and `resumable` (create and update).

Resumable protocol (Drive's "Upload file data" guide): the initiating POST/PATCH answers 200
with a session URI in `Location`; each PUT carries `Content-Range: bytes a-b/total` and gets
`308` with `Range: bytes=0-n` until the last byte, then `201` (new file) or `200` (update)
with the File resource. `Content-Range: bytes */total` asks where an interrupted upload
stands. Chunks other than the last should be multiples of 256 KiB.
"""

from __future__ import annotations

import re
from typing import Any

from . import errors
from .core import Core
from .drive import (
    Caller,
    check_account_may_create,
    check_file_id,
    check_parent_not_refused,
    check_quota,
    check_writable,
    create_file,
    create_response,
    file_response,
    parse_metadata,
    resolve_parents,
    update_file,
    validate_properties,
    visible_file,
)
from .errors import DriveError
from .httpd import Request, Response
from .multipart import MultipartError, boundary_from_content_type, parse_related
from .state import DriveFile, Store, UploadSession

CHUNK_GRANULARITY = 256 * 1024
_CONTENT_RANGE = re.compile(r"^bytes (?:(\d+)-(\d+)|\*)/(\d+|\*)$")


def upload_type(request: Request) -> str:
    # Drive documents uploadType as required but treats a missing one as "media".
    return request.arg("uploadType") or "media"


# --- create / update entry points -------------------------------------------------------


def upload_create(core: Core, request: Request, caller: Caller) -> Response:
    kind = upload_type(request)
    if kind == "resumable":
        return _start_resumable(core, request, caller, target=None)
    metadata, content, media_type = _single_request_payload(request, kind)
    file = create_file(core, caller, metadata, content, media_type, upload=True)
    return create_response(core, request, caller, file)


def upload_update(core: Core, request: Request, caller: Caller) -> Response:
    target = visible_file(core, caller, request.params["fileId"])
    kind = upload_type(request)
    if kind == "resumable":
        return _start_resumable(core, request, caller, target=target)
    metadata, content, media_type = _single_request_payload(request, kind)
    _replace_content(core, request, caller, target, metadata, content, media_type)
    return file_response(core, request, caller, target)


def _single_request_payload(request: Request, kind: str) -> tuple[dict[str, Any], bytes, str]:
    if kind == "media":
        media_type = request.header("Content-Type") or "application/octet-stream"
        return {}, request.body, media_type
    if kind == "multipart":
        return _parse_multipart(request)
    raise errors.invalid_value("uploadType", f"Invalid upload type: {kind}")


def _parse_multipart(request: Request) -> tuple[dict[str, Any], bytes, str]:
    """multipart/related: the JSON metadata part, then the media part."""
    try:
        boundary = boundary_from_content_type(request.header("Content-Type") or "")
        parts = parse_related(request.body, boundary)
    except MultipartError as exc:
        raise errors.bad_request(f"Invalid multipart request: {exc}") from exc
    if len(parts) != 2:
        raise errors.bad_request(
            f"Invalid multipart request with {len(parts)} mime parts.", reason="badContent"
        )
    metadata_part, media_part = parts
    if not metadata_part.content_type.lower().startswith("application/json"):
        raise errors.bad_request(
            "Invalid multipart request: the first part must be application/json metadata.",
            reason="badContent",
        )
    metadata = parse_metadata(request, metadata_part.body)
    return metadata, media_part.body, media_part.content_type


def _replace_content(
    core: Core,
    request: Request,
    caller: Caller,
    file: DriveFile,
    metadata: dict[str, Any],
    content: bytes,
    media_type: str | None,
) -> None:
    if file.is_folder:
        raise DriveError(400, "invalid", "Folders cannot have content.")
    with core.store.lock:
        check_quota(core, caller.email, len(content) - file.size)
        update_file(core, request, caller, file, metadata)
        file.set_content(content)
        if "mimeType" not in metadata and media_type:
            file.mime_type = media_type


# --- resumable --------------------------------------------------------------------------


def _start_resumable(
    core: Core, request: Request, caller: Caller, target: DriveFile | None
) -> Response:
    """Validate what can be validated now and open a session; 200 + Location."""
    metadata = parse_metadata(request)
    if target is None:
        check_account_may_create(core)
        check_writable(metadata, allow={"id"})
        validate_properties(metadata)
        with core.store.lock:
            check_parent_not_refused(core, resolve_parents(core, caller, metadata.get("parents")))
            # Config.resumable_id_check="final": the id is looked at only with the last chunk.
            wanted = metadata.get("id")
            if wanted is not None and core.config.resumable_id_check == "start":
                check_file_id(core, caller, wanted, upload=True)
    total = _optional_int(request.header("X-Upload-Content-Length"), "X-Upload-Content-Length")
    if total is not None:
        check_quota(core, caller.email, total)
    session = UploadSession(
        id=Store.new_secret("AHVrU", 70),
        owner=caller.email,
        client_id=caller.client_id,
        metadata=metadata,
        mime_type=request.header("X-Upload-Content-Type") or "application/octet-stream",
        total_size=total,
        created_at=core.clock.time(),
        target_file_id=target.id if target else None,
        query={k: v[0] for k, v in request.query.items() if k in ("fields", "prettyPrint")},
    )
    with core.store.lock:
        core.store.uploads[session.id] = session
    path = f"/upload/drive/v3/files/{target.id}" if target else "/upload/drive/v3/files"
    location = f"{request.base_url}{path}?uploadType=resumable&upload_id={session.id}"
    return Response.empty(
        200,
        {
            "Location": location,
            "X-GUploader-UploadID": session.id,
            "Content-Type": "text/html; charset=UTF-8",
        },
    )


def resumable_put(core: Core, request: Request) -> Response:
    """A chunk, or a `bytes */N` status query, for an open session."""
    session = _live_session(core, request.arg("upload_id") or "")
    if session is None:
        raise errors.upload_session_gone(core.config.expired_session_status)
    with session.lock:
        return _apply_put(core, request, session)


def _live_session(core: Core, upload_id: str) -> UploadSession | None:
    """The open session, or None when unknown or older than its lifetime (then forgotten)."""
    with core.store.lock:
        session = core.store.uploads.get(upload_id)
        if session is None:
            return None
        if core.clock.time() - session.created_at > core.config.upload_session_lifetime_s:
            del core.store.uploads[upload_id]
            return None
        return session


def expire_session(core: Core, upload_id: str) -> None:
    """Forget a session as if its week had passed (the `expire_session` fault)."""
    with core.store.lock:
        core.store.uploads.pop(upload_id, None)


def _apply_put(core: Core, request: Request, session: UploadSession) -> Response:
    start, end, total = _content_range(request)
    if session.result_file_id is not None:
        return _finished_response(core, request, session)
    if total is not None:
        if session.total_size is not None and session.total_size != total:
            raise errors.bad_request(
                f"Upload size {total} does not match the declared size {session.total_size}."
            )
        session.total_size = total
    if start is not None:
        _append_chunk(session, request.body, start, end, total)
    if session.total_size is not None and len(session.data) >= session.total_size:
        return _complete(core, request, session)
    return _resume_incomplete(session)


def _content_range(request: Request) -> tuple[int | None, int | None, int | None]:
    """(first byte, last byte, total) from Content-Range; (None, None, total) for a query."""
    header = request.header("Content-Range")
    if header is None:
        # A single PUT with the whole content is a valid one-chunk upload.
        size = len(request.body)
        return (0, size - 1, size) if size else (None, None, 0)
    match = _CONTENT_RANGE.match(header.strip())
    if not match:
        raise errors.bad_request(f"Failed to parse Content-Range header: {header}")
    first, last, total = match.groups()
    total_size = None if total == "*" else int(total)
    if first is None:
        return None, None, total_size
    return int(first), int(last), total_size


def _append_chunk(
    session: UploadSession, body: bytes, start: int, end: int | None, total: int | None
) -> None:
    if end is None or end - start + 1 != len(body):
        raise errors.bad_request("Content-Range does not match the request body length.")
    received = len(session.data)
    if start > received:
        # Google answers a chunk that skips ahead with a 503 in plain text, as reported in
        # https://github.com/Byron/google-apis-rs/issues/438 (so a client retries, asks
        # where the session stands and resends from there).
        raise errors.upload_offset_ahead(start, received)
    is_last = total is not None and start + len(body) >= total
    if not is_last and len(body) < CHUNK_GRANULARITY:
        raise DriveError(
            400,
            "badRequest",
            f"Invalid request. The number of bytes uploaded is required to be equal or greater "
            f"than {CHUNK_GRANULARITY}, except for the final request (it's recommended to be the "
            f"exact multiple of {CHUNK_GRANULARITY}). The received request contained "
            f"{len(body)} bytes, which does not meet this requirement.",
        )
    # Bytes the server already has (a chunk re-sent after a lost answer) are skipped.
    fresh = body[received - start :]
    if not is_last:
        # Only whole 256 KiB units of a non-final chunk are kept (see README); the client
        # learns the true offset from the Range header and re-sends the rest.
        keep = ((received + len(fresh)) // CHUNK_GRANULARITY) * CHUNK_GRANULARITY - received
        fresh = fresh[: max(0, keep)]
    session.data.extend(fresh)


def _resume_incomplete(session: UploadSession) -> Response:
    headers = {"X-GUploader-UploadID": session.id, "Content-Type": "text/plain; charset=utf-8"}
    if session.data:
        headers["Range"] = f"bytes=0-{len(session.data) - 1}"
    return Response.empty(308, headers)


def _complete(core: Core, request: Request, session: UploadSession) -> Response:
    """The last byte arrived: create (201) or update (200) the file."""
    content = bytes(session.data[: session.total_size])
    caller = _session_caller(core, session)
    if session.target_file_id is None:
        file = create_file(core, caller, session.metadata, content, session.mime_type, upload=True)
        status = 201
    else:
        file = visible_file(core, caller, session.target_file_id)
        _replace_content(core, request, caller, file, session.metadata, content, session.mime_type)
        status = 200
    session.result_file_id = file.id
    session.data = bytearray()  # the content now lives in the file
    return _finished_response(core, request, session, status)


def _finished_response(
    core: Core, request: Request, session: UploadSession, status: int | None = None
) -> Response:
    caller = _session_caller(core, session)
    file = core.store.files.get(session.result_file_id or "")
    if file is None:
        raise errors.upload_session_gone(core.config.expired_session_status)
    if status is None:
        status = 201 if session.target_file_id is None else 200
    # The response honours the `fields` given when the session was opened.
    original = Request(
        method=request.method,
        path=request.path,
        query={k: [v] for k, v in session.query.items()},
        headers=request.headers,
        body=b"",
        base_url=request.base_url,
    )
    if session.target_file_id is None:
        return create_response(core, original, caller, file, status)
    return file_response(core, original, caller, file, status)


def _session_caller(core: Core, session: UploadSession) -> Caller:
    """The session URI is the credential: chunks need no Authorization header."""
    with core.store.lock:
        user = core.store.users[session.owner]
        grant_scopes = frozenset(
            scope
            for grant in core.store.grants.values()
            if grant.email == session.owner and grant.client_id == session.client_id
            for scope in grant.scopes
        )
    return Caller(user, session.client_id, grant_scopes)


def _optional_int(raw: str | None, name: str) -> int | None:
    if raw is None or raw == "":
        return None
    try:
        return int(raw)
    except ValueError as exc:
        raise errors.bad_request(f"Invalid {name}: {raw}") from exc
