"""Each dispatcher pass is recorded, and ADMINS hear once of runs a night did not finish."""

from __future__ import annotations

import datetime as dt

import pytest
import time_machine
from django.core import mail

from integrations.models import BackupRun
from integrations.tasks import dispatch_due_backups
from monitoring.alerts import alert_unfinished_nights
from monitoring.heartbeats import last_dispatcher_pass
from monitoring.models import UnfinishedNightAlert
from tests.factories import make_integration
from tests.integrations.conftest import WARSAW

NOV_23 = dt.date(2026, 11, 23)
# 06:20 in Warsaw: the night of the 23rd ended at 06:00 there.
MORNING = dt.datetime(2026, 11, 23, 6, 20, tzinfo=WARSAW)

pytestmark = pytest.mark.django_db


@pytest.fixture
def admins(settings):
    settings.ADMINS = [("Ops", "ops@example.com")]
    return settings


def stuck_run(name: str, status: str = BackupRun.Status.RUNNING) -> BackupRun:
    return BackupRun.objects.create(
        integration=make_integration(name),
        trigger=BackupRun.Trigger.SCHEDULED,
        night=NOV_23,
        status=status,
    )


def test_a_dispatcher_pass_is_recorded(eager_celery):
    assert last_dispatcher_pass() is None
    with time_machine.travel(dt.datetime(2026, 11, 23, 14, 0, tzinfo=dt.UTC), tick=False):
        dispatch_due_backups.delay()
    assert last_dispatcher_pass() == dt.datetime(2026, 11, 23, 14, 0, tzinfo=dt.UTC)


def test_a_pass_that_raised_is_not_recorded(eager_celery, monkeypatch):
    from integrations import dispatcher

    def broken(*args, **kwargs):
        raise RuntimeError("database gone")

    monkeypatch.setattr(dispatcher, "dispatch", broken)
    saved = eager_celery.conf.task_eager_propagates
    eager_celery.conf.task_eager_propagates = False
    try:
        result = dispatch_due_backups.delay()
    finally:
        eager_celery.conf.task_eager_propagates = saved
    assert result.state == "FAILURE"
    assert last_dispatcher_pass() is None


def test_the_dispatcher_pass_mails_admins_about_an_unfinished_night(
    eager_celery, admins, django_capture_on_commit_callbacks
):
    run = stuck_run("Stuck")
    with (
        time_machine.travel(MORNING, tick=False),
        django_capture_on_commit_callbacks(execute=True),
    ):
        dispatch_due_backups.delay()

    assert len(mail.outbox) == 1
    message = mail.outbox[0]
    assert message.to == ["ops@example.com"]
    assert message.subject.endswith(
        "Backups did not finish in their night: 1 runs still active, 0 integrations without a run"
    )
    assert f"{run.pk} | {run.integration_id} | 2026-11-23 | running | 2026-11-23 05:00" in (
        message.body
    )


def test_each_overdue_run_is_reported_once(admins, django_capture_on_commit_callbacks):
    first = stuck_run("First")
    with django_capture_on_commit_callbacks(execute=True):
        assert alert_unfinished_nights(MORNING) == [f"run:{first.pk}"]
        assert alert_unfinished_nights(MORNING + dt.timedelta(minutes=5)) == []
        second = stuck_run("Second", status=BackupRun.Status.QUEUED)
        assert alert_unfinished_nights(MORNING + dt.timedelta(minutes=10)) == [f"run:{second.pk}"]

    assert len(mail.outbox) == 2
    assert f"{second.pk} | {second.integration_id} | 2026-11-23 | queued" in mail.outbox[1].body
    assert f"{first.pk} |" not in mail.outbox[1].body
    assert UnfinishedNightAlert.objects.count() == 2


def test_a_night_without_a_run_is_reported_once(admins, django_capture_on_commit_callbacks):
    """Beat was down all night: no run was created, so none is overdue."""
    missed = make_integration("Missed")
    missed.connected_at = dt.datetime(2026, 11, 1, tzinfo=WARSAW)
    missed.save()
    with django_capture_on_commit_callbacks(execute=True):
        assert alert_unfinished_nights(MORNING) == [f"{missed.pk}@2026-11-23"]
        assert alert_unfinished_nights(MORNING + dt.timedelta(hours=3)) == []

    assert len(mail.outbox) == 1
    assert "1 integrations without a run" in mail.outbox[0].subject
    assert f"\n{missed.pk} | 2026-11-23\n" in mail.outbox[0].body


def test_no_mail_while_the_night_is_still_on(admins, django_capture_on_commit_callbacks):
    stuck_run("Still going")
    with django_capture_on_commit_callbacks(execute=True):
        assert alert_unfinished_nights(MORNING - dt.timedelta(minutes=30)) == []
    assert mail.outbox == []
