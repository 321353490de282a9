"""next_run_at: the dispatcher asks the database which integrations are due."""

from __future__ import annotations

import datetime as dt

import pytest
import time_machine
from django.db import connection
from django.test.utils import CaptureQueriesContext

from accounts.models import Merchant
from accounts.signals import merchant_time_zone_changed
from integrations import dispatcher, schedule
from integrations.forms import DriveSettingsForm
from integrations.models import BackupRun, GoogleDriveIntegration
from tests.factories import make_integration
from tests.integrations.conftest import LATE_NIGHT, WARSAW

pytestmark = pytest.mark.django_db

NOON = dt.datetime(2026, 11, 24, 12, 0, tzinfo=WARSAW)


def start_in(integration: GoogleDriveIntegration, night: dt.date) -> dt.datetime:
    window = schedule.window_for_night(night, WARSAW)
    return schedule.scheduled_start(window, integration.pk)


def test_a_new_integration_is_scheduled_by_the_first_pass(enqueued):
    integration = make_integration()
    assert integration.next_run_at is None

    assert dispatcher.create_due_runs(NOON, enqueue=enqueued) == []

    integration.refresh_from_db()
    assert integration.next_run_at == start_in(integration, dt.date(2026, 11, 25))


def test_making_the_nights_run_moves_next_run_at_to_the_next_night(enqueued):
    integration = make_integration()

    [run_id] = dispatcher.create_due_runs(LATE_NIGHT, enqueue=enqueued)

    integration.refresh_from_db()
    assert BackupRun.objects.get(pk=run_id).night == dt.date(2026, 11, 24)
    assert integration.next_run_at == start_in(integration, dt.date(2026, 11, 25))


def test_an_integration_whose_next_run_at_has_not_come_is_not_looked_at(enqueued):
    integration = make_integration()
    # Inside its night and past its start, but the database says later: not even read.
    GoogleDriveIntegration.objects.filter(pk=integration.pk).update(
        next_run_at=LATE_NIGHT + dt.timedelta(hours=1)
    )

    assert dispatcher.create_due_runs(LATE_NIGHT, enqueue=enqueued) == []
    assert not BackupRun.objects.exists()


def test_a_missed_night_makes_no_run_by_day_and_waits_for_the_next_night(enqueued):
    integration = make_integration()
    GoogleDriveIntegration.objects.filter(pk=integration.pk).update(
        next_run_at=NOON - dt.timedelta(days=3)
    )

    assert dispatcher.create_due_runs(NOON, enqueue=enqueued) == []

    integration.refresh_from_db()
    assert integration.next_run_at == start_in(integration, dt.date(2026, 11, 25))
    assert len(dispatcher.create_due_runs(integration.next_run_at, enqueue=enqueued)) == 1


def test_an_active_manual_run_keeps_the_integration_due(enqueued):
    integration = make_integration()
    BackupRun.objects.create(integration=integration, trigger=BackupRun.Trigger.MANUAL)

    assert dispatcher.create_due_runs(LATE_NIGHT, enqueue=enqueued) == []

    integration.refresh_from_db()
    assert integration.next_run_at is None or integration.next_run_at <= LATE_NIGHT


def test_a_pass_reads_only_due_rows(enqueued):
    for n in range(30):
        make_integration(f"Shop {n}")
    GoogleDriveIntegration.objects.update(next_run_at=NOON + dt.timedelta(hours=13))
    due = make_integration("Due")
    GoogleDriveIntegration.objects.filter(pk=due.pk).update(next_run_at=LATE_NIGHT)

    with CaptureQueriesContext(connection) as queries:
        created = dispatcher.create_due_runs(LATE_NIGHT, enqueue=enqueued)

    assert [BackupRun.objects.get(pk=pk).integration_id for pk in created] == [due.pk]
    # Claim, existing runs, the run's insert, next_run_at, the empty claim, with their
    # savepoints: the same for one due integration among thirty as among a hundred thousand.
    assert len(queries) <= 12, [q["sql"] for q in queries]


def test_a_new_time_zone_on_the_settings_form_reschedules(enqueued):
    integration = make_integration()
    dispatcher.create_due_runs(NOON, enqueue=enqueued)

    form = DriveSettingsForm(
        {"backup_orders": "on", "backup_receipts": "on", "time_zone": "America/Sao_Paulo"},
        instance=integration,
        merchant=integration.merchant,
    )
    assert form.is_valid(), form.errors
    with time_machine.travel(NOON, tick=False):
        form.save()

    integration.refresh_from_db()
    # Noon in Warsaw is 08:00 in São Paulo: that night is over there, the next one counts.
    sao_paulo = schedule.zone_named("America/Sao_Paulo")
    window = schedule.window_for_night(dt.date(2026, 11, 25), sao_paulo)
    assert integration.next_run_at == schedule.scheduled_start(window, integration.pk)


def test_the_merchants_new_time_zone_reschedules_the_backup_that_follows_it(enqueued):
    integration = make_integration()
    dispatcher.create_due_runs(NOON, enqueue=enqueued)
    merchant = Merchant.objects.get(pk=integration.merchant_id)
    merchant.time_zone = "America/Sao_Paulo"
    merchant.save()

    with time_machine.travel(NOON, tick=False):
        merchant_time_zone_changed.send(
            sender=Merchant, merchant=merchant, previous_zone=WARSAW.key
        )

    integration.refresh_from_db()
    assert integration.time_zone == "America/Sao_Paulo"
    assert integration.next_run_at == schedule.next_run_at(
        integration.pk, "America/Sao_Paulo", NOON
    )
    assert integration.next_run_at != start_in(integration, dt.date(2026, 11, 25))


def test_reschedule_backups_recomputes_after_a_window_change(enqueued, settings):
    integration = make_integration()
    dispatcher.create_due_runs(NOON, enqueue=enqueued)
    settings.BACKUP_NIGHT_START_HOUR = 22

    schedule.reschedule(GoogleDriveIntegration.objects.all(), NOON)

    integration.refresh_from_db()
    assert integration.next_run_at == schedule.next_run_at(integration.pk, WARSAW.key, NOON)
    evening = dt.datetime(2026, 11, 24, 22, 0, tzinfo=WARSAW)
    assert evening <= integration.next_run_at < evening + dt.timedelta(hours=8)
