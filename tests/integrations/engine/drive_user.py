"""What a merchant does to our files in Drive's own UI, done through the app's grant.

Drive lets the app that made a file trash, delete, move and rewrite it, so the app's client
stands in for the merchant's browser here.
"""

from __future__ import annotations

import io

from googleapiclient.http import MediaIoBaseUpload

from integrations import verify
from integrations.engine.folders import APP_TAG
from integrations.models import BackedUpFile, GoogleDriveIntegration, VerifyReport

from .helpers import MONTH, app_client, drive_files, trash

__all__ = [
    "ONE_OF_EACH",
    "change_content",
    "check",
    "delete_for_good",
    "folder_id",
    "move_to",
    "new_folder",
    "one_of_each",
    "stray_file",
    "trash",
]


def check(integration: GoogleDriveIntegration) -> VerifyReport:
    """A "Check my backup", requested and run here."""
    report = verify.request_check(integration.pk, VerifyReport.Trigger.MANUAL)
    return verify.execute_check(report.pk)


def folder_id(fake, path: str) -> str:
    return next(f["id"] for f in drive_files(fake) if f["path"] == path)


# What a check finds after one_of_each() on the six invoices of the `backed_up` fixture.
ONE_OF_EACH = {"present": 2, "changed": 1, "trashed": 1, "missing": 1, "moved": 1, "unknown": 1}


def one_of_each(fake, integration: GoogleDriveIntegration, rows: dict[str, BackedUpFile]) -> str:
    """The merchant changes, trashes, deletes and moves one November invoice each (FV 1 to
    FV 4), and a stray file of ours appears; returns the stray file's id."""
    change_content(integration, rows["FV 1_11_2026.pdf"].drive_file_id, b"%PDF-1.7 edited")
    trash(integration, rows["FV 2_11_2026.pdf"].drive_file_id)
    delete_for_good(integration, rows["FV 3_11_2026.pdf"].drive_file_id)
    move_to(integration, rows["FV 4_11_2026.pdf"].drive_file_id, new_folder(integration, "Mine"))
    return stray_file(integration, folder_id(fake, f"{MONTH}/Invoices"), "FV 99_11_2026.pdf")


def delete_for_good(integration: GoogleDriveIntegration, file_id: str) -> None:
    app_client(integration).service.files().delete(fileId=file_id).execute()


def change_content(integration: GoogleDriveIntegration, file_id: str, content: bytes) -> None:
    media = MediaIoBaseUpload(io.BytesIO(content), mimetype="application/pdf")
    app_client(integration).service.files().update(fileId=file_id, media_body=media).execute()


def new_folder(integration: GoogleDriveIntegration, name: str) -> str:
    body = {"name": name, "mimeType": "application/vnd.google-apps.folder"}
    return app_client(integration).service.files().create(body=body, fields="id").execute()["id"]


def move_to(integration: GoogleDriveIntegration, file_id: str, folder_id: str) -> None:
    service = app_client(integration).service
    parents = service.files().get(fileId=file_id, fields="parents").execute()["parents"]
    service.files().update(
        fileId=file_id, addParents=folder_id, removeParents=",".join(parents)
    ).execute()


def stray_file(integration: GoogleDriveIntegration, parent_id: str, name: str) -> str:
    """A file carrying our tag that no ledger row knows (e.g. left by a restored database)."""
    body = {"name": name, "parents": [parent_id], "appProperties": {"app": APP_TAG}}
    media = MediaIoBaseUpload(io.BytesIO(b"%PDF-1.7 stray"), mimetype="application/pdf")
    service = app_client(integration).service
    return service.files().create(body=body, media_body=media, fields="id").execute()["id"]
