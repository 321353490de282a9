"""Figure 5: a regular night at scale, measured, with a worker SIGKILLed halfway.

For each size (100 and 1,000 merchants by default) the bench seeds that many merchants with a
day's documents each (2 invoices, 1 receipt, the orders CSV of 200 orders) and the state their
first night left in Drive (the month's folders, a pool of reserved ids), starts two worker
processes as the Procfile starts them, and plays Celery beat for one night. When half of the
runs have finished it SIGKILLs the first worker (no warm shutdown, no acknowledgement) and
starts it again. Beat's take-over of the dead worker's runs is compressed: a run silent for
STALLED_AFTER_S real seconds stands for one silent for ``stalled_run_seconds()``, and its lock
is expired as its TTL would have expired it (as
tests/integrations/workers/test_worker_trouble.py does).

Afterwards the fake's Drive is read back: every document must be there exactly once
(``lost``, ``duplicates``), and every worker process's peak resident memory (VmHWM) is
reported, to show that it does not grow with the number of merchants.
"""

from __future__ import annotations

import datetime as dt
import os
import signal
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from django.conf import settings
from django.db import connection
from django.utils import timezone

from bench.harness import (
    FAKE_LATENCY_MS,
    Child,
    PoolChoice,
    cpu_seconds_of_processes_named,
    machine_busy_seconds,
    machine_idle_seconds,
    print_step,
    start_workers,
    timed_step,
    tree_runqueue_wait_seconds,
)
from bench.night import (
    DEMAND_SAMPLE_S,
    FINISHED,
    FINISHED_POLL_S,
    DatabaseCpu,
    DemandSampler,
    FakeGoogleControl,
    celery_workers_answering,
    idle_to_last_finish,
    night_moment,
    night_summary,
)
from documents import demo
from documents.models import Invoice, Receipt
from integrations import dispatcher
from integrations.engine.drive_ids import DriveIdPool
from integrations.engine.folders import FolderTree, folder_for
from integrations.engine.locking import KEY_PREFIX as LOCK_KEY_PREFIX
from integrations.google.client import DriveClient
from integrations.google.oauth import credentials_from_refresh_token
from integrations.google.pacing import redis_client
from integrations.models import BackedUpFile, BackupRun, GoogleDriveIntegration
from integrations.selection import documents_since

DEFAULT_SIZES = (100, 1000)
# A worker's runs write a heartbeat at least every 10 s: three missed ones mean it is dead.
STALLED_AFTER_S = 30.0
BEAT_EVERY_S = 5.0
SCALE_TIMEOUT_S = 3600.0
PROGRESS_EVERY_S = 30.0
# The other sections' merchants come first; these indexes are far from theirs.
FIRST_INDEX = 100_000


@dataclass(frozen=True)
class DaySizes:
    """A regular night's work per merchant: a day's documents and the orders CSV."""

    orders: int = 200
    invoices: int = 2
    receipts: int = 1

    def seed_arguments(self) -> dict[str, int]:
        return {
            "orders": self.orders,
            "orders_in_window": self.orders,
            "invoices": self.invoices,
            "invoices_this_month": self.invoices,
            "receipts": self.receipts,
            "receipts_this_month": self.receipts,
            "months": 0,
            "api_invoices": 0,
            "external_invoices": 0,
        }


# --- Set-up -----------------------------------------------------------------------------------


def seed_merchants(count: int, first_index: int, now: dt.datetime, sizes: DaySizes):
    return demo.seed(merchants=count, first_index=first_index, now=now, **sizes.seed_arguments())


def leave_first_night_state(
    integrations: list[GoogleDriveIntegration], moment: dt.datetime
) -> None:
    """What an earlier night left: the month's folders made and cached, a pool of ids, the
    start date (S9) fixed. Made by the engine's own classes, unpaced: it is set-up."""
    paths = [folder_for(kind, moment.date()) for kind in BackedUpFile.Kind.values]
    for integration in integrations:
        client = DriveClient(credentials_from_refresh_token(integration.refresh_token))
        client.refresh_access_token()
        account = integration.google_account_key
        ids = DriveIdPool(client, integration, account)
        tree = FolderTree(client, integration, account, ids)
        for path in paths:
            tree.folder_id(path)
        documents_since(integration, moment.date())


# --- Measuring the workers --------------------------------------------------------------------


def peak_rss_mib(pid: int) -> float | None:
    """The process's peak resident memory so far (VmHWM), in MiB."""
    try:
        text = Path(f"/proc/{pid}/status").read_text()
    except OSError:
        return None
    for line in text.splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return None


@dataclass
class WorkerWatch:
    """CPU and peak memory of every worker process of the night, killed ones included."""

    workers: list[Child]
    cpu_before: dict[int, float] = field(default_factory=dict)
    cpu_last: dict[int, float] = field(default_factory=dict)
    wait_before: dict[int, float] = field(default_factory=dict)
    wait_last: dict[int, float] = field(default_factory=dict)
    peak_rss: dict[int, float] = field(default_factory=dict)

    def __post_init__(self) -> None:
        for worker in self.workers:
            self.add(worker, baseline=True)

    def add(self, worker: Child, *, baseline: bool) -> None:
        if worker not in self.workers:
            self.workers.append(worker)
        # A worker started during the night counts from its start, start-up included.
        self.cpu_before[worker.pid] = worker.cpu_seconds() if baseline else 0.0
        self.wait_before[worker.pid] = tree_runqueue_wait_seconds(worker.pid) if baseline else 0
        self.sample()

    def sample(self) -> None:
        for worker in self.workers:
            if worker.process is None or worker.process.poll() is not None:
                continue
            self.cpu_last[worker.pid] = worker.cpu_seconds()
            self.wait_last[worker.pid] = tree_runqueue_wait_seconds(worker.pid)
            rss = peak_rss_mib(worker.pid)
            if rss is not None:
                self.peak_rss[worker.pid] = max(rss, self.peak_rss.get(worker.pid, 0.0))

    def cpu_seconds(self) -> float:
        return sum(cpu - self.cpu_before.get(pid, 0.0) for pid, cpu in self.cpu_last.items())

    def runqueue_wait_seconds(self) -> float:
        return sum(w - self.wait_before.get(pid, 0.0) for pid, w in self.wait_last.items())


def kill_and_restart(worker: Child) -> Child:
    """SIGKILL the worker (nothing handed back to Redis) and start the same command again."""
    assert worker.process is not None
    worker.process.send_signal(signal.SIGKILL)
    worker.process.wait(timeout=30)
    again = Child(worker.name, worker.command, worker.log_path.with_suffix(".restarted.log"))
    again.start().wait_for_log(r" ready\.")
    return again


def take_over_silent_runs(now: dt.datetime) -> list[int]:
    """Beat's pass over stalled runs, with the night's clock compressed (see the module).

    Running runs silent for STALLED_AFTER_S stand for runs silent for stalled_run_seconds();
    their locks are expired as their TTL would have. A queued run whose message the killed
    worker had already taken waits for BACKUP_QUEUED_RUN_STALE_SECONDS in production: here,
    once nothing runs and the broker's queue is empty, STALLED_AFTER_S stands for that.
    """
    silent = timezone.now() - dt.timedelta(seconds=STALLED_AFTER_S)
    running = BackupRun.objects.filter(status=BackupRun.Status.RUNNING)
    stalled = list(running.filter(heartbeat_at__lt=silent).values_list("integration_id", flat=True))
    if stalled:
        redis_client().delete(*(f"{LOCK_KEY_PREFIX}{pk}" for pk in stalled))
        limit = dispatcher.stalled_run_seconds()
    elif not running.exists() and not redis_client().llen(settings.CELERY_TASK_DEFAULT_QUEUE):
        limit = settings.BACKUP_QUEUED_RUN_STALE_SECONDS
    else:
        return []
    requeued, _abandoned = dispatcher.recover_stalled_runs(
        now + dt.timedelta(seconds=limit - STALLED_AFTER_S)
    )
    return requeued


# --- The night --------------------------------------------------------------------------------


@dataclass
class Kill:
    at_finished: int = 0
    after_s: float | None = None
    restart_s: float | None = None
    requeued: list[int] = field(default_factory=list)


def drive_the_night(
    run_ids: list[int],
    workers: list[Child],
    watch: WorkerWatch,
    database: DatabaseCpu,
    demand: DemandSampler,
) -> tuple[bool, Kill]:
    """Wait for the runs; kill and restart the first worker once half of them finished."""
    started = time.monotonic()
    deadline = started + SCALE_TIMEOUT_S
    kill = Kill()
    next_beat = next_report = next_sample = time.monotonic()
    finished = 0
    while True:
        now = time.monotonic()
        if now >= next_sample:
            finished = finished_count(run_ids)
            watch.sample()
            database.sample()
            if finished == len(run_ids):
                return True, kill
            # Until the kill, the count is read as often as the threads are sampled: read
            # once a second, a small night could pass its half, or end, between two reads.
            next_sample = now + (FINISHED_POLL_S if kill.after_s is not None else DEMAND_SAMPLE_S)
        if now > deadline:
            return False, kill
        demand.sample()
        if kill.after_s is None and finished >= len(run_ids) / 2:
            watch.sample()
            kill.at_finished, kill.after_s = finished, now - started
            print_step(f"scale: SIGKILL {workers[0].name} after {finished} runs")
            workers[0] = kill_and_restart(workers[0])
            kill.restart_s = time.monotonic() - now
            watch.add(workers[0], baseline=False)
            demand.workers = workers
        if kill.after_s is not None and now >= next_beat:
            kill.requeued += take_over_silent_runs(timezone.now())
            next_beat = now + BEAT_EVERY_S
        if now >= next_report:
            print_step(f"scale: {finished}/{len(run_ids)} runs finished")
            next_report = now + PROGRESS_EVERY_S
        time.sleep(DEMAND_SAMPLE_S)


def finished_count(run_ids: list[int]) -> int:
    """How many of the night's runs finished; polled often, so cheap for the database.

    One dispatcher pass makes the night's runs with consecutive ids: a range, not a list of
    a thousand ids that PostgreSQL would plan at every poll.
    """
    runs = BackupRun.objects.filter(status__in=FINISHED)
    if run_ids and max(run_ids) - min(run_ids) + 1 == len(run_ids):
        return runs.filter(pk__range=(min(run_ids), max(run_ids))).count()
    return runs.filter(pk__in=run_ids).count()


def analyze_database() -> None:
    """Fresh planner statistics after the seeding, as a database in use has them; otherwise
    the night's queries run on plans made for empty tables, and autovacuum's catching up
    counts as the night's database CPU."""
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")


def copies_in_drive(state: dict, emails: set[str], merchant_ids: list[int]) -> dict[str, int]:
    """Each document of these merchants in the fake's Drive: exactly once, or lost, or more."""
    copies: Counter[str] = Counter()
    csvs: Counter[str] = Counter()
    for file in state["files"]:
        if file.get("owner") not in emails or not file.get("created_by_client"):
            continue
        if file.get("trashed") or file.get("folder"):
            continue
        props = file.get("appProperties") or {}
        if props.get("doc"):
            copies[props["doc"]] += 1
        elif props.get("kind") == BackedUpFile.Kind.ORDERS:
            csvs[file["owner"]] += 1
    wanted = {
        str(u)
        for model in (Invoice, Receipt)
        for u in model.objects.filter(merchant_id__in=merchant_ids).values_list("uuid", flat=True)
    }
    return {
        "documents": len(wanted),
        "documents_in_drive": sum(1 for u in wanted if copies[u] >= 1),
        "lost": sum(1 for u in wanted if copies[u] == 0) + sum(1 for e in emails if not csvs[e]),
        "duplicates": sum(max(0, n - 1) for n in copies.values())
        + sum(max(0, n - 1) for n in csvs.values()),
        "orders_csvs": sum(csvs.values()),
    }


@dataclass(frozen=True)
class Stage:
    """What the nights run against: the fake, and how the workers are started."""

    fake: Child
    fake_url: str
    pool: PoolChoice
    workers_count: int
    # Every process started, for the bench to stop at the end whatever happens.
    children: list[Child]


def run_scale_night(count: int, first_index: int, stage: Stage) -> dict[str, Any]:
    """One measured regular night of ``count`` merchants (see the module)."""
    from bench import dataset

    control = FakeGoogleControl(stage.fake_url)
    moment = night_moment()
    merchants = timed_step(
        f"scale: seed {count} merchants with a day's documents",
        lambda: seed_merchants(count, first_index, timezone.now(), DaySizes()),
    )
    control.configure(latency_ms=0)
    integrations = timed_step(
        f"scale: connect {count} Google accounts and make their folders",
        lambda: _connect(dataset, merchants, first_index, moment),
    )
    timed_step("scale: analyze the database", analyze_database)
    control.configure(latency_ms=FAKE_LATENCY_MS, write_limit=True)
    workers = start_workers(stage.workers_count, stage.pool)
    stage.children.extend(workers)
    time.sleep(1.0)
    try:
        return _measure(integrations, merchants, moment, control, workers, stage)
    finally:
        for worker in workers:
            worker.stop()


def _connect(dataset, merchants, first_index: int, moment: dt.datetime):
    from fake_google import FakeGoogle

    consent = FakeGoogle()
    integrations = [
        dataset.connect(m, dataset.google_email(first_index + i), consent)
        for i, m in enumerate(merchants)
    ]
    leave_first_night_state(integrations, moment)
    return integrations


def _measure(integrations, merchants, moment, control, workers, stage: Stage):
    fake = stage.fake
    emails = {i.google_email for i in integrations}
    state_before = control.state()
    answering = celery_workers_answering()
    database = DatabaseCpu()
    watch = WorkerWatch(list(workers))
    demand = DemandSampler(list(workers))
    machine_before = (machine_busy_seconds(), machine_idle_seconds(), time.process_time())
    fake_before = fake.cpu_seconds()
    redis_before = sum(cpu_seconds_of_processes_named("redis-server").values())
    wall_before = time.perf_counter()
    started_at = timezone.now()
    report = dispatcher.dispatch(moment)
    all_done, kill = drive_the_night(report.created, workers, watch, database, demand)
    stage.children.extend(w for w in workers if w not in stage.children)
    usage = {
        "workers_cpu_s": watch.cpu_seconds(),
        "workers_runqueue_wait_s": watch.runqueue_wait_seconds(),
        "fake_google_cpu_s": fake.cpu_seconds() - fake_before,
        "machine_busy_cpu_s": machine_busy_seconds() - machine_before[0],
        "machine_idle_cpu_s": machine_idle_seconds() - machine_before[1],
        "bench_process_cpu_s": time.process_time() - machine_before[2],
        "redis_cpu_s": sum(cpu_seconds_of_processes_named("redis-server").values()) - redis_before,
        "wall": time.perf_counter() - wall_before,
        "database_cpu_s": database.seconds(),
    }
    idle_to_last_finish(usage, demand, report.created)
    states = (state_before, control.state())
    figures = night_summary(
        run_ids=report.created, integrations=integrations, all_done=all_done,
        started_at=started_at, usage=usage, states=states, workers_count=len(workers),
        pool=stage.pool,
    )  # fmt: skip
    figures.update(copies_in_drive(states[1], emails, [m.pk for m in merchants]))
    figures["celery_workers_answering"] = answering
    figures["worker_peak_rss_mib"] = max(watch.peak_rss.values(), default=None)
    figures["worker_peak_rss_mib_by_process"] = sorted(watch.peak_rss.values())
    figures["workers_runnable_share"] = demand.share()
    figures["kill"] = {
        "signal": "SIGKILL",
        "after_runs_finished": kill.at_finished,
        "after_s": kill.after_s,
        "restart_s": kill.restart_s,
        "runs_taken_over": len(set(kill.requeued)),
        "runs_taken_over_ids": sorted(set(kill.requeued)),
        "stalled_after_s": STALLED_AFTER_S,
    }
    figures["load_average_after"] = [round(x, 2) for x in os.getloadavg()]
    return figures


def scale_figures(sizes: tuple[int, ...], stage: Stage) -> dict[str, Any]:
    """Every size's night; the largest one's figures at the top, with per-merchant costs."""
    nights: dict[str, dict[str, Any]] = {}
    first_index = FIRST_INDEX
    for count in sizes:
        nights[str(count)] = timed_step(
            f"5. scale: a regular night of {count} merchants, a worker killed halfway",
            lambda c=count, i=first_index: run_scale_night(c, i, stage),
        )
        first_index += count
    largest = nights[str(max(sizes))]
    rss = {size: night["worker_peak_rss_mib"] for size, night in nights.items()}
    return {
        **largest,
        "sizes": nights,
        "worker_peak_rss_mib_by_size": rss,
        "per_merchant": per_merchant_costs(largest),
    }


def per_merchant_costs(night: dict[str, Any]) -> dict[str, float]:
    merchants = max(1, night["merchants"])
    return {
        "worker_cpu_s": night["workers_cpu_s"] / merchants,
        "drive_requests": night["requests"]["drive_requests"] / merchants,
        "writes": night["requests"]["writes"] / merchants,
        "files": night["files_uploaded"] / merchants,
        "wall_s": night["wall_s"] / merchants,
    }
