from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import pytest
from django.utils import timezone

from accounts.models import Merchant, User
from backupsite.celery import app
from integrations.models import BackupRun, GoogleDriveIntegration

WARSAW = ZoneInfo("Europe/Warsaw")
# 05:30 in Warsaw: after every integration's start moment of the night of 23 November 2026.
LATE_NIGHT = dt.datetime(2026, 11, 24, 5, 30, tzinfo=WARSAW)


class Enqueued(list):
    """Stands in for `runs.enqueue_after_commit`: records the run ids handed over."""

    def __call__(self, run_id: int) -> None:
        self.append(run_id)


@pytest.fixture
def enqueued() -> Enqueued:
    return Enqueued()


def make_integration(
    name: str = "Loja Azul",
    *,
    email: str | None = None,
    status: str = GoogleDriveIntegration.Status.CONNECTED,
    time_zone: str = "Europe/Warsaw",
    **fields,
) -> GoogleDriveIntegration:
    """A merchant with one user and an integration that looks connected (no real grant)."""
    merchant = Merchant.objects.create(name=name)
    slug = name.lower().replace(" ", "-")
    User.objects.create_user(
        email=email or f"owner@{slug}.example", password="x", merchant=merchant
    )
    connected = status == GoogleDriveIntegration.Status.CONNECTED
    fields.setdefault("refresh_token", "1//refresh-token" if connected else "")
    return GoogleDriveIntegration.objects.create(
        merchant=merchant,
        status=status,
        google_email=f"backup@{slug}.example",
        google_account_id=f"perm-{slug}",
        connected_at=timezone.now() if connected else None,
        time_zone=time_zone,
        **fields,
    )


def make_run(integration: GoogleDriveIntegration, **fields) -> BackupRun:
    fields.setdefault("trigger", BackupRun.Trigger.MANUAL)
    return BackupRun.objects.create(integration=integration, **fields)


# --- Real workers (slow tests) ------------------------------------------------------------


@pytest.fixture
def broker():
    """The session's broker database for this test and its workers, empty before and after."""
    from tests.engine.worker import broker_url, point_app_at, redis_client

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
    from tests.engine.worker import Worker, worker_environment

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
