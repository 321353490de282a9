"""``python -m bench.profile_run``: where one merchant's run spends its CPU.

One night-sized merchant (bench.dataset.NightSizes), connected to a fake_google subprocess,
backed up in this process by ``execute_run`` under cProfile with a CPU clock (waits for the
write pacer or the network do not count). Prints CPU-seconds by library and the top functions.
"""

from __future__ import annotations

import argparse
import cProfile
import pstats
import sys
import time
from collections import defaultdict

from bench import harness

# Not the bench's own: profiling must not disturb a `make bench` running meanwhile.
PROFILE_DATABASE_NAME = "drivebackup_bench_profile"
PROFILE_REDIS_URL = "redis://127.0.0.1:6379/11"

# Path fragments → area, first match wins; self time of each function is added to its area.
AREAS = (
    ("weasyprint", "WeasyPrint (layout, styles, PDF)"),
    ("fontTools", "fontTools (font subsetting)"),
    ("pypdf", "pypdf (splitting the batch)"),
    ("tinycss2", "WeasyPrint (layout, styles, PDF)"),
    ("cssselect2", "WeasyPrint (layout, styles, PDF)"),
    ("pydyf", "WeasyPrint (layout, styles, PDF)"),
    ("googleapiclient", "Google client (googleapiclient, httplib2, auth)"),
    ("httplib2", "Google client (googleapiclient, httplib2, auth)"),
    ("google/auth", "Google client (googleapiclient, httplib2, auth)"),
    ("google_auth", "Google client (googleapiclient, httplib2, auth)"),
    ("oauthlib", "Google client (googleapiclient, httplib2, auth)"),
    ("django/template", "Django templates (print HTML)"),
    ("django/db", "Django ORM + database driver"),
    ("psycopg", "Django ORM + database driver"),
    ("sqlite3", "Django ORM + database driver"),
    ("redis", "Redis (locks, write pacing)"),
    ("documents/", "documents/ (our rendering and CSV code)"),
    ("integrations/", "integrations/ (our backup code)"),
    ("email/", "Python stdlib: email (multipart bodies)"),
    ("json/", "Python stdlib: json"),
    ("socket", "Python stdlib: sockets, ssl, http"),
    ("http/", "Python stdlib: sockets, ssl, http"),
)


def area_of(filename: str) -> str:
    for fragment, area in AREAS:
        if fragment in filename:
            return area
    if filename.startswith("~") or filename.startswith("<"):
        return "builtins (C functions)"
    return "other Python"


def cpu_by_area(stats: pstats.Stats) -> dict[str, float]:
    areas: dict[str, float] = defaultdict(float)
    for (filename, _line, _name), (_cc, _nc, tottime, _ct, _callers) in stats.stats.items():  # type: ignore[attr-defined]
        areas[area_of(filename)] += tottime
    return dict(sorted(areas.items(), key=lambda pair: -pair[1]))


# What a run's CPU goes to, by the (cumulative) time of the functions doing each step.
STEPS = (
    ("documents/pdf.py", "render_pdfs", "PDFs: render_pdfs"),
    ("documents/csv_export.py", "write_orders_csv", "orders CSV: write_orders_csv"),
    ("integrations/google/client.py", "upload", "uploads: DriveClient.upload"),
    ("integrations/engine/folders.py", "folder_id", "folders: FolderTree.folder_id"),
    ("integrations/google/client.py", "refresh_access_token", "token refresh"),
    ("documents/pdf.py", "document_fingerprint", "fingerprints"),
)


def cpu_by_step(stats: pstats.Stats) -> dict[str, float]:
    steps: dict[str, float] = defaultdict(float)
    for (filename, _line, name), (_cc, _nc, _tt, cumtime, _callers) in stats.stats.items():  # type: ignore[attr-defined]
        for path, function, label in STEPS:
            if filename.endswith(path) and name == function:
                steps[label] += cumtime
    return dict(sorted(steps.items(), key=lambda pair: -pair[1]))


@harness.one_at_a_time(PROFILE_REDIS_URL, PROFILE_DATABASE_NAME)
def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.profile_run", description=__doc__)
    parser.add_argument("--top", type=int, default=25)
    args = parser.parse_args(argv)
    children: list[harness.Child] = []
    try:
        database_url = harness.fresh_database_url(PROFILE_DATABASE_NAME)
        harness.flush_redis(PROFILE_REDIS_URL)
        fake, fake_url = harness.start_fake_google(log_name="fake_google-profile")
        children.append(fake)
        harness.prepare_environment(database_url, fake_url, PROFILE_REDIS_URL)
        import django

        django.setup()
        profile_one_run(args.top)
    finally:
        harness.stop_all(children)
    return 0


def profile_one_run(top: int) -> None:
    from django.utils import timezone

    from bench import dataset
    from integrations.engine.run import execute_run
    from integrations.models import BackupRun

    dataset.migrate()
    (merchant,) = dataset.seed_night_merchants(1, dataset.NightSizes(), timezone.now())
    (integration,) = dataset.connect_all([merchant])
    run = BackupRun.objects.create(integration=integration, trigger=BackupRun.Trigger.MANUAL)
    profiler = cProfile.Profile(time.process_time)
    wall = time.perf_counter()
    profiler.enable()
    outcome = execute_run(run.pk)
    profiler.disable()
    wall = time.perf_counter() - wall
    run.refresh_from_db()
    stats = pstats.Stats(profiler)
    total = sum(cpu_by_area(stats).values())
    print(
        f"execute_run: {outcome.status}, {run.files_uploaded} files, "
        f"{run.drive_calls} Drive calls, {wall:.1f} s wall, {total:.2f} CPU-s (profiled)"
    )
    print("By step (cumulative CPU, profiler overhead included):")
    for step, seconds in cpu_by_step(stats).items():
        print(f"  {seconds:7.2f} s  {100 * seconds / total:5.1f} %  {step}")
    print("By library (self CPU; C functions on their own line):")
    for area, seconds in cpu_by_area(stats).items():
        print(f"  {seconds:7.2f} s  {100 * seconds / total:5.1f} %  {area}")
    stats.sort_stats("cumulative").print_stats(top)


if __name__ == "__main__":
    sys.exit(main())
