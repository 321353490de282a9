"""The backup's state at a glance, decided from facts and an explicit `now` (never the clock)."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import pytest
from django.utils import timezone

from integrations import run_errors
from integrations.health import Facts, State, backup_health, next_scheduled_backup, when_text
from integrations.models import BackupRun, GoogleDriveIntegration

NOW = dt.datetime(2026, 12, 6, 14, 48, tzinfo=dt.UTC)
CONNECTED = GoogleDriveIntegration.Status.CONNECTED
WARSAW = ZoneInfo("Europe/Warsaw")


def run(status: str, *, hours_ago: float = 12, **fields) -> BackupRun:
    finished = NOW - dt.timedelta(hours=hours_ago)
    return BackupRun(
        status=status,
        trigger=BackupRun.Trigger.SCHEDULED,
        started_at=finished - dt.timedelta(minutes=3),
        finished_at=finished if status not in BackupRun.ACTIVE_STATUSES else None,
        **fields,
    )


def facts(**changes) -> Facts:
    good = run(BackupRun.Status.SUCCEEDED)
    values = {
        "status": CONNECTED,
        "something_selected": True,
        "connected_at": NOW - dt.timedelta(days=30),
        "consecutive_failures": 0,
        "last_finished": good,
        "last_success": good,
        "active": None,
    }
    values.update(changes)
    return Facts(**values)


def state_of(**changes) -> tuple[State, str]:
    health = backup_health(facts(**changes), NOW, None)
    return health.state, health.reason


def test_a_good_last_night_is_healthy():
    assert state_of() == (State.HEALTHY, "The last backup copied everything it had to.")


def test_just_connected_waits_for_its_first_backup_and_is_healthy():
    state, reason = state_of(
        connected_at=NOW - dt.timedelta(hours=3), last_finished=None, last_success=None
    )
    assert (state, reason) == (State.HEALTHY, "Connected; waiting for the first backup.")


def test_not_connected_is_off():
    assert state_of(status=GoogleDriveIntegration.Status.NOT_CONNECTED)[0] is State.OFF


def test_a_last_run_with_problems_is_a_warning():
    partial = run(
        BackupRun.Status.PARTIAL,
        errors=[run_errors.error_entry("render_failed", kind="invoice", number="FV 1/12/2026")],
    )
    state, reason = state_of(last_finished=partial)
    assert state is State.WARNING
    assert reason == (
        "The last backup finished with 1 problem; it is tried again in the next backup."
    )


def test_one_failed_night_is_a_warning_that_says_why():
    failed = run(BackupRun.Status.FAILED, errors=[run_errors.error_entry("google_unavailable")])
    state, reason = state_of(last_finished=failed, consecutive_failures=1)
    assert state is State.WARNING
    assert reason.startswith("The last backup failed: Google Drive could not be reached")


def test_a_run_waiting_for_its_retry_is_a_warning_with_the_time_it_goes_on():
    waiting = run(
        BackupRun.Status.QUEUED,
        not_before=dt.datetime(2026, 12, 6, 14, 52, tzinfo=dt.UTC),
        errors=[run_errors.error_entry("google_unavailable")],
    )
    with timezone.override(WARSAW):
        state, reason = state_of(active=waiting)
    assert state is State.WARNING
    assert reason == "Google Drive did not answer; the backup goes on at 15:52…"


def test_nothing_ticked_is_a_warning():
    state, reason = state_of(something_selected=False)
    assert state is State.WARNING
    assert "so no backup will run" in reason


@pytest.mark.parametrize(
    ("changes", "words"),
    [
        ({"status": GoogleDriveIntegration.Status.ACCESS_LOST}, "Reconnect your Google account"),
        (
            {
                "last_finished": run(
                    BackupRun.Status.FAILED, errors=[run_errors.error_entry("quota")]
                ),
                "consecutive_failures": 1,
            },
            "Your Google Drive is full",
        ),
        (
            {
                "last_finished": run(BackupRun.Status.FAILED, hours_ago=2),
                "last_success": run(BackupRun.Status.SUCCEEDED, hours_ago=26),
                "consecutive_failures": 2,
            },
            "The last 2 backups failed.",
        ),
    ],
    ids=["access-lost", "drive-full", "two-failed-nights"],
)
def test_failing(changes, words):
    state, reason = state_of(**changes)
    assert state is State.FAILING
    assert words in reason


def test_no_success_for_48_hours_while_connected_is_failing_at_48_not_before():
    last = run(BackupRun.Status.SUCCEEDED, hours_ago=47.9)
    assert state_of(last_finished=last, last_success=last)[0] is State.HEALTHY

    stale = run(BackupRun.Status.SUCCEEDED, hours_ago=50)
    state, reason = state_of(last_finished=stale, last_success=stale)
    assert (state, reason) == (State.FAILING, "No backup has succeeded for 50 hours.")

    old = run(BackupRun.Status.SUCCEEDED, hours_ago=24 * 9)
    assert state_of(last_finished=old, last_success=old)[1] == (
        "No backup has succeeded for 9 days."
    )


def test_connected_for_days_without_any_success_is_failing():
    state, reason = state_of(
        connected_at=NOW - dt.timedelta(days=3), last_finished=None, last_success=None
    )
    assert state is State.FAILING
    assert reason == "No backup has succeeded in the 3 days since the Google account was connected."


def test_a_reconnect_restarts_the_48_hours():
    old = run(BackupRun.Status.SUCCEEDED, hours_ago=24 * 9)
    state, _ = state_of(
        last_finished=old, last_success=old, connected_at=NOW - dt.timedelta(hours=2)
    )
    assert state is State.HEALTHY


# --- The next scheduled backup, in words ----------------------------------------------------


@pytest.mark.django_db
def test_the_next_backup_is_tonight_in_the_backup_zone(settings):
    from tests.factories import make_integration

    settings.BACKUP_NIGHT_START_HOUR, settings.BACKUP_NIGHT_END_HOUR = 0, 6
    integration = make_integration(time_zone="Europe/Warsaw")
    at_noon = dt.datetime(2026, 12, 6, 11, 0, tzinfo=dt.UTC)

    tonight = next_scheduled_backup(integration, at_noon, set())
    local = tonight.astimezone(WARSAW)
    assert local.date() == dt.date(2026, 12, 7) and local.hour < 5

    after = next_scheduled_backup(integration, at_noon, {dt.date(2026, 12, 7)})
    assert after.astimezone(WARSAW).date() == dt.date(2026, 12, 8)

    GoogleDriveIntegration.objects.filter(pk=integration.pk).update(
        backup_orders=False, backup_invoices=False, backup_receipts=False
    )
    integration.refresh_from_db()
    assert next_scheduled_backup(integration, at_noon, set()) is None


@pytest.mark.parametrize(
    ("local_now", "local_moment", "words"),
    [
        ((2026, 12, 6, 20, 0), (2026, 12, 7, 2, 14), "tonight at 02:14"),
        ((2026, 12, 7, 1, 0), (2026, 12, 7, 2, 14), "tonight at 02:14"),
        ((2026, 12, 7, 9, 0), (2026, 12, 7, 14, 14), "today at 14:14"),
        ((2026, 12, 7, 9, 0), (2026, 12, 8, 2, 14), "tomorrow at 02:14"),
        ((2026, 12, 6, 9, 0), (2026, 12, 8, 2, 14), "8 Dec 2026, 02:14"),
        ((2026, 12, 7, 2, 10), (2026, 12, 7, 2, 14), "in the next few minutes"),
    ],
)
def test_when_a_backup_runs_reads_as_a_merchant_says_it(local_now, local_moment, words):
    with timezone.override(WARSAW):
        now = dt.datetime(*local_now, tzinfo=WARSAW)
        assert when_text(dt.datetime(*local_moment, tzinfo=WARSAW), now) == words
