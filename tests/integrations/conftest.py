"""Fixtures and moments of the integration's tests: the backup engine against fake_google,
the dispatcher and tasks without workers, and real worker processes (workers/)."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import pytest
import redis

from accounts.models import Merchant
from backupsite.celery import app
from integrations.engine import run as engine_run
from integrations.models import BackedUpFile, GoogleDriveIntegration
from tests.factories import connect_integration
from tests.isolation import session_slot

WARSAW = ZoneInfo("Europe/Warsaw")
# 02:00 in Warsaw on 23 November 2026: a night of the merchant.
NIGHT = dt.datetime(2026, 11, 23, 2, 0, 13, tzinfo=WARSAW)
# Two nights in a row of the same month, for what the second one costs.
FIRST_NIGHT = dt.datetime(2026, 11, 22, 2, 0, tzinfo=WARSAW)
SECOND_NIGHT = dt.datetime(2026, 11, 23, 2, 0, tzinfo=WARSAW)
# 05:30 in Warsaw: after every integration's start moment of the night of 23 November 2026.
LATE_NIGHT = dt.datetime(2026, 11, 24, 5, 30, tzinfo=WARSAW)


@pytest.fixture
def backup_redis(settings):
    settings.REDIS_URL = session_slot().backup_redis_url
    client = redis.Redis.from_url(settings.REDIS_URL)
    client.flushdb()
    yield client
    client.flushdb()


@pytest.fixture
def slept(monkeypatch) -> list[float]:
    """Backoff and pacing sleeps are recorded instead of slept."""
    sleeps: list[float] = []
    monkeypatch.setattr(engine_run, "sleep", sleeps.append)
    return sleeps


@pytest.fixture
def engine(db, google_settings, backup_redis, slept, settings):
    """Everything a run needs, at test speed: the fake, the session's Redis db, no real sleeping."""
    settings.BACKUP_DRIVE_WRITES_PER_SECOND = 1000.0
    settings.BACKUP_DRIVE_WRITE_BURST = 1000
    return google_settings


@pytest.fixture
def merchant(db) -> Merchant:
    return Merchant.objects.create(name="Loja Azul")


@pytest.fixture
def integration(engine, merchant) -> GoogleDriveIntegration:
    return connect_integration(engine, merchant, time_zone="Europe/Warsaw")


@pytest.fixture
def documents_only(integration) -> GoogleDriveIntegration:
    """The integration with only invoices and receipts ticked: no orders CSV in the way."""
    integration.backup_orders = False
    integration.save()
    return integration


class Enqueued(list):
    """Stands in for `runs.enqueue_after_commit`: records the run ids handed over."""

    def __call__(self, run_id: int) -> None:
        self.append(run_id)


@pytest.fixture
def enqueued() -> Enqueued:
    return Enqueued()


# --- Real workers (slow tests) ------------------------------------------------------------


@pytest.fixture
def broker():
    """The session's broker database for this test and its workers, empty before and after."""
    from tests.integrations.workers.worker import broker_url, point_app_at, redis_client

    client = redis_client()
    client.flushdb()
    saved = app.conf.broker_url
    point_app_at(app, broker_url())
    yield client
    point_app_at(app, saved)
    client.flushdb()


@pytest.fixture
def mail_dir(tmp_path):
    path = tmp_path / "mail"
    path.mkdir()
    return path


@pytest.fixture
def start_worker(google_settings, broker, mail_dir, tmp_path):
    """Start `celery worker` processes (threads pool) against the test database; all are
    stopped (or already killed) at teardown."""
    from tests.integrations.workers.worker import Worker, worker_environment

    workers = []

    def start(name: str = "worker1", concurrency: int = 4, **env: str):
        worker = Worker(
            worker_environment(google_settings, mail_dir, **env),
            tmp_path / f"{name}.log",
            name,
            concurrency,
        )
        workers.append(worker)
        return worker.start()

    yield start
    for worker in workers:
        worker.stop()


@pytest.fixture
def backed_up(engine, documents_only, merchant) -> dict:
    """Six November invoices (FV 0 to FV 5) in Drive; their ledger rows by file name."""
    from tests.integrations.engine.helpers import NOV, invoice, run_backup  # imports this module

    for n in range(6):
        invoice(merchant, f"FV {n}/11/2026", NOV + dt.timedelta(days=n))
    _run, outcome = run_backup(documents_only)
    assert outcome.succeeded, outcome.message
    return {row.name: row for row in BackedUpFile.objects.filter(state="done")}


@pytest.fixture
def google_clock(engine, monkeypatch):
    """Our pacer and the fake's write limit share one virtual clock; sleeping advances it."""
    slept: list[float] = []

    def sleep(seconds: float) -> None:
        slept.append(seconds)
        engine.clock.advance(seconds)

    monkeypatch.setattr(engine_run, "sleep", sleep)
    monkeypatch.setattr(engine_run, "pacer_clock", engine.clock.monotonic)
    return slept
