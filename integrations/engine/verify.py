"""Compare what Drive holds of our files with the ledger ("Check my backup").

With the `drive.file` scope, Drive shows the app exactly the files it created, so ONE paged
`files.list` of everything carrying our `app` tag (folders and files) is the whole picture.
What Drive v3's files.list says of itself (reference page, and the packaged discovery
document googleapiclient/discovery_cache/documents/drive.v3.json we build the client from):

- "This method returns *all* files by default, including trashed files. If you don't want
  trashed files to appear in the list, use the `trashed=false` query parameter": so the
  trash is in the listing, with `trashed: true` on each file in it or below a trashed folder;
- pageSize: "The maximum value is 1000; values above 1000 will be coerced to 1000. The
  service may return fewer than this value."

So a check costs one request per 1000 files (client.list_files asks for pageSize=1000 and
follows nextPageToken), whatever it finds and plus the token refresh; a short page from
Google would only add requests, never lose files.

Each current copy (a "done" ledger row) gets exactly one category, the first that applies:

    missing   Drive does not show its id any more (deleted for good)
    trashed   it is in the trash (itself, or a folder above it)
    changed   its md5 is not the one we uploaded (someone put other content under it)
    moved     it is fine, but in another folder than the one we put it in
    present   where we put it, with our bytes

and files carrying our tag that no ledger row knows of are "unknown". Nothing is changed,
in Drive or in the ledger: what to do about it is integrations.engine.repair's.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field

from integrations.engine.folders import APP_TAG, ROOT_PATH, FolderPath, display_path
from integrations.google.client import DriveClient
from integrations.google.files import app_properties_query
from integrations.models import VERIFY_CATEGORIES, BackedUpFile

# Only what the comparison reads.
LIST_FIELDS = "id,name,md5Checksum,trashed,parents,appProperties"
# The report keeps at most this many files of each category for the page.
MAX_FILES_PER_CATEGORY = 200


@dataclass(frozen=True)
class Finding:
    """One file that is not simply present: its category and what the page shows of it."""

    category: str
    name: str
    folder: str
    drive_id: str
    kind: str = ""
    document_uuid: str = ""
    # Where a moved file is now (a folder path of ours, or "" for elsewhere in Drive).
    now_in: str = ""

    def as_json(self) -> dict[str, str]:
        return {k: v for k, v in self.__dict__.items() if v}


@dataclass
class Comparison:
    counts: dict[str, int] = field(default_factory=lambda: dict.fromkeys(VERIFY_CATEGORIES, 0))
    findings: list[Finding] = field(default_factory=list)

    def add(self, finding: Finding | None, category: str) -> None:
        self.counts[category] += 1
        if finding is not None:
            self.findings.append(finding)

    def of(self, category: str) -> list[Finding]:
        return [f for f in self.findings if f.category == category]

    def kept_findings(self) -> list[dict[str, str]]:
        """The findings a report keeps: the first MAX_FILES_PER_CATEGORY of each category."""
        kept: list[dict[str, str]] = []
        for category in VERIFY_CATEGORIES:
            kept += [f.as_json() for f in self.of(category)[:MAX_FILES_PER_CATEGORY]]
        return kept


def list_our_files(client: DriveClient) -> list[dict]:
    """Every file and folder of ours in the account's Drive, trash included, 1000 a page."""
    return client.list_files(app_properties_query({"app": APP_TAG}), fields=LIST_FIELDS)


def compare(
    rows: Iterable[BackedUpFile],
    listed: list[dict],
    *,
    integration_id: int,
    known_ids: set[str],
) -> Comparison:
    """Sort the done ledger `rows` and the `listed` files into the report's categories.

    `known_ids`: every Drive id a ledger row of this Google account holds, in any state and
    of any integration, so a copy left in the trash on purpose, a failed attempt or another
    merchant account's backup in the same Drive is not "unknown".
    """
    folders = _our_folder_paths(listed, integration_id)
    files = {f["id"]: f for f in listed if not _is_folder(f)}
    result = Comparison()
    for row in rows:
        category, now_in = _category(row, files.get(row.drive_file_id), folders)
        finding = None
        if category != "present":
            finding = _finding(category, row, now_in)
        result.add(finding, category)
    for drive_id, file in files.items():
        if drive_id not in known_ids:
            folder = next((folders[p] for p in file.get("parents") or () if p in folders), "")
            result.add(
                Finding("unknown", file.get("name", ""), folder, drive_id, kind=_kind(file)),
                "unknown",
            )
    return result


def _category(row: BackedUpFile, file: dict | None, folders: dict[str, str]) -> tuple[str, str]:
    if file is None:
        return "missing", ""
    if file.get("trashed"):
        return "trashed", ""
    if file.get("md5Checksum") != row.md5:
        return "changed", ""
    parents = file.get("parents") or ()
    if any(folders.get(p) == row.folder_path for p in parents):
        return "present", ""
    return "moved", next((folders[p] for p in parents if p in folders), "")


def _finding(category: str, row: BackedUpFile, now_in: str) -> Finding:
    return Finding(
        category,
        row.name,
        row.folder_path,
        row.drive_file_id,
        kind=row.kind,
        document_uuid=str(row.document_uuid or ""),
        now_in=now_in,
    )


def trashed_folders(listed: list[dict], integration_id: int) -> list[FolderPath]:
    """The paths of this integration's folders that the listing shows in the trash."""
    return [path for _id, path, trashed in _our_folders(listed, integration_id) if trashed]


def _our_folder_paths(listed: list[dict], integration_id: int) -> dict[str, str]:
    """Drive id -> display path of the folders of this integration's tree (trashed too)."""
    return {id_: display_path(path) for id_, path, _ in _our_folders(listed, integration_id)}


def _our_folders(listed: list[dict], integration_id: int) -> list[tuple[str, FolderPath, bool]]:
    """(Drive id, path, trashed) of the listed folders of this integration's tree."""
    folders = []
    for file in listed:
        props = file.get("appProperties") or {}
        if _is_folder(file) and props.get("integration") == str(integration_id):
            path = props.get("path", "")
            parts = () if path == ROOT_PATH else tuple(path.split("/"))
            folders.append((file["id"], parts, bool(file.get("trashed"))))
    return folders


def _is_folder(file: dict) -> bool:
    return (file.get("appProperties") or {}).get("kind") == "folder"


def _kind(file: dict) -> str:
    return (file.get("appProperties") or {}).get("kind", "")
