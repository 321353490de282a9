"""Figures 3 and 4: a whole night of backups through the dispatcher, Redis and real workers.

The bench plays Celery beat: one dispatcher pass at 05:30 (the merchants' local time) of the
last night that has ended, when every integration's start moment has come, queues one run
per merchant at once — the densest a night can get. The workers are ``celery worker``
processes started as production starts them; the fake Google answers with 20 ms latency and
enforces 3 writes/s per account (403 userRateLimitExceeded beyond its burst).
"""

from __future__ import annotations

import bisect
import datetime as dt
import math
import os
import time
from collections import Counter
from dataclasses import dataclass
from typing import Any
from zoneinfo import ZoneInfo

import requests
from django.db import connection
from django.db.models import Max
from django.utils import timezone

from bench.harness import (
    FAKE_LATENCY_MS,
    Child,
    NamedProcesses,
    PoolChoice,
    cpu_seconds_of_processes_named,
    has_runnable_thread,
    machine_busy_seconds,
    machine_idle_seconds,
    print_step,
    start_workers,
    tree_runqueue_wait_seconds,
)
from integrations import dispatcher
from integrations.models import DEFAULT_TIME_ZONE, BackupRun, GoogleDriveIntegration

FINISHED = (BackupRun.Status.SUCCEEDED, BackupRun.Status.PARTIAL, BackupRun.Status.FAILED)
GOOGLE_WRITES_PER_SECOND = 3.0
NIGHT_TIMEOUT_S = 1800.0
PROGRESS_EVERY_S = 15.0
# How often the bench asks the database whether the night is over, and how often it looks at
# the workers' threads. The end is read from the runs' own stamps, so asking less often changes
# no figure; it only takes less of the CPU the night is judged on.
FINISHED_POLL_S = 2.0
DEMAND_SAMPLE_S = 0.2
# Drive endpoints whose requests take a token of the per-user write limit (the fake's
# counter names; resumable chunk PUTs do not count, as at Google).
WRITE_ENDPOINT_PREFIXES = (
    "drive.files.create",
    "drive.files.update",
    "drive.files.delete",
    "drive.files.emptyTrash",
    "drive.files.copy",
    "upload.create",
    "upload.update",
)
DRIVE_ENDPOINT_PREFIXES = ("drive.", "upload.")


# --- The fake's side --------------------------------------------------------------------------


class FakeGoogleControl:
    """The fake's control API (``/_fake``): knobs, counters, files."""

    def __init__(self, url: str) -> None:
        self.url = url

    def configure(self, **knobs: Any) -> dict:
        answer = requests.post(f"{self.url}/_fake/config", json=knobs, timeout=30)
        answer.raise_for_status()
        return answer.json()

    def state(self) -> dict:
        answer = requests.get(f"{self.url}/_fake/state", timeout=120)
        answer.raise_for_status()
        return answer.json()


def counter_delta(before: dict, after: dict) -> dict[str, dict[str, int]]:
    delta: dict[str, dict[str, int]] = {}
    for endpoint, statuses in after.items():
        earlier = before.get(endpoint, {})
        changed = {s: n - earlier.get(s, 0) for s, n in statuses.items() if n - earlier.get(s, 0)}
        if changed:
            delta[endpoint] = changed
    return delta


def _total(counters: dict[str, dict[str, int]], prefixes: tuple[str, ...]) -> int:
    return sum(sum(s.values()) for e, s in counters.items() if e.startswith(prefixes))


def request_figures(counters: dict[str, dict[str, int]], files_uploaded: int) -> dict[str, Any]:
    """Figure 3 from the fake's counters of the night."""
    drive_requests = _total(counters, DRIVE_ENDPOINT_PREFIXES)
    writes = _total(counters, WRITE_ENDPOINT_PREFIXES)
    # 403 on a write is the per-user limit here (no quota or permission trouble is set up);
    # 429 is rateLimitExceeded wherever it comes.
    limited_403 = sum(
        s.get("403", 0) for e, s in counters.items() if e.startswith(WRITE_ENDPOINT_PREFIXES)
    )
    limited_429 = sum(s.get("429", 0) for s in counters.values())
    per_endpoint = {e: sum(s.values()) for e, s in counters.items()}
    uploads = _total(counters, ("upload.create", "upload.update"))
    return {
        "drive_requests": drive_requests,
        "oauth_requests": _total(counters, ("oauth.",)),
        "files_uploaded": files_uploaded,
        "requests_per_file": drive_requests / files_uploaded if files_uploaded else None,
        "upload_requests_per_file": uploads / files_uploaded if files_uploaded else None,
        "fixed_requests": drive_requests - uploads,
        "writes": writes,
        "rate_limited": limited_403 + limited_429,
        "rate_limited_share": (limited_403 + limited_429) / writes if writes else 0.0,
        "per_endpoint": per_endpoint,
        "by_status": counters,
    }


def writes_per_account(state: dict, emails: set[str]) -> dict[str, int]:
    """Files and folders our client created in each bench account (each one write)."""
    counts: Counter[str] = Counter()
    for file in state["files"]:
        if file.get("created_by_client") and file.get("owner") in emails:
            counts[file["owner"]] += 1
    return dict(counts)


# --- The night --------------------------------------------------------------------------------


def night_moment() -> dt.datetime:
    """05:30 of the last night that has ended, in the merchants' zone: after every start
    moment (0:00-5:00), and never ahead of the clock.

    Before 05:30 it is yesterday's: the dispatcher stamps the runs with this moment, and a
    moment still ahead would be a sign of life in the future to the take-over of a killed
    worker's runs, which reads the clock; the bench then waited for runs nobody took over.
    """
    zone = ZoneInfo(DEFAULT_TIME_ZONE)
    now = timezone.now().astimezone(zone)
    day = now.date() if now.time() >= dt.time(5, 30) else now.date() - dt.timedelta(days=1)
    return dt.datetime.combine(day, dt.time(5, 30), tzinfo=zone)


class DatabaseCpu:
    """CPU of the PostgreSQL backends serving the bench's database (sampled: they come and go).

    A backend's CPU is read while it lives; one that ends between two samples loses at most
    a second of its (mostly idle) last moments. Zero on SQLite, which runs inside the workers.
    """

    def __init__(self) -> None:
        name = connection.settings_dict["NAME"]
        self.backends = (
            NamedProcesses(f" {name} ", program="postgres")
            if connection.vendor == "postgresql"
            else None
        )
        self.baseline: dict[int, float] = {}
        self.latest: dict[int, float] = {}
        if self.backends:
            self.baseline = self.backends.cpu_seconds()
            self.latest = dict(self.baseline)

    def sample(self) -> None:
        if self.backends:
            self.latest.update(self.backends.cpu_seconds())

    def seconds(self) -> float:
        return sum(cpu - self.baseline.get(pid, 0.0) for pid, cpu in self.latest.items())


@dataclass
class Meter:
    """CPU-seconds of the workers, of the fake and of the whole machine, and wall time."""

    workers: list[Child]
    fake: Child

    def read(self) -> dict[str, float]:
        return {
            "workers_cpu_s": sum(w.cpu_seconds() for w in self.workers),
            "workers_runqueue_wait_s": sum(tree_runqueue_wait_seconds(w.pid) for w in self.workers),
            "fake_google_cpu_s": self.fake.cpu_seconds(),
            "machine_busy_cpu_s": machine_busy_seconds(),
            "machine_idle_cpu_s": machine_idle_seconds(),
            "bench_process_cpu_s": time.process_time(),
            "redis_cpu_s": sum(cpu_seconds_of_processes_named("redis-server").values()),
            "wall": time.perf_counter(),
        }


class DemandSampler:
    """How often each worker process had something for a CPU to do (a thread in state R).

    Independent of other users' load: a worker whose runs all wait for Google's pacing or the
    network has nothing runnable, and on a dedicated machine that time would be idle CPU.

    Each sample also notes the machine's idle CPU-seconds, so the idle of the night can be
    read up to the last run's end (``idle_until``) rather than up to the poll that saw it.
    """

    def __init__(self, workers: list[Child]) -> None:
        self.workers = workers
        self.samples = 0
        self.busy = 0
        self.idle_points: list[tuple[float, float]] = [(time.time(), machine_idle_seconds())]

    def sample(self) -> None:
        for worker in self.workers:
            self.samples += 1
            self.busy += has_runnable_thread(worker.pid)
        self.idle_points.append((time.time(), machine_idle_seconds()))

    def share(self) -> float | None:
        return self.busy / self.samples if self.samples else None

    def idle_until(self, moment: float) -> float:
        """The machine's idle CPU-seconds from the first sample to ``moment`` (epoch seconds),
        interpolated between the two samples around it; up to the last sample if later."""
        times = [t for t, _ in self.idle_points]
        after = bisect.bisect_left(times, moment)
        if after >= len(times):
            return self.idle_points[-1][1] - self.idle_points[0][1]
        if after == 0:
            return 0.0
        (t0, idle0), (t1, idle1) = self.idle_points[after - 1], self.idle_points[after]
        share = (moment - t0) / (t1 - t0) if t1 > t0 else 1.0
        return idle0 + share * (idle1 - idle0) - self.idle_points[0][1]


def idle_to_last_finish(usage: dict[str, float], demand: DemandSampler, run_ids: list[int]) -> None:
    """Count the machine's idle CPU up to the night's last run's end, as its wall time is.

    The bench sees the end only at its next poll; the cores idle in between belonged to no
    night. The idle of the whole measured stretch stays in ``machine_idle_cpu_s_to_poll``.
    """
    last = BackupRun.objects.filter(pk__in=run_ids).aggregate(last=Max("finished_at"))["last"]
    usage["machine_idle_cpu_s_to_poll"] = usage["machine_idle_cpu_s"]
    if last is not None:
        usage["machine_idle_cpu_s"] = min(
            usage["machine_idle_cpu_s"], demand.idle_until(last.timestamp())
        )


def celery_workers_answering() -> list[str]:
    """The Celery workers that answer a ping on the bench's broker, by node name (a name
    twice: two processes under one name). A night's figures count only the workers the bench
    started for it; any other one takes runs whose CPU nobody counts."""
    from backupsite.celery import app

    return sorted(name for reply in app.control.ping(timeout=1.0) for name in reply)


def wait_for_runs(
    run_ids: list[int],
    database: DatabaseCpu,
    demand: DemandSampler,
    timeout: float = NIGHT_TIMEOUT_S,
) -> bool:
    deadline = time.monotonic() + timeout
    next_report = time.monotonic() + PROGRESS_EVERY_S
    next_poll = time.monotonic()
    finished = 0
    while True:
        now = time.monotonic()
        if now >= next_poll:
            finished = BackupRun.objects.filter(pk__in=run_ids, status__in=FINISHED).count()
            database.sample()
            if finished == len(run_ids):
                return True
            next_poll = now + FINISHED_POLL_S
        if now > deadline:
            return False
        demand.sample()
        if now >= next_report:
            print_step(f"night: {finished}/{len(run_ids)} runs finished")
            next_report = now + PROGRESS_EVERY_S
        time.sleep(DEMAND_SAMPLE_S)


def start_night_workers(
    fake_url: str, workers_count: int, pool: PoolChoice, children: list[Child]
) -> list[Child]:
    """The worker processes of the nights, added to ``children`` for the caller to stop."""
    FakeGoogleControl(fake_url).configure(latency_ms=FAKE_LATENCY_MS, write_limit=True)
    workers = start_workers(workers_count, pool)
    children.extend(workers)
    time.sleep(1.0)  # let the workers' start-up CPU settle before the first baseline
    return workers


def run_night(
    integrations: list[GoogleDriveIntegration],
    fake: Child,
    fake_url: str,
    workers: list[Child],
    pool: PoolChoice,
    moment: dt.datetime | None = None,
) -> dict[str, Any]:
    """Queue one run per integration for the night of ``moment``, let the workers do them,
    measure."""
    control = FakeGoogleControl(fake_url)
    meter = Meter(workers, fake)
    state_before = control.state()
    answering = celery_workers_answering()
    database = DatabaseCpu()
    demand = DemandSampler(workers)
    before = meter.read()
    started_at = timezone.now()
    report = dispatcher.dispatch(moment or night_moment())
    all_done = wait_for_runs(report.created, database, demand)
    after = meter.read()
    usage = {**{k: after[k] - before[k] for k in after}, "database_cpu_s": database.seconds()}
    idle_to_last_finish(usage, demand, report.created)
    state = control.state()
    figures = night_summary(
        run_ids=report.created,
        integrations=integrations,
        all_done=all_done,
        started_at=started_at,
        usage=usage,
        states=(state_before, state),
        workers_count=len(workers),
        pool=pool,
    )
    figures["celery_workers_answering"] = answering
    figures["fake_google_peak_concurrency"] = state.get("peak_concurrency")
    figures["workers_runnable_share"] = demand.share()
    figures["workers_runnable_samples"] = demand.samples
    return figures


def night_summary(
    *,
    run_ids: list[int],
    integrations: list[GoogleDriveIntegration],
    all_done: bool,
    started_at: dt.datetime,
    usage: dict[str, float],
    states: tuple[dict, dict],
    workers_count: int,
    pool: PoolChoice,
) -> dict[str, Any]:
    """The night's figures from its runs, the CPU used and the fake's state before and after."""
    before, after = states
    emails = {i.google_email for i in integrations}
    writes_before = writes_per_account(before, emails)
    return summarize(
        runs=list(BackupRun.objects.filter(pk__in=run_ids)),
        expected=len(integrations),
        all_done=all_done,
        started_at=started_at,
        usage=usage,
        counters=counter_delta(before["counters"], after["counters"]),
        account_writes={
            email: count - writes_before.get(email, 0)
            for email, count in writes_per_account(after, emails).items()
        },
        workers_count=workers_count,
        pool=pool,
    )


def summarize(
    *,
    runs: list[BackupRun],
    expected: int,
    all_done: bool,
    started_at: dt.datetime,
    usage: dict[str, float],
    counters: dict[str, dict[str, int]],
    account_writes: dict[str, int],
    workers_count: int,
    pool: PoolChoice,
) -> dict[str, Any]:
    cores = os.cpu_count() or 1
    finished = [r for r in runs if r.finished_at]
    last_finish = max((r.finished_at for r in finished), default=timezone.now())
    # From the dispatcher's call to the last run's end, by the database's own stamps.
    wall = (last_finish - started_at).total_seconds()
    files = sum(r.files_uploaded for r in runs)
    cpu = usage["workers_cpu_s"]
    largest_account = max(account_writes.values(), default=0)
    bound_cpu = cpu / cores
    bound_writes = largest_account / GOOGLE_WRITES_PER_SECOND
    bound = max(bound_cpu, bound_writes)
    durations = sorted((r.finished_at - r.started_at).total_seconds() for r in finished)
    ours = (
        cpu
        + usage["fake_google_cpu_s"]
        + usage["database_cpu_s"]
        + usage["bench_process_cpu_s"]
        + usage["redis_cpu_s"]
    )
    # Had nobody else used the machine: the bench's own processes' CPU plus what stayed idle,
    # spread over the cores. An estimate for a shared machine, not a measurement.
    dedicated_wall = max((ours + usage["machine_idle_cpu_s"]) / cores, bound_writes)
    return {
        "merchants": expected,
        "runs_created": len(runs),
        "all_finished": all_done,
        "runs_by_status": dict(Counter(r.status for r in runs)),
        "run_errors": [e for r in runs for e in r.errors][:20],
        "workers": workers_count,
        "pool": pool.pool,
        "concurrency": pool.concurrency,
        "pool_source": pool.source,
        "cores": cores,
        "wall_s": wall,
        "measured_wall_s": usage["wall"],
        "workers_cpu_s": cpu,
        "fake_google_cpu_s": usage["fake_google_cpu_s"],
        "database_cpu_s": usage["database_cpu_s"],
        "workers_runqueue_wait_s": usage["workers_runqueue_wait_s"],
        "machine_busy_cpu_s": usage["machine_busy_cpu_s"],
        "machine_idle_cpu_s": usage["machine_idle_cpu_s"],
        "machine_idle_cpu_s_to_poll": usage.get("machine_idle_cpu_s_to_poll"),
        "bench_process_cpu_s": usage["bench_process_cpu_s"],
        # Shared: other people's tests use other databases of the same server.
        "redis_cpu_s": usage["redis_cpu_s"],
        # Everything else that ran on the machine meanwhile: other people's work.
        "other_cpu_s": usage["machine_busy_cpu_s"]
        - cpu
        - usage["fake_google_cpu_s"]
        - usage["database_cpu_s"]
        - usage["bench_process_cpu_s"]
        - usage["redis_cpu_s"],
        "files_uploaded": files,
        "bytes_uploaded": sum(r.bytes_uploaded for r in runs),
        "invoices_uploaded": sum(r.invoices_uploaded for r in runs),
        "receipts_uploaded": sum(r.receipts_uploaded for r in runs),
        "orders_exported": sum(r.orders_exported for r in runs),
        "run_seconds": {
            "min": durations[0] if durations else None,
            "median": durations[len(durations) // 2] if durations else None,
            "max": durations[-1] if durations else None,
        },
        "largest_account_writes": largest_account,
        "writes_per_account_mean": (
            sum(account_writes.values()) / len(account_writes) if account_writes else 0
        ),
        "lower_bound": {
            "cpu_s_over_cores": bound_cpu,
            "largest_account_writes_over_3_per_s": bound_writes,
            "bound_s": bound,
            "formula": "max(worker CPU-s / cores, largest account's writes / 3 per s)",
        },
        "wall_over_bound": wall / bound if bound else None,
        "dedicated_machine_estimate": {
            "wall_s": dedicated_wall,
            "wall_over_bound": dedicated_wall / bound if bound else None,
            "formula": "(CPU-s of workers, fake_google, PostgreSQL backends, Redis and the "
            "bench + idle CPU-s) / cores",
        },
        "requests": request_figures(counters, files),
    }


# --- Projection -------------------------------------------------------------------------------

PROJECTION_MERCHANTS = 10_000
PROJECTION_WINDOW_S = 6 * 3600


def projection(night: dict[str, Any], merchants: int = PROJECTION_MERCHANTS) -> dict[str, Any]:
    """Workers needed for ``merchants`` in a 6-hour night, from this night's measured rates.

    One worker process per core, as measured here. The CPU part scales with merchants; the
    write limit is per Google account, so it does not add up across merchants: it only sets
    how many runs each worker must keep in flight so that paced uploads never leave a core idle
    (Little's law: runs in flight = run rate x run duration).
    """
    cores = night["cores"]
    done = max(1, night["runs_created"])
    cpu_per_merchant = night["workers_cpu_s"] / done
    # The share of the CPU left to them that the workers used: CPU-s / (CPU-s + the machine's
    # idle CPU-s). On a shared machine, the CPU others took is not the design's loss; on a
    # dedicated one this is what a worker can count on.
    cpu, idle = night["workers_cpu_s"], night["machine_idle_cpu_s"]
    utilisation = cpu / (cpu + idle) if cpu + idle > 0 else 1.0
    worker_cpu_s_needed = merchants * cpu_per_merchant
    worker_capacity_s = PROJECTION_WINDOW_S * utilisation
    workers = math.ceil(worker_cpu_s_needed / worker_capacity_s)
    writes_per_merchant = night["requests"]["writes"] / done
    paced_s_per_merchant = night["largest_account_writes"] / GOOGLE_WRITES_PER_SECOND
    runs_in_flight_per_worker = math.ceil(paced_s_per_merchant / cpu_per_merchant) + 1
    return {
        "merchants": merchants,
        "window_s": PROJECTION_WINDOW_S,
        "cpu_s_per_merchant": cpu_per_merchant,
        "utilisation_measured": utilisation,
        "utilisation_of_whole_cores": cpu / (night["wall_s"] * night["workers"]),
        "writes_per_merchant": writes_per_merchant,
        "worker_processes": workers,
        "machines_like_this": math.ceil(workers / cores),
        "runs_in_flight_per_worker_needed": runs_in_flight_per_worker,
        "arithmetic": (
            f"ceil({merchants} x {cpu_per_merchant:.2f} CPU-s / "
            f"({PROJECTION_WINDOW_S} s x {utilisation:.2f} utilisation)) = {workers} worker "
            f"processes (one per core) = {math.ceil(workers / cores)} machine(s) of {cores} cores; "
            f"each account's {writes_per_merchant:.0f} writes take >= "
            f"{paced_s_per_merchant:.0f} s at 3/s, so each worker needs >= "
            f"ceil({paced_s_per_merchant:.0f} / {cpu_per_merchant:.2f}) + 1 = "
            f"{runs_in_flight_per_worker} runs in flight"
        ),
    }
