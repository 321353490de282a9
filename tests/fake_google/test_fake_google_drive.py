"""Drive v3 metadata endpoints through googleapiclient built from the static discovery doc."""

from __future__ import annotations

import io
import json

import pytest
from googleapiclient.discovery import build_from_document
from googleapiclient.errors import HttpError
from googleapiclient.http import MediaIoBaseDownload, build_http

from tests.fake_google.helpers import (
    DRIVE,
    FOLDER,
    MERCHANT,
    OTHER,
    connect,
    drive_service,
    error_reason,
    make_folder,
    md5,
    upload,
)


def _error(excinfo: pytest.ExceptionInfo[HttpError]) -> dict:
    return json.loads(excinfo.value.content)["error"]


def test_requests_go_to_the_fake_because_root_url_is_set(fake_google, drive):
    drive.about().get(fields="user").execute()
    upload(drive, "a.txt", b"x")

    counters = fake_google.state_dump()["counters"]
    assert counters["drive.about.get"] == {"200": 1}
    assert counters["upload.create.multipart"] == {"200": 1}


def test_about_requires_fields(drive):
    with pytest.raises(HttpError) as excinfo:
        drive.about().get().execute()

    assert excinfo.value.status_code == 400
    assert error_reason(excinfo.value) == "required"


def test_about_reports_user_and_storage(drive):
    upload(drive, "a.txt", b"12345")

    about = drive.about().get(fields="user(displayName,emailAddress),storageQuota").execute()

    assert about["user"] == {"displayName": "Demo Merchant", "emailAddress": MERCHANT}
    assert about["storageQuota"]["usage"] == "5"


def test_missing_bearer_token_is_401_login_required(fake_google, drive_discovery):
    document = dict(drive_discovery, rootUrl=fake_google.api_root)
    anonymous = build_from_document(document, http=build_http())

    with pytest.raises(HttpError) as excinfo:
        anonymous.files().list().execute()

    assert excinfo.value.status_code == 401
    assert _error(excinfo)["errors"][0]["reason"] == "required"
    assert _error(excinfo)["status"] == "UNAUTHENTICATED"


def test_generate_ids(drive):
    answer = drive.files().generateIds(count=3, space="drive").execute()

    assert answer["kind"] == "drive#generatedIds"
    assert answer["space"] == "drive"
    assert len(set(answer["ids"])) == 3


def test_generate_ids_count_is_bounded(drive):
    with pytest.raises(HttpError) as excinfo:
        drive.files().generateIds(count=1001).execute()
    assert excinfo.value.status_code == 400


def test_create_folder_answers_the_default_fields(drive):
    folder = drive.files().create(body={"name": "BaseLinker Backup", "mimeType": FOLDER}).execute()

    assert set(folder) == {"kind", "id", "name", "mimeType"}
    assert folder["mimeType"] == FOLDER


def test_create_with_a_generated_id_then_repeat_is_409_file_id_in_use(drive):
    (file_id,) = drive.files().generateIds(count=1).execute()["ids"]
    body = {"id": file_id, "name": "2026", "mimeType": FOLDER}

    assert drive.files().create(body=body, fields="id").execute() == {"id": file_id}
    with pytest.raises(HttpError) as excinfo:
        drive.files().create(body=body).execute()

    assert excinfo.value.status_code == 409
    assert _error(excinfo)["errors"][0] == {
        "domain": "global",
        "reason": "fileIdInUse",
        "message": "A file already exists with the provided ID.",
    }


def test_create_with_an_id_not_from_generate_ids_is_refused(drive):
    with pytest.raises(HttpError) as excinfo:
        drive.files().create(body={"id": "made-up-id", "name": "x", "mimeType": FOLDER}).execute()

    assert excinfo.value.status_code == 400
    assert error_reason(excinfo.value) == "fileIdNotUsable"
    assert _error(excinfo)["message"] == "The provided file ID is not usable."


def test_ids_generated_for_another_account_are_refused(fake_google, drive, drive_discovery):
    other = drive_service(fake_google, drive_discovery, connect(fake_google, OTHER))
    (theirs,) = other.files().generateIds(count=1).execute()["ids"]

    with pytest.raises(HttpError) as excinfo:
        upload(drive, "a.csv", b"x", id=theirs)

    assert excinfo.value.status_code == 400
    assert error_reason(excinfo.value) == "fileIdNotUsable"


def test_create_in_a_missing_parent_is_404(drive):
    with pytest.raises(HttpError) as excinfo:
        make_folder(drive, "Orders", parent="does-not-exist")
    assert excinfo.value.status_code == 404
    assert error_reason(excinfo.value) == "notFound"


def test_read_only_fields_cannot_be_written(drive):
    with pytest.raises(HttpError) as excinfo:
        drive.files().create(body={"name": "x", "md5Checksum": "abc"}).execute()
    assert excinfo.value.status_code == 403
    assert error_reason(excinfo.value) == "fieldNotWritable"


def test_app_properties_are_limited_to_124_bytes_per_pair(drive):
    with pytest.raises(HttpError) as excinfo:
        make_folder(drive, "x", appProperties={"doc": "v" * 122})
    assert excinfo.value.status_code == 400

    assert make_folder(drive, "y", appProperties={"doc": "v" * 121})


def test_get_all_fields(drive):
    folder = make_folder(drive, "Orders")
    created = upload(drive, "a.csv", b"id;total\n", parent=folder, appProperties={"doc": "d1"})

    got = drive.files().get(fileId=created["id"], fields="*").execute()

    assert got["parents"] == [folder]
    assert got["size"] == "9"
    assert got["md5Checksum"] == md5(b"id;total\n")
    assert got["appProperties"] == {"doc": "d1"}
    assert got["trashed"] is False
    assert got["createdTime"].endswith("Z") and got["modifiedTime"].endswith("Z")
    assert got["mimeType"] == "text/plain"


def test_get_unknown_file_is_404_with_drives_message(drive):
    with pytest.raises(HttpError) as excinfo:
        drive.files().get(fileId="nope").execute()

    assert excinfo.value.status_code == 404
    assert _error(excinfo)["message"] == "File not found: nope."


def test_invalid_field_selection_is_400(drive):
    folder = make_folder(drive, "x")
    with pytest.raises(HttpError) as excinfo:
        drive.files().get(fileId=folder, fields="id,colour").execute()
    assert excinfo.value.status_code == 400
    assert error_reason(excinfo.value) == "invalidParameter"


def test_download_with_alt_media_in_ranged_chunks(drive):
    data = bytes(range(256)) * 1200
    file_id = upload(drive, "blob.bin", data, mimetype="application/octet-stream")["id"]

    buffer = io.BytesIO()
    downloader = MediaIoBaseDownload(buffer, drive.files().get_media(fileId=file_id), 100_000)
    done = False
    while not done:
        _, done = downloader.next_chunk()

    assert buffer.getvalue() == data


def test_folders_cannot_be_downloaded(drive):
    folder = make_folder(drive, "x")
    with pytest.raises(HttpError) as excinfo:
        drive.files().get_media(fileId=folder).execute()
    assert error_reason(excinfo.value) == "fileNotDownloadable"


def test_update_renames_and_merges_app_properties(drive):
    file_id = upload(drive, "a.csv", b"x", appProperties={"doc": "d1", "sha": "s1"})["id"]

    updated = (
        drive.files()
        .update(
            fileId=file_id,
            body={"name": "b.csv", "appProperties": {"sha": None, "run": "r1"}},
            fields="name,appProperties,version",
        )
        .execute()
    )

    assert updated["name"] == "b.csv"
    assert updated["appProperties"] == {"doc": "d1", "run": "r1"}
    assert updated["version"] == "2"


def test_update_moves_with_add_and_remove_parents(drive):
    first, second = make_folder(drive, "2026"), make_folder(drive, "2027")
    file_id = upload(drive, "a.csv", b"x", parent=first)["id"]

    moved = (
        drive.files()
        .update(fileId=file_id, addParents=second, removeParents=first, fields="parents")
        .execute()
    )

    assert moved["parents"] == [second]


def test_parents_are_not_writable_in_update(drive):
    file_id = make_folder(drive, "x")
    with pytest.raises(HttpError) as excinfo:
        drive.files().update(fileId=file_id, body={"parents": ["root"]}).execute()
    assert error_reason(excinfo.value) == "fieldNotWritable"


def test_trashing_a_folder_trashes_its_contents(drive):
    folder = make_folder(drive, "BaseLinker Backup")
    inner = make_folder(drive, "2026", parent=folder)

    drive.files().update(fileId=folder, body={"trashed": True}).execute()

    got = drive.files().get(fileId=inner, fields="trashed,explicitlyTrashed").execute()
    assert got == {"trashed": True, "explicitlyTrashed": False}
    assert drive.files().list(q="trashed = false").execute()["files"] == []


def test_what_is_created_inside_a_trashed_folder_is_in_the_trash(drive):
    # Drive's File.trashed: "trashed, either explicitly or from a trashed parent folder".
    root = make_folder(drive, "BaseLinker Backup")
    month = make_folder(drive, "11", parent=make_folder(drive, "2026", parent=root))
    drive.files().update(fileId=root, body={"trashed": True}).execute()

    folder = (
        drive.files()
        .create(
            body={"name": "Invoices", "mimeType": FOLDER, "parents": [month]},
            fields="id,trashed,explicitlyTrashed",
        )
        .execute()
    )
    file = upload(drive, "FV 1.pdf", b"%PDF", parent=folder["id"], fields="id,trashed")

    assert (folder["trashed"], folder["explicitlyTrashed"]) == (True, False)
    assert file["trashed"] is True
    assert drive.files().get(fileId=file["id"], fields="trashed").execute() == {"trashed": True}
    assert drive.files().list(q="trashed = false").execute()["files"] == []
    listed = drive.files().list(q="trashed = true", fields="files(name)").execute()["files"]
    assert sorted(f["name"] for f in listed) == sorted(
        ["BaseLinker Backup", "2026", "11", "Invoices", "FV 1.pdf"]
    )


def test_restoring_a_folder_leaves_what_is_below_another_trashed_folder_in_the_trash(drive):
    root = make_folder(drive, "BaseLinker Backup")
    year = make_folder(drive, "2026", parent=root)
    month = make_folder(drive, "11", parent=year)
    drive.files().update(fileId=year, body={"trashed": True}).execute()
    drive.files().update(fileId=root, body={"trashed": True}).execute()

    drive.files().update(fileId=root, body={"trashed": False}).execute()

    assert drive.files().get(fileId=root, fields="trashed").execute() == {"trashed": False}
    assert drive.files().get(fileId=month, fields="trashed").execute() == {"trashed": True}


def test_moving_a_file_into_a_trashed_folder_trashes_it(drive):
    bin_folder = make_folder(drive, "old", trashed=True)
    file = upload(drive, "a.csv", b"x")
    file_id, (parent,) = file["id"], file["parents"]

    drive.files().update(fileId=file_id, addParents=bin_folder, removeParents=parent).execute()

    assert drive.files().get(fileId=file_id, fields="trashed").execute() == {"trashed": True}


def test_create_in_a_folder_deleted_for_good_is_404_file_not_found(drive):
    folder = make_folder(drive, "Invoices")
    drive.files().delete(fileId=folder).execute()
    (file_id,) = drive.files().generateIds(count=1).execute()["ids"]

    with pytest.raises(HttpError) as excinfo:
        upload(drive, "FV 1.pdf", b"%PDF", parent=folder, id=file_id)

    assert excinfo.value.status_code == 404
    assert _error(excinfo)["message"] == f"File not found: {folder}."
    assert _error(excinfo)["errors"][0]["reason"] == "notFound"
    # Nothing was created, so the reserved id is still good.
    assert upload(drive, "FV 1.pdf", b"%PDF", id=file_id)["id"] == file_id


def test_delete_is_permanent_and_recorded(fake_google, drive):
    folder = make_folder(drive, "Orders")
    upload(drive, "a.csv", b"x", parent=folder)

    assert drive.files().delete(fileId=folder).execute() == ""

    with pytest.raises(HttpError):
        drive.files().get(fileId=folder).execute()
    deletes = fake_google.state_dump()["deletes"]
    assert sorted(d["path"] for d in deletes) == ["/Orders", "/Orders/a.csv"]
    assert fake_google.files(MERCHANT) == []


def test_root_alias(drive):
    make_folder(drive, "BaseLinker Backup")

    root = drive.files().get(fileId="root", fields="id,name,mimeType").execute()
    children = drive.files().list(q="'root' in parents", fields="files(name,parents)").execute()

    assert root["name"] == "My Drive"
    assert children["files"] == [{"name": "BaseLinker Backup", "parents": [root["id"]]}]


def test_list_pages_through_results(drive):
    for n in range(5):
        make_folder(drive, f"f{n}")

    names, token, pages = [], None, 0
    while True:
        answer = (
            drive.files()
            .list(pageSize=2, pageToken=token, fields="nextPageToken,files(name)")
            .execute()
        )
        names += [f["name"] for f in answer["files"]]
        pages += 1
        token = answer.get("nextPageToken")
        if not token:
            break

    assert names == ["f0", "f1", "f2", "f3", "f4"]
    assert pages == 3


def test_page_token_only_works_for_its_own_query(drive):
    for n in range(3):
        make_folder(drive, f"f{n}")
    token = drive.files().list(pageSize=1).execute()["nextPageToken"]

    with pytest.raises(HttpError) as excinfo:
        drive.files().list(pageSize=1, pageToken=token, q="trashed = false").execute()
    assert excinfo.value.status_code == 400


def test_list_default_and_partial_fields(drive):
    make_folder(drive, "x", appProperties={"doc": "1"})

    default = drive.files().list().execute()
    partial = drive.files().list(fields="files(name,appProperties)").execute()

    assert default["kind"] == "drive#fileList"
    assert set(default["files"][0]) == {"kind", "id", "name", "mimeType"}
    assert partial == {"files": [{"name": "x", "appProperties": {"doc": "1"}}]}


def test_list_order_by(drive):
    for name in ("b", "c", "a"):
        make_folder(drive, name)

    answer = drive.files().list(orderBy="name desc", fields="files(name)").execute()

    assert [f["name"] for f in answer["files"]] == ["c", "b", "a"]


def test_list_includes_trashed_files_unless_asked_not_to(drive):
    make_folder(drive, "gone", trashed=True)

    assert len(drive.files().list().execute()["files"]) == 1
    assert drive.files().list(q="trashed = false").execute()["files"] == []


def test_not_emulated_methods_say_so(drive):
    folder = make_folder(drive, "x")
    with pytest.raises(HttpError) as excinfo:
        drive.files().copy(fileId=folder, body={}).execute()
    assert excinfo.value.status_code == 501


# --- drive.file visibility --------------------------------------------------------------


def test_drive_file_token_never_sees_files_the_user_made(fake_google, drive):
    users_folder = fake_google.seed_user_file(MERCHANT, "BaseLinker Backup")
    ours = make_folder(drive, "BaseLinker Backup")

    listed = drive.files().list(q="name = 'BaseLinker Backup'", fields="files(id)").execute()

    assert listed["files"] == [{"id": ours}]
    with pytest.raises(HttpError) as excinfo:
        drive.files().get(fileId=users_folder).execute()
    assert excinfo.value.status_code == 404
    with pytest.raises(HttpError):
        make_folder(drive, "2026", parent=users_folder)


def test_full_drive_scope_sees_everything(fake_google, drive, drive_discovery):
    fake_google.seed_user_file(MERCHANT, "BaseLinker Backup")
    make_folder(drive, "BaseLinker Backup")

    full = drive_service(fake_google, drive_discovery, connect(fake_google, scopes=[DRIVE]))
    listed = full.files().list(q="name = 'BaseLinker Backup'").execute()

    assert len(listed["files"]) == 2


def test_files_of_another_client_or_account_are_invisible(fake_google, drive, drive_discovery):
    make_folder(drive, "ours")
    other_account = drive_service(fake_google, drive_discovery, connect(fake_google, OTHER))
    make_folder(other_account, "theirs")

    assert [f["name"] for f in drive.files().list().execute()["files"]] == ["ours"]
    assert [f["name"] for f in other_account.files().list().execute()["files"]] == ["theirs"]
