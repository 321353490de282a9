"""S6 without a listing every night: a folder trashed or deleted by the merchant between nights
shows in the answers of the night's own requests, and is made again."""

from __future__ import annotations

import dataclasses
import datetime as dt

import pytest

from integrations.engine.folders import FolderTree
from integrations.google.client import DriveClient
from integrations.models import BackedUpFile, BackupRun, DriveFolder
from tests.integrations.conftest import FIRST_NIGHT, SECOND_NIGHT, WARSAW

from .helpers import (
    MONTH,
    NOV,
    ROOT,
    app_client,
    counter,
    documents_in_drive,
    drive_files,
    invoice,
    receipt,
    run_backup,
    trash,
)


@pytest.fixture
def first_night(engine, documents_only, merchant):
    """November's tree with one invoice in it; returns the Drive ids by path."""
    invoice(merchant, "FV 1/11/2026", NOV)
    _run, outcome = run_backup(documents_only, now=FIRST_NIGHT)
    assert outcome.succeeded, outcome.message
    return {f["path"]: f["id"] for f in drive_files(engine)}


def live_folders(fake) -> list[str]:
    return sorted(f["path"] for f in drive_files(fake) if f["folder"])


def requests_of(fake, *endpoints: str) -> dict[str, int]:
    return {name: counter(fake, name) for name in endpoints}


ENDPOINTS = ("drive.files.list", "drive.files.create", "drive.files.get", "upload.create")


def test_a_file_landing_in_a_trashed_folder_is_uploaded_again_into_a_new_one(
    engine, documents_only, merchant, first_night
):
    trash(documents_only, first_night[MONTH])
    late = invoice(merchant, "FV 2/11/2026", NOV)
    before = requests_of(engine, *ENDPOINTS)

    run, outcome = run_backup(documents_only, now=SECOND_NIGHT)

    assert outcome.status == BackupRun.Status.SUCCEEDED, run.errors
    assert run.files_uploaded == 1
    # Month and Invoices made again (one of each); root and year were fine all along.
    assert live_folders(engine) == [ROOT, f"{ROOT}/2026", MONTH, f"{MONTH}/Invoices"]
    new = {f["path"]: f["id"] for f in drive_files(engine)}
    assert new[ROOT] == first_night[ROOT] and new[f"{ROOT}/2026"] == first_night[f"{ROOT}/2026"]
    assert new[MONTH] != first_night[MONTH]
    # The copy that went to the trash with the folder stays there, untouched.
    in_trash = [f for f in drive_files(engine, trashed=True) if f["trashed"] and not f["folder"]]
    assert sorted(f["name"] for f in in_trash) == ["FV 1_11_2026.pdf", "FV 2_11_2026.pdf"]
    assert documents_in_drive(engine)[str(late.uuid)] == 2
    assert [f["name"] for f in drive_files(engine) if not f["folder"]] == ["FV 2_11_2026.pdf"]
    assert engine.state_dump()["deletes"] == []
    # The ledger says which copy is the backup.
    rows = BackedUpFile.objects.filter(document_uuid=late.uuid).order_by("id")
    assert [row.state for row in rows] == ["in_trash", "done"]
    assert rows[0].drive_file_id == next(f["id"] for f in in_trash if f["name"].startswith("FV 2"))
    assert rows[1].drive_file_id == new[f"{MONTH}/Invoices/FV 2_11_2026.pdf"]
    assert DriveFolder.objects.get(path="2026/11").drive_id == new[MONTH]
    # upload (to the trash), one listing, two folders, the upload again.
    after = requests_of(engine, *ENDPOINTS)
    assert {k: after[k] - before[k] for k in ENDPOINTS} == {
        "drive.files.list": 1,
        "drive.files.create": 2,
        "drive.files.get": 0,
        "upload.create": 2,
    }


def test_every_folder_of_a_trashed_month_is_made_again_after_one_listing(
    engine, documents_only, merchant
):
    invoice(merchant, "FV 1/11/2026", NOV)
    receipt(merchant, "PAR 1/11/2026", NOV)
    run_backup(documents_only, now=FIRST_NIGHT)
    month = next(f["id"] for f in drive_files(engine) if f["path"] == MONTH)
    trash(documents_only, month)
    invoice(merchant, "FV 2/11/2026", NOV)
    receipt(merchant, "PAR 2/11/2026", NOV)
    before = requests_of(engine, *ENDPOINTS)

    run, outcome = run_backup(documents_only, now=SECOND_NIGHT)

    assert outcome.succeeded, run.errors
    assert run.files_uploaded == 2
    assert live_folders(engine) == [
        ROOT,
        f"{ROOT}/2026",
        MONTH,
        f"{MONTH}/Invoices",
        f"{MONTH}/Receipts",
    ]
    # The invoice found the month in the trash; the listing that followed already showed
    # Receipts missing too (one look at its cached id), so the receipt went straight to a
    # new folder.
    after = requests_of(engine, *ENDPOINTS)
    assert {k: after[k] - before[k] for k in ENDPOINTS} == {
        "drive.files.list": 1,
        "drive.files.create": 3,
        "drive.files.get": 1,
        "upload.create": 3,
    }
    assert BackedUpFile.objects.filter(state="in_trash").count() == 1


def test_a_folder_deleted_for_good_is_made_again_and_the_same_upload_repeated(
    engine, documents_only, merchant, first_night
):
    # The merchant deleted the month for good (emptied the trash).
    app_client(documents_only).service.files().delete(fileId=first_night[MONTH]).execute()
    deletes_before = len(engine.state_dump()["deletes"])
    late = invoice(merchant, "FV 2/11/2026", NOV)
    before = requests_of(engine, *ENDPOINTS)

    run, outcome = run_backup(documents_only, now=SECOND_NIGHT)

    assert outcome.succeeded, run.errors
    assert live_folders(engine) == [ROOT, f"{ROOT}/2026", MONTH, f"{MONTH}/Invoices"]
    [row] = BackedUpFile.objects.filter(document_uuid=late.uuid)
    stored = next(f for f in drive_files(engine) if f["name"] == "FV 2_11_2026.pdf")
    # Nothing was created by the refused upload: the row kept its id.
    assert (row.state, row.drive_file_id) == ("done", stored["id"])
    assert stored["path"] == f"{MONTH}/Invoices/FV 2_11_2026.pdf"
    assert len(engine.state_dump()["deletes"]) == deletes_before
    after = requests_of(engine, *ENDPOINTS)
    # upload (404), one listing, two folders, the upload again.
    assert {k: after[k] - before[k] for k in ENDPOINTS} == {
        "drive.files.list": 1,
        "drive.files.create": 2,
        "drive.files.get": 0,
        "upload.create": 2,
    }


def test_a_folder_created_in_a_parent_trashed_meanwhile_is_created_again(
    engine, documents_only, merchant, first_night, monkeypatch
):
    # December needs new folders, so the night lists the tree; the merchant trashes the year
    # right after that listing. The month created in it answers trashed=true.
    original_load = FolderTree.load
    trashed_once = []

    def load_then_trash_the_year(tree):
        original_load(tree)
        if not trashed_once:
            trash(documents_only, first_night[f"{ROOT}/2026"])
            trashed_once.append(True)

    monkeypatch.setattr(FolderTree, "load", load_then_trash_the_year)
    december = invoice(merchant, "FV 1/12/2026", dt.date(2026, 12, 1))

    run, outcome = run_backup(documents_only, now=dt.datetime(2026, 12, 2, 2, tzinfo=WARSAW))

    assert outcome.succeeded, run.errors
    assert live_folders(engine) == [
        ROOT,
        f"{ROOT}/2026",
        f"{ROOT}/2026/12",
        f"{ROOT}/2026/12/Invoices",
    ]
    assert documents_in_drive(engine)[str(december.uuid)] == 1
    assert BackedUpFile.objects.get(document_uuid=december.uuid).state == "done"


def test_a_server_that_keeps_answering_trashed_fails_the_file_without_looping(
    engine, documents_only, merchant, first_night, monkeypatch
):
    original_upload = DriveClient.upload

    def always_in_the_trash(self, **kwargs):
        return dataclasses.replace(original_upload(self, **kwargs), trashed=True)

    monkeypatch.setattr(DriveClient, "upload", always_in_the_trash)
    late = invoice(merchant, "FV 2/11/2026", NOV)
    uploads_before = counter(engine, "upload.create")

    run, outcome = run_backup(documents_only, now=SECOND_NIGHT)

    assert (outcome.status, outcome.retryable) == (BackupRun.Status.FAILED, True), outcome
    assert [e["code"] for e in run.errors] == ["upload_failed"]
    assert "in the trash" in run.errors[0]["detail"]
    assert run.files_uploaded == 0
    assert counter(engine, "upload.create") - uploads_before == 2
    states = BackedUpFile.objects.filter(document_uuid=late.uuid).values_list("state", flat=True)
    assert list(states) == ["in_trash", "in_trash"]
