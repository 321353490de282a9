"""``python -m bench.dispatch``: one dispatcher pass over many connected integrations.

In its own PostgreSQL database (created, then dropped at the end): 100,000 connected
integrations (each with its merchant), of which 1 % are due, i.e. their start moment of
tonight has passed and tonight's run does not exist yet. One pass of the dispatcher
(`integrations.dispatcher.dispatch`: claim the due rows, make their runs, move next_run_at on,
look for stalled runs) is timed, then a second pass that finds nothing due. Runs are handed to
a recording `enqueue` rather than to Redis: the figure is the database's work.
Prints the figures and writes them as JSON to bench/results/dispatch-<timestamp>.json.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import statistics
import sys
import time
from pathlib import Path
from typing import Any

from bench import harness

DB_NAME = "drivebackup_bench_dispatch"
# 05:00 in Warsaw: every start of the night (00:00-05:00, the last hour kept free) has passed.
NOW = dt.datetime(2026, 11, 24, 4, 0, tzinfo=dt.UTC)
ZONE = "Europe/Warsaw"
BATCH = 5000


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m bench.dispatch", description=__doc__)
    parser.add_argument("--integrations", type=int, default=100_000)
    parser.add_argument("--due-share", type=float, default=0.01)
    parser.add_argument("--repeat", type=int, default=3, help="passes timed (fresh state each)")
    parser.add_argument("--json-out", type=Path, default=None)
    parser.add_argument("--keep-database", action="store_true")
    return parser.parse_args(argv)


@harness.one_at_a_time(DB_NAME)
def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    if not harness.postgres_available():
        print("This benchmark needs PostgreSQL at 127.0.0.1:5432.", file=sys.stderr)
        return 2
    url = harness.timed_step(
        f"fresh database {DB_NAME}", lambda: harness.recreate_postgres_database(DB_NAME)
    )
    harness.prepare_environment(url, "http://127.0.0.1:9")
    try:
        import django

        django.setup()
        from django.core.management import call_command

        harness.timed_step("migrate", lambda: call_command("migrate", verbosity=0))
        due = harness.timed_step(
            f"{args.integrations:,} integrations",
            lambda: populate(args.integrations, args.due_share),
        )
        figures = measure(due, args.repeat)
    finally:
        from django.db import connections

        connections.close_all()
        if not args.keep_database:
            drop_database()
    figures["integrations"] = args.integrations
    payload = {
        "benchmark": "dispatch",
        "machine": harness.machine_info(),
        "figures": figures,
        "target": {"pass_seconds_below": 1.0},
    }
    out = args.json_out or harness.DEFAULT_RESULTS_DIR / (
        f"dispatch-{dt.datetime.now():%Y%m%d-%H%M%S}.json"
    )
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(payload, indent=2, default=str) + "\n")
    print(report(figures), f"\nJSON: {out}", sep="\n")
    return 0


def populate(count: int, due_share: float) -> list[int]:
    """Connected integrations; every 1/due_share-th one is due at NOW. The due ids."""
    due: list[int] = []
    for made in harness.scheduled_integrations(count, due_share, NOW, ZONE, BATCH):
        due += [integration.pk for integration, _, is_due in made if is_due]
    analyze()
    return due


def measure(due: list[int], repeat: int) -> dict[str, Any]:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from integrations import dispatcher
    from integrations.models import BackupRun, GoogleDriveIntegration

    starts = dict(
        GoogleDriveIntegration.objects.filter(pk__in=due).values_list("pk", "next_run_at")
    )
    passes: list[float] = []
    quiet: list[float] = []
    created = queries = 0
    for _ in range(repeat):
        queued: list[int] = []
        with CaptureQueriesContext(connection) as captured:
            began = time.perf_counter()
            report = dispatcher.dispatch(NOW, enqueue=queued.append)
            passes.append(time.perf_counter() - began)
        created, queries = len(report.created), len(captured)
        assert len(queued) == created == len(due), (len(queued), created, len(due))
        began = time.perf_counter()
        assert not dispatcher.dispatch(NOW, enqueue=queued.append).created
        quiet.append(time.perf_counter() - began)
        # The same night again: the runs go, the due rows are due again.
        BackupRun.objects.all().delete()
        GoogleDriveIntegration.objects.bulk_update(
            [GoogleDriveIntegration(pk=pk, next_run_at=at) for pk, at in starts.items()],
            ["next_run_at"],
            batch_size=BATCH,
        )
        analyze()
    return {
        "due": len(due),
        "runs_created": created,
        "queries_per_pass": queries,
        "pass_seconds": passes,
        "pass_seconds_median": statistics.median(passes),
        "pass_seconds_max": max(passes),
        "quiet_pass_seconds_median": statistics.median(quiet),
        "result": "pass" if max(passes) < 1.0 else "FAIL",
    }


def analyze() -> None:
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")


def drop_database() -> None:
    import psycopg
    from psycopg import sql

    with psycopg.connect(f"{harness.PG_SERVER_URL}/postgres", autocommit=True) as conn:
        conn.execute(
            sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(DB_NAME))
        )


def report(figures: dict[str, Any]) -> str:
    return "\n".join(
        [
            f"Dispatcher pass over {figures['integrations']:,} connected integrations, "
            f"{figures['due']:,} due:",
            f"  {figures['runs_created']:,} runs created in "
            f"{figures['pass_seconds_median']:.3f} s (median of "
            f"{len(figures['pass_seconds'])}; max {figures['pass_seconds_max']:.3f} s), "
            f"{figures['queries_per_pass']:,} queries",
            f"  a pass with nothing due: {figures['quiet_pass_seconds_median'] * 1000:.1f} ms",
            f"  target < 1 s: {figures['result']}",
        ]
    )


if __name__ == "__main__":
    raise SystemExit(main())
