"""The backup's folder tree in the merchant's Drive (S6), never duplicated.

`<root>/<YYYY>/<MM>/{Orders,Invoices,Receipts}`. Drive allows two folders of the same name
side by side, so only our bookkeeping keeps the tree single: once per run ONE `files.list`
returns every folder we made that is not in the trash; paths are resolved through it by name
and parent, starting from our root. A folder the merchant trashed or deleted is missing from
the list and is created again (what it held stays where it is). The DriveFolder rows cache
the ids we chose, so duplicates made by someone else never change our choice.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Iterable
from datetime import date

from django.conf import settings

from integrations.google.drive import FOLDER_MIME, DriveClient, app_properties_query
from integrations.models import BackedUpFile, DriveFolder, GoogleDriveIntegration

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


class FolderTree:
    """Resolves folder paths to Drive ids for one run, creating what is missing."""

    def __init__(
        self,
        client: DriveClient,
        integration: GoogleDriveIntegration,
        account_id: str,
        take_id: Callable[[], str],
    ) -> None:
        self.client = client
        self.integration = integration
        self.account_id = account_id
        self.take_id = take_id
        self.root_name = settings.BACKUP_ROOT_FOLDER_NAME
        self.created: list[str] = []
        self._loaded = False
        self._listed: dict[str, dict] = {}
        self._children: dict[tuple[str, str], list[str]] = defaultdict(list)
        self._roots: list[str] = []
        self._cached: dict[str, str] = {}
        self._resolved: dict[FolderPath, str] = {}

    # --- the one listing ----------------------------------------------------------------

    def load(self) -> None:
        if self._loaded:
            return
        folders = self.client.list_files(
            our_folders_query(self.integration.pk),
            fields="id,name,parents,appProperties,createdTime",
        )
        folders.sort(key=lambda f: (f.get("createdTime", ""), f["id"]))
        for folder in folders:
            self._listed[folder["id"]] = folder
            if (folder.get("appProperties") or {}).get("path") == ROOT_PATH:
                if folder.get("name") == self.root_name:
                    self._roots.append(folder["id"])
                continue
            for parent in folder.get("parents") or ():
                self._children[(parent, folder.get("name", ""))].append(folder["id"])
        self._cached = dict(
            DriveFolder.objects.filter(
                integration=self.integration, google_account_id=self.account_id
            ).values_list("path", "drive_id")
        )
        self._loaded = True

    def missing_count(self, paths: Iterable[FolderPath]) -> int:
        """How many folders `paths` need that the listing does not have (an upper bound)."""
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

    # --- resolving ----------------------------------------------------------------------

    def folder_id(self, path: FolderPath) -> str:
        """The Drive id of our folder at `path`, creating it (and its parents) if needed."""
        if path in self._resolved:
            return self._resolved[path]
        self.load()
        if path:
            parent_id = self.folder_id(path[:-1])
            name = path[-1]
            candidates = self._children.get((parent_id, name), [])
        else:
            parent_id, name, candidates = "root", self.root_name, self._roots
        folder_id = (
            self._pick(candidates, path)
            or self._cached_still_there(path, parent_id, name)
            or self._create(path, parent_id, name)
        )
        self._remember(path, folder_id)
        return folder_id

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
        folder_id = self.take_id()
        # Cached before the create: if the answer is lost, the next run finds this id.
        self._save_cache(path, folder_id)
        folder_id = self.client.create_folder(
            folder_id, name, parent_id, folder_app_properties(self.integration.pk, path)
        )
        self.created.append(display_path(path))
        self._listed[folder_id] = {"id": folder_id, "name": name, "parents": [parent_id]}
        if path:
            self._children[(parent_id, name)].insert(0, folder_id)
        else:
            self._roots.insert(0, folder_id)
        return folder_id

    def _remember(self, path: FolderPath, folder_id: str) -> None:
        self._resolved[path] = folder_id
        if self._cached.get(_cache_key(path)) != folder_id:
            self._save_cache(path, folder_id)
        if not path and self.integration.root_folder_id != folder_id:
            GoogleDriveIntegration.objects.filter(
                pk=self.integration.pk, google_account_id=self.integration.google_account_id
            ).update(root_folder_id=folder_id)
            self.integration.root_folder_id = folder_id

    def _save_cache(self, path: FolderPath, folder_id: str) -> None:
        DriveFolder.objects.update_or_create(
            integration=self.integration,
            google_account_id=self.account_id,
            path=_cache_key(path),
            defaults={"drive_id": folder_id},
        )
        self._cached[_cache_key(path)] = folder_id


def _cache_key(path: FolderPath) -> str:
    return "/".join(path) or ROOT_PATH
