"""Celery tasks of the backups: the dispatcher (beat), one account's run, and its e-mails.

Every task takes ids and is safe to run twice: the broker hands a message out again when a
worker dies before acknowledging it (acks_late), and the dispatcher re-queues runs whose
worker stopped sending heartbeats. A second delivery of a finished run does nothing; one of a
run another worker is still on ends as "skipped" at the integration's lock.
"""

from __future__ import annotations

import logging
import random

from celery import shared_task
from django.conf import settings

from integrations import dispatcher, metrics, notifications, runs, verify
from integrations.engine import run as engine
from integrations.models import BackupRun
from integrations.runs import RunOutcome

logger = logging.getLogger(__name__)

RETRY_JITTER = 0.2
# A check that finds a backup running tries again this many seconds later.
CHECK_BUSY_COUNTDOWN = 120

EMAILS = {
    "access_lost": notifications.notify_access_lost,
    "storage_full": notifications.notify_storage_full,
    "account_refused": notifications.notify_account_refused,
    "failure_streak": notifications.notify_failure_streak,
}


@shared_task(name="integrations.tasks.dispatch_due_backups", ignore_result=True)
def dispatch_due_backups() -> dict[str, int]:
    """Beat, every few minutes: create and queue due nightly runs, rescue stalled ones."""
    report = dispatcher.dispatch()
    for integration_id in BackupRun.objects.filter(pk__in=report.abandoned).values_list(
        "integration_id", flat=True
    ):
        queue_email(runs.FAILURE_STREAK_EMAIL, integration_id)
    return {
        "created": len(report.created),
        "requeued": len(report.requeued),
        "abandoned": len(report.abandoned),
    }


@shared_task(bind=True, name="integrations.tasks.run_backup", ignore_result=True)
def run_backup(self, run_id: int) -> str:
    """Run (or continue) backup run `run_id`; retries transient trouble, mails the merchant."""
    if not BackupRun.objects.filter(pk=run_id).exists():
        logger.info("Backup run %s no longer exists", run_id)
        return "missing"
    attempt = self.request.retries
    retries = len(retry_countdowns())
    final = attempt >= retries
    try:
        outcome = engine.execute_run(run_id, final_attempt=final)
    except Exception as exc:
        if final:
            close_crashed_run(run_id)
            raise
        logger.exception("Backup run %s failed unexpectedly; retrying", run_id)
        countdown = postpone_run(run_id, attempt)
        raise self.retry(exc=exc, countdown=countdown, max_retries=retries) from exc
    if outcome.skipped:
        logger.info("Backup run %s skipped: %s", run_id, outcome.message)
        metrics.record_run_finished(outcome.status, run_trigger(run_id))
        return outcome.status
    if should_retry(outcome, final):
        logger.info("Backup run %s will be retried: %s", run_id, outcome.message)
        raise self.retry(countdown=postpone_run(run_id, attempt), max_retries=retries)
    after_final_outcome(run_id, outcome)
    return outcome.status


@shared_task(bind=True, name="integrations.tasks.check_backup", ignore_result=True)
def check_backup(self, report_id: int) -> str:
    """Check my backup: compare Drive with the ledger and keep the report (integrations.verify)."""
    try:
        report = verify.execute_check(report_id)
    except verify.CheckBusy as exc:
        # A backup run holds the integration: check once it is done.
        raise self.retry(exc=exc, countdown=CHECK_BUSY_COUNTDOWN, max_retries=None) from exc
    return report.status


@shared_task(name="integrations.tasks.check_due_backups", ignore_result=True)
def check_due_backups() -> int:
    """Beat, daily: a check of every backup whose last one is a month old."""
    reports = verify.request_monthly_checks()
    for report in reports:
        check_backup.delay(report.pk)
    return len(reports)


@shared_task(
    name="integrations.tasks.send_backup_email",
    ignore_result=True,
    autoretry_for=(Exception,),
    retry_backoff=60,
    retry_backoff_max=3600,
    max_retries=6,
)
def send_backup_email(kind: str, integration_id: int) -> bool:
    """One of EMAILS; each sends at most once per problem, so a retry cannot duplicate it."""
    return EMAILS[kind](integration_id)


def run_trigger(run_id: int) -> str:
    """The run's trigger (scheduled, manual); a run deleted meanwhile counts as scheduled."""
    trigger = BackupRun.objects.filter(pk=run_id).values_list("trigger", flat=True).first()
    return trigger or BackupRun.Trigger.SCHEDULED


def should_retry(outcome: RunOutcome, final: bool) -> bool:
    # `retryable` comes from the DriveError's own verdict (integrations.google.errors).
    return outcome.retryable and not final


def retry_countdowns() -> list[int]:
    """Seconds before each retry of a run that met transient trouble (settings)."""
    return list(settings.BACKUP_RUN_RETRY_COUNTDOWNS)


def retry_countdown(attempt: int) -> int:
    countdowns = retry_countdowns()
    base = countdowns[min(attempt, len(countdowns) - 1)]
    return round(base * random.uniform(1 - RETRY_JITTER, 1 + RETRY_JITTER))


def postpone_run(run_id: int, attempt: int) -> int:
    """Tell the dispatcher the run waits for a retry, so it is not taken for a stalled one."""
    countdown = retry_countdown(attempt)
    runs.postpone(run_id, countdown)
    return countdown


def close_crashed_run(run_id: int) -> None:
    """The last attempt raised: close the run as failed so it does not block later runs."""
    run = runs.close_unfinished_run(run_id, code=runs.CRASHED_ERROR_CODE)
    if run is not None:
        queue_email(runs.FAILURE_STREAK_EMAIL, run.integration_id)


def after_final_outcome(run_id: int, outcome: RunOutcome) -> None:
    """Queue the e-mails that the run's final outcome calls for (each sent once per problem)."""
    integration_id = (
        BackupRun.objects.filter(pk=run_id).values_list("integration_id", flat=True).first()
    )
    if integration_id is None:
        return
    for kind in runs.emails_after(integration_id, outcome):
        queue_email(kind, integration_id)


def queue_email(kind: str, integration_id: int) -> None:
    send_backup_email.delay(kind, integration_id)
