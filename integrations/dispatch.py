"""Which integrations get a backup run tonight, when, and what happens to runs nobody works on.

Called by Celery beat every few minutes (`integrations.tasks.dispatch_due_backups`):

- an integration is due when it is connected, has at least one box ticked whose documents
  the platform keeps (S11), its merchant's local time is in the night window and it has no
  scheduled run for this night yet;
- each integration starts at a stable moment of its night (a hash of its id picks a fraction
  of the window), so thousands of merchants do not start at once and each one starts at the
  same local time every night;
- one run per integration per night, enforced by a unique constraint and claimed with
  `select_for_update(skip_locked=True)` so concurrent dispatchers never double up;
- a run that no worker shows signs of life for (lost message, killed worker) is queued again,
  a bounded number of times, then closed as failed so it does not block later runs.

Every function takes `now`, so tests move the clock instead of waiting for it.
"""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import Exists, F, OuterRef, Q
from django.db.models.functions import Coalesce, Greatest
from django.utils import timezone

from accounts.models import Merchant
from accounts.time_zones import zone_named
from documents.models import Invoice
from integrations import run_errors
from integrations.connection import invoices_backup_available
from integrations.locking import LOCK_TTL_SECONDS
from integrations.models import BackupRun, GoogleDriveIntegration

logger = logging.getLogger(__name__)

Enqueue = Callable[[int], None]

CHUNK_SIZE = 500
# Codes of run.errors entries written here (worded in integrations.run_errors): the
# dispatcher gave up on a run no worker finished; the run's last attempt crashed.
INTERRUPTED_ERROR_CODE = "interrupted"
CRASHED_ERROR_CODE = "crashed"


# --- The night window ---------------------------------------------------------------------


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


# --- Queueing -----------------------------------------------------------------------------


def enqueue_after_commit(run_id: int) -> None:
    """Hand the run to a worker once the transaction that created it has committed."""
    from integrations.tasks import run_backup

    transaction.on_commit(lambda: run_backup.delay(run_id))


# --- Scheduled runs -----------------------------------------------------------------------


@dataclass
class DispatchReport:
    created: list[int] = field(default_factory=list)
    requeued: list[int] = field(default_factory=list)
    abandoned: list[int] = field(default_factory=list)


def dispatch(
    now: datetime | None = None, *, enqueue: Enqueue = enqueue_after_commit
) -> DispatchReport:
    """One dispatcher pass: create tonight's due runs, then rescue runs nobody works on."""
    now = now or timezone.now()
    report = DispatchReport()
    report.created = create_due_runs(now, enqueue=enqueue)
    report.requeued, report.abandoned = recover_stalled_runs(now, enqueue=enqueue)
    if report.created or report.requeued or report.abandoned:
        logger.info(
            "Dispatch: %d runs created, %d re-queued, %d abandoned",
            len(report.created),
            len(report.requeued),
            len(report.abandoned),
        )
    return report


def _backup_candidates() -> Q:
    return Q(status=GoogleDriveIntegration.Status.CONNECTED) & (
        Q(backup_orders=True) | Q(backup_receipts=True) | _invoices_to_back_up()
    )


def _invoices_to_back_up() -> Q:
    """Invoices ticked where the platform keeps them (S11), as in something_to_back_up.

    Subqueries rather than joins: the claiming SELECT ... FOR UPDATE locks integration rows
    only, never their merchants'.
    """
    kept_by_platform = Merchant.objects.filter(
        pk=OuterRef("merchant_id"), external_accounting_enabled=False
    )
    api_invoices = Invoice.objects.filter(
        merchant_id=OuterRef("merchant_id"), source=Invoice.Source.API
    )
    return Q(backup_invoices=True) & (Exists(kept_by_platform) | Exists(api_invoices))


def something_to_back_up(integration: GoogleDriveIntegration) -> bool:
    """A box is ticked whose documents a run would back up.

    S11: a kept Invoices tick of a merchant whose invoices an external system issues is not
    one (the box is disabled; the tick applies again once external accounting is off).
    """
    if integration.backup_orders or integration.backup_receipts:
        return True
    return integration.backup_invoices and invoices_backup_available(integration.merchant)


def due_integrations(now: datetime) -> Iterator[tuple[int, date]]:
    """(integration id, night) of every candidate whose start moment has come tonight.

    Whether a run already exists is checked later, per chunk, under the row locks.
    """
    rows = (
        GoogleDriveIntegration.objects.filter(_backup_candidates())
        .exclude(refresh_token="")
        .order_by("pk")
        .values_list("pk", "time_zone")
    )
    for integration_id, time_zone in rows.iterator(chunk_size=2000):
        night = due_night(integration_id, time_zone, now)
        if night is not None:
            yield integration_id, night


def _chunks(items: Iterable[tuple[int, date]], size: int) -> Iterator[dict[int, date]]:
    chunk: dict[int, date] = {}
    for integration_id, night in items:
        chunk[integration_id] = night
        if len(chunk) >= size:
            yield chunk
            chunk = {}
    if chunk:
        yield chunk


def create_due_runs(
    now: datetime, *, enqueue: Enqueue = enqueue_after_commit, chunk_size: int = CHUNK_SIZE
) -> list[int]:
    """Create and queue tonight's scheduled run of every due integration; their ids."""
    created: list[int] = []
    # Read first, so no cursor stays open across the per-chunk transactions below.
    due = list(due_integrations(now))
    for chunk in _chunks(due, chunk_size):
        # Most due integrations got their run in an earlier pass: drop them without locking.
        busy = _integrations_with_run_tonight(chunk)
        pending = {i: n for i, n in chunk.items() if i not in busy}
        if pending:
            created += _create_runs_for_chunk(pending, now, enqueue)
    return created


def _create_runs_for_chunk(nights: dict[int, date], now: datetime, enqueue: Enqueue) -> list[int]:
    created: list[int] = []
    with transaction.atomic():
        # Rows another dispatcher holds are skipped: it is creating their runs right now.
        claimed = set(
            GoogleDriveIntegration.objects.select_for_update(skip_locked=True)
            .filter(_backup_candidates(), pk__in=list(nights))
            .exclude(refresh_token="")
            .values_list("pk", flat=True)
        )
        if not claimed:
            return created
        busy = _integrations_with_run_tonight({i: nights[i] for i in claimed})
        for integration_id in claimed - busy:
            run = _create_scheduled_run(integration_id, nights[integration_id], now)
            if run is not None:
                enqueue(run.pk)
                created.append(run.pk)
    return created


def _integrations_with_run_tonight(nights: dict[int, date]) -> set[int]:
    """Those of `nights` that already have that night's run, or any run queued or running.

    An active run (e.g. "Back up now" pressed a minute ago) postpones the nightly one to a
    later dispatcher pass, since only one run per integration may be active.
    """
    wanted = set(nights.values())
    existing = BackupRun.objects.filter(integration_id__in=list(nights)).filter(
        Q(trigger=BackupRun.Trigger.SCHEDULED, night__in=wanted)
        | Q(status__in=BackupRun.ACTIVE_STATUSES)
    )
    busy: set[int] = set()
    for integration_id, night, trigger, status in existing.values_list(
        "integration_id", "night", "trigger", "status"
    ):
        if status in BackupRun.ACTIVE_STATUSES or (
            trigger == BackupRun.Trigger.SCHEDULED and night == nights[integration_id]
        ):
            busy.add(integration_id)
    return busy


def _create_scheduled_run(integration_id: int, night: date, now: datetime) -> BackupRun | None:
    try:
        with transaction.atomic():
            return BackupRun.objects.create(
                integration_id=integration_id,
                trigger=BackupRun.Trigger.SCHEDULED,
                night=night,
                not_before=now,
                enqueued_at=now,
            )
    except IntegrityError:
        # The constraints are the last word; the checks above make this rare.
        logger.info("Integration %s already has a run for %s", integration_id, night)
        return None


# --- Manual runs --------------------------------------------------------------------------


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
    integration_id: int, *, now: datetime | None = None, enqueue: Enqueue = enqueue_after_commit
) -> BackupRun:
    """Create and queue a "Back up now" run, or raise BackupNowRefused."""
    now = now or timezone.now()
    with transaction.atomic():
        # The same row lock the dispatcher takes: a nightly run and a manual one never race.
        integration = GoogleDriveIntegration.objects.select_for_update().get(pk=integration_id)
        reason = back_up_now_refusal(integration)
        if reason is not None:
            raise BackupNowRefused(reason, active_run(integration))
        try:
            with transaction.atomic():
                run = BackupRun.objects.create(
                    integration=integration,
                    trigger=BackupRun.Trigger.MANUAL,
                    not_before=now,
                    enqueued_at=now,
                )
        except IntegrityError:
            raise BackupNowRefused(
                BackupNowRefused.ALREADY_ACTIVE, active_run(integration)
            ) from None
        enqueue(run.pk)
    logger.info("Manual backup run %s queued for integration %s", run.pk, integration_id)
    return run


# --- Runs nobody works on -----------------------------------------------------------------


def _last_sign_of_life():
    """The latest moment a run was queued, started, heartbeat or told to wait until."""
    return Greatest(
        F("queued_at"),
        Coalesce(F("enqueued_at"), F("queued_at")),
        Coalesce(F("started_at"), F("queued_at")),
        Coalesce(F("heartbeat_at"), F("queued_at")),
        Coalesce(F("not_before"), F("queued_at")),
    )


def stalled_run_seconds() -> int:
    """How long after its last sign of life a started run is taken for one whose worker died.

    Not before the dead worker's integration lock has expired, or the new attempt would only
    find it held and end as "skipped".
    """
    return max(settings.BACKUP_RUN_STALE_SECONDS, LOCK_TTL_SECONDS + 60)


def stalled_runs(now: datetime):
    """Active runs without a sign of life for longer than their state allows.

    A run that started has a worker writing its heartbeat every 30 s; a queued one may wait
    behind many others on a busy night, so it is given much longer before its message is
    presumed lost.
    """
    running_limit = now - timedelta(seconds=stalled_run_seconds())
    queued_limit = now - timedelta(seconds=settings.BACKUP_QUEUED_RUN_STALE_SECONDS)
    return (
        BackupRun.objects.filter(status__in=BackupRun.ACTIVE_STATUSES)
        .annotate(last_sign_of_life=_last_sign_of_life())
        .filter(
            Q(started_at__isnull=False, last_sign_of_life__lt=running_limit)
            | Q(started_at__isnull=True, last_sign_of_life__lt=queued_limit)
        )
        .order_by("pk")
    )


def recover_stalled_runs(
    now: datetime, *, enqueue: Enqueue = enqueue_after_commit
) -> tuple[list[int], list[int]]:
    """Queue stalled runs again, or close them as failed after too many tries.

    Re-queueing is safe while the original worker might still be alive: the new attempt finds
    the integration's lock held and ends as "skipped", and the ledger prevents a second copy
    of any file. Kombu's visibility timeout would also bring the message back, but only after
    hours; this is the fast path.
    """
    requeued: list[int] = []
    abandoned: list[int] = []
    ids = list(stalled_runs(now).values_list("pk", flat=True)[:CHUNK_SIZE])
    if not ids:
        return requeued, abandoned
    with transaction.atomic():
        runs = (
            BackupRun.objects.select_for_update(skip_locked=True)
            .filter(pk__in=ids, status__in=BackupRun.ACTIVE_STATUSES)
            .order_by("pk")
        )
        for run in runs:
            if run.requeues >= settings.BACKUP_RUN_MAX_REQUEUES:
                close_unfinished_run(run.pk, code=INTERRUPTED_ERROR_CODE, now=now)
                abandoned.append(run.pk)
            else:
                run.requeues += 1
                run.enqueued_at = now
                run.save(update_fields=["requeues", "enqueued_at"])
                enqueue(run.pk)
                requeued.append(run.pk)
    for run_id in abandoned:
        logger.warning("Backup run %s abandoned: no worker finished it", run_id)
    return requeued, abandoned


def close_unfinished_run(
    run_id: int, *, code: str, now: datetime | None = None
) -> BackupRun | None:
    """Close a run no worker could finish as failed, counting one failure of its integration.

    Returns the run, or None when it had finished meanwhile (nothing is changed then).
    """
    now = now or timezone.now()
    with transaction.atomic():
        run = (
            BackupRun.objects.select_for_update()
            .filter(pk=run_id, status__in=BackupRun.ACTIVE_STATUSES)
            .first()
        )
        if run is None:
            return None
        run.status = BackupRun.Status.FAILED
        run.finished_at = now
        run.errors = [*(run.errors or []), run_errors.error_entry(code)]
        run.save(update_fields=["status", "finished_at", "errors"])
        GoogleDriveIntegration.objects.filter(pk=run.integration_id).update(
            consecutive_failures=F("consecutive_failures") + 1,
            last_error=run.errors[-1]["message"],
        )
    return run
