"""Drive v3 metadata endpoints: about, files.list/get/create/update/delete, generateIds."""

from __future__ import annotations

import base64
import hashlib
import json
from dataclasses import dataclass
from typing import Any

from . import errors
from .core import Core
from .errors import DriveError
from .fields import apply_fields, check_known, parse_fields
from .httpd import Request, Response
from .oauth import DRIVE_SCOPES
from .query import QueryContext, QueryError, compile_query, parse_time
from .resources import (
    ABOUT_FIELDS,
    DEFAULT_FILE_FIELDS,
    FILE_FIELDS,
    FILE_LIST_FIELDS,
    GENERATED_IDS_FIELDS,
    file_resource,
    user_resource,
)
from .state import FOLDER_MIME, DeleteRecord, DriveFile, User

FULL_ACCESS_SCOPES = {
    "https://www.googleapis.com/auth/drive",
    "https://www.googleapis.com/auth/drive.readonly",
    "https://www.googleapis.com/auth/drive.metadata.readonly",
}
WRITE_SCOPES = {
    "https://www.googleapis.com/auth/drive",
    "https://www.googleapis.com/auth/drive.file",
}
# Fields a client may set in files.create / files.update bodies.
WRITABLE_FIELDS = {
    "name",
    "mimeType",
    "description",
    "starred",
    "trashed",
    "parents",
    "properties",
    "appProperties",
    "createdTime",
    "modifiedTime",
    "originalFilename",
    "folderColorRgb",
    "contentHints",
    "writersCanShare",
    "viewedByMeTime",
    "copyRequiresWriterPermission",
}
MAX_PROPERTY_BYTES = 124
MAX_APP_PROPERTIES = 30
MAX_PAGE_SIZE = 1000


@dataclass(frozen=True)
class Caller:
    """The account and OAuth client behind a Bearer token."""

    user: User
    client_id: str
    scopes: frozenset[str]

    @property
    def email(self) -> str:
        return self.user.email

    @property
    def sees_everything(self) -> bool:
        return bool(self.scopes & FULL_ACCESS_SCOPES)

    def can_see(self, file: DriveFile) -> bool:
        """drive.file: only files this OAuth client created (plus the root folder)."""
        if file.owner != self.email:
            return False
        return file.is_root or self.sees_everything or file.created_by_client == self.client_id

    def context(self) -> QueryContext:
        return QueryContext(self.email, self.client_id)


# --- authentication ---------------------------------------------------------------------


def authenticate(core: Core, request: Request, write: bool = False) -> Caller:
    """Resolve the Bearer token; 401 when missing, unknown, expired or revoked."""
    header = request.header("Authorization") or ""
    raw = header[7:].strip() if header[:7].lower() == "bearer " else request.arg("access_token")
    if not raw:
        raise errors.login_required()
    store = core.store
    with store.lock:
        token = store.access_tokens.get(raw)
        if token is None or token.expires_at <= core.clock.time():
            raise errors.invalid_credentials()
        grant = store.grants.get(token.grant_id)
        if grant is None or not grant.active:
            raise errors.invalid_credentials()
        user = store.users[grant.email]
    allowed = WRITE_SCOPES if write else DRIVE_SCOPES
    if not token.scopes & allowed:
        raise errors.insufficient_scopes()
    return Caller(user, grant.client_id, token.scopes)


# --- about ------------------------------------------------------------------------------


def about_get(core: Core, request: Request, caller: Caller) -> Response:
    fields = request.arg("fields")
    if not fields:
        raise DriveError(
            400,
            "required",
            "The 'fields' parameter is required for this method.",
            location="fields",
            location_type="parameter",
        )
    quota = core.config.storage_quota_bytes
    usage = core.store.usage_bytes(caller.email)
    about = {
        "kind": "drive#about",
        "user": user_resource(caller.user),
        "storageQuota": {
            **({"limit": str(quota)} if quota is not None else {}),
            "usage": str(usage),
            "usageInDrive": str(usage),
            "usageInDriveTrash": str(_trash_usage(core, caller.email)),
        },
        "maxUploadSize": str(5 * 1024**4),
        "appInstalled": False,
        "canCreateDrives": False,
    }
    return _json(request, about, ABOUT_FIELDS, {}, default=None)


def _trash_usage(core: Core, email: str) -> int:
    with core.store.lock:
        return sum(f.size for f in core.store.files.values() if f.owner == email and f.trashed)


# --- generateIds ------------------------------------------------------------------------


def generate_ids(core: Core, request: Request, caller: Caller) -> Response:
    count = _int_arg(request, "count", 10)
    if not 1 <= count <= 1000:
        raise errors.invalid_value("count")
    space = request.arg("space") or "drive"
    if space not in ("drive", "appDataFolder"):
        raise errors.invalid_value("space")
    if (request.arg("type") or "files") not in ("files", "shortcuts"):
        raise errors.invalid_value("type")
    store = core.store
    now = core.clock.time()
    with store.lock:
        ids = []
        for _ in range(count):
            new_id = store.new_file_id()
            store.generated_ids[new_id] = caller.email
            store.generated_at[new_id] = now
            ids.append(new_id)
    payload = {"kind": "drive#generatedIds", "space": space, "ids": ids}
    return _json(request, payload, GENERATED_IDS_FIELDS, {}, default=None)


# --- files.list -------------------------------------------------------------------------


def files_list(core: Core, request: Request, caller: Caller) -> Response:
    page_size = _int_arg(request, "pageSize", 100)
    if page_size < 1:
        raise errors.invalid_value("pageSize")
    page_size = min(page_size, MAX_PAGE_SIZE)
    q = request.arg("q") or ""
    order_by = request.arg("orderBy") or ""
    sort_key = _sort_key(order_by)
    predicate, parent = compile_query(q, caller.user.root_id) if q.strip() else (None, None)
    fingerprint = _fingerprint(caller, q, order_by)
    offset = _decode_page_token(request.arg("pageToken"), fingerprint)
    context = caller.context()
    store = core.store
    with store.lock:
        candidates = (
            [store.files[i] for i in store.children.get(parent, ()) if i in store.files]
            if parent
            else list(store.files.values())
        )
        matches = [
            f
            for f in candidates
            if not f.is_root and caller.can_see(f) and (predicate is None or predicate(f, context))
        ]
        matches.sort(key=sort_key)
        page = matches[offset : offset + page_size]
        resources = [file_resource(f, store, caller.client_id) for f in page]
    payload: dict[str, Any] = {"kind": "drive#fileList", "incompleteSearch": False}
    if offset + page_size < len(matches):
        payload["nextPageToken"] = _encode_page_token(offset + page_size, fingerprint)
    payload["files"] = resources
    return _json(
        request,
        payload,
        FILE_LIST_FIELDS,
        {"files": FILE_FIELDS},
        default={
            "kind": None,
            "incompleteSearch": None,
            "nextPageToken": None,
            "files": {name: None for name in DEFAULT_FILE_FIELDS},
        },
    )


def _sort_key(order_by: str) -> Any:
    keys: list[tuple[str, bool]] = []
    for item in filter(None, (part.strip() for part in order_by.split(","))):
        name, _, direction = item.partition(" ")
        if name not in _SORTABLE or direction.strip() not in ("", "desc", "asc"):
            raise errors.invalid_value("orderBy", f"Invalid sort order: {item}")
        keys.append((name, direction.strip() == "desc"))

    def key(file: DriveFile) -> tuple:
        parts: list[Any] = []
        for name, descending in keys:
            parts.append(_Reversed(_SORTABLE[name](file)) if descending else _SORTABLE[name](file))
        parts.append(file.seq)
        return tuple(parts)

    return key


_SORTABLE: dict[str, Any] = {
    "createdTime": lambda f: f.created_time,
    "modifiedTime": lambda f: f.modified_time,
    "modifiedByMeTime": lambda f: f.modified_time,
    "recency": lambda f: f.modified_time,
    "name": lambda f: f.name.lower(),
    "name_natural": lambda f: f.name.lower(),
    "folder": lambda f: 0 if f.is_folder else 1,
    "quotaBytesUsed": lambda f: f.size,
    "starred": lambda f: 0 if f.starred else 1,
    "viewedByMeTime": lambda f: f.modified_time,
}


class _Reversed:
    __slots__ = ("value",)

    def __init__(self, value: Any) -> None:
        self.value = value

    def __lt__(self, other: _Reversed) -> bool:
        return other.value < self.value

    def __eq__(self, other: object) -> bool:
        return isinstance(other, _Reversed) and other.value == self.value

    def __hash__(self) -> int:
        return hash(self.value)


def _fingerprint(caller: Caller, q: str, order_by: str) -> str:
    raw = f"{caller.email}|{caller.client_id}|{q}|{order_by}".encode()
    return hashlib.sha256(raw).hexdigest()[:12]


def _encode_page_token(offset: int, fingerprint: str) -> str:
    return base64.urlsafe_b64encode(f"{offset}:{fingerprint}".encode()).decode().rstrip("=")


def _decode_page_token(token: str | None, fingerprint: str) -> int:
    """Page tokens only work with the query (and account) they were issued for."""
    if not token:
        return 0
    try:
        raw = base64.urlsafe_b64decode(token + "=" * (-len(token) % 4)).decode()
        offset, _, issued_for = raw.partition(":")
        if issued_for != fingerprint:
            raise ValueError(raw)
        return int(offset)
    except ValueError as exc:
        raise errors.invalid_value("pageToken") from exc


# --- files.get --------------------------------------------------------------------------


def files_get(core: Core, request: Request, caller: Caller) -> Response:
    file = visible_file(core, caller, request.params["fileId"])
    alt = request.arg("alt") or "json"
    if alt == "media":
        return _media(file, request)
    if alt != "json":
        raise errors.invalid_value("alt")
    return file_response(core, request, caller, file)


def _media(file: DriveFile, request: Request) -> Response:
    if file.is_folder or file.content is None:
        raise DriveError(
            403,
            "fileNotDownloadable",
            "Only files with binary content can be downloaded. Use Export with Docs Editors files.",
            location="alt",
            location_type="parameter",
        )
    content = file.content
    byte_range = _parse_range(request.header("Range"), len(content))
    if byte_range is None:
        return Response.raw(content, file.mime_type)
    start, end = byte_range
    response = Response.raw(content[start : end + 1], file.mime_type, status=206)
    response.headers.append(("Content-Range", f"bytes {start}-{end}/{len(content)}"))
    return response


def _parse_range(header: str | None, size: int) -> tuple[int, int] | None:
    if not header or not header.startswith("bytes="):
        return None
    first, _, last = header[6:].split(",")[0].partition("-")
    try:
        if first == "":
            start, end = max(0, size - int(last)), size - 1
        else:
            start, end = int(first), min(int(last) if last else size - 1, size - 1)
    except ValueError:
        return None
    if start >= size or start > end:
        raise DriveError(416, "requestedRangeNotSatisfiable", "Request range not satisfiable")
    return start, end


# --- files.create (metadata only) -------------------------------------------------------


def files_create(core: Core, request: Request, caller: Caller) -> Response:
    metadata = parse_metadata(request)
    file = create_file(core, caller, metadata, content=None, media_type=None)
    return create_response(core, request, caller, file)


def create_response(
    core: Core, request: Request, caller: Caller, file: DriveFile, status: int = 200
) -> Response:
    """The answer to a create; without md5Checksum under Config.omit_md5_in_create."""
    omit = ("md5Checksum",) if core.config.omit_md5_in_create else ()
    return file_response(core, request, caller, file, status, omit=omit)


def parse_metadata(request: Request, body: bytes | None = None) -> dict[str, Any]:
    raw = request.body if body is None else body
    if not raw.strip():
        return {}
    try:
        metadata = json.loads(raw.decode("utf-8"))
    except (ValueError, UnicodeDecodeError) as exc:
        raise DriveError(400, "parseError", f"Invalid JSON payload received. {exc}") from exc
    if not isinstance(metadata, dict):
        raise DriveError(400, "parseError", "Invalid JSON payload received. Expected an object.")
    return metadata


def create_file(
    core: Core,
    caller: Caller,
    metadata: dict[str, Any],
    content: bytes | None,
    media_type: str | None,
    *,
    upload: bool = False,
) -> DriveFile:
    """Validate `metadata` and store a new file owned by the caller, created by its client.

    `upload`: the create carries content (multipart, media or resumable), which matters for
    whether a client-chosen id is taken (Config.upload_ids).
    """
    check_account_may_create(core)
    check_writable(metadata, allow={"id"})
    validate_properties(metadata)
    now = core.clock.time()
    mime_type = metadata.get("mimeType") or media_type or "application/octet-stream"
    if content is None and mime_type != FOLDER_MIME:
        content = b""
    file = DriveFile(
        id="",
        owner=caller.email,
        name=str(metadata.get("name") or "Untitled"),
        mime_type=mime_type,
        parents=[],
        created_time=_time_field(metadata, "createdTime", now),
        modified_time=_time_field(metadata, "modifiedTime", now),
        seq=0,
        description=metadata.get("description"),
        starred=bool(metadata.get("starred", False)),
        original_filename=metadata.get("originalFilename"),
        created_by_client=caller.client_id,
        properties=_clean(metadata.get("properties")),
    )
    app_properties = _clean(metadata.get("appProperties"))
    if app_properties:
        file.app_properties[caller.client_id] = app_properties
    if content is not None:
        file.set_content(content)
    store = core.store
    with store.lock:
        parents = resolve_parents(core, caller, metadata.get("parents"))
        check_parent_not_refused(core, parents)
        check_quota(core, caller.email, len(content or b""))
        file.id = claim_file_id(core, caller, metadata.get("id"), upload=upload)
        file.seq = store.next_seq()
        file.parents = parents
        file.explicitly_trashed = bool(metadata.get("trashed"))
        store.insert_file(file)
        # Created inside a trashed folder, it is in the trash too.
        _update_trashed(core, file, now)
    return file


def check_writable(metadata: dict[str, Any], allow: set[str] = frozenset()) -> None:
    for key in metadata:
        if key in WRITABLE_FIELDS or key in allow:
            continue
        if key in FILE_FIELDS:
            raise DriveError(
                403,
                "fieldNotWritable",
                "The resource body includes fields which are not directly writable.",
            )
        raise DriveError(
            400,
            "badRequest",
            f'Invalid JSON payload received. Unknown name "{key}": Cannot find field.',
        )


def validate_properties(metadata: dict[str, Any]) -> None:
    for field in ("properties", "appProperties"):
        values = metadata.get(field)
        if values is None:
            continue
        if not isinstance(values, dict):
            raise errors.bad_request(f"Invalid value for {field}.", reason="invalid")
        if len(values) > MAX_APP_PROPERTIES:
            raise DriveError(
                400,
                "invalid",
                f"The number of {field} exceeds the maximum of {MAX_APP_PROPERTIES}.",
            )
        for key, value in values.items():
            size = len(key.encode()) + len(str(value or "").encode())
            if size > MAX_PROPERTY_BYTES:
                raise DriveError(
                    400,
                    "invalid",
                    f"The size of the property with key '{key}' and value exceeds the maximum "
                    f"allowed size of {MAX_PROPERTY_BYTES} bytes.",
                )


def resolve_parents(core: Core, caller: Caller, parents: Any) -> list[str]:
    if parents is None or parents == []:
        return [caller.user.root_id]
    if not isinstance(parents, list) or not all(isinstance(p, str) for p in parents):
        raise errors.bad_request("Invalid value for parents.", reason="invalid")
    if len(parents) > 1:
        raise DriveError(
            403,
            "cannotAddParent",
            "Increasing the number of parents is not allowed. A file can only have one parent.",
        )
    parent_id = caller.user.root_id if parents[0] == "root" else parents[0]
    parent = core.store.files.get(parent_id)
    if parent is None or not caller.can_see(parent):
        raise errors.file_not_found(parent_id, location="parents")
    if not parent.is_folder:
        raise DriveError(400, "invalid", "The specified parent is not a folder.")
    return [parent_id]


def claim_file_id(core: Core, caller: Caller, wanted: Any, *, upload: bool = False) -> str:
    """A client-supplied id must come from generateIds and be unused; else a fresh id.

    Under Config.replace_client_id the id is used up but the file gets a fresh one anyway.
    """
    store = core.store
    if wanted is None:
        return store.new_file_id()
    check_file_id(core, caller, wanted, upload=upload)
    del store.generated_ids[wanted]
    store.generated_at.pop(wanted, None)
    return store.new_file_id() if core.config.replace_client_id else wanted


def check_file_id(core: Core, caller: Caller, wanted: Any, *, upload: bool) -> None:
    """Raise what Drive answers for a client-chosen id it will not take now."""
    config = core.config
    store = core.store
    if wanted in store.files:
        raise errors.file_id_in_use(config.id_in_use_reason)
    if upload and config.upload_ids == "refuse":
        raise errors.file_id_refused(config.id_refusal)
    if store.generated_ids.get(wanted) != caller.email or _lapsed(core, wanted):
        raise errors.file_id_refused(config.id_refusal)


def _lapsed(core: Core, file_id: str) -> bool:
    lifetime = core.config.generated_id_lifetime_s
    if lifetime is None:
        return False
    issued = core.store.generated_at.get(file_id)
    return issued is not None and core.clock.time() - issued > lifetime


def check_account_may_create(core: Core) -> None:
    """Config.account_write_refusal: the account may create nothing more at all."""
    reason = core.config.account_write_refusal
    if reason:
        raise errors.account_write_refused(reason)


def check_parent_not_refused(core: Core, parents: list[str]) -> None:
    """Config.trashed_parent="refuse": a create inside a trashed folder is refused."""
    if core.config.trashed_parent != "refuse":
        return
    for parent_id in parents:
        parent = core.store.files.get(parent_id)
        if parent is not None and parent.trashed:
            raise errors.parent_trashed(parent_id)


def check_quota(core: Core, email: str, extra_bytes: int) -> None:
    quota = core.config.storage_quota_bytes
    if quota is not None and core.store.usage_bytes(email) + extra_bytes > quota:
        raise errors.storage_quota_exceeded()


# --- files.update (metadata) ------------------------------------------------------------


def files_update(core: Core, request: Request, caller: Caller) -> Response:
    metadata = parse_metadata(request)
    file = visible_file(core, caller, request.params["fileId"])
    update_file(core, request, caller, file, metadata)
    return file_response(core, request, caller, file)


def update_file(
    core: Core, request: Request, caller: Caller, file: DriveFile, metadata: dict[str, Any]
) -> None:
    if "parents" in metadata:
        raise DriveError(
            403,
            "fieldNotWritable",
            "The parents field is not directly writable in update requests. Use the "
            "addParents and removeParents parameters instead.",
        )
    check_writable(metadata)
    validate_properties(metadata)
    now = core.clock.time()
    store = core.store
    with store.lock:
        _move(core, request, caller, file)
        for key, attribute in (
            ("name", "name"),
            ("mimeType", "mime_type"),
            ("description", "description"),
            ("starred", "starred"),
            ("originalFilename", "original_filename"),
        ):
            if key in metadata:
                setattr(file, attribute, metadata[key])
        if "properties" in metadata:
            file.properties = _merge(file.properties, metadata["properties"])
        if "appProperties" in metadata:
            own = file.app_properties.get(caller.client_id, {})
            file.app_properties[caller.client_id] = _merge(own, metadata["appProperties"])
        if "trashed" in metadata:
            _set_trashed(core, file, bool(metadata["trashed"]), now)
        file.modified_time = _time_field(metadata, "modifiedTime", now)
        file.version += 1


def _move(core: Core, request: Request, caller: Caller, file: DriveFile) -> None:
    add = [p for p in (request.arg("addParents") or "").split(",") if p]
    remove = [p for p in (request.arg("removeParents") or "").split(",") if p]
    if not add and not remove:
        return
    parents = [p for p in file.parents if p not in remove]
    for parent_id in add:
        resolved = resolve_parents(core, caller, [parent_id])[0]
        if resolved not in parents:
            parents.append(resolved)
    if len(parents) > 1:
        raise DriveError(
            403,
            "cannotAddParent",
            "Increasing the number of parents is not allowed. A file can only have one parent.",
        )
    core.store.set_parents(file, parents)
    _update_trashed(core, file, core.clock.time())


def _set_trashed(core: Core, file: DriveFile, trashed: bool, now: float) -> None:
    """Trashing a folder trashes what is inside it too (not explicitly); restoring undoes that."""
    file.explicitly_trashed = trashed
    _update_trashed(core, file, now)


def _update_trashed(core: Core, file: DriveFile, now: float) -> None:
    """`trashed` of `file` and everything below it: trashed "either explicitly or from a
    trashed parent folder" (Drive's File.trashed), so any trashed ancestor counts."""
    store = core.store
    for item in [file, *store.descendants(file.id)]:
        parent = store.files.get(item.parents[0]) if item.parents else None
        trashed = item.explicitly_trashed or bool(parent and parent.trashed)
        if trashed != item.trashed:
            item.trashed = trashed
            item.trashed_time = now if trashed else None


# --- files.delete -----------------------------------------------------------------------


def files_delete(core: Core, request: Request, caller: Caller) -> Response:
    """Permanent delete (skipping the trash) of the file and everything under it. Recorded."""
    file = visible_file(core, caller, request.params["fileId"])
    if file.is_root:
        raise DriveError(
            403,
            "insufficientFilePermissions",
            "The user does not have sufficient permissions for this file.",
        )
    now = core.clock.time()
    store = core.store
    with store.lock:
        for victim in [*store.descendants(file.id), file]:
            store.deletes.append(
                DeleteRecord(
                    file_id=victim.id,
                    name=victim.name,
                    path=store.path_of(victim),
                    owner=victim.owner,
                    client_id=caller.client_id,
                    at=now,
                )
            )
        for victim in [*store.descendants(file.id), file]:
            store.remove_file(victim)
    return Response.empty(204)


# --- shared helpers ---------------------------------------------------------------------


def visible_file(core: Core, caller: Caller, file_id: str) -> DriveFile:
    """The file if this caller may see it; Drive answers 404 (not 403) otherwise."""
    if file_id == "root":
        file_id = caller.user.root_id
    with core.store.lock:
        file = core.store.files.get(file_id)
    if file is None or not caller.can_see(file):
        raise errors.file_not_found(file_id)
    return file


def file_response(
    core: Core,
    request: Request,
    caller: Caller,
    file: DriveFile,
    status: int = 200,
    omit: tuple[str, ...] = (),
) -> Response:
    with core.store.lock:
        resource = file_resource(file, core.store, caller.client_id)
    for name in omit:
        resource.pop(name, None)
    response = _json(
        request,
        resource,
        FILE_FIELDS,
        {},
        default={name: None for name in DEFAULT_FILE_FIELDS},
    )
    response.status = status
    return response


def _json(
    request: Request,
    payload: dict[str, Any],
    known: set[str],
    nested: dict[str, set[str]],
    default: dict[str, Any] | None,
) -> Response:
    """Apply `fields` (or the method's default selection) and serialise."""
    fields = request.arg("fields")
    if fields:
        selection = parse_fields(fields)
        check_known(selection, known, nested)
        payload = apply_fields(payload, selection)
    elif default is not None:
        payload = apply_fields(payload, default)
    pretty = (request.arg("prettyPrint") or "true").lower() != "false"
    return Response.json(payload, pretty=pretty)


def _int_arg(request: Request, name: str, default: int) -> int:
    raw = request.arg(name)
    if raw is None or raw == "":
        return default
    try:
        return int(raw)
    except ValueError as exc:
        raise errors.invalid_value(name) from exc


def _time_field(metadata: dict[str, Any], name: str, default: float) -> float:
    raw = metadata.get(name)
    if raw is None:
        return default
    try:
        return parse_time(str(raw))
    except QueryError as exc:
        raise errors.bad_request(f"Invalid value for {name}: {raw}", reason="invalid") from exc


def _clean(values: Any) -> dict[str, str]:
    """Property maps as stored: string values, nulls dropped."""
    if not values:
        return {}
    return {str(k): str(v) for k, v in values.items() if v is not None}


def _merge(current: dict[str, str], changes: Any) -> dict[str, str]:
    """Update semantics for property maps: a null value deletes the key."""
    merged = dict(current)
    for key, value in (changes or {}).items():
        if value is None:
            merged.pop(key, None)
        else:
            merged[key] = str(value)
    return merged
