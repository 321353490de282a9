"""Links from the panel into the merchant's Drive: the backup's root folder and month folders.

The folder ids come from the cache of folders the backup made (DriveFolder), so no link costs
a Drive request. Drive opens a folder at https://drive.google.com/drive/folders/<id>; fake_google
has no page of its own for a folder, so the same address is used with it.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date

from accounts.time_zones import zone_named
from integrations.models import BackupRun, DriveFolder, GoogleDriveIntegration

FOLDER_URL = "https://drive.google.com/drive/folders/{id}"
# DriveFolder.path of the root folder (integrations.folders keys it so).
ROOT_PATH = "/"


def folder_url(folder_id: str) -> str:
    return FOLDER_URL.format(id=folder_id)


def month_path(month: date) -> str:
    return f"{month.year:04d}/{month.month:02d}"


def _cached_folders(integration: GoogleDriveIntegration, paths: Iterable[str]) -> dict[str, str]:
    if not integration.google_email and not integration.google_account_id:
        return {}
    return dict(
        DriveFolder.objects.filter(
            integration=integration,
            google_account_id=integration.google_account_key,
            path__in=set(paths),
        ).values_list("path", "drive_id")
    )


def root_folder_url(integration: GoogleDriveIntegration) -> str:
    """The backup's root folder in Drive, or "" while the backup has made none."""
    folder_id = _cached_folders(integration, [ROOT_PATH]).get(ROOT_PATH)
    folder_id = folder_id or integration.root_folder_id
    return folder_url(folder_id) if folder_id else ""


def run_month(run: BackupRun, time_zone: str) -> date:
    """The month whose folder a run's orders CSV goes into: that of its start, in the backup's
    zone (not of its night: the night of 30 November starts in December's folder after 00:00)."""
    moment = run.started_at or run.queued_at
    return moment.astimezone(zone_named(time_zone)).date().replace(day=1)


def month_folder_urls(
    integration: GoogleDriveIntegration, runs: Iterable[BackupRun]
) -> dict[int, str]:
    """Run id → the link to its month folder, for the runs whose folder the backup made."""
    months = {run.pk: month_path(run_month(run, integration.time_zone)) for run in runs}
    folders = _cached_folders(integration, months.values())
    return {run_id: folder_url(folders[path]) for run_id, path in months.items() if path in folders}
