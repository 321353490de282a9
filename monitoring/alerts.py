"""E-mail to ADMINS about a night that did not finish: scheduled runs still queued or running
after their night window ended, and integrations that got no run at all that night (a
dispatcher that was down, say).

For a deployment without Prometheus (which has the same alert in deploy/prometheus/alerts.yml).
Called after every dispatcher pass; each overdue run and each missed night is named in one
e-mail only.
"""

from __future__ import annotations

import logging
from datetime import UTC, datetime, timedelta

from django.conf import settings
from django.core.mail import mail_admins
from django.db import transaction
from django.utils import timezone

from integrations.night_report import (
    MissedNight,
    OverdueRun,
    integrations_without_run,
    overdue_runs,
)
from monitoring.models import UnfinishedNightAlert

logger = logging.getLogger(__name__)

# What alerts sent within this long named is not named again. An overdue run is closed by the
# dispatcher's take-over rules well before (BACKUP_RUN_MAX_REQUEUES rescues), and a missed night
# stops being the current one when the next night begins.
REMEMBER_ALERTS_FOR = timedelta(days=7)
LISTED = 50


def alert_unfinished_nights(now: datetime | None = None) -> list[str]:
    """Mail ADMINS about overdue runs and missed nights not reported yet; what was reported
    (`run:<id>` and `<integration id>@<night>` keys)."""
    now = now or timezone.now()
    overdue = overdue_runs(now)
    missed = integrations_without_run(now)
    if not overdue and not missed:
        return []
    with transaction.atomic():
        # One dispatcher at a time decides what is new (two beats by mistake, or a slow pass).
        reported_runs, reported_missed = _reported(now)
        new_runs = [run for run in overdue if run.run_id not in reported_runs]
        new_missed = [night for night in missed if night.key not in reported_missed]
        if not new_runs and not new_missed:
            return []
        UnfinishedNightAlert.objects.create(
            sent_at=now,
            run_ids=[run.run_id for run in new_runs],
            missed_nights=[night.key for night in new_missed],
        )
        transaction.on_commit(lambda: _send(new_runs, new_missed))
    logger.warning(
        "Nights not finished: %d backup runs still active after their window, %d integrations "
        "without a run",
        len(new_runs),
        len(new_missed),
        extra={"event": "night_unfinished", "runs": len(new_runs), "missed": len(new_missed)},
    )
    return [f"run:{run.run_id}" for run in new_runs] + [night.key for night in new_missed]


def _reported(now: datetime) -> tuple[set[int], set[str]]:
    alerts = UnfinishedNightAlert.objects.select_for_update().filter(
        sent_at__gte=now - REMEMBER_ALERTS_FOR
    )
    runs: set[int] = set()
    missed: set[str] = set()
    for run_ids, missed_nights in alerts.values_list("run_ids", "missed_nights"):
        runs.update(run_ids)
        missed.update(missed_nights)
    return runs, missed


def _send(new_runs: list[OverdueRun], new_missed: list[MissedNight]) -> None:
    mail_admins(
        f"Backups did not finish in their night: {len(new_runs)} runs still active, "
        f"{len(new_missed)} integrations without a run",
        unfinished_night_message(new_runs, new_missed),
    )


def unfinished_night_message(new_runs: list[OverdueRun], new_missed: list[MissedNight]) -> str:
    lines = [
        "Some of last night's backups did not finish. What to check: is beat running (one per "
        "deployment) and a worker consuming the 'dispatch' queue; are the workers up and "
        "consuming the 'celery' queue; is Google answering (Drive 5xx, rate limits); is the "
        "night's backlog larger than the workers can do? See the README's Operating section.",
    ]
    if new_runs:
        lines += [
            "",
            f"{len(new_runs)} scheduled runs were still queued or running when their night "
            "window ended:",
            "Run id | integration | night | status | window ended (UTC)",
        ]
        lines += [
            f"{run.run_id} | {run.integration_id} | {run.night.isoformat()} | {run.status} | "
            f"{run.window_end.astimezone(UTC):%Y-%m-%d %H:%M}"
            for run in new_runs[:LISTED]
        ]
        lines += _more(len(new_runs))
    if new_missed:
        lines += [
            "",
            f"{len(new_missed)} integrations got no run in their night (the next night backs "
            "up what they missed):",
            "Integration | night",
        ]
        lines += [f"{m.integration_id} | {m.night.isoformat()}" for m in new_missed[:LISTED]]
        lines += _more(len(new_missed))
    lines += ["", f"Admin: {settings.SITE_URL.rstrip('/')}/admin/integrations/backuprun/"]
    return "\n".join(lines)


def _more(count: int) -> list[str]:
    return [f"... and {count - LISTED} more."] if count > LISTED else []
