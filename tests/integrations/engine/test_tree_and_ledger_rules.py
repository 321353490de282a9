"""The folder tree's and the ledger's small rules on their own, with a stub for Drive.

Whole runs show these through fake_google (test_folders_gone, test_faults); here each rule
shows alone, so a change to one of them fails a test that names it.
"""

from __future__ import annotations

import datetime as dt
import logging
import uuid

import pytest
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext

from accounts.models import Merchant
from integrations.engine.folders import (
    FolderInTrash,
    FolderTree,
    display_path,
    folder_app_properties,
    folder_for,
    our_folders_query,
)
from integrations.engine.ledger import Ledger
from integrations.google.errors import DriveError, ErrorKind
from integrations.google.files import StoredFile
from integrations.models import BackedUpFile, BackupRun, DriveFolder, GoogleDriveIntegration

ACCOUNT = "acct-1"
MD5 = "0" * 31 + "1"


class StubDrive:
    """get_file answers from `files`, list_files with `listing`; what each was asked is kept."""

    def __init__(
        self, files: dict[str, StoredFile] | None = None, listing: list[dict] | None = None
    ) -> None:
        self.files = files or {}
        self.listing = listing or []
        self.asked: list[str] = []
        self.listed_fields: list[str] = []

    def get_file(self, file_id: str) -> StoredFile | None:
        self.asked.append(file_id)
        return self.files.get(file_id)

    def list_files(self, q: str, fields: str = "") -> list[dict]:
        self.listed_fields.append(fields)
        return [dict(folder) for folder in self.listing]


class StubPool:
    """take() hands out the given ids in order."""

    def __init__(self, *ids: str) -> None:
        self.ids = list(ids)

    def take(self, record):
        return record(self.ids.pop(0))


class AtomicPool(StubPool):
    """take() in a transaction of its own, as DriveIdPool's: a refused row leaves none."""

    def take(self, record):
        with transaction.atomic():
            return super().take(record)


@pytest.fixture
def integration(db) -> GoogleDriveIntegration:
    merchant = Merchant.objects.create(name="Loja Azul")
    return GoogleDriveIntegration.objects.create(merchant=merchant, google_account_id=ACCOUNT)


def tree(drive: StubDrive, integration) -> FolderTree:
    return FolderTree(drive, integration, ACCOUNT, ids=None)  # type: ignore[arg-type]


# --- paths and what Drive keeps with a folder ----------------------------------------------


def test_each_kind_goes_to_its_folder_of_the_month():
    day = dt.date(2027, 3, 5)
    assert folder_for(BackedUpFile.Kind.INVOICE, day) == ("2027", "03", "Invoices")
    assert folder_for(BackedUpFile.Kind.RECEIPT, day) == ("2027", "03", "Receipts")
    assert folder_for(BackedUpFile.Kind.ORDERS, dt.date(987, 11, 1)) == ("0987", "11", "Orders")


def test_paths_are_shown_under_the_root_folders_name(settings):
    settings.BACKUP_ROOT_FOLDER_NAME = "Backup Root"
    assert display_path(()) == "Backup Root"
    assert display_path(("2026", "11")) == "Backup Root/2026/11"


def test_a_folder_carries_the_tree_it_belongs_to_and_its_path():
    assert folder_app_properties(7, ()) == {
        "app": "drivebackup",
        "kind": "folder",
        "integration": "7",
        "path": "/",
    }
    assert folder_app_properties(7, ("2026", "11"))["path"] == "2026/11"


def test_the_listing_asks_for_this_integrations_folders_outside_the_trash():
    assert our_folders_query(7) == (
        "mimeType='application/vnd.google-apps.folder' and trashed=false and "
        "appProperties has { key='app' and value='drivebackup' } and "
        "appProperties has { key='kind' and value='folder' } and "
        "appProperties has { key='integration' and value='7' }"
    )


def test_a_folder_that_keeps_landing_in_the_trash_is_worth_another_run(settings):
    settings.BACKUP_ROOT_FOLDER_NAME = "Backup Root"
    error = FolderInTrash(("2026", "11"))

    assert (error.kind, error.reason) == (ErrorKind.TRANSIENT, "parentTrashed")
    assert error.detail == (
        "Backup Root/2026/11 is in the trash in Google Drive, also after creating it again"
    )
    assert error.worth_another_run and not error.permanent and not error.ends_run


# --- was the parent folder the reason a create failed? -------------------------------------


def refusal(kind: ErrorKind, status: int = 400) -> DriveError:
    return DriveError(kind, "refused", status=status, reason="whatever")


@pytest.mark.parametrize(
    "error",
    [
        refusal(ErrorKind.TRANSIENT, 503),
        refusal(ErrorKind.RATE_LIMITED, 429),
        refusal(ErrorKind.QUOTA, 403),
        refusal(ErrorKind.ACCOUNT_REFUSED, 403),
        refusal(ErrorKind.ID_IN_USE, 409),
    ],
    ids=["transient", "rate-limited", "quota", "account", "id-in-use"],
)
def test_failures_that_say_nothing_about_the_parent_ask_drive_nothing(integration, error):
    drive = StubDrive()

    assert not tree(drive, integration).parent_gone(error, "parent-1")
    assert drive.asked == []


def test_a_404_means_the_parent_is_gone_without_asking(integration):
    drive = StubDrive()

    assert tree(drive, integration).parent_gone(refusal(ErrorKind.NOT_FOUND, 404), "parent-1")
    assert drive.asked == []


@pytest.mark.parametrize(
    ("parent", "gone"),
    [
        (StoredFile(id="parent-1"), False),
        (StoredFile(id="parent-1", trashed=True), True),
        (None, True),
    ],
    ids=["alive", "trashed", "deleted"],
)
@pytest.mark.parametrize("kind", [ErrorKind.PERMANENT, ErrorKind.ID_UNUSABLE])
def test_a_refusal_in_other_words_asks_drive_about_the_parent(integration, parent, gone, kind):
    drive = StubDrive({"parent-1": parent} if parent else {})

    assert tree(drive, integration).parent_gone(refusal(kind), "parent-1") is gone
    assert drive.asked == ["parent-1"]


# --- a cached folder the listing does not show ------------------------------------------------


@pytest.mark.parametrize(
    ("stored", "kept"),
    [
        (StoredFile(id="year-1", name="2026", parents=("root-1",)), True),
        (StoredFile(id="year-1", name="2026", parents=("root-1",), trashed=True), False),
        (StoredFile(id="year-1", name="2026 (old)", parents=("root-1",)), False),
        (StoredFile(id="year-1", name="2026", parents=("elsewhere",)), False),
        (None, False),
    ],
    ids=["there", "trashed", "renamed", "moved", "deleted"],
)
def test_a_cached_folder_missing_from_the_listing_is_kept_only_if_drive_still_has_it_in_place(
    integration, stored, kept
):
    """Lists lag behind creates: a folder made moments ago is asked about by id."""
    DriveFolder.objects.create(
        integration=integration, google_account_id=ACCOUNT, path="2026", drive_id="year-1"
    )
    drive = StubDrive({"year-1": stored} if stored else {})
    folders = tree(drive, integration)
    folders.load()

    assert folders._cached_still_there(("2026",), "root-1", "2026") == ("year-1" if kept else None)
    assert drive.asked == ["year-1"]


@pytest.mark.parametrize(
    ("cached", "picked"),
    [
        ("year-new", "year-new"),
        ("year-old", "year-old"),
        ("year-gone", "year-old"),
        (None, "year-old"),
    ],
)
def test_of_two_listed_twins_the_cached_one_is_kept_else_the_oldest(integration, cached, picked):
    """Two folders of one path (a create whose answer was lost, made again): the one files
    already went into stays the one, else the oldest; the listing comes oldest first."""
    if cached:
        DriveFolder.objects.create(
            integration=integration, google_account_id=ACCOUNT, path="2026", drive_id=cached
        )
    folders = tree(StubDrive(), integration)

    assert folders._pick(["year-old", "year-new"], ("2026",)) == picked


def test_the_listing_asks_for_what_it_uses_and_orders_twins_oldest_first(integration):
    """Twins are told apart by createdTime, not by id (ids are random); a folder whose
    createdTime is missing counts as oldest rather than breaking the sort."""
    listing = [
        {"id": "root-1", "name": "Backup", "appProperties": {"path": "/"}, "createdTime": "1"},
        {"id": "a-newest", "name": "2026", "parents": ["root-1"], "createdTime": "2026-11-03"},
        {"id": "z-oldest", "name": "2026", "parents": ["root-1"], "createdTime": "2026-11-01"},
        {"id": "m-undated", "name": "2026", "parents": ["root-1"]},
    ]
    drive = StubDrive(listing=listing)
    folders = tree(drive, integration)
    folders.load()

    assert drive.listed_fields == ["id,name,parents,appProperties,createdTime"]
    assert folders._children[("root-1", "2026")] == ["m-undated", "z-oldest", "a-newest"]


def test_a_cached_folder_the_listing_shows_is_not_asked_about(integration):
    DriveFolder.objects.create(
        integration=integration, google_account_id=ACCOUNT, path="2026", drive_id="year-1"
    )
    drive = StubDrive(
        {"year-1": StoredFile(id="year-1", name="2026", parents=("root-1",))},
        listing=[
            {"id": "year-1", "name": "2026", "parents": ["root-1"], "createdTime": "2026-11-01"}
        ],
    )
    folders = tree(drive, integration)
    folders.load()

    # Listed, so it is among the candidates already; asking Drive again would be a request
    # per folder per run for nothing.
    assert folders._cached_still_there(("2026",), "root-1", "2026") is None
    assert drive.asked == []


def test_the_folder_cache_of_another_account_is_not_used(integration):
    """The merchant switched Google accounts: the old account's folder ids mean nothing here."""
    for path, drive_id in (("/", "old-root"), ("2026", "old-year"), ("2026/11", "old-month")):
        DriveFolder.objects.create(
            integration=integration, google_account_id="acct-0", path=path, drive_id=drive_id
        )
    DriveFolder.objects.create(
        integration=integration, google_account_id="acct-0", path="2026/11/Invoices", drive_id="x"
    )
    drive = StubDrive()

    assert tree(drive, integration).missing_count([("2026", "11", "Invoices")]) == 4


def test_no_folder_to_make_when_every_folder_is_cached_and_nothing_is_listed(integration):
    for path in ("/", "2026", "2026/11", "2026/11/Invoices"):
        DriveFolder.objects.create(
            integration=integration, google_account_id=ACCOUNT, path=path, drive_id=f"id {path}"
        )
    drive = StubDrive()

    assert tree(drive, integration).missing_count([("2026", "11", "Invoices")]) == 0
    assert drive.listed_fields == []


@pytest.mark.parametrize(
    ("listed", "to_make"),
    [
        # The root, the year and the month are in Drive: Invoices and Receipts are missing.
        (3, 2),
        # Only the root and the year: the month and both of its folders.
        (2, 3),
        # Only the root.
        (1, 4),
    ],
)
def test_the_folders_to_make_are_counted_from_the_listing(integration, settings, listed, to_make):
    """Nothing cached for this account (an earlier one's cache does not count): the count
    sizes the id pool's refill, one id per folder to make."""
    settings.BACKUP_ROOT_FOLDER_NAME = "Backup"
    DriveFolder.objects.create(
        integration=integration, google_account_id="acct-0", path="/", drive_id="old-root"
    )
    listing = [
        {"id": "root-1", "name": "Backup", "appProperties": {"path": "/"}, "createdTime": "1"},
        {"id": "year-1", "name": "2026", "parents": ["root-1"], "createdTime": "2"},
        {"id": "month-1", "name": "11", "parents": ["year-1"], "createdTime": "3"},
    ][:listed]
    folders = tree(StubDrive(listing=listing), integration)

    month = ("2026", "11")
    assert folders.missing_count([(*month, "Invoices"), (*month, "Receipts")]) == to_make


class RefusingDrive(StubDrive):
    """Refuses every folder create with a 400 that is about neither the id nor the parent."""

    def __init__(self, files: dict[str, StoredFile]) -> None:
        super().__init__(files)
        self.creates = 0

    def create_folder(self, folder_id, name, parent_id, properties):
        self.creates += 1
        assert self.creates < 5, "the refused create was sent again and again"
        raise DriveError(ErrorKind.PERMANENT, "HTTP 400 invalid: bad", status=400, reason="invalid")


def test_a_folder_create_refused_for_another_reason_fails_after_one_look_at_its_parent(
    integration,
):
    DriveFolder.objects.create(
        integration=integration, google_account_id=ACCOUNT, path="/", drive_id="root-1"
    )
    drive = RefusingDrive({"root-1": StoredFile(id="root-1", name="BaseLinker Backup")})
    folders = FolderTree(drive, integration, ACCOUNT, ids=StubPool("new-1"))  # type: ignore[arg-type]

    with pytest.raises(DriveError) as refused:
        folders.folder_id(("2026",))

    assert (refused.value.status, drive.creates) == (400, 1)
    # Asked whether the parent is gone or trashed: it is neither, so nothing is made again.
    assert drive.asked == ["root-1"]


# The root and the year as a listing of our folders shows them (trashed ones are not listed).
LISTED_ROOT = {"id": "root-1", "name": "Backup", "appProperties": {"path": "/"}, "createdTime": "1"}
LISTED_YEAR = {"id": "year-1", "name": "2026", "parents": ["root-1"], "createdTime": "2"}


class FolderMakingDrive(StubDrive):
    """Makes the folders asked for and keeps them. `refusals`: the error a create answers,
    by the id it asks for or by its parent. A folder made in one of `trashed_parents` (or
    anywhere, with `always_trash`) lands in the trash."""

    def __init__(
        self,
        listing: list[dict],
        *,
        refusals: dict[str, DriveError] | None = None,
        trashed_parents: tuple[str, ...] = (),
        always_trash: bool = False,
    ) -> None:
        super().__init__(listing=listing)
        self.refusals = refusals or {}
        self.trashed_parents = trashed_parents
        self.always_trash = always_trash
        self.made: list[tuple[str, str, str]] = []

    def create_folder(self, folder_id, name, parent_id, properties):
        refusal = self.refusals.get(folder_id) or self.refusals.get(parent_id)
        if refusal is not None:
            raise refusal
        self.made.append((name, parent_id, folder_id))
        trashed = self.always_trash or parent_id in self.trashed_parents
        stored = StoredFile(id=folder_id, name=name, parents=(parent_id,), trashed=trashed)
        self.files[folder_id] = stored
        return stored

    def find_landed(self, properties, parent_id, name):
        return None


def test_a_folder_whose_cached_parent_was_deleted_is_made_in_a_new_parent(integration, settings):
    settings.BACKUP_ROOT_FOLDER_NAME = "Backup"
    for path, drive_id in (("/", "root-1"), ("2026", "year-1"), ("2026/11", "month-old")):
        DriveFolder.objects.create(
            integration=integration, google_account_id=ACCOUNT, path=path, drive_id=drive_id
        )
    gone = DriveError(ErrorKind.NOT_FOUND, "HTTP 404 notFound", status=404, reason="notFound")
    drive = FolderMakingDrive([LISTED_ROOT, LISTED_YEAR], refusals={"month-old": gone})
    folders = FolderTree(drive, integration, ACCOUNT, ids=StubPool("new-1", "new-2"))  # type: ignore[arg-type]

    assert folders.folder_id(("2026", "11", "Invoices")) == "new-1"

    # The month is made again in its year, then Invoices in it under the id it had reserved.
    assert drive.made == [("11", "year-1", "new-2"), ("Invoices", "new-2", "new-1")]
    # The listing already showed the month gone: Drive is not asked about it again.
    assert drive.asked == []
    cache = dict(
        DriveFolder.objects.filter(integration=integration).values_list("path", "drive_id")
    )
    assert cache["2026/11"] == "new-2" and cache["2026/11/Invoices"] == "new-1"


class PoolThatDrops(StubPool):
    def __init__(self, *ids: str) -> None:
        super().__init__(*ids)
        self.refused_ids: list[str] = []

    def refused(self, drive_id: str) -> bool:
        self.refused_ids.append(drive_id)
        return True


def test_a_refused_folder_id_is_replaced_and_the_folder_made_is_kept_though_not_listed(
    integration, settings
):
    settings.BACKUP_ROOT_FOLDER_NAME = "Backup"
    DriveFolder.objects.create(
        integration=integration, google_account_id=ACCOUNT, path="/", drive_id="root-1"
    )
    unusable = DriveError(ErrorKind.ID_UNUSABLE, "HTTP 400 invalid", status=400, reason="invalid")
    # Its listing lags: it never shows a folder made after the tree was first listed.
    drive = FolderMakingDrive([LISTED_ROOT], refusals={"pooled-1": unusable})
    pool = PoolThatDrops("pooled-1", "fresh-2")
    folders = FolderTree(drive, integration, ACCOUNT, ids=pool)  # type: ignore[arg-type]

    assert folders.folder_id(("2026",)) == "fresh-2"
    assert (pool.refused_ids, drive.made) == (["pooled-1"], [("2026", "root-1", "fresh-2")])
    assert DriveFolder.objects.get(integration=integration, path="2026").drive_id == "fresh-2"

    # Listed again (something below was trashed): the year made this run is not in the
    # listing yet, and is kept rather than made twice.
    folders.recover(("2026", "11"))
    assert folders.folder_id(("2026",)) == "fresh-2"
    assert len(drive.made) == 1


def trashed_month_tree(integration, settings, drive, pool) -> FolderTree:
    settings.BACKUP_ROOT_FOLDER_NAME = "Backup"
    for path, drive_id in (("/", "root-1"), ("2026", "year-1"), ("2026/11", "month-trashed")):
        DriveFolder.objects.create(
            integration=integration, google_account_id=ACCOUNT, path=path, drive_id=drive_id
        )
    return FolderTree(drive, integration, ACCOUNT, ids=pool)  # type: ignore[arg-type]


def test_a_folder_that_lands_in_a_trashed_parent_is_made_again_in_a_new_parent(
    integration, settings
):
    drive = FolderMakingDrive([LISTED_ROOT, LISTED_YEAR], trashed_parents=("month-trashed",))
    folders = trashed_month_tree(integration, settings, drive, StubPool("new-1", "new-2", "new-3"))

    assert folders.folder_id(("2026", "11", "Invoices")) == "new-3"

    assert drive.made == [
        ("Invoices", "month-trashed", "new-1"),  # answered trashed: true
        ("11", "year-1", "new-2"),
        ("Invoices", "new-2", "new-3"),
    ]
    assert folders.created == ["Backup/2026/11", "Backup/2026/11/Invoices"]
    # The listing showed the month gone: Drive is not asked about it.
    assert drive.asked == []


def test_a_folder_trashed_again_after_its_parent_was_made_again_stops_the_run(
    integration, settings
):
    drive = FolderMakingDrive([LISTED_ROOT, LISTED_YEAR], always_trash=True)
    folders = trashed_month_tree(integration, settings, drive, StubPool("new-1", "new-2", "new-3"))

    with pytest.raises(FolderInTrash) as trashed:
        folders.folder_id(("2026", "11", "Invoices"))

    assert "2026/11" in str(trashed.value)


def test_a_folder_id_taken_by_something_unseen_is_spent_and_another_taken(integration, settings):
    in_use = DriveError(ErrorKind.ID_IN_USE, "HTTP 409 fileIdInUse", status=409)
    drive = FolderMakingDrive([LISTED_ROOT, LISTED_YEAR], refusals={"taken-1": in_use})
    folders = trashed_month_tree(integration, settings, drive, StubPool("taken-1", "new-2"))

    assert folders.folder_id(("2026",)) == "year-1"  # cached, nothing made
    assert folders.folder_id(("2026", "12")) == "new-2"
    assert drive.made == [("12", "year-1", "new-2")]


# --- the ledger's rows -----------------------------------------------------------------------


@pytest.fixture
def run(integration) -> BackupRun:
    return BackupRun.objects.create(integration=integration, trigger=BackupRun.Trigger.MANUAL)


def ledger(drive: StubDrive, run: BackupRun) -> Ledger:
    return Ledger(run, run.integration, ACCOUNT, drive, ids=None)  # type: ignore[arg-type]


def row(run: BackupRun, **fields) -> BackedUpFile:
    fields = {
        "integration": run.integration,
        "google_account_id": ACCOUNT,
        "run": run,
        "kind": BackedUpFile.Kind.INVOICE,
        "document_uuid": uuid.uuid4(),
        "fingerprint": "f" * 64,
        "name": "FV 1.pdf",
        "folder_path": "Backup/2026/11/Invoices",
        "drive_file_id": "reserved-1",
        "md5": MD5,
        "size": 10,
        **fields,
    }
    return BackedUpFile.objects.create(**fields)


def test_the_true_id_drive_gave_replaces_the_reserved_one(run):
    unfinished = row(run)

    ledger(StubDrive(), run).record_true_id(unfinished, "given-7")

    unfinished.refresh_from_db()
    assert (unfinished.drive_file_id, unfinished.state) == ("given-7", "uploading")


@pytest.mark.parametrize(
    ("stored", "state"),
    [
        (StoredFile(id="reserved-1", md5=MD5, size=10), BackedUpFile.State.DONE),
        (StoredFile(id="reserved-1", md5=MD5, size=10, trashed=True), BackedUpFile.State.IN_TRASH),
        (StoredFile(id="reserved-1", md5="f" * 32, size=10), BackedUpFile.State.FAILED),
        (None, BackedUpFile.State.FAILED),
    ],
    ids=["ours", "ours-in-the-trash", "other-bytes", "nothing"],
)
def test_an_unfinished_row_of_an_older_version_is_settled_from_what_drive_holds(run, stored, state):
    other_run = BackupRun.objects.create(
        integration=run.integration,
        trigger=BackupRun.Trigger.MANUAL,
        status=BackupRun.Status.PARTIAL,
    )
    # The document is gone (or changed): nothing will resume the row, so it is settled.
    unfinished = row(other_run)
    drive = StubDrive({"reserved-1": stored} if stored else {})

    ledger(drive, run).recover_unfinished()

    unfinished.refresh_from_db()
    assert unfinished.state == state
    assert drive.asked == ["reserved-1"]
    if state == BackedUpFile.State.DONE:
        assert unfinished.completed_at is not None and unfinished.run == other_run


def test_the_row_resumed_is_this_integrations_of_this_account_kind_and_print(run):
    """Unfinished rows of the same document that another upload owns come first by id: none
    of them is taken for today's upload."""
    neighbour = GoogleDriveIntegration.objects.create(
        merchant=Merchant.objects.create(name="Outra Loja"), google_account_id=ACCOUNT
    )
    document = uuid.uuid4()
    row(run, integration=neighbour, document_uuid=document, drive_file_id="neighbour")
    row(run, google_account_id="acct-0", document_uuid=document, drive_file_id="old-account")
    row(run, kind=BackedUpFile.Kind.RECEIPT, document_uuid=document, drive_file_id="receipt")
    row(run, document_uuid=document, fingerprint="0" * 64, drive_file_id="older-print")
    mine = row(run, document_uuid=document, drive_file_id="mine")

    assert ledger(StubDrive(), run).unfinished_row(todays_upload(mine, md5=MD5)) == mine


def test_unfinished_rows_are_read_once_per_run_and_each_handed_out_once(run):
    first, second = row(run), row(run, drive_file_id="reserved-2")
    ledger_ = ledger(StubDrive(), run)

    with CaptureQueriesContext(connection) as queries:
        assert ledger_.unfinished_row(todays_upload(first, md5=MD5)) == first
        assert ledger_.unfinished_row(todays_upload(second, md5=MD5)) == second
    assert len(queries) == 1
    # Already handed out: reserve decided what became of it.
    assert ledger_.unfinished_row(todays_upload(first, md5=MD5)) is None


def test_a_row_reserved_after_the_run_read_the_ledger_is_continued_not_doubled(run):
    """A worker that lost the integration's lock reserved the same document version after
    this run read its unfinished rows: the unique live row refuses a second one, and the
    run continues from the other's row instead of failing."""
    document = uuid.uuid4()
    ledger_ = Ledger(run, run.integration, ACCOUNT, StubDrive(), AtomicPool("new-1"))
    assert ledger_.unfinished_row(todays_upload(row(run), md5=MD5)) is not None  # rows read
    stale = row(run, document_uuid=document, drive_file_id="stale-1")

    again = ledger_.reserve(todays_upload(stale, md5=MD5))

    assert again is not None and again.pk == stale.pk
    assert BackedUpFile.objects.filter(document_uuid=document).count() == 1


def test_a_refused_id_is_replaced_and_nothing_else_of_the_row_is_written(run):
    unfinished = row(run)
    # Written meanwhile by another path (say, a repair settling the row): must stay.
    BackedUpFile.objects.filter(pk=unfinished.pk).update(size=99, state="failed")

    Ledger(run, run.integration, ACCOUNT, StubDrive(), StubPool("new-1")).give_new_id(unfinished)

    unfinished.refresh_from_db()
    assert (unfinished.drive_file_id, unfinished.size, unfinished.state) == ("new-1", 99, "failed")


def test_the_true_id_is_written_alone(run):
    unfinished = row(run)
    BackedUpFile.objects.filter(pk=unfinished.pk).update(size=99)

    ledger(StubDrive(), run).record_true_id(unfinished, "given-7")

    unfinished.refresh_from_db()
    assert (unfinished.drive_file_id, unfinished.size) == ("given-7", 99)


def test_a_recovery_says_which_folder_of_which_integration_and_comes_once_per_path(
    integration, caplog, settings
):
    settings.BACKUP_ROOT_FOLDER_NAME = "Backup Root"
    drive = StubDrive()
    folders = tree(drive, integration)

    with caplog.at_level(logging.INFO, logger="integrations.engine.folders"):
        assert folders.recover(("2026", "11"))
        assert not folders.recover(("2026", "11"))

    assert caplog.messages == [
        f"Backup Root/2026/11 of integration {integration.pk} (or a folder above it) is "
        "trashed or gone; listing the tree"
    ]


def test_a_copy_deleted_for_good_marks_its_row_gone_alone_and_says_so(run, caplog):
    done = row(run, state=BackedUpFile.State.DONE)
    BackedUpFile.objects.filter(pk=done.pk).update(size=99)

    with caplog.at_level(logging.INFO, logger="integrations.engine.ledger"):
        ledger(StubDrive(), run).mark_gone(done)
        ledger(StubDrive(), run).record_true_id(done, "given-7")

    done.refresh_from_db()
    assert (done.state, done.size) == (BackedUpFile.State.GONE, 99)
    assert caplog.messages == [
        f"Ledger row {done.pk}: its copy was deleted from Drive (Backup/2026/11/Invoices)",
        f"Ledger row {done.pk}: Drive gave the file id given-7, not reserved-1",
    ]


def test_lost_documents_are_those_with_a_copy_trashed_or_gone(run):
    states = ["in_trash", "gone", "done", "failed", "uploading"]
    rows = {s: row(run, state=s, drive_file_id=f"id-{s}") for s in states}
    row(run, state="gone", drive_file_id="id-csv", document_uuid=None,
        kind=BackedUpFile.Kind.ORDERS)  # fmt: skip

    lost = ledger(StubDrive(), run).lost_document_uuids()

    assert lost == {rows["in_trash"].document_uuid, rows["gone"].document_uuid}


ORDERS = {"kind": BackedUpFile.Kind.ORDERS, "document_uuid": None, "name": "orders.csv"}


def earlier_run(run: BackupRun, status: str) -> BackupRun:
    return BackupRun.objects.create(
        integration=run.integration, trigger=BackupRun.Trigger.SCHEDULED, status=status
    )


def test_only_this_runs_orders_csv_counts_as_done(run):
    earlier = earlier_run(run, BackupRun.Status.SUCCEEDED)
    orders = ORDERS
    row(earlier, state=BackedUpFile.State.DONE, drive_file_id="csv-earlier", **orders)

    # This run's invoice is in Drive and its CSV is still on its way: not done either.
    row(run, state=BackedUpFile.State.DONE, drive_file_id="invoice-now")
    csv_now = row(run, state=BackedUpFile.State.UPLOADING, drive_file_id="csv-now", **orders)

    assert ledger(StubDrive(), run).orders_done() is False
    BackedUpFile.objects.filter(pk=csv_now.pk).update(state=BackedUpFile.State.DONE)
    assert ledger(StubDrive(), run).orders_done() is True


def test_other_bytes_under_the_rows_id_are_named_and_said(run, caplog):
    unfinished = row(run)
    drive = StubDrive({"reserved-1": StoredFile(id="reserved-1", md5="f" * 32, size=10)})

    with caplog.at_level(logging.WARNING, logger="integrations.engine.ledger"):
        assert ledger(drive, run).landed(unfinished) == "others"

    assert caplog.messages == [
        f"Drive holds other bytes under reserved-1 (ledger row {unfinished.pk})"
    ]


def test_a_failed_row_writes_its_state_alone(run):
    unfinished = row(run)
    # Written meanwhile by another path: a row object read earlier must not put it back.
    BackedUpFile.objects.filter(pk=unfinished.pk).update(size=99)

    ledger(StubDrive(), run).fail(unfinished)

    unfinished.refresh_from_db()
    assert (unfinished.state, unfinished.size) == (BackedUpFile.State.FAILED, 99)


@pytest.mark.parametrize("kind", [BackedUpFile.Kind.INVOICE, BackedUpFile.Kind.RECEIPT])
def test_an_unfinished_row_of_the_current_version_is_left_to_the_upload(run, kind):
    from documents import pdf
    from tests.factories import make_invoice, make_receipt

    make = make_invoice if kind == BackedUpFile.Kind.INVOICE else make_receipt
    document = make(run.integration.merchant)
    unfinished = row(
        run, kind=kind, document_uuid=document.uuid, fingerprint=pdf.document_fingerprint(document)
    )
    # A row of an older print of another document, after it: settled all the same.
    older = row(run, kind=kind, drive_file_id="reserved-2", fingerprint="0" * 64)
    drive = StubDrive()

    ledger(drive, run).recover_unfinished()

    unfinished.refresh_from_db()
    older.refresh_from_db()
    assert (unfinished.state, drive.asked) == (BackedUpFile.State.UPLOADING, ["reserved-2"])
    assert older.state != BackedUpFile.State.UPLOADING


def test_this_runs_unfinished_csv_is_left_to_the_upload_and_an_earlier_runs_is_settled(run):
    earlier = earlier_run(run, BackupRun.Status.FAILED)
    orders = ORDERS
    this_csv = row(run, drive_file_id="csv-now", **orders)
    earlier_csv = row(earlier, drive_file_id="csv-earlier", **orders)
    drive = StubDrive()

    ledger(drive, run).recover_unfinished()

    this_csv.refresh_from_db()
    earlier_csv.refresh_from_db()
    assert drive.asked == ["csv-earlier"]
    assert this_csv.state == BackedUpFile.State.UPLOADING
    assert earlier_csv.state != BackedUpFile.State.UPLOADING


def test_a_row_whose_documents_print_cannot_be_made_is_settled(run, monkeypatch):
    from documents import pdf
    from tests.factories import make_receipt

    document = make_receipt(run.integration.merchant)
    unfinished = row(run, kind=BackedUpFile.Kind.RECEIPT, document_uuid=document.uuid)

    def broken(doc):
        raise ValueError("a print that cannot be made")

    monkeypatch.setattr(pdf, "document_fingerprint", broken)
    drive = StubDrive()

    ledger(drive, run).recover_unfinished()

    unfinished.refresh_from_db()
    assert (unfinished.state, drive.asked) == (BackedUpFile.State.FAILED, ["reserved-1"])


def test_a_completed_row_writes_its_state_time_size_and_run_alone(run):
    unfinished = row(run)
    # The id was replaced meanwhile by another path; a row object read earlier keeps the old.
    BackedUpFile.objects.filter(pk=unfinished.pk).update(drive_file_id="given-7")

    ledger(StubDrive(), run).complete(unfinished)

    unfinished.refresh_from_db()
    assert (unfinished.state, unfinished.drive_file_id) == (BackedUpFile.State.DONE, "given-7")
    assert unfinished.completed_at is not None


def test_folders_found_by_the_listing_are_cached_and_the_root_recorded(integration, settings):
    """No cache for this account (it switched): the listing finds the tree, and its ids are
    kept for the next runs; the root's id goes on the integration, and on no other."""
    settings.BACKUP_ROOT_FOLDER_NAME = "Backup"
    DriveFolder.objects.create(
        integration=integration, google_account_id="acct-0", path="/", drive_id="old-root"
    )
    neighbour = GoogleDriveIntegration.objects.create(
        merchant=Merchant.objects.create(name="Outra Loja"), google_account_id=ACCOUNT
    )
    drive = StubDrive(
        listing=[
            {"id": "root-1", "name": "Backup", "appProperties": {"path": "/"}, "createdTime": "1"},
            {"id": "year-1", "name": "2026", "parents": ["root-1"], "createdTime": "2"},
        ],
    )
    folders = tree(drive, integration)

    assert folders.folder_id(("2026",)) == "year-1"
    assert integration.root_folder_id == "root-1"  # the object the run holds, too

    cached = DriveFolder.objects.filter(integration=integration, google_account_id=ACCOUNT)
    assert dict(cached.values_list("path", "drive_id")) == {"/": "root-1", "2026": "year-1"}
    integration.refresh_from_db()
    neighbour.refresh_from_db()
    assert (integration.root_folder_id, neighbour.root_folder_id) == ("root-1", "")


def test_the_root_is_not_recorded_on_an_integration_that_switched_accounts_meanwhile(
    integration, settings
):
    settings.BACKUP_ROOT_FOLDER_NAME = "Backup"
    DriveFolder.objects.create(
        integration=integration, google_account_id="acct-0", path="/", drive_id="old-root"
    )
    drive = StubDrive(
        listing=[
            {"id": "root-1", "name": "Backup", "appProperties": {"path": "/"}, "createdTime": "1"}
        ],
    )
    folders = tree(drive, integration)
    GoogleDriveIntegration.objects.filter(pk=integration.pk).update(google_account_id="acct-9")

    assert folders.folder_id(()) == "root-1"

    integration.refresh_from_db()
    assert integration.root_folder_id == ""


def test_an_unfinished_row_that_never_landed_goes_again_with_todays_bytes_written_alone(run):
    unfinished = row(run)
    # Written meanwhile by another path: a row object read earlier must not put it back.
    BackedUpFile.objects.filter(pk=unfinished.pk).update(name="FV 1 (renamed).pdf")
    changed_at = dt.datetime(2026, 11, 20, 9, 30, tzinfo=dt.UTC)
    upload = todays_upload(unfinished, md5="e" * 32, source_updated_at=changed_at)

    again = ledger(StubDrive(), run).reserve(upload)

    assert again is not None and again.pk == unfinished.pk
    unfinished.refresh_from_db()
    assert (unfinished.md5, unfinished.size, unfinished.source_updated_at) == (
        "e" * 32,
        5,
        changed_at,
    )
    assert (unfinished.name, unfinished.state) == ("FV 1 (renamed).pdf", "uploading")


def test_an_unfinished_row_whose_copy_landed_in_the_trash_stays_there_and_a_new_row_goes(run):
    unfinished = row(run)
    drive = StubDrive({"reserved-1": StoredFile(id="reserved-1", md5=MD5, size=10, trashed=True)})
    upload = todays_upload(unfinished, md5=MD5)

    fresh = Ledger(run, run.integration, ACCOUNT, drive, StubPool("new-1")).reserve(upload)

    unfinished.refresh_from_db()
    assert unfinished.state == BackedUpFile.State.IN_TRASH
    assert fresh is not None and (fresh.drive_file_id, fresh.state) == ("new-1", "uploading")


def test_a_row_put_in_the_trash_takes_drives_size_writes_no_other_field_and_says_so(run, caplog):
    unfinished = row(run, size=3)
    # The row object was read before another path gave the row a new id.
    BackedUpFile.objects.filter(pk=unfinished.pk).update(drive_file_id="given-7")
    stored = StoredFile(id="reserved-1", md5=MD5, size=10, trashed=True)

    with caplog.at_level("INFO", logger="integrations.engine.ledger"):
        ledger(StubDrive(), run).put_in_trash(unfinished, stored)

    unfinished.refresh_from_db()
    assert (unfinished.state, unfinished.size) == (BackedUpFile.State.IN_TRASH, 10)
    assert unfinished.drive_file_id == "given-7"
    assert caplog.messages == [
        f"Ledger row {unfinished.pk} landed in a trashed folder ({unfinished.folder_path})"
    ]


def test_a_folder_made_moments_ago_that_the_listing_lags_behind_is_reused(integration, settings):
    settings.BACKUP_ROOT_FOLDER_NAME = "Backup"
    for path, drive_id in (("/", "root-1"), ("2026", "year-1")):
        DriveFolder.objects.create(
            integration=integration, google_account_id=ACCOUNT, path=path, drive_id=drive_id
        )
    drive = StubDrive(
        {"year-1": StoredFile(id="year-1", name="2026", parents=("root-1",))},
        listing=[
            {"id": "root-1", "name": "Backup", "appProperties": {"path": "/"}, "createdTime": "1"}
        ],
    )
    folders = tree(drive, integration)
    folders.load()

    # Not listed yet, but Drive has it in place under its name: no second "2026" is made.
    assert folders.folder_id(("2026",)) == "year-1"
    assert drive.asked == ["year-1"]


def todays_upload(unfinished: BackedUpFile, **fields):
    """The upload of the row's document as a run plans it today (5 bytes)."""
    import io

    from integrations.engine.plan import Upload

    return Upload(
        kind=unfinished.kind,
        folder=("2026", "11", "Invoices"),
        name=unfinished.name,
        stream=io.BytesIO(b"today"),
        size=5,
        fingerprint=unfinished.fingerprint,
        document_uuid=unfinished.document_uuid,
        **fields,
    )
