"""The in-memory world: accounts, OAuth clients and grants, Drive files, upload sessions.

Everything lives in one `Store` guarded by one re-entrant lock; handlers take the lock for the
short moment they read or change state (hashing and HTTP I/O happen outside it).
"""

from __future__ import annotations

import hashlib
import random
import secrets
import string
import threading
from collections import Counter, defaultdict
from dataclasses import dataclass, field

FOLDER_MIME = "application/vnd.google-apps.folder"
ID_ALPHABET = string.ascii_letters + string.digits + "-_"


@dataclass
class User:
    email: str
    name: str
    root_id: str
    permission_id: str
    sub: str


@dataclass
class Client:
    client_id: str
    client_secret: str
    redirect_uris: list[str]
    name: str = "Drive Backup"


@dataclass
class Grant:
    """What one Google account granted one OAuth client. Revoking any token revokes it all."""

    id: str
    email: str
    client_id: str
    scopes: set[str]
    created_at: float
    refresh_tokens: list[str] = field(default_factory=list)
    revoked_at: float | None = None
    revoked_by: str | None = None

    @property
    def active(self) -> bool:
        return self.revoked_at is None


@dataclass
class AccessToken:
    token: str
    grant_id: str
    scopes: frozenset[str]
    expires_at: float


@dataclass
class RefreshToken:
    token: str
    grant_id: str
    scopes: frozenset[str]
    issued_at: float


@dataclass
class AuthCode:
    code: str
    grant_id: str
    client_id: str
    redirect_uri: str
    scopes: frozenset[str]
    code_challenge: str | None
    code_challenge_method: str | None
    issue_refresh_token: bool
    expires_at: float
    used: bool = False


@dataclass
class PendingConsent:
    """An authorization request that passed validation and waits for the consent form."""

    id: str
    client_id: str
    redirect_uri: str
    scopes: list[str]
    state: str | None
    code_challenge: str | None
    code_challenge_method: str | None
    access_type: str
    prompt: set[str]
    include_granted_scopes: bool
    login_hint: str | None
    created_at: float


@dataclass
class DriveFile:
    id: str
    owner: str
    name: str
    mime_type: str
    parents: list[str]
    created_time: float
    modified_time: float
    seq: int
    content: bytes | None = None
    md5: str | None = None
    sha256: str | None = None
    # appProperties are private to the OAuth client that set them: {client_id: {key: value}}.
    app_properties: dict[str, dict[str, str]] = field(default_factory=dict)
    properties: dict[str, str] = field(default_factory=dict)
    description: str | None = None
    starred: bool = False
    trashed: bool = False
    explicitly_trashed: bool = False
    trashed_time: float | None = None
    original_filename: str | None = None
    # None = made by the user in Drive's own UI (invisible to drive.file tokens).
    created_by_client: str | None = None
    version: int = 1
    is_root: bool = False

    @property
    def is_folder(self) -> bool:
        return self.mime_type == FOLDER_MIME

    @property
    def size(self) -> int:
        return len(self.content) if self.content is not None else 0

    def set_content(self, data: bytes) -> None:
        self.content = data
        self.md5 = hashlib.md5(data, usedforsecurity=False).hexdigest()
        self.sha256 = hashlib.sha256(data).hexdigest()


@dataclass
class UploadSession:
    id: str
    owner: str
    client_id: str
    metadata: dict
    mime_type: str
    total_size: int | None
    created_at: float
    # For a media update of an existing file; None creates a new file.
    target_file_id: str | None = None
    fields: str | None = None
    data: bytearray = field(default_factory=bytearray)
    result_file_id: str | None = None
    query: dict[str, str] = field(default_factory=dict)
    # Serialises PUTs to one session (a re-sent chunk may race a status query).
    lock: threading.Lock = field(default_factory=threading.Lock, repr=False)


@dataclass
class DeleteRecord:
    file_id: str
    name: str
    path: str
    owner: str
    client_id: str | None
    at: float


class Store:
    """All mutable state. Callers hold `lock` while touching it."""

    def __init__(self, id_seed: int | None = None) -> None:
        self.lock = threading.RLock()
        self._ids = random.Random(id_seed)
        self.clear()

    def clear(self, id_seed: int | None = None) -> None:
        with self.lock:
            self._ids = random.Random(id_seed)
            self.users: dict[str, User] = {}
            self.clients: dict[str, Client] = {}
            self.grants: dict[str, Grant] = {}
            self.access_tokens: dict[str, AccessToken] = {}
            self.refresh_tokens: dict[str, RefreshToken] = {}
            self.codes: dict[str, AuthCode] = {}
            self.consents: dict[str, PendingConsent] = {}
            self.files: dict[str, DriveFile] = {}
            self.children: dict[str, dict[str, None]] = defaultdict(dict)
            self.generated_ids: dict[str, str] = {}
            # When each generated id was issued (for Config.generated_id_lifetime_s).
            self.generated_at: dict[str, float] = {}
            self.uploads: dict[str, UploadSession] = {}
            self.deletes: list[DeleteRecord] = []
            self.counters: dict[str, Counter[str]] = defaultdict(Counter)
            self.seq = 0

    # --- identifiers --------------------------------------------------------------------

    def new_file_id(self) -> str:
        """A Drive-looking id (33 characters, URL-safe), reproducible under a seed."""
        with self.lock:
            while True:
                candidate = "1" + "".join(self._ids.choice(ID_ALPHABET) for _ in range(32))
                if candidate not in self.files and candidate not in self.generated_ids:
                    return candidate

    def next_seq(self) -> int:
        with self.lock:
            self.seq += 1
            return self.seq

    @staticmethod
    def new_secret(prefix: str, length: int = 40) -> str:
        return prefix + secrets.token_urlsafe(length)[:length]

    # --- accounts -----------------------------------------------------------------------

    def add_user(self, email: str, name: str, now: float) -> User:
        with self.lock:
            existing = self.users.get(email)
            if existing:
                existing.name = name or existing.name
                return existing
            digest = hashlib.sha256(email.encode()).hexdigest()
            user = User(
                email=email,
                name=name,
                root_id="0A" + digest[:17].upper() + "Uk9PVA",
                permission_id=str(int(digest[:12], 16))[:20],
                sub=str(int(digest[12:30], 16))[:21].rjust(21, "1"),
            )
            self.users[email] = user
            root = DriveFile(
                id=user.root_id,
                owner=email,
                name="My Drive",
                mime_type=FOLDER_MIME,
                parents=[],
                created_time=now,
                modified_time=now,
                seq=0,
                is_root=True,
            )
            self.files[root.id] = root
            return user

    # --- files --------------------------------------------------------------------------

    def insert_file(self, file: DriveFile) -> None:
        with self.lock:
            self.files[file.id] = file
            for parent in file.parents:
                self.children[parent][file.id] = None

    def set_parents(self, file: DriveFile, parents: list[str]) -> None:
        with self.lock:
            for parent in file.parents:
                self.children[parent].pop(file.id, None)
            file.parents = list(parents)
            for parent in parents:
                self.children[parent][file.id] = None

    def remove_file(self, file: DriveFile) -> None:
        with self.lock:
            self.files.pop(file.id, None)
            for parent in file.parents:
                self.children[parent].pop(file.id, None)
            self.children.pop(file.id, None)

    def descendants(self, folder_id: str) -> list[DriveFile]:
        """Every file below `folder_id`, depth first."""
        with self.lock:
            found: list[DriveFile] = []
            stack = [folder_id]
            while stack:
                for child_id in list(self.children.get(stack.pop(), ())):
                    child = self.files.get(child_id)
                    if child is not None:
                        found.append(child)
                        stack.append(child.id)
            return found

    def path_of(self, file: DriveFile) -> str:
        """'/Folder/Sub/name' from the owner's My Drive (first parent chain)."""
        with self.lock:
            parts = [file.name]
            seen = {file.id}
            current = file
            while current.parents:
                parent = self.files.get(current.parents[0])
                if parent is None or parent.is_root or parent.id in seen:
                    break
                seen.add(parent.id)
                parts.append(parent.name)
                current = parent
            return "/" + "/".join(reversed(parts))

    def usage_bytes(self, email: str) -> int:
        with self.lock:
            return sum(f.size for f in self.files.values() if f.owner == email)

    def count(self, endpoint: str, status: str) -> None:
        with self.lock:
            self.counters[endpoint][status] += 1
