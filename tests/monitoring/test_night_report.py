"""What the database says about tonight: runs by status, overdue runs, who waits, states."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import pytest

from integrations import night_report
from integrations.models import BackupRun, GoogleDriveIntegration
from integrations.schedule import scheduled_start, start_after_night, window_for_night
from tests.factories import make_integration, make_run
from tests.integrations.conftest import WARSAW

SAO_PAULO = ZoneInfo("America/Sao_Paulo")
NOV_23 = dt.date(2026, 11, 23)
NOV_22 = dt.date(2026, 11, 22)
# 12:00 in Warsaw (08:00 in São Paulo) on 23 November.
NOON_WARSAW = dt.datetime(2026, 11, 23, 12, 0, tzinfo=WARSAW)

pytestmark = pytest.mark.django_db


def schedule_as_the_dispatcher_does(night: dt.date = NOV_23) -> None:
    """next_run_at as the dispatcher leaves it: past `night` once its run is made, else the
    start in it (the rows made by make_integration have none: never scheduled)."""
    for integration in GoogleDriveIntegration.objects.all():
        zone = ZoneInfo(integration.time_zone)
        made = BackupRun.objects.filter(integration=integration, night=night).exists()
        integration.next_run_at = (
            start_after_night(integration.pk, integration.time_zone, night)
            if made
            else scheduled_start(window_for_night(night, zone), integration.pk)
        )
        integration.save(update_fields=["next_run_at"])


# The answers must not depend on whether next_run_at was kept (the indexed path) or not.
next_run_at_kept = pytest.mark.parametrize("kept", [False, True], ids=["unscheduled", "kept"])


def scheduled(integration, night, status, **fields) -> BackupRun:
    return make_run(
        integration, trigger=BackupRun.Trigger.SCHEDULED, night=night, status=status, **fields
    )


@pytest.mark.parametrize(
    ("local", "night"),
    [
        (dt.datetime(2026, 11, 23, 0, 30), NOV_23),
        (dt.datetime(2026, 11, 23, 12, 0), NOV_23),
        (dt.datetime(2026, 11, 23, 23, 59), NOV_23),
    ],
)
def test_the_current_night_is_the_one_that_began_last(local, night):
    assert night_report.current_night(local.replace(tzinfo=WARSAW), WARSAW) == night


def test_the_current_night_of_a_window_across_midnight(settings):
    settings.BACKUP_NIGHT_START_HOUR = 22
    at = dt.datetime(2026, 11, 24, 3, 0, tzinfo=WARSAW)
    assert night_report.current_night(at, WARSAW) == NOV_23
    assert night_report.current_night(at.replace(hour=21), WARSAW) == NOV_23
    assert night_report.current_night(at.replace(hour=22), WARSAW) == dt.date(2026, 11, 24)


def test_tonight_counts_each_zones_own_night_and_no_manual_runs():
    warsaw = make_integration("Sklep", time_zone="Europe/Warsaw")
    other = make_integration("Drugi", time_zone="Europe/Warsaw")
    brazil = make_integration("Loja", time_zone="America/Sao_Paulo")
    scheduled(warsaw, NOV_23, BackupRun.Status.SUCCEEDED)
    scheduled(warsaw, NOV_22, BackupRun.Status.FAILED)  # last night's: not tonight's
    scheduled(other, NOV_23, BackupRun.Status.FAILED)
    # 08:00 in São Paulo: its night of the 23rd began at 00:00 local, like Warsaw's.
    scheduled(brazil, NOV_23, BackupRun.Status.PARTIAL)
    make_run(brazil, status=BackupRun.Status.FAILED)  # "Back up now": no night's

    assert night_report.tonight_runs_by_status(NOON_WARSAW) == {
        "queued": 0,
        "running": 0,
        "succeeded": 1,
        "partial": 1,
        "failed": 1,
    }
    # At 22:30 UTC on the 22nd it is 23:30 in Warsaw (night of the 22nd still current there,
    # the 23rd's not begun) and 19:30 in São Paulo.
    evening = dt.datetime(2026, 11, 22, 22, 30, tzinfo=dt.UTC)
    assert night_report.tonight_runs_by_status(evening)["failed"] == 1


def test_active_runs_count_manual_and_scheduled():
    a, b, c = (make_integration(name) for name in ("A", "B", "C"))
    scheduled(a, NOV_23, BackupRun.Status.QUEUED)
    make_run(b, status=BackupRun.Status.RUNNING)
    make_run(c, status=BackupRun.Status.SUCCEEDED)

    assert night_report.active_runs_by_status() == {"queued": 1, "running": 1}


def test_a_run_still_active_after_its_window_ended_is_overdue():
    warsaw = make_integration("Sklep", time_zone="Europe/Warsaw")
    brazil = make_integration("Loja", time_zone="America/Sao_Paulo")
    late = scheduled(warsaw, NOV_23, BackupRun.Status.RUNNING)
    scheduled(brazil, NOV_23, BackupRun.Status.QUEUED)
    make_run(make_integration("Manual"), status=BackupRun.Status.RUNNING)

    # 06:30 in Warsaw: its window ended at 06:00; São Paulo's (02:30 there) has not.
    at = dt.datetime(2026, 11, 23, 6, 30, tzinfo=WARSAW)
    overdue = night_report.overdue_runs(at)

    assert [(run.run_id, run.status) for run in overdue] == [(late.pk, "running")]
    assert overdue[0].window_end == dt.datetime(2026, 11, 23, 5, 0, tzinfo=dt.UTC)
    assert night_report.overdue_runs(at - dt.timedelta(hours=1)) == []


@next_run_at_kept
def test_the_oldest_due_integration_waits_from_its_start_until_its_run_starts(kept):
    waiting = make_integration("Waiting")  # due, no run created yet
    queued = make_integration("Queued")  # due, its run sits in the queue
    started = make_integration("Started")  # due, its run has started
    scheduled(queued, NOV_23, BackupRun.Status.QUEUED)
    scheduled(
        started,
        NOV_23,
        BackupRun.Status.RUNNING,
        started_at=dt.datetime(2026, 11, 23, 1, 0, tzinfo=WARSAW),
    )
    if kept:
        schedule_as_the_dispatcher_does()
    at = dt.datetime(2026, 11, 23, 5, 30, tzinfo=WARSAW)  # every start moment has come
    window = window_for_night(NOV_23, WARSAW)
    starts = {i.pk: scheduled_start(window, i.pk) for i in (waiting, queued, started)}

    age = night_report.oldest_due_unstarted_age(at)

    assert age == at - min(starts[waiting.pk], starts[queued.pk])
    assert dt.timedelta(hours=0.5) <= age <= dt.timedelta(hours=5.5)


def test_nobody_waits_during_the_day():
    make_integration("Waiting")
    assert night_report.oldest_due_unstarted_age(NOON_WARSAW) == dt.timedelta(0)


def test_integrations_by_state():
    make_integration("Fine")
    make_integration("Failing", consecutive_failures=2)
    make_integration("Lost", status=GoogleDriveIntegration.Status.ACCESS_LOST)
    make_integration("Gone", status=GoogleDriveIntegration.Status.NOT_CONNECTED)
    make_integration("Gone too", status=GoogleDriveIntegration.Status.NOT_CONNECTED)

    assert night_report.integrations_by_state() == {
        "connected": 1,
        "failing": 1,
        "access_lost": 1,
        "not_connected": 2,
    }


@next_run_at_kept
def test_an_integration_whose_night_ended_without_a_run_is_counted(kept):
    with_run = make_integration("Ran")
    scheduled(with_run, NOV_23, BackupRun.Status.SUCCEEDED)
    missed = make_integration("Missed")
    missed.connected_at = dt.datetime(2026, 11, 1, tzinfo=WARSAW)
    missed.save()
    # Connected at 05:55, after its start moment: the dispatcher could not have run it yet.
    late = make_integration("Late")
    late.connected_at = dt.datetime(2026, 11, 23, 5, 55, tzinfo=WARSAW)
    late.save()
    make_integration(
        "Nothing ticked", backup_orders=False, backup_invoices=False, backup_receipts=False
    )
    make_integration("Lost", status=GoogleDriveIntegration.Status.ACCESS_LOST)

    if kept:
        schedule_as_the_dispatcher_does()
    # 06:30 in Warsaw: the window of the 23rd is over.
    morning = dt.datetime(2026, 11, 23, 6, 30, tzinfo=WARSAW)
    assert night_report.integrations_without_run(morning) == [
        night_report.MissedNight(missed.pk, NOV_23)
    ]
    assert late.pk not in {m.integration_id for m in night_report.integrations_without_run(morning)}
    # Still in the window: nobody is late yet.
    assert night_report.integrations_without_run(morning - dt.timedelta(hours=1)) == []


def test_the_longest_wait_among_many_is_found_from_next_run_at():
    made = [make_integration(f"Shop {n}") for n in range(12)]
    schedule_as_the_dispatcher_does()
    # Half of them got tonight's run (and their next_run_at moved on), started.
    for integration in made[::2]:
        scheduled(integration, NOV_23, BackupRun.Status.SUCCEEDED, started_at=NOON_WARSAW)
    schedule_as_the_dispatcher_does()
    # One still points at last night: the dispatcher missed it; it waits since tonight's start.
    stale = made[1]
    stale.next_run_at = scheduled_start(window_for_night(NOV_22, WARSAW), stale.pk)
    stale.save(update_fields=["next_run_at"])
    at = dt.datetime(2026, 11, 23, 5, 30, tzinfo=WARSAW)
    window = window_for_night(NOV_23, WARSAW)

    age = night_report.oldest_due_unstarted_age(at)

    assert age == at - min(scheduled_start(window, i.pk) for i in made[1::2])
