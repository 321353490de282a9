"""Admin for operators: integrations without their secrets; runs, the ledger and the checks
of backups read-only.

The integration and run lists filter by operator state and night, and show tonight's totals
at the top (integrations.night_report).
"""

from __future__ import annotations

from django.contrib import admin
from django.db.models import Q, QuerySet
from django.http import HttpRequest, HttpResponse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from integrations import night_report
from integrations.models import BackedUpFile, BackupRun, GoogleDriveIntegration, VerifyReport

NIGHT_TOTALS_TEMPLATE = "admin/integrations/change_list_with_night_totals.html"


def night_totals() -> dict[str, object]:
    """Tonight's runs by status, runs overdue, runs active and integrations by state."""
    now = timezone.now()
    return {
        "tonight": night_report.tonight_runs_by_status(now),
        "overdue": len(night_report.overdue_runs(now)),
        "active": night_report.active_runs_by_status(),
        "integrations": night_report.integrations_by_state(),
    }


class NightTotalsAdmin(admin.ModelAdmin):
    change_list_template = NIGHT_TOTALS_TEMPLATE

    def changelist_view(self, request: HttpRequest, extra_context=None) -> HttpResponse:
        extra_context = {**(extra_context or {}), "night_totals": night_totals()}
        return super().changelist_view(request, extra_context)


class IntegrationStateFilter(admin.SimpleListFilter):
    """The states of the metrics: 'failing' is a connected one whose last run(s) failed."""

    title = _("state")
    parameter_name = "state"

    def lookups(self, request: HttpRequest, model_admin: admin.ModelAdmin):
        return [
            ("connected", _("Connected, last run fine")),
            ("failing", _("Connected, failing")),
            ("access_lost", _("Access lost")),
            ("not_connected", _("Not connected")),
        ]

    def queryset(self, request: HttpRequest, queryset: QuerySet) -> QuerySet:
        status = GoogleDriveIntegration.Status
        connected = Q(status=status.CONNECTED)
        conditions = {
            "connected": connected & Q(consecutive_failures=0),
            "failing": connected & Q(consecutive_failures__gt=0),
            "access_lost": Q(status=status.ACCESS_LOST),
            "not_connected": Q(status=status.NOT_CONNECTED),
        }
        if self.value() in conditions:
            return queryset.filter(conditions[self.value()])
        return queryset


class RunNightFilter(admin.SimpleListFilter):
    title = _("night")
    parameter_name = "night"

    def lookups(self, request: HttpRequest, model_admin: admin.ModelAdmin):
        return [
            ("tonight", _("Tonight (each merchant's current night)")),
            ("overdue", _("Not finished by the end of its night")),
        ]

    def queryset(self, request: HttpRequest, queryset: QuerySet) -> QuerySet:
        now = timezone.now()
        if self.value() == "tonight":
            return queryset.filter(pk__in=night_report.tonight_runs(now).values("pk"))
        if self.value() == "overdue":
            return queryset.filter(pk__in=[run.run_id for run in night_report.overdue_runs(now)])
        return queryset


@admin.register(GoogleDriveIntegration)
class GoogleDriveIntegrationAdmin(NightTotalsAdmin):
    list_display = ["merchant", "status", "google_email", "connected_at", "consecutive_failures"]
    list_filter = [IntegrationStateFilter, "time_zone"]
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
class BackupRunAdmin(NightTotalsAdmin, ReadOnlyAdmin):
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
    list_filter = ["status", "trigger", RunNightFilter]
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
