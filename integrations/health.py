"""The backup's health at a glance: one state in words and colour, the last good backup and
the next one.

- healthy: connected, something to back up, the last finished backup went well (or the first
  one has not been due yet);
- warning: the last backup had problems, a backup waits for its retry, or nothing is ticked
  so no backup runs;
- failing: Google no longer lets the backup in (access lost), the last backup stopped because
  the Drive is full, two backups in a row failed, or no backup succeeded for 48 hours while
  connected;
- off: no Google account is connected.

`backup_health` is a plain function of what the database holds and an explicit `now`; pages
call `health_for`, which reads those facts in a few queries.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from django.utils import formats, timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from accounts.time_zones import zone_named
from integrations import run_history
from integrations.models import BackupRun, GoogleDriveIntegration
from integrations.schedule import scheduled_start, window_for_night
from integrations.selection import something_to_back_up

# No successful backup for this long while connected is failing, not a bad night.
STALE_AFTER = timedelta(hours=48)
FAILURES_IN_A_ROW = 2
QUOTA_CODE = "quota"
# "tonight" covers a moment from this local hour of today to NIGHT_ENDS_HOUR of tomorrow.
EVENING_STARTS_HOUR = 18
NIGHT_ENDS_HOUR = 6
# A start this close is told as "in the next few minutes" (the dispatcher passes every 5).
SOON = timedelta(minutes=10)


class State(enum.StrEnum):
    HEALTHY = "healthy"
    WARNING = "warning"
    FAILING = "failing"
    OFF = "off"


BADGES = {
    State.HEALTHY: "badge badge-ok",
    State.WARNING: "badge badge-warn",
    State.FAILING: "badge badge-error",
    State.OFF: "badge",
}


@dataclass(frozen=True)
class Facts:
    """What the state is decided from; every field is read from the database or given."""

    status: str
    something_selected: bool
    connected_at: datetime | None
    consecutive_failures: int
    last_finished: BackupRun | None
    last_success: BackupRun | None
    active: BackupRun | None


@dataclass(frozen=True)
class Health:
    state: State
    # One line: what is true about the backup now ("Your Google Drive is full").
    reason: str
    last_success: BackupRun | None
    next_backup: datetime | None

    @property
    def label(self) -> str:
        return {
            State.HEALTHY: _("Healthy"),
            State.WARNING: _("Needs attention"),
            State.FAILING: _("Failing"),
            State.OFF: _("Not connected"),
        }[self.state]

    @property
    def headline(self) -> str:
        return {
            State.HEALTHY: _("Your backup is working"),
            State.WARNING: _("Your backup needs attention"),
            State.FAILING: _("Your backup is failing"),
            State.OFF: _("Your backup is off"),
        }[self.state]

    @property
    def badge(self) -> str:
        return BADGES[self.state]


def backup_health(facts: Facts, now: datetime, next_backup: datetime | None) -> Health:
    state, reason = _state_and_reason(facts, now)
    return Health(
        state=state, reason=reason, last_success=facts.last_success, next_backup=next_backup
    )


def _state_and_reason(facts: Facts, now: datetime) -> tuple[State, str]:
    if facts.status == GoogleDriveIntegration.Status.ACCESS_LOST:
        return State.FAILING, _(
            "Google no longer lets the backup into your Drive. Reconnect your Google account "
            "to resume the backups."
        )
    if facts.status != GoogleDriveIntegration.Status.CONNECTED:
        return State.OFF, _("Connect a Google account to start the nightly backups.")
    last = facts.last_finished
    if last is not None and last.status == BackupRun.Status.FAILED and _stopped_by_quota(last):
        return State.FAILING, _(
            "Your Google Drive is full, so the last backup stopped. Free up space or get more "
            "storage from Google; the next backup uploads everything that is missing."
        )
    if facts.consecutive_failures >= FAILURES_IN_A_ROW:
        return State.FAILING, ngettext(
            "The last %(count)d backup failed.",
            "The last %(count)d backups failed.",
            facts.consecutive_failures,
        ) % {"count": facts.consecutive_failures}
    if not facts.something_selected:
        return State.WARNING, _(
            "Nothing is selected under “What to back up”, so no backup will run."
        )
    stale_since = _stale_since(facts, now)
    if stale_since is not None:
        return State.FAILING, _stale_reason(facts, now)
    if facts.active is not None and run_history.waiting_for_retry(facts.active):
        return State.WARNING, run_history.retry_message(facts.active)
    if last is not None and last.status in (BackupRun.Status.FAILED, BackupRun.Status.PARTIAL):
        return State.WARNING, _problems_reason(last)
    if facts.last_success is None:
        return State.HEALTHY, _("Connected; waiting for the first backup.")
    return State.HEALTHY, _("The last backup copied everything it had to.")


def _stopped_by_quota(run: BackupRun) -> bool:
    return any(entry.get("code") == QUOTA_CODE for entry in run.errors or [])


def _stale_since(facts: Facts, now: datetime) -> datetime | None:
    """Since when no backup succeeded while connected, if that is longer than STALE_AFTER."""
    moments = [facts.connected_at]
    if facts.last_success is not None:
        moments.append(facts.last_success.finished_at)
    known = [moment for moment in moments if moment is not None]
    if not known:
        return None
    since = max(known)
    return since if now - since >= STALE_AFTER else None


def _stale_reason(facts: Facts, now: datetime) -> str:
    if facts.last_success is None:
        return _(
            "No backup has succeeded in the %(days)s since the Google account was connected."
        ) % {"days": _days_ago(facts.connected_at, now)}
    return _("No backup has succeeded for %(days)s.") % {
        "days": _days_ago(facts.last_success.finished_at, now)
    }


def _days_ago(moment: datetime | None, now: datetime) -> str:
    hours = int((now - moment).total_seconds() // 3600) if moment else 0
    if hours < 72:
        return ngettext("%(count)d hour", "%(count)d hours", hours) % {"count": hours}
    days = hours // 24
    return ngettext("%(count)d day", "%(count)d days", days) % {"count": days}


def _problems_reason(run: BackupRun) -> str:
    problems = run_history.error_messages(run)
    if run.status == BackupRun.Status.FAILED:
        first = problems[0] if problems else ""
        return (
            (_("The last backup failed: %(why)s") % {"why": first})
            if first
            else _("The last backup failed.")
        )
    return ngettext(
        "The last backup finished with %(count)d problem; it is tried again in the next backup.",
        "The last backup finished with %(count)d problems; they are tried again in the next "
        "backup.",
        len(problems) or 1,
    ) % {"count": len(problems) or 1}


# --- The next scheduled backup ------------------------------------------------------------


def next_scheduled_backup(
    integration: GoogleDriveIntegration, now: datetime, nights_taken: set[date]
) -> datetime | None:
    """When the dispatcher starts the next nightly run, or None if none is coming.

    `nights_taken`: nights that already have their scheduled run. A start moment that has
    passed in a night without its run yet means "at the dispatcher's next pass", i.e. now.
    """
    if not integration.is_connected or not something_to_back_up(integration):
        return None
    zone = zone_named(integration.time_zone)
    today = now.astimezone(zone).date()
    for offset in (-1, 0, 1, 2):
        night = today + timedelta(days=offset)
        window = window_for_night(night, zone)
        if window.end <= now or night in nights_taken:
            continue
        return max(scheduled_start(window, integration.pk), now)
    return None


def when_text(moment: datetime, now: datetime) -> str:
    """A moment in the panel's time zone, as a merchant says it: "tonight at 02:14",
    "tomorrow at 14:14", or a date and time further out."""
    if moment - now < SOON:
        # Its start has come and the dispatcher's next pass creates it.
        return _("in the next few minutes")
    local, local_now = timezone.localtime(moment), timezone.localtime(now)
    at = formats.time_format(local, "TIME_FORMAT")
    days = (local.date() - local_now.date()).days
    night_hour = local.hour < NIGHT_ENDS_HOUR or local.hour >= EVENING_STARTS_HOUR
    if days == 0 and night_hour:
        return _("tonight at %(time)s") % {"time": at}
    if days == 0:
        return _("today at %(time)s") % {"time": at}
    if days == 1 and local.hour < NIGHT_ENDS_HOUR and local_now.hour >= 12:
        return _("tonight at %(time)s") % {"time": at}
    if days == 1:
        return _("tomorrow at %(time)s") % {"time": at}
    return formats.date_format(local, "SHORT_DATETIME_FORMAT")


# --- Reading the facts --------------------------------------------------------------------


def facts_for(integration: GoogleDriveIntegration, runs: list[BackupRun]) -> Facts:
    """The facts from the integration and its latest runs (newest first)."""
    finished = [run for run in runs if _finished_by_itself(run)]
    last_success = next((r for r in finished if r.status == BackupRun.Status.SUCCEEDED), None)
    if last_success is None:
        # Older than the runs at hand: one more query, only when none of them succeeded.
        last_success = (
            integration.runs.filter(status=BackupRun.Status.SUCCEEDED)
            .order_by("-finished_at", "-id")
            .first()
        )
    # At most one run is active, and it is the newest: the runs at hand hold it.
    active = next((r for r in runs if r.status in BackupRun.ACTIVE_STATUSES), None)
    return Facts(
        status=integration.status,
        something_selected=something_to_back_up(integration),
        connected_at=integration.connected_at,
        consecutive_failures=integration.consecutive_failures,
        last_finished=finished[0] if finished else None,
        last_success=last_success,
        active=active,
    )


def _finished_by_itself(run: BackupRun) -> bool:
    """Finished, and not stopped by a disconnect (that says nothing about the backup)."""
    return run.status not in BackupRun.ACTIVE_STATUSES and not run_history.stopped_by_disconnect(
        run
    )


def health_for(
    integration: GoogleDriveIntegration,
    runs: list[BackupRun] | None = None,
    now: datetime | None = None,
) -> Health:
    now = now or timezone.now()
    if runs is None:
        runs = list(integration.runs.order_by("-queued_at", "-id")[: run_history.HISTORY_LENGTH])
    facts = facts_for(integration, runs)
    nights = {
        run.night
        for run in runs
        if run.trigger == BackupRun.Trigger.SCHEDULED and run.night is not None
    }
    return backup_health(facts, now, next_scheduled_backup(integration, now, nights))


def document_counts(invoices: int, receipts: int) -> list[str]:
    """["3 invoices", "1 receipt"], leaving out a kind with none."""
    parts = []
    if invoices:
        parts.append(
            ngettext("%(count)d invoice", "%(count)d invoices", invoices) % {"count": invoices}
        )
    if receipts:
        parts.append(
            ngettext("%(count)d receipt", "%(count)d receipts", receipts) % {"count": receipts}
        )
    return parts


def what_was_copied(run: BackupRun) -> str:
    """A run's result in a few words: "15 invoices, 8 receipts, 120 orders"."""
    parts = document_counts(run.invoices_uploaded, run.receipts_uploaded)
    if run.orders_exported or _exported_orders_file(run):
        parts.append(
            ngettext(
                "orders CSV with %(count)d order",
                "orders CSV with %(count)d orders",
                run.orders_exported,
            )
            % {"count": run.orders_exported}
        )
    if not parts:
        return _("nothing new to copy")
    return ", ".join(parts)


def _exported_orders_file(run: BackupRun) -> bool:
    return run.files_uploaded > run.invoices_uploaded + run.receipts_uploaded
