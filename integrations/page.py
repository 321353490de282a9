"""What the Integrations card and the Google Drive page say about the backup, put together.

Views stay thin: they call `DriveOverview.of` (the card) or `google_drive_context` (the page)
with the request's `now`; everything here reads the database in a bounded number of queries.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from django.conf import settings
from django.utils import formats, timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from accounts.time_zones import zone_named
from integrations import coverage, drive_links, health, run_history
from integrations.models import BackupRun, GoogleDriveIntegration
from integrations.runs import BackupNowRefused


@dataclass(frozen=True)
class DriveOverview:
    """Health at a glance: the state, the last good backup, the next one."""

    health: health.Health
    last_success_when: str
    last_success_what: str
    next_backup: str
    # "02:14 in Auckland, the backup's time zone", when it is not the merchant's.
    next_backup_in_backup_zone: str

    @classmethod
    def of(
        cls,
        integration: GoogleDriveIntegration,
        now: datetime,
        runs: list[BackupRun] | None = None,
    ) -> DriveOverview:
        state = health.health_for(integration, runs, now)
        last = state.last_success
        when = last.finished_at or last.started_at if last else None
        return cls(
            health=state,
            last_success_when=formats.date_format(timezone.localtime(when), "SHORT_DATETIME_FORMAT")
            if when
            else "",
            last_success_what=health.what_was_copied(last) if last else "",
            next_backup=health.when_text(state.next_backup, now) if state.next_backup else "",
            next_backup_in_backup_zone=_in_backup_zone(integration, state.next_backup),
        )


def _in_backup_zone(integration: GoogleDriveIntegration, moment: datetime | None) -> str:
    """The moment in the backup's own zone, if that differs from the panel's (the merchant's).

    Compared by offset at that moment: two names of one clock need no second time.
    """
    if moment is None:
        return ""
    backup_zone = zone_named(integration.time_zone)
    there, here = moment.astimezone(backup_zone), timezone.localtime(moment)
    if there.utcoffset() == here.utcoffset():
        return ""
    return _("%(time)s in %(zone)s, the backup's time zone") % {
        "time": formats.time_format(there, "TIME_FORMAT"),
        "zone": zone_label(integration.time_zone),
    }


def zone_label(name: str) -> str:
    return name.replace("_", " ")


def empty_history_message(
    integration: GoogleDriveIntegration, refusal: str | None, overview: DriveOverview
) -> str:
    """What the history says before the first backup: only what is true right now."""
    if integration.status == GoogleDriveIntegration.Status.ACCESS_LOST:
        return _("No backups yet. Reconnect your Google account to start them.")
    if not integration.is_connected:
        return _("No backups yet. Connect a Google account to start them.")
    if refusal == BackupNowRefused.NOTHING_SELECTED:
        return _("No backups yet. Tick at least one kind of document under “What to back up”.")
    if overview.next_backup:
        return _("No backups yet. The first one runs %(when)s, or press “Back up now”.") % {
            "when": overview.next_backup
        }
    return _("No backups yet. Press “Back up now” to run the first one.")


def google_drive_context(integration: GoogleDriveIntegration, now: datetime) -> dict:
    history = run_history.history_for(integration)
    overview = DriveOverview.of(integration, now, history.runs)
    has_account = bool(integration.google_account_id or integration.google_email)
    report = coverage.coverage_for(integration, now) if has_account else None
    return {
        "integration": integration,
        "history": history,
        "overview": overview,
        "empty_history": empty_history_message(integration, history.refusal, overview),
        "coverage": report,
        "coverage_rows": coverage_rows(report, overview.next_backup) if report else [],
        "root_folder_url": drive_links.root_folder_url(integration) if has_account else "",
        "month_folder_urls": drive_links.month_folder_urls(integration, history.runs)
        if has_account
        else {},
        "root_folder_name": settings.BACKUP_ROOT_FOLDER_NAME,
        "night_start": f"{settings.BACKUP_NIGHT_START_HOUR:02d}:00",
        "night_end": f"{settings.BACKUP_NIGHT_END_HOUR:02d}:00",
        "time_zone_label": zone_label(integration.time_zone),
        "backup_zone_differs": integration.time_zone != timezone.get_current_timezone_name(),
        "nothing_to_back_up": history.refusal == BackupNowRefused.NOTHING_SELECTED,
    }


# --- Coverage ------------------------------------------------------------------------------


@dataclass(frozen=True)
class CoverageRow:
    label: str
    # datetime attribute of the row's <time>, "" for "Earlier" and "Total".
    month_iso: str
    invoices: coverage.KindCoverage
    receipts: coverage.KindCoverage
    reasons: list[str]
    is_total: bool = False

    @property
    def complete(self) -> bool:
        return self.invoices.complete and self.receipts.complete


def copies_text(counts: coverage.KindCoverage) -> str:
    if not counts.documents:
        return "\N{EN DASH}"
    return _("%(in_drive)s of %(documents)s") % {
        "in_drive": counts.in_drive,
        "documents": counts.documents,
    }


def _kinds(invoices: int, receipts: int) -> str:
    """ "3 invoices and 2 receipts", "1 receipt"."""
    return _(" and ").join(health.document_counts(invoices, receipts))


def missing_reasons(row: coverage.MonthCoverage, next_backup: str) -> list[str]:
    """Why the documents of a row are not in Drive, in words; one line per reason."""
    inv, rec = row.invoices, row.receipts
    lines = []
    if inv.external:
        lines.append(
            ngettext(
                "%(count)d invoice from your external accounting system: not kept by the "
                "platform, so never backed up",
                "%(count)d invoices from your external accounting system: not kept by the "
                "platform, so never backed up",
                inv.external,
            )
            % {"count": inv.external}
        )
    if inv.not_selected or rec.not_selected:
        lines.append(
            _("%(documents)s: not ticked under “What to back up”")
            % {"documents": _kinds(inv.not_selected, rec.not_selected)}
        )
    if inv.before_start or rec.before_start:
        lines.append(
            _("%(documents)s issued before the start date")
            % {"documents": _kinds(inv.before_start, rec.before_start)}
        )
    if inv.failed or rec.failed:
        lines.append(
            _("%(documents)s failed to upload; tried again in the next backup")
            % {"documents": _kinds(inv.failed, rec.failed)}
        )
    if inv.waiting or rec.waiting:
        documents = _kinds(inv.waiting, rec.waiting)
        if next_backup:
            lines.append(
                _("%(documents)s waiting for the next backup, %(when)s")
                % {"documents": documents, "when": next_backup}
            )
        else:
            lines.append(_("%(documents)s waiting for the next backup") % {"documents": documents})
    return lines


def shown_months(report: coverage.Coverage) -> list[coverage.MonthCoverage]:
    """The last months down to the oldest one with documents (at least this month's): a
    merchant who started in September does not read a column of empty months before it."""
    months = list(report.months)
    while len(months) > 1 and months[-1].empty and report.earlier.empty:
        months.pop()
    return months


def coverage_rows(report: coverage.Coverage, next_backup: str) -> list[CoverageRow]:
    """One row per month (newest first), "Earlier" if anything is older, and "Total"."""

    def row(month: coverage.MonthCoverage, label: str, **extra) -> CoverageRow:
        return CoverageRow(
            label=label,
            month_iso=month.month.strftime("%Y-%m") if month.month else "",
            invoices=month.invoices,
            receipts=month.receipts,
            reasons=missing_reasons(month, next_backup),
            **extra,
        )

    rows = [row(m, formats.date_format(m.month, "YEAR_MONTH_FORMAT")) for m in shown_months(report)]
    if not report.earlier.empty:
        rows.append(row(report.earlier, _("Earlier")))
    rows.append(row(report.total, _("Total"), is_total=True))
    return rows
