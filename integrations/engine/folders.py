"""The backup's folder tree in the merchant's Drive (S6), never duplicated.

`<root>/<YYYY>/<MM>/{Orders,Invoices,Receipts}`. Drive allows two folders of the same name
side by side, so only our bookkeeping keeps the tree single. The DriveFolder rows remember
the id of every folder we made, by path, and are written before the folder is created.

A run resolves its paths the cheapest way that is still safe:

- every path it needs is cached: the cached ids are used as they are, with no Drive request.
  Whether a folder was trashed or deleted meanwhile shows in the answers we get anyway: a file
  or folder created inside a trashed folder answers `trashed=true`, one created in a folder
  deleted for good answers 404. Then `recover()` lists the tree again and what is missing is
  created again (what the trashed folder held stays where it is).
- the integration has no cached folder at all: it never made a tree in any Drive, so the
  folders are created straight away.
- otherwise (a new month, say): ONE `files.list` returns every folder we made that is not in
  the trash, and paths are resolved through it by name and parent from our root; the cache
  picks among duplicates, so folders made by someone else never change our choice.
"""

from __future__ import annotations

import logging
from collections import defaultdict
from collections.abc import Iterable
from datetime import date

from django.conf import settings

from integrations.engine.drive_ids import DriveIdPool
from integrations.google.client import FOLDER_MIME, DriveClient
from integrations.google.errors import DriveError, ErrorKind
from integrations.google.files import StoredFile, app_properties_query
from integrations.models import BackedUpFile, DriveFolder, GoogleDriveIntegration

logger = logging.getLogger(__name__)

APP_TAG = "drivebackup"
ROOT_PATH = "/"
KIND_FOLDER_NAMES = {
    BackedUpFile.Kind.ORDERS: "Orders",
    BackedUpFile.Kind.INVOICE: "Invoices",
    BackedUpFile.Kind.RECEIPT: "Receipts",
}

FolderPath = tuple[str, ...]


def folder_for(kind: str, day: date) -> FolderPath:
    """Where a file of `kind` for `day`'s month goes, relative to the root folder."""
    return (f"{day.year:04d}", f"{day.month:02d}", KIND_FOLDER_NAMES[kind])


def display_path(path: FolderPath) -> str:
    return "/".join((settings.BACKUP_ROOT_FOLDER_NAME, *path))


def folder_app_properties(integration_id: int, path: FolderPath) -> dict[str, str]:
    return {
        **tree_app_properties(integration_id),
        "path": "/".join(path) or ROOT_PATH,
    }


def tree_app_properties(integration_id: int) -> dict[str, str]:
    # Two merchant accounts may back up into one Google account: each keeps its own tree,
    # so neither's documents land among the other's (or race for the same folder).
    return {"app": APP_TAG, "kind": "folder", "integration": str(integration_id)}


def our_folders_query(integration_id: int) -> str:
    return f"mimeType='{FOLDER_MIME}' and trashed=false and " + app_properties_query(
        tree_app_properties(integration_id)
    )


class FolderInTrash(DriveError):
    """Drive keeps putting what we create at this path into the trash, even after a recovery."""

    def __init__(self, path: FolderPath) -> None:
        super().__init__(
            ErrorKind.TRANSIENT,
            f"{display_path(path)} is in the trash in Google Drive, also after creating it again",
            reason="parentTrashed",
        )


class FolderTree:
    """Resolves folder paths to Drive ids for one run, creating what is missing."""

    def __init__(
        self,
        client: DriveClient,
        integration: GoogleDriveIntegration,
        account_id: str,
        ids: DriveIdPool,
    ) -> None:
        self.client = client
        self.integration = integration
        self.account_id = account_id
        self.ids = ids
        self.root_name = settings.BACKUP_ROOT_FOLDER_NAME
        self.created: list[str] = []
        self._cached: dict[str, str] = dict(
            DriveFolder.objects.filter(
                integration=integration, google_account_id=account_id
            ).values_list("path", "drive_id")
        )
        # DriveFolder rows go only with their integration (see the model): without any, no
        # tree of this integration exists in any Drive, and there is nothing to look for.
        self._never_made = not (
            self._cached or DriveFolder.objects.filter(integration=integration).exists()
        )
        self._loaded = False
        # Ids of our folders the last listing showed (and those made since).
        self._listed: set[str] = set()
        self._children: dict[tuple[str, str], list[str]] = defaultdict(list)
        self._roots: list[str] = []
        self._resolved: dict[FolderPath, str] = {}
        self._made_this_run: set[str] = set()
        self._recovered: set[FolderPath] = set()

    # --- planning -----------------------------------------------------------------------

    def missing_count(self, paths: Iterable[FolderPath]) -> int:
        """How many folders `paths` may need created (an upper bound); lists only if needed."""
        needed = {path[:depth] for path in set(paths) for depth in range(len(path) + 1)}
        if all(_cache_key(path) in self._cached for path in needed):
            return 0
        if self._never_made:
            return len(needed)
        self.load()
        missing: set[FolderPath] = set()
        for path in set(paths):
            parent_id = self._pick(self._roots, ())
            depth = 0
            while parent_id is not None and depth < len(path):
                depth += 1
                children = self._children.get((parent_id, path[depth - 1]), [])
                parent_id = self._pick(children, path[:depth])
            if parent_id is None:
                missing.update(path[:d] for d in range(depth, len(path) + 1))
        return len(missing)

    # --- the listing --------------------------------------------------------------------

    def load(self) -> None:
        """One `files.list` of every folder of our tree that is not in the trash."""
        if self._loaded:
            return
        folders = self.client.list_files(
            our_folders_query(self.integration.pk),
            fields="id,name,parents,appProperties,createdTime",
        )
        folders.sort(key=lambda f: (f.get("createdTime", ""), f["id"]))
        self._listed.clear()
        self._children.clear()
        self._roots.clear()
        for folder in folders:
            self._listed.add(folder["id"])
            if (folder.get("appProperties") or {}).get("path") == ROOT_PATH:
                if folder.get("name") == self.root_name:
                    self._roots.append(folder["id"])
                continue
            for parent in folder.get("parents") or ():
                self._children[(parent, folder.get("name", ""))].append(folder["id"])
        self._loaded = True

    # --- resolving ----------------------------------------------------------------------

    def folder_id(self, path: FolderPath) -> str:
        """The Drive id of our folder at `path`, creating it (and its parents) if needed."""
        if path in self._resolved:
            return self._resolved[path]
        if path:
            parent_id, name = self.folder_id(path[:-1]), path[-1]
        else:
            parent_id, name = "root", self.root_name
        if not self._loaded and (_cache_key(path) in self._cached or self._never_made):
            folder_id = self._cached.get(_cache_key(path)) or self._create(path, parent_id, name)
        else:
            self.load()
            candidates = self._children.get((parent_id, name), []) if path else self._roots
            folder_id = (
                self._pick(candidates, path)
                or self._cached_still_there(path, parent_id, name)
                or self._create(path, parent_id, name)
            )
        self._remember(path, folder_id)
        return folder_id

    def recover(self, path: FolderPath) -> bool:
        """Something created in `path` answered "in the trash" or "parent not found".

        The cached ids of `path` can no longer be trusted: the tree is listed again, the
        ids of `path` that the listing does not show are forgotten, and the next
        `folder_id()` creates what is missing. Once per path and run, so a server that keeps
        answering so cannot keep us busy: False when this path was recovered already.
        """
        if path in self._recovered:
            return False
        self._recovered.add(path)
        logger.info(
            "%s of integration %s (or a folder above it) is trashed or gone; listing the tree",
            display_path(path),
            self.integration.pk,
        )
        self._forget_unlisted([path])
        return True

    def forget_trashed(self, paths: list[FolderPath]) -> None:
        """A listing showed these folders in the trash (a repair's): list the tree once and
        forget their cached ids, so files go into folders made again rather than the trash."""
        if paths:
            self._forget_unlisted(paths)

    def _forget_unlisted(self, paths: list[FolderPath]) -> None:
        self._loaded = False
        self._resolved.clear()
        self.load()
        for path in paths:
            for depth in range(len(path) + 1):
                key = _cache_key(path[:depth])
                cached = self._cached.get(key)
                # A folder made moments ago may be missing from the listing only because lists
                # lag; _cached_still_there asks Drive about it instead.
                if cached and cached not in self._listed and cached not in self._made_this_run:
                    del self._cached[key]

    def _pick(self, candidates: list[str], path: FolderPath) -> str | None:
        """Our cached choice among the listed candidates, else the oldest one."""
        if not candidates:
            return None
        cached = self._cached.get(_cache_key(path))
        return cached if cached in candidates else candidates[0]

    def _cached_still_there(self, path: FolderPath, parent_id: str, name: str) -> str | None:
        """A cached folder missing from the listing: just created (lists lag) or trashed?"""
        cached = self._cached.get(_cache_key(path))
        if not cached or cached in self._listed:
            return None
        found = self.client.get_file(cached)
        if found is None or found.trashed or found.name != name:
            return None
        if path and parent_id not in found.parents:
            return None
        return cached

    def _create(self, path: FolderPath, parent_id: str, name: str) -> str:
        folder_id = self._take_id(path)
        while True:
            try:
                stored = self._create_or_find(folder_id, name, parent_id, path)
            except DriveError as error:
                if path and self.parent_gone(error, parent_id) and self.recover(path[:-1]):
                    # The parent was deleted for good (404) or Drive refused to create in the
                    # trashed parent; nothing was created under this id.
                    parent_id = self.folder_id(path[:-1])
                    continue
                if error.kind == ErrorKind.ID_UNUSABLE and self.ids.refused(folder_id):
                    folder_id = self._take_id(path)
                    continue
                if error.kind == ErrorKind.ID_IN_USE:
                    # Taken by something we cannot see: this id is spent.
                    folder_id = self._take_id(path)
                    continue
                raise
            if stored.id != folder_id:
                # Drive gave the folder another id than the reserved one: the cache names it.
                folder_id = self._save_cache(path, stored.id)
            self._made_this_run.add(folder_id)
            if not stored.trashed:
                break
            # Created inside a trashed parent: it sits in the trash with it (and stays there).
            if not (path and self.recover(path[:-1])):
                raise FolderInTrash(path)
            parent_id = self.folder_id(path[:-1])
            folder_id = self._take_id(path)
        self.created.append(display_path(path))
        self._listed.add(folder_id)
        if path:
            self._children[(parent_id, name)].insert(0, folder_id)
        else:
            self._roots.insert(0, folder_id)
        return folder_id

    def parent_gone(self, error: DriveError, parent_id: str) -> bool:
        """A create in `parent_id` failed because the folder is deleted or in the trash.

        A 404 says so. Google does not say how it refuses a create inside a trashed folder
        (it may accept it, answering `trashed: true`), so any other refusal of the request
        is checked by asking Drive about the parent itself.
        """
        if error.kind == ErrorKind.NOT_FOUND:
            return True
        if error.retryable or error.ends_run or error.kind == ErrorKind.ID_IN_USE:
            return False
        parent = self.client.get_file(parent_id)
        return parent is None or parent.trashed

    def _create_or_find(
        self, folder_id: str, name: str, parent_id: str, path: FolderPath
    ) -> StoredFile:
        properties = folder_app_properties(self.integration.pk, path)
        try:
            return self.client.create_folder(folder_id, name, parent_id, properties)
        except DriveError as error:
            if error.kind != ErrorKind.ID_UNUSABLE:
                raise
            # A resend of a create that landed under another id than ours (its answer lost)
            # finds the id used up: look for the folder before taking another id.
            found = self.client.find_landed(properties, parent_id, None)
            if found is None:
                raise
            return found

    def _take_id(self, path: FolderPath) -> str:
        # Cached before the create: if the answer is lost, the next run finds this id.
        return self.ids.take(lambda folder_id: self._save_cache(path, folder_id))

    def _remember(self, path: FolderPath, folder_id: str) -> None:
        self._resolved[path] = folder_id
        if self._cached.get(_cache_key(path)) != folder_id:
            self._save_cache(path, folder_id)
        if not path and self.integration.root_folder_id != folder_id:
            GoogleDriveIntegration.objects.filter(
                pk=self.integration.pk, google_account_id=self.integration.google_account_id
            ).update(root_folder_id=folder_id)
            self.integration.root_folder_id = folder_id

    def _save_cache(self, path: FolderPath, folder_id: str) -> str:
        DriveFolder.objects.update_or_create(
            integration=self.integration,
            google_account_id=self.account_id,
            path=_cache_key(path),
            defaults={"drive_id": folder_id},
        )
        self._cached[_cache_key(path)] = folder_id
        return folder_id


def _cache_key(path: FolderPath) -> str:
    return "/".join(path) or ROOT_PATH
