"""What a merchant does to our files in Drive's own UI, done through the app's grant.

Drive lets the app that made a file trash, delete, move and rewrite it, so the app's client
stands in for the merchant's browser here.
"""

from __future__ import annotations

import io

from googleapiclient.http import MediaIoBaseUpload

from integrations.engine.folders import APP_TAG
from integrations.models import GoogleDriveIntegration

from .helpers import app_client, trash

__all__ = ["change_content", "delete_for_good", "move_to", "new_folder", "stray_file", "trash"]


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
