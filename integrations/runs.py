"""A BackupRun's whole life, outside the worker: created, refused, postponed, closed, counted.

- Created in one place (`_insert_runs`), by callers that all hold the integration's row
  lock: the dispatcher's nightly pass (integrations.dispatcher), "Back up now" on the page and
  the `backup_now` command (`start_manual_run`), and "Re-send missing copies" on the page and
  `verify_backup --repair` (`start_repair_run`), with the same refusals for the last four.
- Closed in one place (`close_run`), by the worker when a run ends (integrations.engine.run)
  and by whoever gives up on a run no worker could finish (`close_unfinished_run`).
- The integration's count of failed runs in a row is kept by `close_run` alone; which
  e-mails a run's end calls for is decided by `emails_after`.

Runs are queued through an `Enqueue` callable so this module never imports the Celery tasks:
the default hands the run to Celery's registered `run_backup` task after commit.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Literal

from celery import current_app
from django.db import IntegrityError, connection, transaction
from django.db.models import F
from django.utils import timezone

from integrations import metrics, notifications, run_errors, run_log
from integrations.models import BackupRun, GoogleDriveIntegration
from integrations.selection import something_to_back_up

logger = logging.getLogger(__name__)

Enqueue = Callable[[int], None]
RUN_TASK_NAME = "integrations.tasks.run_backup"
# Codes of run.errors entries written here (worded in integrations.run_errors): the
# dispatcher gave up on a run no worker finished; the run's last attempt crashed.
INTERRUPTED_ERROR_CODE = "interrupted"
CRASHED_ERROR_CODE = "crashed"

SKIPPED = "skipped"
FINISHED_STATUSES = (BackupRun.Status.SUCCEEDED, BackupRun.Status.PARTIAL, BackupRun.Status.FAILED)

# Why a run stopped early, or "transient" when a later attempt may get further.
Reason = Literal["access_lost", "quota", "account_refused", "disconnected", "transient"]
# Only the merchant can change these (reconnect, free space, lift Google's refusal, connect
# again): an outcome with
# one of them is never retryable, so a retry cannot turn into a storm.
MERCHANT_REASONS = frozenset({"access_lost", "quota", "account_refused", "disconnected"})


@dataclass(frozen=True)
class RunOutcome:
    """How one attempt at a run ended; the task layer maps it to retries and e-mails.

    status: a BackupRun.Status value (succeeded / partial / failed) or SKIPPED when another
    worker holds the integration's lock or the run had already finished. `retryable`: a
    later attempt may get further (it is never set for what only the merchant can fix).
    """

    status: str
    retryable: bool = False
    reason: Reason | None = None
    message: str = ""

    def __post_init__(self) -> None:
        if self.reason in MERCHANT_REASONS:
            object.__setattr__(self, "retryable", False)

    @property
    def skipped(self) -> bool:
        return self.status == SKIPPED

    @property
    def succeeded(self) -> bool:
        return self.status == BackupRun.Status.SUCCEEDED


# --- Queueing ---------------------------------------------------------------------------------


def enqueue_after_commit(run_id: int) -> None:
    """Hand the run to a worker once the transaction that created it has committed.

    The task is looked up in Celery's registry by name (IntegrationsConfig.ready imports the
    tasks in every process), so this module does not import the module that imports it.
    """
    transaction.on_commit(lambda: current_app.tasks[RUN_TASK_NAME].delay(run_id))


# --- Creating a run ---------------------------------------------------------------------------


class BackupNowRefused(Exception):
    """Why "Back up now" cannot start a run; `reason` is one of the class constants."""

    NOT_CONNECTED = "not_connected"
    ACCESS_LOST = "access_lost"
    NOTHING_SELECTED = "nothing_selected"
    ALREADY_ACTIVE = "already_active"

    def __init__(self, reason: str, run: BackupRun | None = None) -> None:
        super().__init__(reason)
        self.reason = reason
        self.run = run


def active_run(integration: GoogleDriveIntegration) -> BackupRun | None:
    return (
        BackupRun.objects.filter(integration=integration, status__in=BackupRun.ACTIVE_STATUSES)
        .order_by("-id")
        .first()
    )


def back_up_now_refusal(integration: GoogleDriveIntegration) -> str | None:
    """Why "Back up now" would be refused right now (for the button), or None."""
    if integration.status == GoogleDriveIntegration.Status.ACCESS_LOST:
        return BackupNowRefused.ACCESS_LOST
    if not integration.is_connected or not integration.refresh_token:
        return BackupNowRefused.NOT_CONNECTED
    if not something_to_back_up(integration):
        return BackupNowRefused.NOTHING_SELECTED
    if active_run(integration) is not None:
        return BackupNowRefused.ALREADY_ACTIVE
    return None


def start_manual_run(
    integration_id: int,
    *,
    now: datetime | None = None,
    enqueue: Enqueue | None = enqueue_after_commit,
) -> BackupRun:
    """Create (and with `enqueue`, queue) a "Back up now" run, or raise BackupNowRefused.

    `enqueue=None` is for a caller that runs it at once, in its own process.
    """
    return _start_on_request(integration_id, BackupRun.Trigger.MANUAL, now, enqueue)


def start_repair_run(
    integration_id: int,
    *,
    now: datetime | None = None,
    enqueue: Enqueue | None = enqueue_after_commit,
) -> BackupRun:
    """Create (and queue) a "Re-send missing copies" run, refused as "Back up now" would be.

    Its plan is engine.repair's: the documents whose copy was deleted or trashed in Drive.
    """
    return _start_on_request(integration_id, BackupRun.Trigger.REPAIR, now, enqueue)


def _start_on_request(
    integration_id: int, trigger: str, now: datetime | None, enqueue: Enqueue | None
) -> BackupRun:
    now = now or timezone.now()
    with transaction.atomic():
        # The same row lock the dispatcher takes: a nightly run and a manual one never race.
        integration = GoogleDriveIntegration.objects.select_for_update().get(pk=integration_id)
        reason = back_up_now_refusal(integration)
        if reason is not None:
            raise BackupNowRefused(reason, active_run(integration))
        made = _insert_runs([(integration_id, trigger, None)], now, enqueue)
        if not made:
            raise BackupNowRefused(BackupNowRefused.ALREADY_ACTIVE, active_run(integration))
        run = made[0]
    logger.info("%s backup run %s created for integration %s", trigger, run.pk, integration_id)
    return run


def start_scheduled_runs(
    nights: dict[int, date], now: datetime, enqueue: Enqueue | None
) -> list[BackupRun]:
    """Create (and queue) each integration's run for its night; those the constraints allow.

    The caller holds the integrations' row locks (integrations.dispatcher).
    """
    wanted = [(pk, BackupRun.Trigger.SCHEDULED, night) for pk, night in nights.items()]
    return _insert_runs(wanted, now, enqueue)


def _insert_runs(
    wanted: list[tuple[int, str, date | None]], now: datetime, enqueue: Enqueue | None
) -> list[BackupRun]:
    """The one place BackupRuns are made: (integration id, trigger, night) each.

    One scheduled run per night and one active run per integration are database
    constraints: they are the last word whatever the callers checked before. All rows go in
    one INSERT; if a constraint refuses one, each is tried on its own and the refused left out.
    """
    runs = [
        BackupRun(
            integration_id=integration_id,
            trigger=trigger,
            night=night,
            not_before=now,
            enqueued_at=now if enqueue is not None else None,
        )
        for integration_id, trigger, night in wanted
    ]
    try:
        with transaction.atomic():
            made = _bulk_insert(runs)
    except IntegrityError:
        made = [run for run in runs if _insert_one(run)]
    if enqueue is not None:
        for run in made:
            enqueue(run.pk)
    return made


def _bulk_insert(runs: list[BackupRun]) -> list[BackupRun]:
    """bulk_create, or on PostgreSQL one INSERT ... SELECT over arrays of what differs.

    Runs made together differ only in integration and night. Django's bulk_create prepares
    every field of every row in Python: 0.4 s of a dispatcher pass that makes 1,000 runs
    (bench.dispatch), against a few milliseconds here.
    """
    if not runs:
        return []
    first = runs[0]
    shared = {(run.trigger, run.not_before, run.enqueued_at) for run in runs}
    if connection.vendor != "postgresql" or len(runs) < 2 or len(shared) > 1:
        return BackupRun.objects.bulk_create(runs)
    columns, values, params = [], [], []
    for field in BackupRun._meta.concrete_fields:
        if field.primary_key:
            continue
        columns.append(connection.ops.quote_name(field.column))
        if field.attname in _VARYING_COLUMNS:
            values.append(f"v.{field.attname}")
            continue
        value = field.pre_save(first, add=True)  # also stamps queued_at (auto_now_add)
        values.append(f"%s::{field.db_type(connection)}")
        params.append(field.get_db_prep_save(value, connection))
    arrays = ", ".join(f"%s::{kind}[]" for kind in _VARYING_COLUMNS.values())
    table = connection.ops.quote_name(BackupRun._meta.db_table)
    sql = (
        f"INSERT INTO {table} ({', '.join(columns)}) SELECT {', '.join(values)}"  # noqa: S608
        f" FROM unnest({arrays}) AS v({', '.join(_VARYING_COLUMNS)})"
        " RETURNING id, integration_id"
    )
    params += [[getattr(run, name) for run in runs] for name in _VARYING_COLUMNS]
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        ids = dict((integration_id, pk) for pk, integration_id in cursor.fetchall())
    for run in runs:
        run.pk = ids[run.integration_id]
        run.queued_at = first.queued_at
        run._state.adding = False
    return runs


# What runs made in one go differ in (attribute, PostgreSQL type); the rest is shared.
_VARYING_COLUMNS = {"integration_id": "bigint", "night": "date"}


def _insert_one(run: BackupRun) -> bool:
    try:
        with transaction.atomic():
            run.save(force_insert=True)
    except IntegrityError:
        run.pk = None
        logger.info(
            "Integration %s already has an active run or one for %s", run.integration_id, run.night
        )
        return False
    return True


# --- Waiting and closing ----------------------------------------------------------------------


def postpone(run_id: int, seconds: int) -> None:
    """The run waits `seconds` for its retry: the dispatcher does not take it for stalled."""
    BackupRun.objects.filter(pk=run_id, status__in=BackupRun.ACTIVE_STATUSES).update(
        not_before=timezone.now() + timedelta(seconds=seconds)
    )


def close_run(
    run: BackupRun,
    *,
    status: str,
    errors: list[dict],
    reason: Reason | None = None,
    message: str = "",
    now: datetime | None = None,
    also_save: tuple[str, ...] = (),
) -> None:
    """Finish `run` with `status` and count the outcome on its integration.

    `also_save` names fields the caller set on `run` that are saved with it (the worker's
    tally). A disconnect stopped the run: that is no failure of the backup.
    """
    run.status = status
    run.finished_at = now or timezone.now()
    run.errors = errors
    run.save(update_fields=["status", "finished_at", "errors", *also_save])
    # Why, for the log: the stop's reason, else the code of the last error (e.g. "crashed").
    _count_finished(run, reason or (errors[-1].get("code", "") if errors else ""))
    integrations = GoogleDriveIntegration.objects.filter(pk=run.integration_id)
    if status == BackupRun.Status.SUCCEEDED:
        integrations.update(consecutive_failures=0, last_error="")
    elif reason != "disconnected":
        integrations.update(
            consecutive_failures=F("consecutive_failures") + 1,
            last_error=message or (errors[0]["message"] if errors else ""),
        )


def _count_finished(run: BackupRun, reason: str) -> None:
    """The metrics and the log line of a run's final outcome (once per run: close_run's)."""
    metrics.record_run_finished(run.status, run.trigger)
    started = run.started_at
    run_log.log_run_finished(
        run.pk,
        run.integration_id,
        outcome=run.status,
        trigger=run.trigger,
        files=run.files_uploaded,
        size=run.bytes_uploaded,
        duration_seconds=(run.finished_at - started).total_seconds() if started else None,
        reason=reason,
    )


def close_unfinished_run(
    run_id: int, *, code: str, now: datetime | None = None
) -> BackupRun | None:
    """Close a run no worker could finish as failed, counting one failure of its integration.

    Returns the run, or None when it had finished meanwhile (nothing is changed then).
    """
    with transaction.atomic():
        run = (
            BackupRun.objects.select_for_update()
            .filter(pk=run_id, status__in=BackupRun.ACTIVE_STATUSES)
            .first()
        )
        if run is None:
            return None
        entry = run_errors.error_entry(code)
        close_run(
            run,
            status=BackupRun.Status.FAILED,
            errors=[*(run.errors or []), entry],
            message=entry["message"],
            now=now,
        )
    return run


# --- E-mails ----------------------------------------------------------------------------------

# The e-mail a run's final outcome calls for, by its reason; any other failure counts towards
# "failed twice in a row" (notifications decides whether that is due).
_EMAIL_FOR_REASON = {
    "access_lost": "access_lost",
    "quota": "storage_full",
    "account_refused": "account_refused",
}
FAILURE_STREAK_EMAIL = "failure_streak"


def emails_after(integration_id: int, outcome: RunOutcome) -> list[str]:
    """The e-mails (notifications' kinds) a run's final outcome calls for.

    A success clears what earlier problems marked, so the next problem is told again.
    """
    if outcome.succeeded:
        notifications.forget_resolved_problems(integration_id)
        return []
    notifications.forget_ended_streak(integration_id)
    if outcome.reason == "disconnected":
        return []
    return [_EMAIL_FOR_REASON.get(outcome.reason or "", FAILURE_STREAK_EMAIL)]
