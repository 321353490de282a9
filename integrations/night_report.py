"""What the database says about tonight, for operators: the metrics collector, the admin's
totals and the alert about a night that did not finish.

"Tonight" is each merchant's own: the night window (settings BACKUP_NIGHT_START_HOUR to
BACKUP_NIGHT_END_HOUR in the integration's time zone) that began most recently, so at noon in
Warsaw it is the night that ended at 06:00 and at 23:00 the one that has just begun. Only
scheduled runs belong to a night; "Back up now" runs do not.

Every function takes `now`, so tests set the clock instead of reading it.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from django.db.models import Count, Q

from accounts.time_zones import zone_named
from integrations.models import BackupRun, GoogleDriveIntegration
from integrations.schedule import due_night, scheduled_start, window_for_night
from integrations.selection import something_to_back_up_q

# Scheduled runs whose night began at most this many days before today (UTC) are looked at:
# enough for every time zone's current night and the one before.
NIGHTS_LOOKED_AT_DAYS = 2


def current_night(now: datetime, tz: ZoneInfo) -> date:
    """The local date on which the night window of `tz` that began most recently began."""
    local_day = now.astimezone(tz).date()
    for night in (local_day, local_day - timedelta(days=1)):
        if window_for_night(night, tz).start <= now:
            return night
    return local_day - timedelta(days=2)


class _Nights:
    """current_night() per time zone name, computed once per zone."""

    def __init__(self, now: datetime) -> None:
        self.now = now
        self._by_zone: dict[str, date] = {}

    def current(self, time_zone: str) -> date:
        if time_zone not in self._by_zone:
            self._by_zone[time_zone] = current_night(self.now, zone_named(time_zone))
        return self._by_zone[time_zone]


def _recent_scheduled_runs(now: datetime):
    earliest = now.date() - timedelta(days=NIGHTS_LOOKED_AT_DAYS)
    return BackupRun.objects.filter(trigger=BackupRun.Trigger.SCHEDULED, night__gte=earliest)


def tonight_runs(now: datetime):
    """Scheduled runs of each integration's current night, as a queryset.

    One condition per time zone in use (a few dozen at most), not one per integration.
    """
    zones = GoogleDriveIntegration.objects.values_list("time_zone", flat=True).distinct()
    nights = _Nights(now)
    current = Q(pk__in=[])
    for time_zone in zones.order_by():
        current |= Q(integration__time_zone=time_zone, night=nights.current(time_zone))
    return _recent_scheduled_runs(now).filter(current)


def tonight_runs_by_status(now: datetime) -> dict[str, int]:
    """Scheduled runs of each integration's current night, by status (every status present)."""
    counts = dict.fromkeys(BackupRun.Status.values, 0)
    for row in tonight_runs(now).values("status").annotate(n=Count("id")).order_by():
        counts[row["status"]] = row["n"]
    return counts


def active_runs_by_status() -> dict[str, int]:
    """Runs (scheduled and manual) queued and running right now."""
    counts = dict.fromkeys(BackupRun.ACTIVE_STATUSES, 0)
    rows = (
        BackupRun.objects.filter(status__in=BackupRun.ACTIVE_STATUSES)
        .values("status")
        .annotate(n=Count("id"))
    )
    for row in rows:
        counts[row["status"]] = row["n"]
    return {str(status): n for status, n in counts.items()}


@dataclass(frozen=True)
class OverdueRun:
    """A scheduled run still queued or running after its night window ended."""

    run_id: int
    integration_id: int
    night: date
    status: str
    window_end: datetime


def overdue_runs(now: datetime) -> list[OverdueRun]:
    """Scheduled runs not finished by the end of their night window, oldest night first."""
    rows = (
        BackupRun.objects.filter(
            trigger=BackupRun.Trigger.SCHEDULED, status__in=BackupRun.ACTIVE_STATUSES
        )
        .order_by("night", "pk")
        .values_list("pk", "integration_id", "night", "status", "integration__time_zone")
    )
    overdue = []
    for run_id, integration_id, night, status, time_zone in rows:
        end = window_for_night(night, zone_named(time_zone)).end
        if end <= now:
            overdue.append(OverdueRun(run_id, integration_id, night, status, end))
    return overdue


def _candidates():
    """Integrations the dispatcher gives a nightly run: connected, with something to back up."""
    return (
        GoogleDriveIntegration.objects.filter(
            something_to_back_up_q(), status=GoogleDriveIntegration.Status.CONNECTED
        )
        .exclude(refresh_token="")
        .order_by("pk")
    )


def oldest_due_unstarted_age(now: datetime) -> timedelta:
    """How long the integration that has waited longest for tonight's run has waited.

    An integration is waiting from its scheduled start in tonight's window until its run
    starts: while the dispatcher has not created the run, and while the run sits in the queue.
    Zero when nobody waits.
    """
    started = set(
        _recent_scheduled_runs(now)
        .filter(Q(started_at__isnull=False) | ~Q(status=BackupRun.Status.QUEUED))
        .values_list("integration_id", "night")
    )
    oldest = timedelta(0)
    rows = _candidates().values_list("pk", "time_zone")
    for integration_id, time_zone in rows.iterator(chunk_size=2000):
        night = due_night(integration_id, time_zone, now)
        if night is None or (integration_id, night) in started:
            continue
        window = window_for_night(night, zone_named(time_zone))
        oldest = max(oldest, now - scheduled_start(window, integration_id))
    return oldest


@dataclass(frozen=True)
class MissedNight:
    """An integration whose night window ended without a scheduled run for it."""

    integration_id: int
    night: date

    @property
    def key(self) -> str:
        return f"{self.integration_id}@{self.night.isoformat()}"


def integrations_without_run(now: datetime) -> list[MissedNight]:
    """Integrations whose current night window has ended without a scheduled run for it.

    Only those that could have had one: connected with something to back up now (the
    dispatcher's own rule) and connected before their start moment of that night. A night the
    dispatcher never ran through leaves no run to be overdue; this is how it shows once the
    window is over.
    """
    candidates = _candidates().values_list("pk", "time_zone", "connected_at")
    with_run = set(_recent_scheduled_runs(now).values_list("integration_id", "night"))
    nights = _Nights(now)
    missed = []
    for integration_id, time_zone, connected_at in candidates.iterator(chunk_size=2000):
        night = nights.current(time_zone)
        window = window_for_night(night, zone_named(time_zone))
        if window.end > now or (integration_id, night) in with_run:
            continue
        if connected_at is None or connected_at <= scheduled_start(window, integration_id):
            missed.append(MissedNight(integration_id, night))
    return missed


INTEGRATION_STATES = ("connected", "failing", "access_lost", "not_connected")


def integrations_by_state() -> dict[str, int]:
    """Integrations by operator state; 'failing' = connected whose last run(s) failed.

    The states do not overlap: 'connected' counts the connected ones that are not failing.
    """
    status = GoogleDriveIntegration.Status
    connected = Q(status=status.CONNECTED)
    return GoogleDriveIntegration.objects.aggregate(
        connected=Count("pk", filter=connected & Q(consecutive_failures=0)),
        failing=Count("pk", filter=connected & Q(consecutive_failures__gt=0)),
        access_lost=Count("pk", filter=Q(status=status.ACCESS_LOST)),
        not_connected=Count("pk", filter=Q(status=status.NOT_CONNECTED)),
    )
