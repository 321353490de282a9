"""Included by integrations.urls under "google-drive/", in the "integrations" namespace."""

from __future__ import annotations

from django.urls import path

from integrations import run_views

urlpatterns = [
    path("backup-now/", run_views.backup_now, name="google_drive_backup_now"),
    path(
        "runs/<int:run_id>/progress.json",
        run_views.run_progress,
        name="google_drive_run_progress",
    ),
]
