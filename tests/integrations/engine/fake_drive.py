"""An in-process stand-in for google.client.DriveClient: the engine's unit tests need no server.

It keeps the DriveClient contract the engine relies on, not Google's wire format (that is
fake_google's job, for the fault and end-to-end tests):

- `upload`/`create_folder` create under the reserved id; an id already taken answers with
  what is there (as the client does after a 409), a file made in a trashed folder is itself
  trashed, a missing parent is NOT_FOUND, and a stored md5 other than ours is ChecksumMismatch;
- `get_file` is None for what does not exist; `list_files` returns our folders not in the trash;
  `find_landed` finds a live file or folder by its appProperties, parent (and md5); an upload
  without an id gets one of the drive's own;
- faults: `fail_next(method, error)` raises a DriveError once (before the write), and
  `lose_next_answer()` lets the next upload land and then raises, as a dropped connection does.
"""

from __future__ import annotations

import itertools
from collections import defaultdict
from dataclasses import dataclass, field

from integrations.google.errors import ChecksumMismatch, DriveError, ErrorKind
from integrations.google.files import StoredFile


@dataclass
class Item:
    id: str
    name: str
    parent: str
    md5: str | None
    size: int | None
    folder: bool
    app_properties: dict[str, str]
    trashed: bool = False


@dataclass
class FakeDrive:
    items: dict[str, Item] = field(default_factory=dict)
    calls: int = 0
    counts: dict[str, int] = field(default_factory=lambda: defaultdict(int))
    refused_ids: set[str] = field(default_factory=set)
    _failures: dict[str, list[DriveError]] = field(default_factory=lambda: defaultdict(list))
    _lose_answers: int = 0
    _ids: itertools.count = field(default_factory=lambda: itertools.count(1))

    # --- faults and the merchant's doings -------------------------------------------------

    def fail_next(self, method: str, error: DriveError, times: int = 1) -> None:
        self._failures[method].extend([error] * times)

    def lose_next_answer(self) -> None:
        self._lose_answers += 1

    def trash(self, file_id: str) -> None:
        self.items[file_id].trashed = True

    def delete(self, file_id: str) -> None:
        for child in [i for i in self.items.values() if i.parent == file_id]:
            self.delete(child.id)
        del self.items[file_id]

    def files(self) -> list[Item]:
        return [i for i in self.items.values() if not i.folder]

    def path_of(self, file_id: str) -> str:
        item = self.items[file_id]
        parent = self.items.get(item.parent)
        return f"{self.path_of(parent.id)}/{item.name}" if parent else item.name

    def in_trash(self, file_id: str) -> bool:
        item = self.items.get(file_id)
        while item is not None:
            if item.trashed:
                return True
            item = self.items.get(item.parent)
        return False

    # --- the DriveClient contract ---------------------------------------------------------

    def refresh_access_token(self) -> None:
        self._call("refresh_access_token", counted=False)

    def generate_ids(self, count: int) -> list[str]:
        self._call("generate_ids")
        return [f"id-{next(self._ids)}" for _ in range(count)]

    def get_file(self, file_id: str) -> StoredFile | None:
        self._call("get_file")
        return self._stored(file_id)

    def list_files(self, q: str, fields: str = "") -> list[dict]:
        self._call("list_files")
        return [
            {
                "id": i.id,
                "name": i.name,
                "parents": [i.parent],
                "appProperties": dict(i.app_properties),
                "createdTime": i.id,
            }
            for i in self.items.values()
            if i.folder and not self.in_trash(i.id)
        ]

    def find_landed(
        self, app_properties: dict[str, str], parent_id: str, md5: str | None
    ) -> StoredFile | None:
        self._call("find_landed")
        for item in self.items.values():
            if (
                item.parent == parent_id
                and item.app_properties == app_properties
                and not self.in_trash(item.id)
                and (md5 is None or item.md5 == md5)
            ):
                return self._stored(item.id)
        return None

    def create_folder(
        self, file_id: str, name: str, parent_id: str, app_properties: dict[str, str]
    ) -> StoredFile:
        self._call("create_folder")
        self._create(file_id, name, parent_id, None, None, True, app_properties)
        return self._stored(file_id) or StoredFile(id=file_id)

    def upload(
        self,
        *,
        file_id: str | None,
        name: str,
        parent_id: str,
        mimetype: str,
        stream,
        size: int,
        md5: str,
        app_properties: dict[str, str],
    ) -> StoredFile:
        self._call("upload")
        file_id = file_id or f"drive-{next(self._ids)}"
        stored_md5 = md5 if not self.items.get(file_id) else self.items[file_id].md5
        self._create(file_id, name, parent_id, md5, size, False, app_properties)
        if self._lose_answers:
            self._lose_answers -= 1
            raise DriveError(ErrorKind.TRANSIENT, "network: the answer was lost")
        stored = self._stored(file_id)
        assert stored is not None
        if stored_md5 != md5:
            raise ChecksumMismatch(md5, stored.md5)
        return stored

    # --- inside -----------------------------------------------------------------------------

    @property
    def api_calls(self) -> int:
        return self.calls

    def _call(self, method: str, *, counted: bool = True) -> None:
        self.counts[method] += 1
        if counted:
            self.calls += 1
        if self._failures[method]:
            raise self._failures[method].pop(0)

    def _create(self, file_id, name, parent_id, md5, size, folder, app_properties) -> None:
        if file_id in self.refused_ids:
            raise DriveError(
                ErrorKind.ID_UNUSABLE, "The provided file ID is not usable.", status=400
            )
        if file_id in self.items:
            return  # an earlier attempt landed: the client reads it back after the 409
        if parent_id != "root" and parent_id not in self.items:
            raise DriveError(ErrorKind.NOT_FOUND, f"File not found: {parent_id}", status=404)
        self.items[file_id] = Item(
            file_id,
            name,
            parent_id,
            md5,
            size,
            folder,
            dict(app_properties),
            trashed=parent_id != "root" and self.in_trash(parent_id),
        )

    def _stored(self, file_id: str) -> StoredFile | None:
        item = self.items.get(file_id)
        if item is None:
            return None
        return StoredFile(
            id=item.id,
            md5=item.md5,
            size=item.size,
            name=item.name,
            trashed=self.in_trash(item.id),
            parents=(item.parent,),
            app_properties=dict(item.app_properties),
        )
