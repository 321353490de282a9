"""What the benchmark runs against: its own database, Redis db, fake Google and workers.

Nothing here imports Django models: the environment (DATABASE_URL, REDIS_URL, the Google
endpoints) must be set before Django reads its settings, so ``prepare_environment`` runs
first and ``django.setup()`` after it.
"""

from __future__ import annotations

import contextlib
import fcntl
import functools
import hashlib
import os
import platform
import re
import shlex
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TextIO

BASE_DIR = Path(__file__).resolve().parent.parent
VAR_DIR = BASE_DIR / "var" / "bench"
DEFAULT_RESULTS_DIR = BASE_DIR / "bench" / "results"
# Machine-wide, not per checkout: two checkouts' benches share the same Redis and PostgreSQL.
LOCK_DIR = Path(tempfile.gettempdir()) / "drivebackup-bench-locks"

# The bench's own database (dropped and created again by every run) and Redis db; the smoke
# test points them elsewhere so that it never disturbs a bench running meanwhile.
BENCH_DB_NAME = os.environ.get("BENCH_DATABASE_NAME", "drivebackup_bench")
PG_SERVER_URL = "postgres://postgres@127.0.0.1:5432"
REDIS_URL = os.environ.get("BENCH_REDIS_URL", "redis://127.0.0.1:6379/12")
FAKE_CLIENT_ID = "bench-client-id.apps.googleusercontent.com"
FAKE_CLIENT_SECRET = "bench-client-secret"
# Never opened: the bench plays the browser and takes the code from the redirect.
REDIRECT_URI = "http://127.0.0.1:8000/integrations/google-drive/callback/"
# What the stand-in for Google costs per request during the night.
FAKE_LATENCY_MS = 20.0
READY_TIMEOUT_S = 60.0
CLOCK_TICKS = os.sysconf("SC_CLK_TCK")


# --- One bench at a time --------------------------------------------------------------------


class BenchBusy(SystemExit):
    """Another bench holds a Redis db or database this one would use."""


@contextlib.contextmanager
def holding(*resources: str) -> Iterator[None]:
    """Hold each resource (a Redis URL, a database name) for this process, or refuse at once.

    Two benches on one Redis db take each other's tasks and flush each other's locks; on one
    database they drop it under each other. A lock file per resource (flock: released when the
    process ends, however it ends) makes the second one say so instead, from any checkout.
    """
    LOCK_DIR.mkdir(parents=True, exist_ok=True)
    with contextlib.ExitStack() as held:
        for resource in sorted(set(resources)):
            held.enter_context(_resource_lock(resource))
        yield


@contextlib.contextmanager
def _resource_lock(resource: str) -> Iterator[None]:
    digest = hashlib.sha256(resource.encode()).hexdigest()[:16]
    with open(LOCK_DIR / f"lock-{digest}", "a+", encoding="utf-8") as handle:
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            handle.seek(0)
            raise BenchBusy(
                f"Another bench is using {resource} ({handle.read().strip() or 'unknown'}); "
                "benches on the same Redis db or database take each other's work. "
                "Wait for it to end."
            ) from None
        handle.seek(0)
        handle.truncate()
        handle.write(f"pid {os.getpid()}, since {time.strftime('%Y-%m-%d %H:%M:%S')}")
        handle.flush()
        yield


def one_at_a_time(*resources: str) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    """A bench's ``main`` that holds ``resources`` while it runs (see ``holding``)."""

    def wrap(main: Callable[..., Any]) -> Callable[..., Any]:
        @functools.wraps(main)
        def held_main(*args: Any, **kwargs: Any) -> Any:
            with holding(*resources):
                return main(*args, **kwargs)

        return held_main

    return wrap


# --- Database -------------------------------------------------------------------------------


def postgres_available() -> bool:
    try:
        import psycopg

        with psycopg.connect(f"{PG_SERVER_URL}/postgres", connect_timeout=3):
            return True
    except Exception:
        return False


def recreate_postgres_database(name: str = BENCH_DB_NAME) -> str:
    """Drop and create the bench's own database; its URL. Dev and test data stay untouched."""
    import psycopg
    from psycopg import sql

    with psycopg.connect(f"{PG_SERVER_URL}/postgres", autocommit=True) as conn:
        conn.execute(
            sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name))
        )
        conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
    return f"{PG_SERVER_URL}/{name}"


def recreate_sqlite_database(name: str = BENCH_DB_NAME) -> str:
    path = VAR_DIR / f"{name}.sqlite3"
    VAR_DIR.mkdir(parents=True, exist_ok=True)
    for suffix in ("", "-wal", "-shm"):
        Path(f"{path}{suffix}").unlink(missing_ok=True)
    return f"sqlite:///{path}"


def fresh_database_url(name: str = BENCH_DB_NAME) -> str:
    """PostgreSQL if it answers (production's database), else a SQLite file under var/bench."""
    if postgres_available():
        return recreate_postgres_database(name)
    print("PostgreSQL not reachable at 127.0.0.1:5432: falling back to SQLite (var/bench).")
    return recreate_sqlite_database(name)


def flush_redis(url: str = REDIS_URL) -> None:
    """The broker, locks and write buckets of the bench live in this db only."""
    import redis

    redis.Redis.from_url(url).flushdb()


# --- Environment ----------------------------------------------------------------------------


def prepare_environment(
    database_url: str, fake_url: str, redis_url: str = REDIS_URL
) -> dict[str, str]:
    """Point this process (and the workers it starts) at the bench's services."""
    values = {
        "DJANGO_SETTINGS_MODULE": "backupsite.settings",
        "DATABASE_URL": database_url,
        "REDIS_URL": redis_url,
        "GOOGLE_OAUTH_CLIENT_ID": FAKE_CLIENT_ID,
        "GOOGLE_OAUTH_CLIENT_SECRET": FAKE_CLIENT_SECRET,
        "GOOGLE_OAUTH_AUTH_URI": f"{fake_url}/o/oauth2/auth",
        "GOOGLE_OAUTH_TOKEN_URI": f"{fake_url}/token",
        "GOOGLE_OAUTH_REVOKE_URI": f"{fake_url}/revoke",
        "GOOGLE_API_ROOT": f"{fake_url}/",
        "OAUTHLIB_INSECURE_TRANSPORT": "1",
        # A failed run e-mails the merchant: not to the console of a benchmark.
        "EMAIL_URL": "dummymail://",
        "CELERY_TASK_ALWAYS_EAGER": "false",
        "LOG_LEVEL": "WARNING",
        "PYTHONUNBUFFERED": "1",
    }
    os.environ.update(values)
    return values


# --- CPU of processes -----------------------------------------------------------------------


def _stat_fields(pid: int) -> list[str] | None:
    try:
        text = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    # The command name (field 2) may hold spaces and parentheses: split after the last ")".
    return text[text.rindex(")") + 2 :].split()


def _children_map() -> dict[int, list[int]]:
    children: dict[int, list[int]] = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        fields = _stat_fields(int(entry.name))
        if fields is not None:
            children.setdefault(int(fields[1]), []).append(int(entry.name))
    return children


def _tree(pid: int) -> list[int]:
    children = _children_map()
    pids, stack = [], [pid]
    while stack:
        current = stack.pop()
        pids.append(current)
        stack.extend(children.get(current, []))
    return pids


def tree_runqueue_wait_seconds(pid: int) -> float:
    """Time the threads of a process tree were ready to run but waited for a CPU (schedstat).

    Threads blocked on the GIL, a lock or a socket are asleep, not waiting: this is CPU that
    other processes of the machine held while ours wanted it.
    """
    nanoseconds = 0
    for member in _tree(pid):
        for task in Path(f"/proc/{member}/task").glob("*/schedstat"):
            try:
                nanoseconds += int(task.read_text().split()[1])
            except (OSError, IndexError, ValueError):
                continue
    return nanoseconds / 1e9


def cpu_seconds_of_processes_named(fragment: str) -> dict[int, float]:
    """CPU of every live process whose command line contains ``fragment``, by pid."""
    return NamedProcesses(fragment).cpu_seconds()


class NamedProcesses:
    """The processes whose command line contains ``fragment``, for a caller that asks often.

    Pids whose command line does not even name ``program`` are remembered and not read
    again: a scan of /proc then reads a few command lines instead of all of them. A process
    title may change after a fork (a PostgreSQL backend's names its database only once it
    has started), but it keeps naming its program, so no process that may yet match is
    skipped.
    """

    def __init__(self, fragment: str, program: str | None = None) -> None:
        self.fragment = fragment
        self.program = program
        self._never: set[int] = set()

    def cpu_seconds(self) -> dict[int, float]:
        """User + system CPU-seconds of each matching live process, by pid."""
        found: dict[int, float] = {}
        for entry in os.scandir("/proc"):
            if not entry.name.isdigit() or int(entry.name) in self._never:
                continue
            pid = int(entry.name)
            command = _read_proc(f"/proc/{pid}/cmdline").replace(b"\0", b" ")
            text = command.decode(errors="replace")
            if self.fragment in text:
                fields = _stat_fields(pid)
                if fields is not None:
                    found[pid] = (int(fields[11]) + int(fields[12])) / CLOCK_TICKS
            elif self.program is not None and text and self.program not in text:
                self._never.add(pid)
        return found


def _read_proc(path: str) -> bytes:
    """A /proc file's bytes, or b"" for a process or thread that has just ended."""
    try:
        with open(path, "rb") as file:
            return file.read()
    except OSError:
        return b""


def has_runnable_thread(pid: int) -> bool:
    """Whether any thread of the process is running or waiting in the run queue (state R).

    A thread waiting for the GIL, a lock, a socket or a sleep is in S: a process with no R
    thread has nothing for a CPU to do at this moment. Called several times a second during a
    night, so it reads /proc with plain calls (pathlib's glob cost more than the reading).
    """
    try:
        threads = os.listdir(f"/proc/{pid}/task")
    except OSError:
        return False
    for thread in threads:
        text = _read_proc(f"/proc/{pid}/task/{thread}/stat")
        if text and text[text.rindex(b")") + 2 : text.rindex(b")") + 3] == b"R":
            return True
    return False


def tree_cpu_seconds(pid: int) -> float:
    """User + system CPU of a process and all its descendants, reaped ones included.

    utime+stime of every live process in the tree, plus cutime+cstime (children that ended
    and were waited for); a live child is never in its parent's cutime, so nothing counts twice.
    """
    children = _children_map()
    total_ticks = 0
    stack = [pid]
    while stack:
        current = stack.pop()
        fields = _stat_fields(current)
        if fields is None:
            continue
        # After the name: state(0) ppid(1) ... utime(11) stime(12) cutime(13) cstime(14).
        total_ticks += sum(int(fields[i]) for i in (11, 12, 13, 14))
        stack.extend(children.get(current, []))
    return total_ticks / CLOCK_TICKS


def _machine_ticks() -> list[int]:
    values = [int(v) for v in Path("/proc/stat").read_text().splitlines()[0].split()[1:]]
    return (values + [0] * 8)[:8]


def machine_busy_seconds() -> float:
    """CPU-seconds the whole machine spent not idle since boot (every process, every user)."""
    user, nice, system, _idle, _iowait, irq, softirq, steal = _machine_ticks()
    return (user + nice + system + irq + softirq + steal) / CLOCK_TICKS


def machine_idle_seconds() -> float:
    """CPU-seconds every core of the machine sat idle since boot."""
    _user, _nice, _system, idle, iowait, *_ = _machine_ticks()
    return (idle + iowait) / CLOCK_TICKS


# --- Child processes ------------------------------------------------------------------------


# A child in a session of its own outlives a bench that is killed (SIGKILL, a test's timeout):
# a worker left behind keeps taking the runs queued on the bench's Redis db by the next bench,
# which then waits for runs that never finish. util-linux's setpriv asks the kernel to kill the
# child when the bench dies; the command runs as given where setpriv is missing.
_SETPRIV = shutil.which("setpriv")


def dies_with_the_bench(command: list[str]) -> list[str]:
    """``command``, killed by the kernel when the process that started it dies."""
    if _SETPRIV is None:
        return command
    return [_SETPRIV, "--pdeathsig", "KILL", "--", *command]


@dataclass
class Child:
    """A subprocess of the bench with its log file; ``stop()`` is always safe."""

    name: str
    command: list[str]
    log_path: Path
    env: dict[str, str] = field(default_factory=lambda: dict(os.environ))
    process: subprocess.Popen | None = None

    def start(self) -> Child:
        self.log_path.parent.mkdir(parents=True, exist_ok=True)
        with self.log_path.open("wb") as log:
            self.process = subprocess.Popen(
                dies_with_the_bench(self.command),
                cwd=BASE_DIR,
                env=self.env,
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        return self

    @property
    def pid(self) -> int:
        assert self.process is not None
        return self.process.pid

    def log(self) -> str:
        return self.log_path.read_text(errors="replace") if self.log_path.exists() else ""

    def wait_for_log(self, pattern: str, timeout: float = READY_TIMEOUT_S) -> re.Match[str]:
        deadline = time.monotonic() + timeout
        while True:
            match = re.search(pattern, self.log())
            if match:
                return match
            if self.process is not None and self.process.poll() is not None:
                raise RuntimeError(f"{self.name} exited early:\n{self.log()[-4000:]}")
            if time.monotonic() > deadline:
                raise RuntimeError(f"{self.name} not ready after {timeout:.0f} s")
            time.sleep(0.1)

    def cpu_seconds(self) -> float:
        return tree_cpu_seconds(self.pid)

    def stop(self, timeout: float = 20.0) -> None:
        if self.process is None or self.process.poll() is not None:
            return
        self.process.send_signal(signal.SIGTERM)
        try:
            self.process.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            # The whole session: a prefork pool's children go with their parent.
            os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait(timeout=10)


def start_fake_google(write_limit: bool = True, log_name: str = "fake_google") -> tuple[Child, str]:
    """``python -m fake_google`` on a free port with 20 ms latency; (child, base URL)."""
    command = [
        sys.executable,
        "-m",
        "fake_google",
        "--port",
        "0",
        "--seed",
        "1",
        "--latency-ms",
        str(FAKE_LATENCY_MS),
        "--client-id",
        FAKE_CLIENT_ID,
        "--client-secret",
        FAKE_CLIENT_SECRET,
        "--redirect-uri",
        REDIRECT_URI,
    ]
    if write_limit:
        command.append("--write-limit")
    child = Child(log_name, command, VAR_DIR / f"{log_name}.log").start()
    match = child.wait_for_log(r"listening on (http://\S+)")
    return child, match.group(1)


@dataclass(frozen=True)
class PoolChoice:
    pool: str
    concurrency: int
    source: str
    # The Procfile's `celery ...` arguments: the bench then starts its workers exactly so.
    procfile_args: tuple[str, ...] | None = None

    def describe(self) -> str:
        return f"-P {self.pool} -c {self.concurrency} ({self.source})"


# The brief's default while the Procfile names no pool.
FALLBACK_POOL = PoolChoice("threads", 12, "bench default: the Procfile names no pool")


def procfile_pool(procfile: Path = BASE_DIR / "Procfile") -> PoolChoice:
    """How production starts its workers: the Procfile's first ``worker...:`` line.

    Measuring what is deployed, not what the bench would like: only when the Procfile does not
    name a pool does the bench fall back to threads with 12 slots.
    """
    try:
        lines = procfile.read_text().splitlines()
    except OSError:
        return FALLBACK_POOL
    for line in lines:
        name, _, command = line.partition(":")
        if not name.strip().startswith("worker"):
            continue
        args = shlex.split(command)
        if args and args[0] == "celery":
            args = args[1:]
        pool = _option(args, ("-P", "--pool"))
        concurrency = _option(args, ("-c", "--concurrency"))
        if pool is None:
            return FALLBACK_POOL
        slots = int(concurrency) if concurrency else os.cpu_count() or 1
        return PoolChoice(pool, slots, f"Procfile {name.strip()}", tuple(args))
    return FALLBACK_POOL


def _option(args: list[str], names: tuple[str, ...]) -> str | None:
    for index, arg in enumerate(args):
        for name in names:
            if arg == name and index + 1 < len(args):
                return args[index + 1]
            if name.startswith("--") and arg.startswith(name + "="):
                return arg.split("=", 1)[1]
            if not name.startswith("--") and arg.startswith(name) and len(arg) > len(name):
                return arg[len(name) :]
    return None


def _with_node_name(args: list[str], name: str) -> list[str]:
    """The arguments with ``-n``/``--hostname`` set to this bench worker's own name."""
    renamed, skip = [], False
    for index, arg in enumerate(args):
        if skip:
            skip = False
            continue
        if arg in ("-n", "--hostname") and index + 1 < len(args):
            skip = True
            continue
        if arg.startswith("--hostname="):
            continue
        renamed.append(arg)
    return [*renamed, "-n", f"{name}@%h"]


def worker_command(name: str, choice: PoolChoice) -> list[str]:
    if choice.procfile_args is not None:
        return [sys.executable, "-m", "celery", *_with_node_name(list(choice.procfile_args), name)]
    return [
        sys.executable,
        "-m",
        "celery",
        "-A",
        "backupsite",
        "worker",
        "-P",
        choice.pool,
        "-c",
        str(choice.concurrency),
        "-n",
        f"{name}@%h",
        "--without-mingle",
        "--without-gossip",
        "--loglevel",
        "INFO",
    ]


def start_workers(count: int, choice: PoolChoice) -> list[Child]:
    workers = [
        Child(f"bench{n}", worker_command(f"bench{n}", choice), VAR_DIR / f"worker{n}.log").start()
        for n in range(1, count + 1)
    ]
    for worker in workers:
        worker.wait_for_log(r" ready\.")
    return workers


def stop_all(children: list[Child]) -> None:
    for child in children:
        child.stop()


# --- Machine --------------------------------------------------------------------------------


def cpu_model() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown"


def memory_total_gib() -> float | None:
    try:
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemTotal:"):
                return round(int(line.split()[1]) / 2**20, 1)
    except OSError:
        pass
    return None


def git_commit() -> dict[str, Any]:
    def git(*args: str) -> str:
        return subprocess.run(
            ["git", *args], cwd=BASE_DIR, capture_output=True, text=True, check=False
        ).stdout.strip()

    return {"commit": git("rev-parse", "HEAD"), "dirty": bool(git("status", "--porcelain"))}


def machine_info() -> dict[str, Any]:
    import celery
    import django
    import weasyprint

    return {
        "cores": os.cpu_count(),
        "cpu_model": cpu_model(),
        "memory_gib": memory_total_gib(),
        "load_average_at_start": [round(x, 2) for x in os.getloadavg()],
        "python": platform.python_version(),
        "platform": platform.platform(),
        "weasyprint": weasyprint.__version__,
        "django": django.__version__,
        "celery": celery.__version__,
        **git_commit(),
    }


def print_step(message: str, out: TextIO = sys.stdout) -> None:
    out.write(f"[bench {time.strftime('%H:%M:%S')}] {message}\n")
    out.flush()


def timed_step(message: str, action: Callable[[], Any]) -> Any:
    started = time.perf_counter()
    print_step(message + " ...")
    result = action()
    print_step(f"{message}: {time.perf_counter() - started:.1f} s")
    return result


# --- Data sets of integrations ----------------------------------------------------------------


def scheduled_integrations(
    count: int, due_share: float, now: Any, time_zone: str, batch: int = 5000
) -> Any:
    """Connected integrations in `time_zone`, made `batch` at a time; yields each batch as
    (integration, night, due) triples. Every 1/due_share-th one is due at `now` (its
    next_run_at at its start, the night's run not made); the others had tonight's run made
    (next_run_at moved past the night, as the dispatcher leaves it)."""
    import datetime as dt

    from integrations.models import GoogleDriveIntegration
    from integrations.schedule import next_start, start_after_night

    step = max(1, round(1 / due_share))
    for first in range(0, count, batch):
        integrations = connected_integrations(
            first, min(batch, count - first), now - dt.timedelta(days=30), time_zone
        )
        made = []
        for index, integration in enumerate(integrations, start=first):
            night, start = next_start(integration.pk, time_zone, now)
            due = index % step == 0
            integration.next_run_at = (
                start if due else start_after_night(integration.pk, time_zone, night)
            )
            made.append((integration, night, due))
        GoogleDriveIntegration.objects.bulk_update(integrations, ["next_run_at"], batch_size=batch)
        yield made


def connected_integrations(first: int, size: int, connected_at: Any, time_zone: str) -> list:
    """`size` merchants ("Shop <first + n>"), each with a connected integration in
    `time_zone` (next_run_at left for the caller). Needs django.setup()."""
    from accounts.models import Merchant
    from integrations.models import GoogleDriveIntegration

    merchants = Merchant.objects.bulk_create(
        Merchant(name=f"Shop {first + n}") for n in range(size)
    )
    return GoogleDriveIntegration.objects.bulk_create(
        GoogleDriveIntegration(
            merchant=merchant,
            status=GoogleDriveIntegration.Status.CONNECTED,
            google_email=f"shop{merchant.pk}@example.com",
            google_account_id=f"perm-{merchant.pk}",
            refresh_token="1//bench-refresh-token",
            connected_at=connected_at,
            time_zone=time_zone,
        )
        for merchant in merchants
    )
