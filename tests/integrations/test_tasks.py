"""run_backup's policy without a worker: retries, final attempts, e-mails, idempotency."""

from __future__ import annotations

from collections.abc import Iterable

import pytest
from django.core import mail
from django.utils import timezone
from prometheus_client import REGISTRY

from integrations import tasks
from integrations.engine import run as engine_run
from integrations.models import BackupRun, GoogleDriveIntegration
from integrations.runs import RunOutcome
from tests.factories import make_integration, make_run

pytestmark = pytest.mark.django_db

SUCCEEDED = RunOutcome(BackupRun.Status.SUCCEEDED, message="backed up")
TRANSIENT = RunOutcome(BackupRun.Status.PARTIAL, retryable=True, reason="transient")
FAILED = RunOutcome(BackupRun.Status.FAILED, message="folder failed")
ACCESS_LOST = RunOutcome(BackupRun.Status.FAILED, reason="access_lost")
QUOTA = RunOutcome(BackupRun.Status.FAILED, reason="quota")
DISCONNECTED = RunOutcome(BackupRun.Status.PARTIAL, reason="disconnected")


def finished_count(outcome: str, trigger: str) -> float:
    labels = {"outcome": outcome, "trigger": trigger}
    return REGISTRY.get_sample_value("drivebackup_runs_finished_total", labels) or 0.0


class ScriptedRuns:
    """Stands in for execute_run: plays outcomes (or raises exceptions) in order.

    Like the real one it keeps the integration's failure counter on a final outcome, and
    marks a connected integration as having lost access when Google refuses the grant.
    """

    def __init__(self, script: Iterable[RunOutcome | Exception]) -> None:
        self.script = list(script)
        self.calls: list[tuple[int, bool]] = []

    def __call__(self, run_id: int, *, now=None, final_attempt: bool = True) -> RunOutcome:
        self.calls.append((run_id, final_attempt))
        step = self.script.pop(0)
        if isinstance(step, Exception):
            raise step
        run = BackupRun.objects.get(pk=run_id)
        integrations = GoogleDriveIntegration.objects.filter(pk=run.integration_id)
        if step.reason == "access_lost":
            integrations.filter(status=GoogleDriveIntegration.Status.CONNECTED).update(
                status=GoogleDriveIntegration.Status.ACCESS_LOST, access_lost_at=timezone.now()
            )
        will_retry = step.retryable and not final_attempt
        if will_retry:
            run.status = BackupRun.Status.QUEUED
        else:
            run.status = step.status
            run.finished_at = timezone.now()
            integration = integrations.get()
            failures = 0 if step.succeeded else integration.consecutive_failures + 1
            if step.reason != "disconnected":
                integrations.update(consecutive_failures=failures)
        run.save()
        return step

    @property
    def final_flags(self) -> list[bool]:
        return [final for _run, final in self.calls]


@pytest.fixture
def script(monkeypatch):
    def install(*steps: RunOutcome | Exception) -> ScriptedRuns:
        scripted = ScriptedRuns(steps)
        monkeypatch.setattr(engine_run, "execute_run", scripted)
        return scripted

    return install


@pytest.fixture
def integration():
    return make_integration()


def run_task(integration) -> tuple[BackupRun, object]:
    run = make_run(integration)
    result = tasks.run_backup.apply(args=[run.pk])
    run.refresh_from_db()
    return run, result


def subjects() -> list[str]:
    return [m.subject for m in mail.outbox]


def test_a_successful_run_is_not_retried(eager_celery, script, integration):
    scripted = script(SUCCEEDED)

    _run, result = run_task(integration)

    assert result.get() == "succeeded"
    assert scripted.final_flags == [False]
    assert mail.outbox == []


def test_transient_trouble_is_retried_until_it_passes(eager_celery, script, integration):
    scripted = script(TRANSIENT, TRANSIENT, SUCCEEDED)

    run, result = run_task(integration)

    assert result.get() == "succeeded"
    assert scripted.final_flags == [False, False, False]
    assert run.status == BackupRun.Status.SUCCEEDED


def test_the_last_retry_is_the_final_attempt(eager_celery, script, integration):
    scripted = script(*[TRANSIENT] * (len(tasks.retry_countdowns()) + 1))

    run, result = run_task(integration)

    assert scripted.final_flags == [False, False, False, True]
    assert result.get() == "partial"
    assert run.status == BackupRun.Status.PARTIAL
    integration.refresh_from_db()
    assert integration.consecutive_failures == 1


def test_a_run_waiting_for_its_retry_tells_the_dispatcher_when(script, integration):
    run = make_run(integration, status=BackupRun.Status.QUEUED)
    before = timezone.now()

    countdown = tasks.postpone_run(run.pk, attempt=1)

    run.refresh_from_db()
    assert 240 <= countdown <= 360
    assert run.not_before >= before + timezone.timedelta(seconds=countdown)


@pytest.mark.parametrize("outcome", [ACCESS_LOST, QUOTA, DISCONNECTED])
def test_problems_only_the_merchant_can_fix_are_not_retried(
    eager_celery, script, integration, outcome
):
    retryable = RunOutcome(outcome.status, retryable=True, reason=outcome.reason)
    scripted = script(retryable)

    run_task(integration)

    assert len(scripted.calls) == 1


def test_a_redelivered_message_of_a_finished_run_does_nothing(eager_celery, integration):
    run = make_run(integration, status=BackupRun.Status.SUCCEEDED, finished_at=timezone.now())
    skipped_before = finished_count("skipped", run.trigger)

    result = tasks.run_backup.apply(args=[run.pk])

    assert result.get() == "skipped"
    assert mail.outbox == []
    assert finished_count("skipped", run.trigger) - skipped_before == 1


def test_a_message_of_a_deleted_run_does_nothing(eager_celery):
    assert tasks.run_backup.apply(args=[987654]).get() == "missing"


def test_unexpected_errors_are_retried_then_close_the_run(eager_celery, script, integration):
    crashes = [RuntimeError("boom")] * (len(tasks.retry_countdowns()) + 1)
    scripted = script(*crashes)
    failed_before = finished_count("failed", "manual")

    run, result = run_task(integration)

    assert isinstance(result.result, RuntimeError)
    # Counted once, when the last attempt closed it: not once per attempt.
    assert (run.trigger, finished_count("failed", "manual") - failed_before) == ("manual", 1)
    assert scripted.final_flags == [False, False, False, True]
    assert run.status == BackupRun.Status.FAILED
    assert [e["code"] for e in run.errors] == ["crashed"]
    integration.refresh_from_db()
    assert integration.consecutive_failures == 1


def test_an_unexpected_error_then_success(eager_celery, script, integration):
    scripted = script(RuntimeError("boom"), SUCCEEDED)

    _run, result = run_task(integration)

    assert result.get() == "succeeded"
    assert len(scripted.calls) == 2


# --- E-mails ------------------------------------------------------------------------------


def test_access_lost_mails_the_merchant_once(eager_celery, script, integration):
    script(ACCESS_LOST, ACCESS_LOST)

    run_task(integration)
    run_task(integration)

    assert len(mail.outbox) == 1
    assert "reconnect" in mail.outbox[0].subject.lower()
    assert mail.outbox[0].to == ["owner@loja-azul.example"]


def test_a_full_drive_mails_once_until_a_backup_succeeds(eager_celery, script, integration):
    script(QUOTA, QUOTA, SUCCEEDED, QUOTA)

    run_task(integration)
    run_task(integration)
    assert len(mail.outbox) == 1
    assert "full" in mail.outbox[0].subject

    run_task(integration)
    run_task(integration)
    assert len(mail.outbox) == 2


def test_two_failures_in_a_row_mail_once_per_streak(eager_celery, script, integration):
    script(FAILED, FAILED, FAILED, SUCCEEDED, FAILED, FAILED)

    run_task(integration)
    assert mail.outbox == []
    run_task(integration)
    assert subjects() == ["Google Drive backup failed twice in a row"]
    run_task(integration)
    assert len(mail.outbox) == 1

    run_task(integration)
    run_task(integration)
    assert len(mail.outbox) == 1
    run_task(integration)
    assert len(mail.outbox) == 2


def test_a_failure_streak_after_a_reconnect_is_news_again(eager_celery, script, integration):
    script(FAILED, FAILED, FAILED, FAILED)
    run_task(integration)
    run_task(integration)
    assert len(mail.outbox) == 1

    # A reconnect resets the counter (integrations.connection) but not our mark.
    GoogleDriveIntegration.objects.filter(pk=integration.pk).update(consecutive_failures=0)
    run_task(integration)
    run_task(integration)

    assert len(mail.outbox) == 2


def test_a_disconnect_during_the_run_mails_nobody(eager_celery, script, integration):
    GoogleDriveIntegration.objects.filter(pk=integration.pk).update(consecutive_failures=5)
    script(DISCONNECTED)

    run_task(integration)

    assert mail.outbox == []


def test_abandoned_runs_count_toward_the_failure_streak(eager_celery, settings, integration):
    GoogleDriveIntegration.objects.filter(pk=integration.pk).update(consecutive_failures=1)
    run = make_run(
        integration,
        status=BackupRun.Status.RUNNING,
        requeues=settings.BACKUP_RUN_MAX_REQUEUES,
    )
    BackupRun.objects.filter(pk=run.pk).update(
        queued_at=timezone.now() - timezone.timedelta(hours=3),
        started_at=timezone.now() - timezone.timedelta(hours=3),
        heartbeat_at=timezone.now() - timezone.timedelta(hours=2),
    )

    summary = tasks.dispatch_due_backups.apply().get()

    assert summary == {"created": 0, "requeued": 0, "abandoned": 1}
    assert subjects() == ["Google Drive backup failed twice in a row"]
