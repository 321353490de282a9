"""The dispatcher without workers: night windows, start moments, one run per night, rescue."""

from __future__ import annotations

import datetime as dt
from collections import Counter
from zoneinfo import ZoneInfo

import pytest
from django.db import IntegrityError
from django.utils import timezone

from documents.models import Invoice
from integrations import dispatcher, runs, schedule
from integrations.models import BackupRun, GoogleDriveIntegration
from integrations.runs import BackupNowRefused
from tests.factories import make_integration, make_invoice, make_run
from tests.integrations.conftest import LATE_NIGHT, WARSAW

UTC = dt.UTC
SAO_PAULO = ZoneInfo("America/Sao_Paulo")
SANTIAGO = ZoneInfo("America/Santiago")
NEW_YORK = ZoneInfo("America/New_York")


def at(tz: ZoneInfo, *args: int) -> dt.datetime:
    return dt.datetime(*args, tzinfo=tz)


# --- Night windows ------------------------------------------------------------------------


def test_a_night_window_is_the_local_hours_of_the_setting():
    window = schedule.night_window_at(at(WARSAW, 2026, 11, 23, 2, 0), WARSAW)

    assert window.night == dt.date(2026, 11, 23)
    assert window.start == at(WARSAW, 2026, 11, 23, 0, 0)
    assert window.end == at(WARSAW, 2026, 11, 23, 6, 0)
    assert window.start.utcoffset() == dt.timedelta(0)


@pytest.mark.parametrize("hour", [6, 12, 23])
def test_there_is_no_window_during_the_day(hour):
    assert schedule.night_window_at(at(WARSAW, 2026, 11, 23, hour, 0), WARSAW) is None


def test_a_window_across_midnight_belongs_to_the_date_it_began_on(settings):
    settings.BACKUP_NIGHT_START_HOUR = 22
    settings.BACKUP_NIGHT_END_HOUR = 6

    evening = schedule.night_window_at(at(WARSAW, 2026, 11, 23, 23, 0), WARSAW)
    morning = schedule.night_window_at(at(WARSAW, 2026, 11, 24, 3, 0), WARSAW)

    assert evening == morning
    assert evening.night == dt.date(2026, 11, 23)
    assert evening.length == dt.timedelta(hours=8)
    assert schedule.night_window_at(at(WARSAW, 2026, 11, 24, 12, 0), WARSAW) is None


def test_the_same_utc_instant_is_night_in_one_zone_and_day_in_another():
    instant = at(UTC, 2026, 11, 23, 2, 0)  # 03:00 in Warsaw, 23:00 the day before in São Paulo

    assert schedule.night_window_at(instant, WARSAW).night == dt.date(2026, 11, 23)
    assert schedule.night_window_at(instant, SAO_PAULO) is None


def test_the_spring_forward_night_is_an_hour_shorter():
    # Warsaw, 29 March 2026: 02:00 CET becomes 03:00 CEST.
    window = schedule.night_window_at(at(WARSAW, 2026, 3, 29, 4, 0), WARSAW)

    assert window.night == dt.date(2026, 3, 29)
    assert window.length == dt.timedelta(hours=5)


def test_the_fall_back_night_is_an_hour_longer():
    # Warsaw, 25 October 2026: 03:00 CEST becomes 02:00 CET.
    window = schedule.night_window_at(at(WARSAW, 2026, 10, 25, 4, 0), WARSAW)

    assert window.length == dt.timedelta(hours=7)


def test_a_night_whose_midnight_does_not_exist_still_has_a_window():
    # Santiago, 6 September 2026: clocks jump from 00:00 to 01:00, so the window's start
    # hour is skipped; the window begins at the first instant after the gap.
    window = schedule.night_window_at(at(UTC, 2026, 9, 6, 6, 0), SANTIAGO)

    assert window.night == dt.date(2026, 9, 6)
    assert window.start == at(UTC, 2026, 9, 6, 4, 0)
    assert window.start.astimezone(SANTIAGO).hour == 1
    assert window.length == dt.timedelta(hours=5)


# --- Start moments ------------------------------------------------------------------------


def test_each_integration_starts_at_the_same_local_time_every_night():
    first = schedule.window_for_night(dt.date(2026, 11, 23), WARSAW)
    second = schedule.window_for_night(dt.date(2026, 11, 24), WARSAW)
    summer = schedule.window_for_night(dt.date(2026, 7, 1), WARSAW)

    for integration_id in range(1, 50):
        local_times = {
            schedule.scheduled_start(window, integration_id).astimezone(WARSAW).time()
            for window in (first, second, summer)
        }
        assert len(local_times) == 1


@pytest.mark.parametrize(
    ("tz", "night"),
    [
        (WARSAW, dt.date(2026, 3, 29)),
        (WARSAW, dt.date(2026, 10, 25)),
        (NEW_YORK, dt.date(2026, 3, 8)),
        (SANTIAGO, dt.date(2026, 9, 6)),
        (SAO_PAULO, dt.date(2026, 11, 23)),
    ],
)
def test_every_start_leaves_the_margin_free_even_on_dst_nights(settings, tz, night):
    window = schedule.window_for_night(night, tz)
    margin = dt.timedelta(seconds=settings.BACKUP_NIGHT_SPREAD_MARGIN_SECONDS)

    starts = [schedule.scheduled_start(window, i) for i in range(1, 2001)]

    assert min(starts) >= window.start
    assert max(starts) < window.end - margin


def test_starts_spread_evenly_over_the_window():
    window = schedule.window_for_night(dt.date(2026, 11, 23), WARSAW)

    per_hour = Counter(
        int((schedule.scheduled_start(window, i) - window.start).total_seconds() // 3600)
        for i in range(1, 5001)
    )

    assert sorted(per_hour) == [0, 1, 2, 3, 4]
    assert all(800 <= count <= 1200 for count in per_hour.values()), per_hour


# --- Creating the night's runs ------------------------------------------------------------


@pytest.mark.django_db
def test_a_run_is_created_once_per_integration_and_night(enqueued):
    integration = make_integration()

    first = dispatcher.create_due_runs(LATE_NIGHT, enqueue=enqueued)
    again = dispatcher.create_due_runs(LATE_NIGHT + dt.timedelta(minutes=5), enqueue=enqueued)

    run = BackupRun.objects.get()
    assert first == [run.pk]
    assert again == []
    assert enqueued == [run.pk]
    assert run.integration == integration
    assert run.trigger == BackupRun.Trigger.SCHEDULED
    assert run.night == dt.date(2026, 11, 24)
    assert run.status == BackupRun.Status.QUEUED
    assert run.enqueued_at == LATE_NIGHT


@pytest.mark.django_db
def test_the_next_night_gets_its_own_run(enqueued):
    make_integration()

    dispatcher.create_due_runs(LATE_NIGHT, enqueue=enqueued)
    BackupRun.objects.update(status=BackupRun.Status.SUCCEEDED)
    dispatcher.create_due_runs(LATE_NIGHT + dt.timedelta(days=1), enqueue=enqueued)

    nights = sorted(BackupRun.objects.values_list("night", flat=True))
    assert nights == [dt.date(2026, 11, 24), dt.date(2026, 11, 25)]


@pytest.mark.django_db
def test_only_connected_integrations_with_something_ticked_are_due(enqueued):
    due = make_integration("Due")
    make_integration("Nothing Ticked", backup_orders=False, backup_invoices=False,
                     backup_receipts=False)  # fmt: skip
    make_integration("Lost", status=GoogleDriveIntegration.Status.ACCESS_LOST)
    make_integration("Never Connected", status=GoogleDriveIntegration.Status.NOT_CONNECTED)
    make_integration("Receipts Only", backup_orders=False, backup_invoices=False)

    dispatcher.create_due_runs(LATE_NIGHT, enqueue=enqueued)

    names = set(BackupRun.objects.values_list("integration__merchant__name", flat=True))
    assert names == {due.merchant.name, "Receipts Only"}


def invoices_only_under_external_accounting(name: str, *, api_invoice: bool = False):
    """Only Invoices ticked, by a merchant whose invoices an external system issues (S11)."""
    integration = make_integration(name, backup_orders=False, backup_receipts=False)
    merchant = integration.merchant
    merchant.external_accounting_enabled = True
    merchant.save()
    if api_invoice:
        make_invoice(
            merchant,
            "API 1/11/2026",
            issue_date=dt.date(2026, 11, 2),
            seller_name=name,
            source=Invoice.Source.API,
        )
    return integration


@pytest.mark.django_db
def test_an_invoices_tick_kept_under_external_accounting_makes_no_nightly_run(enqueued):
    # The tick is kept for when external accounting is turned off; tonight there is nothing
    # to back up, as the page says, so no empty run.
    invoices_only_under_external_accounting("Kept Tick")
    invoices_only_under_external_accounting("Api Invoices", api_invoice=True)

    dispatcher.create_due_runs(LATE_NIGHT, enqueue=enqueued)

    names = set(BackupRun.objects.values_list("integration__merchant__name", flat=True))
    assert names == {"Api Invoices"}


@pytest.mark.django_db
def test_back_up_now_with_only_unavailable_invoices_ticked_is_refused(enqueued):
    integration = invoices_only_under_external_accounting("Kept Tick")

    with pytest.raises(BackupNowRefused) as refused:
        runs.start_manual_run(integration.pk, enqueue=enqueued)

    assert refused.value.reason == BackupNowRefused.NOTHING_SELECTED


@pytest.mark.django_db
def test_an_integration_is_due_from_its_start_moment_on(enqueued):
    integration = make_integration()
    window = schedule.window_for_night(dt.date(2026, 11, 24), WARSAW)
    start = schedule.scheduled_start(window, integration.pk)

    assert dispatcher.create_due_runs(start - dt.timedelta(seconds=1), enqueue=enqueued) == []
    assert len(dispatcher.create_due_runs(start, enqueue=enqueued)) == 1


@pytest.mark.django_db
def test_the_merchants_time_zone_decides_when_its_night_is(enqueued):
    warsaw = make_integration("Warsaw", time_zone="Europe/Warsaw")
    sao_paulo = make_integration("Sao Paulo", time_zone="America/Sao_Paulo")

    # 05:30 in Warsaw is 01:30 in São Paulo: both in their window, but São Paulo's start
    # moment may still lie ahead; at 05:30 in São Paulo, Warsaw's window is over.
    dispatcher.create_due_runs(LATE_NIGHT, enqueue=enqueued)
    sao_paulo_late = at(SAO_PAULO, 2026, 11, 24, 5, 30)
    dispatcher.create_due_runs(sao_paulo_late, enqueue=enqueued)

    runs = {r.integration_id: r.night for r in BackupRun.objects.all()}
    assert runs == {warsaw.pk: dt.date(2026, 11, 24), sao_paulo.pk: dt.date(2026, 11, 24)}


@pytest.mark.django_db
def test_an_active_manual_run_postpones_the_nightly_one(enqueued):
    integration = make_integration()
    manual = make_run(integration, status=BackupRun.Status.RUNNING)

    assert dispatcher.create_due_runs(LATE_NIGHT, enqueue=enqueued) == []

    manual.status = BackupRun.Status.SUCCEEDED
    manual.save()
    assert len(dispatcher.create_due_runs(LATE_NIGHT, enqueue=enqueued)) == 1


@pytest.mark.django_db
def test_due_integrations_are_processed_in_chunks(enqueued):
    integrations = [make_integration(f"Shop {i}") for i in range(5)]

    created = dispatcher.create_due_runs(LATE_NIGHT, enqueue=enqueued, chunk_size=2)

    assert len(created) == 5
    assert set(BackupRun.objects.values_list("integration_id", flat=True)) == {
        i.pk for i in integrations
    }


@pytest.mark.django_db
def test_the_database_refuses_a_second_run_for_the_same_night():
    integration = make_integration()
    night = dt.date(2026, 11, 24)
    make_run(integration, trigger=BackupRun.Trigger.SCHEDULED, night=night,
             status=BackupRun.Status.SUCCEEDED)  # fmt: skip

    with pytest.raises(IntegrityError):
        make_run(integration, trigger=BackupRun.Trigger.SCHEDULED, night=night)


# --- "Back up now" ------------------------------------------------------------------------


@pytest.mark.django_db
def test_back_up_now_creates_and_queues_a_manual_run(enqueued):
    integration = make_integration()

    run = runs.start_manual_run(integration.pk, now=LATE_NIGHT, enqueue=enqueued)

    assert run.trigger == BackupRun.Trigger.MANUAL
    assert run.night is None
    assert enqueued == [run.pk]


@pytest.mark.django_db
def test_back_up_now_refuses_a_second_active_run(enqueued):
    integration = make_integration()
    first = runs.start_manual_run(integration.pk, enqueue=enqueued)

    with pytest.raises(BackupNowRefused) as refused:
        runs.start_manual_run(integration.pk, enqueue=enqueued)

    assert refused.value.reason == BackupNowRefused.ALREADY_ACTIVE
    assert refused.value.run == first
    assert enqueued == [first.pk]
    assert BackupRun.objects.count() == 1


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("fields", "reason"),
    [
        ({"status": GoogleDriveIntegration.Status.ACCESS_LOST}, BackupNowRefused.ACCESS_LOST),
        ({"status": GoogleDriveIntegration.Status.NOT_CONNECTED}, BackupNowRefused.NOT_CONNECTED),
        (
            {"backup_orders": False, "backup_invoices": False, "backup_receipts": False},
            BackupNowRefused.NOTHING_SELECTED,
        ),
    ],
)
def test_back_up_now_needs_a_connection_and_something_ticked(enqueued, fields, reason):
    integration = make_integration(**fields)

    with pytest.raises(BackupNowRefused) as refused:
        runs.start_manual_run(integration.pk, enqueue=enqueued)

    assert refused.value.reason == reason
    assert not BackupRun.objects.exists()


# --- Runs nobody works on -----------------------------------------------------------------


NOW = dt.datetime(2026, 11, 24, 3, 0, tzinfo=UTC)


def running_run(integration, heartbeat_age: dt.timedelta, **fields) -> BackupRun:
    run = make_run(integration, status=BackupRun.Status.RUNNING, **fields)
    BackupRun.objects.filter(pk=run.pk).update(
        queued_at=NOW - dt.timedelta(hours=1),
        enqueued_at=NOW - dt.timedelta(hours=1),
        started_at=NOW - dt.timedelta(minutes=50),
        heartbeat_at=NOW - heartbeat_age,
    )
    return run


@pytest.mark.django_db
def test_a_run_whose_heartbeat_stopped_is_queued_again(enqueued):
    integration = make_integration()
    dead = running_run(integration, heartbeat_age=dt.timedelta(minutes=6))

    requeued, abandoned = dispatcher.recover_stalled_runs(NOW, enqueue=enqueued)

    dead.refresh_from_db()
    assert (requeued, abandoned) == ([dead.pk], [])
    assert enqueued == [dead.pk]
    assert dead.requeues == 1
    assert dead.enqueued_at == NOW
    assert dead.status == BackupRun.Status.RUNNING


@pytest.mark.django_db
def test_a_run_with_a_recent_heartbeat_is_left_alone(enqueued):
    running_run(make_integration(), heartbeat_age=dt.timedelta(seconds=40))

    assert dispatcher.recover_stalled_runs(NOW, enqueue=enqueued) == ([], [])


@pytest.mark.django_db
def test_a_run_is_not_taken_over_before_its_lock_expired(settings, enqueued):
    settings.BACKUP_RUN_STALE_SECONDS = 30
    running_run(make_integration(), heartbeat_age=dt.timedelta(seconds=90))

    assert dispatcher.recover_stalled_runs(NOW, enqueue=enqueued) == ([], [])


@pytest.mark.django_db
def test_a_queued_run_gets_time_to_wait_in_a_busy_queue(enqueued):
    integration = make_integration()
    waiting = make_run(integration, enqueued_at=NOW - dt.timedelta(minutes=20))
    BackupRun.objects.filter(pk=waiting.pk).update(queued_at=NOW - dt.timedelta(minutes=20))

    assert dispatcher.recover_stalled_runs(NOW, enqueue=enqueued) == ([], [])
    later = NOW + dt.timedelta(minutes=11)
    assert dispatcher.recover_stalled_runs(later, enqueue=enqueued) == ([waiting.pk], [])


@pytest.mark.django_db
def test_a_run_waiting_for_its_retry_is_not_stalled(enqueued):
    running_run(
        make_integration(),
        heartbeat_age=dt.timedelta(minutes=10),
        not_before=NOW + dt.timedelta(minutes=10),
    )

    assert dispatcher.recover_stalled_runs(NOW, enqueue=enqueued) == ([], [])


@pytest.mark.django_db
def test_after_the_last_rescue_a_stalled_run_is_closed_as_failed(settings, enqueued):
    integration = make_integration(consecutive_failures=1)
    dead = running_run(
        integration,
        heartbeat_age=dt.timedelta(minutes=30),
        requeues=settings.BACKUP_RUN_MAX_REQUEUES,
    )

    requeued, abandoned = dispatcher.recover_stalled_runs(NOW, enqueue=enqueued)

    dead.refresh_from_db()
    integration.refresh_from_db()
    assert (requeued, abandoned) == ([], [dead.pk])
    assert enqueued == []
    assert dead.status == BackupRun.Status.FAILED
    assert dead.finished_at == NOW
    assert [e["code"] for e in dead.errors] == [runs.INTERRUPTED_ERROR_CODE]
    assert integration.consecutive_failures == 2
    # The integration can back up again.
    assert runs.back_up_now_refusal(integration) is None


@pytest.mark.django_db
def test_finished_runs_are_never_rescued(enqueued):
    integration = make_integration()
    old = running_run(integration, heartbeat_age=dt.timedelta(hours=2))
    BackupRun.objects.filter(pk=old.pk).update(
        status=BackupRun.Status.SUCCEEDED, finished_at=timezone.now()
    )

    assert dispatcher.recover_stalled_runs(NOW, enqueue=enqueued) == ([], [])


@pytest.mark.django_db
def test_closing_a_run_that_finished_meanwhile_changes_nothing():
    integration = make_integration()
    run = make_run(integration, status=BackupRun.Status.SUCCEEDED)

    assert runs.close_unfinished_run(run.pk, code=runs.CRASHED_ERROR_CODE) is None
    run.refresh_from_db()
    integration.refresh_from_db()
    assert run.status == BackupRun.Status.SUCCEEDED
    assert integration.consecutive_failures == 0
