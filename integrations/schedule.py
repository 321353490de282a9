"""When an integration's nightly backup starts: its night window and its moment in it.

- the night window is BACKUP_NIGHT_START_HOUR to BACKUP_NIGHT_END_HOUR in the integration's
  own time zone;
- each integration starts at a stable moment of its night (a hash of its id picks a fraction
  of the window), so thousands of merchants do not start at once and each one starts at the
  same local time every night;
- `next_run_at` on the integration is that moment for the night to come, so the dispatcher
  asks the database which integrations are due instead of computing every night in Python.
  It is moved on when a night's run is made, and computed afresh when the time zone changes
  (here, and in the Google Drive settings form) or the night window does
  (`manage.py reschedule_backups`). Never later than the true start: early is harmless,
  the dispatcher checks the night again.

Every function takes the moment it is about, so tests move the clock instead of waiting.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from django.conf import settings
from django.db.models import QuerySet
from django.utils import timezone

from accounts.models import Merchant
from accounts.time_zones import zone_named
from integrations.models import GoogleDriveIntegration


@dataclass(frozen=True)
class NightWindow:
    """One night of one time zone: `night` is the local date on which the window began."""

    night: date
    start: datetime
    end: datetime

    @property
    def length(self) -> timedelta:
        return self.end - self.start


def _local_moment(day: date, hour: int, tz: ZoneInfo) -> datetime:
    # A wall-clock hour skipped by a DST change resolves to the instant just after the gap;
    # a repeated one to its first occurrence (PEP 495, fold=0).
    return datetime.combine(day, time(hour), tzinfo=tz).astimezone(UTC)


def window_for_night(night: date, tz: ZoneInfo) -> NightWindow:
    start_hour = settings.BACKUP_NIGHT_START_HOUR
    end_hour = settings.BACKUP_NIGHT_END_HOUR
    end_day = night if end_hour > start_hour else night + timedelta(days=1)
    return NightWindow(
        night=night,
        start=_local_moment(night, start_hour, tz),
        end=_local_moment(end_day, end_hour, tz),
    )


def night_window_at(now: datetime, tz: ZoneInfo) -> NightWindow | None:
    """The night window of `tz` that contains `now`, or None during the day."""
    local_day = now.astimezone(tz).date()
    for night in (local_day, local_day - timedelta(days=1)):
        window = window_for_night(night, tz)
        if window.start <= now < window.end:
            return window
    return None


def start_fraction(integration_id: int) -> float:
    """A stable number in [0, 1) for an integration: where in the night its run starts."""
    digest = hashlib.sha256(f"drive-backup-night-start:{integration_id}".encode()).digest()
    return int.from_bytes(digest[:8], "big") / 2**64


def scheduled_start(window: NightWindow, integration_id: int) -> datetime:
    """When this integration's run starts in `window`.

    The last part of the window (the margin) is left free so a late starter still has time
    for its retries before morning. A fraction of the real length, not a wall-clock offset,
    so a night shortened by a DST change still fits every start.
    """
    margin = min(timedelta(seconds=settings.BACKUP_NIGHT_SPREAD_MARGIN_SECONDS), window.length / 2)
    return window.start + (window.length - margin) * start_fraction(integration_id)


def due_night(integration_id: int, time_zone: str, now: datetime) -> date | None:
    """The night whose run is due for this integration at `now`, or None."""
    window = night_window_at(now, zone_named(time_zone))
    if window is None or now < scheduled_start(window, integration_id):
        return None
    return window.night


def current_or_next_window(now: datetime, tz: ZoneInfo) -> NightWindow:
    """The night window of `tz` that contains `now`, else the next one to begin."""
    local_day = now.astimezone(tz).date()
    for night in (local_day - timedelta(days=1), local_day, local_day + timedelta(days=1)):
        window = window_for_night(night, tz)
        if now < window.end:
            return window
    raise AssertionError("a night window ends within two days")  # pragma: no cover


def next_start(integration_id: int, time_zone: str, now: datetime) -> tuple[date, datetime]:
    """The integration's night under way at `now` (else the next one), and its start in it.

    During the night the start may have passed: that night's run is then due.
    """
    window = current_or_next_window(now, zone_named(time_zone))
    return window.night, scheduled_start(window, integration_id)


def next_run_at(integration_id: int, time_zone: str, now: datetime) -> datetime:
    """When the dispatcher looks at the integration next, as seen at `now`."""
    return next_start(integration_id, time_zone, now)[1]


def start_after_night(integration_id: int, time_zone: str, night: date) -> datetime:
    """The integration's start in the night after `night` (once `night`'s run exists)."""
    window = window_for_night(night + timedelta(days=1), zone_named(time_zone))
    return scheduled_start(window, integration_id)


def reschedule(integrations: QuerySet[GoogleDriveIntegration], now: datetime) -> int:
    """Compute next_run_at afresh (after a change of time zone or night window)."""
    rows = [
        GoogleDriveIntegration(pk=pk, next_run_at=next_run_at(pk, time_zone, now))
        for pk, time_zone in integrations.values_list("pk", "time_zone")
    ]
    GoogleDriveIntegration.objects.bulk_update(rows, ["next_run_at"], batch_size=1000)
    return len(rows)


def follow_merchant_time_zone(merchant: Merchant, previous_zone: str, **_signal: object) -> None:
    """A backup that ran in the merchant's old time zone moves with it; one the merchant set
    apart on the Google Drive page keeps its own.

    Receives accounts' merchant_time_zone_changed (connected in IntegrationsConfig.ready).
    """
    moved = GoogleDriveIntegration.objects.filter(merchant=merchant, time_zone=previous_zone)
    ids = list(moved.values_list("pk", flat=True))
    moved.update(time_zone=merchant.time_zone)
    reschedule(GoogleDriveIntegration.objects.filter(pk__in=ids), timezone.now())
