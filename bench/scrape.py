"""``python -m bench.scrape``: what one /metrics scrape costs the database at many integrations.

In its own SQLite file under var/bench (made afresh, deleted at the end): N connected
integrations in Warsaw, each with last night's run, and tonight's scheduled run made for all
but a share that still waits for the dispatcher (their next_run_at still at their start).
The database collector (monitoring.collector) is timed at two moments: 05:00 in Warsaw, during
the night (who has waited longest), and 07:30, after it (who got no run that night), with the
queries each collect() sent. Prints the figures; no JSON.
"""

from __future__ import annotations

import argparse
import datetime as dt
import statistics
import time
from typing import Any

from bench import harness

DB_NAME = "drivebackup_bench_scrape"
ZONE = "Europe/Warsaw"
# 05:00 in Warsaw: every start of the night (00:00-05:00) has come; 07:30: the night is over.
DURING = dt.datetime(2026, 11, 24, 4, 0, tzinfo=dt.UTC)
AFTER = dt.datetime(2026, 11, 24, 6, 30, tzinfo=dt.UTC)
BATCH = 5000


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m bench.scrape", description=__doc__)
    parser.add_argument("--integrations", type=int, default=20_000)
    parser.add_argument("--waiting-share", type=float, default=0.01)
    parser.add_argument("--repeat", type=int, default=5)
    return parser.parse_args(argv)


@harness.one_at_a_time(DB_NAME)
def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    url = harness.recreate_sqlite_database(DB_NAME)
    harness.prepare_environment(url, "http://127.0.0.1:9")
    import django

    django.setup()
    from django.core.management import call_command

    harness.timed_step("migrate", lambda: call_command("migrate", verbosity=0))
    waiting = harness.timed_step(
        f"{args.integrations:,} integrations",
        lambda: populate(args.integrations, args.waiting_share),
    )
    figures = {
        moment: measure(at, args.repeat) for moment, at in (("during", DURING), ("after", AFTER))
    }
    print(f"Database collector over {args.integrations:,} integrations, {waiting:,} waiting:")
    for moment, figure in figures.items():
        print(
            f"  {moment} the night: {figure['median_ms']:.1f} ms a scrape (median of "
            f"{args.repeat}; max {figure['max_ms']:.1f} ms), {figure['queries']} queries; "
            f"oldest due {figure['oldest_due_s']:.0f} s, without run {figure['without_run']:.0f}"
        )
        print(f"    by function (ms): {figure['parts_ms']}")
    harness.recreate_sqlite_database(DB_NAME)
    return 0


def populate(count: int, waiting_share: float) -> int:
    """The integrations and their runs; returns how many wait for tonight's run."""
    from integrations.models import BackupRun

    waiting = 0
    for made in harness.scheduled_integrations(count, waiting_share, DURING, ZONE, BATCH):
        waiting += sum(1 for _, _, due in made if due)
        runs = [
            BackupRun(
                integration=integration,
                trigger=BackupRun.Trigger.SCHEDULED,
                night=day,
                status=BackupRun.Status.SUCCEEDED,
                started_at=DURING,
                finished_at=DURING,
            )
            for integration, night, due in made
            for day in (
                [night - dt.timedelta(days=1)] if due else [night - dt.timedelta(days=1), night]
            )
        ]
        BackupRun.objects.bulk_create(runs, batch_size=BATCH)
    return waiting


def measure(at: dt.datetime, repeat: int) -> dict[str, Any]:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from monitoring.collector import DatabaseCollector

    timings: list[float] = []
    for _ in range(repeat):
        with CaptureQueriesContext(connection) as captured:
            began = time.perf_counter()
            families = {f.name: f for f in DatabaseCollector(now=at).collect()}
            timings.append(time.perf_counter() - began)

    from integrations import night_report

    parts = {}
    for name in (
        "tonight_runs_by_status",
        "overdue_runs",
        "integrations_without_run",
        "oldest_due_unstarted_age",
    ):
        began = time.perf_counter()
        getattr(night_report, name)(at)
        parts[name] = round((time.perf_counter() - began) * 1000, 1)
    for name in ("active_runs_by_status", "integrations_by_state"):
        began = time.perf_counter()
        getattr(night_report, name)()
        parts[name] = round((time.perf_counter() - began) * 1000, 1)

    def value(name: str) -> float:
        return families[name].samples[0].value

    return {
        "median_ms": statistics.median(timings) * 1000,
        "max_ms": max(timings) * 1000,
        "queries": len(captured),
        "parts_ms": parts,
        "oldest_due_s": value("drivebackup_oldest_due_integration_age_seconds"),
        "without_run": value("drivebackup_night_integrations_without_run"),
    }


if __name__ == "__main__":
    raise SystemExit(main())
