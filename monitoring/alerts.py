"""E-mail to ADMINS when scheduled runs are not finished by the end of their night window.

For a deployment without Prometheus (which has the same alert in deploy/prometheus/alerts.yml).
Called after every dispatcher pass; each overdue run is named in one e-mail only.
"""

from __future__ import annotations

import logging
from datetime import UTC, datetime, timedelta

from django.conf import settings
from django.core.mail import mail_admins
from django.db import transaction
from django.utils import timezone

from integrations.night_report import OverdueRun, overdue_runs
from monitoring.models import UnfinishedNightAlert

logger = logging.getLogger(__name__)

# Runs named by alerts sent within this long are not named again; an overdue run is closed by
# the dispatcher's take-over rules well before (BACKUP_RUN_MAX_REQUEUES rescues).
REMEMBER_ALERTS_FOR = timedelta(days=7)
LISTED_RUNS = 50


def alert_unfinished_nights(now: datetime | None = None) -> list[int]:
    """Mail ADMINS about overdue runs not reported yet; the ids of the runs reported."""
    now = now or timezone.now()
    overdue = overdue_runs(now)
    if not overdue:
        return []
    with transaction.atomic():
        # One dispatcher at a time decides what is new (two beats by mistake, or a slow pass).
        reported = _reported_run_ids(now)
        new = [run for run in overdue if run.run_id not in reported]
        if not new:
            return []
        UnfinishedNightAlert.objects.create(sent_at=now, run_ids=[run.run_id for run in new])
        transaction.on_commit(lambda: _send(new, len(overdue)))
    logger.warning(
        "%d backup runs not finished by the end of their night (%d overdue in all)",
        len(new),
        len(overdue),
        extra={"event": "night_unfinished", "runs": len(new), "overdue": len(overdue)},
    )
    return [run.run_id for run in new]


def _reported_run_ids(now: datetime) -> set[int]:
    alerts = UnfinishedNightAlert.objects.select_for_update().filter(
        sent_at__gte=now - REMEMBER_ALERTS_FOR
    )
    return {run_id for run_ids in alerts.values_list("run_ids", flat=True) for run_id in run_ids}


def _send(new: list[OverdueRun], overdue_total: int) -> None:
    mail_admins(
        f"{len(new)} backup runs did not finish in their night",
        unfinished_night_message(new, overdue_total),
    )


def unfinished_night_message(new: list[OverdueRun], overdue_total: int) -> str:
    lines = [
        f"{len(new)} scheduled backup runs were still queued or running when their night "
        f"window ended ({overdue_total} such runs in all, counting ones reported before).",
        "",
        "What to check: are the workers up and consuming the 'celery' queue, is Google "
        "answering (Drive 5xx, rate limits), is the night's backlog larger than the workers "
        "can do (runs queued for long)? See the README's Operating section.",
        "",
        "Run id | integration | night | status | window ended (UTC)",
    ]
    for run in new[:LISTED_RUNS]:
        lines.append(
            f"{run.run_id} | {run.integration_id} | {run.night.isoformat()} | {run.status} | "
            f"{run.window_end.astimezone(UTC):%Y-%m-%d %H:%M}"
        )
    if len(new) > LISTED_RUNS:
        lines.append(f"... and {len(new) - LISTED_RUNS} more.")
    lines += ["", f"Admin: {settings.SITE_URL.rstrip('/')}/admin/integrations/backuprun/"]
    return "\n".join(lines)
