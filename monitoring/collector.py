"""Metrics read from the database when Prometheus scrapes, so every process reports the same.

Runs queued and running, tonight's runs by status, runs not finished by the end of their night,
the age of the oldest due integration whose run has not started, beat's last dispatcher pass and
integrations by state. Exposed once, by the web process's /metrics (the worker exporter leaves
them out, or every target would repeat them).
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from datetime import datetime

from django.db import DatabaseError
from django.utils import timezone
from prometheus_client.core import GaugeMetricFamily
from prometheus_client.registry import Collector

from integrations import night_report
from monitoring.heartbeats import last_dispatcher_pass

logger = logging.getLogger(__name__)


class DatabaseCollector(Collector):
    def __init__(self, now: datetime | None = None) -> None:
        self.now = now

    def collect(self) -> Iterator[GaugeMetricFamily]:
        now = self.now or timezone.now()
        try:
            families = list(self._families(now))
        except DatabaseError:
            logger.exception("Metrics: the database could not be read")
            families = []
        up = GaugeMetricFamily(
            "drivebackup_database_up",
            "1 when the database-derived metrics could be read at this scrape, 0 when not.",
            value=1 if families else 0,
        )
        return iter([*families, up])

    def _families(self, now: datetime) -> Iterator[GaugeMetricFamily]:
        active = GaugeMetricFamily(
            "drivebackup_runs_active",
            "Backup runs (scheduled and manual) queued or running now, by status.",
            labels=["status"],
        )
        for status, count in night_report.active_runs_by_status().items():
            active.add_metric([status], count)
        yield active

        tonight = GaugeMetricFamily(
            "drivebackup_night_runs",
            "Scheduled runs of each integration's current night (the night window that began "
            "last in its time zone), by status.",
            labels=["status"],
        )
        for status, count in night_report.tonight_runs_by_status(now).items():
            tonight.add_metric([status], count)
        yield tonight

        yield GaugeMetricFamily(
            "drivebackup_night_runs_overdue",
            "Scheduled runs still queued or running after their night window ended.",
            value=len(night_report.overdue_runs(now)),
        )
        yield GaugeMetricFamily(
            "drivebackup_night_integrations_without_run",
            "Integrations whose current night window ended without a scheduled run for it.",
            value=len(night_report.integrations_without_run(now)),
        )
        yield GaugeMetricFamily(
            "drivebackup_oldest_due_integration_age_seconds",
            "Seconds since the scheduled start of the integration that has waited longest for "
            "tonight's run to start (0 when none waits).",
            value=night_report.oldest_due_unstarted_age(now).total_seconds(),
        )
        last_pass = last_dispatcher_pass()
        yield GaugeMetricFamily(
            "drivebackup_dispatcher_last_pass_timestamp_seconds",
            "Unix time of the end of beat's last successful dispatcher pass (0: none recorded).",
            value=last_pass.timestamp() if last_pass else 0,
        )
        states = GaugeMetricFamily(
            "drivebackup_integrations",
            "Google Drive integrations by state: connected (last run fine), failing (connected, "
            "last run failed), access_lost, not_connected.",
            labels=["state"],
        )
        for state, count in night_report.integrations_by_state().items():
            states.add_metric([state], count)
        yield states
