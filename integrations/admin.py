"""Admin for operators: integrations without their secrets; runs, the ledger and the checks
of backups read-only."""

from __future__ import annotations

from django.contrib import admin
from django.http import HttpRequest

from integrations.models import BackedUpFile, BackupRun, GoogleDriveIntegration, VerifyReport


@admin.register(GoogleDriveIntegration)
class GoogleDriveIntegrationAdmin(admin.ModelAdmin):
    list_display = ["merchant", "status", "google_email", "connected_at", "consecutive_failures"]
    list_filter = ["status"]
    search_fields = ["merchant__name", "google_email"]
    # The refresh token never reaches a page, not even in encrypted form.
    exclude = ["refresh_token"]
    readonly_fields = [
        "merchant",
        "status",
        "google_email",
        "google_account_id",
        "granted_scopes",
        "connected_at",
        "access_lost_at",
        "documents_since",
        "root_folder_id",
        "consecutive_failures",
        "last_error",
        "created_at",
        "updated_at",
    ]

    def has_add_permission(self, request: HttpRequest) -> bool:
        # Integrations are created by the merchant connecting a Google account.
        return False


class ReadOnlyAdmin(admin.ModelAdmin):
    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj=None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj=None) -> bool:
        return False


@admin.register(BackupRun)
class BackupRunAdmin(ReadOnlyAdmin):
    list_display = [
        "id",
        "integration",
        "trigger",
        "status",
        "queued_at",
        "finished_at",
        "files_uploaded",
        "bytes_uploaded",
    ]
    list_filter = ["status", "trigger"]
    search_fields = ["integration__merchant__name"]
    list_select_related = ["integration__merchant"]


@admin.register(BackedUpFile)
class BackedUpFileAdmin(ReadOnlyAdmin):
    list_display = ["name", "folder_path", "kind", "state", "integration", "size", "created_at"]
    list_filter = ["kind", "state"]
    search_fields = ["name", "integration__merchant__name", "drive_file_id"]
    list_select_related = ["integration__merchant"]


@admin.register(VerifyReport)
class VerifyReportAdmin(ReadOnlyAdmin):
    list_display = [
        "id",
        "integration",
        "trigger",
        "status",
        "finished_at",
        "present",
        "changed",
        "trashed",
        "missing",
        "moved",
        "unknown",
    ]
    list_filter = ["status", "trigger"]
    search_fields = ["integration__merchant__name"]
    list_select_related = ["integration__merchant"]
