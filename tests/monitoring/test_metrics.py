"""/metrics: who may read it, and what it says after a backup run against fake_google."""

from __future__ import annotations

import datetime as dt

import pytest
import time_machine
from prometheus_client import REGISTRY

from integrations import metrics
from integrations.engine.run import execute_run
from integrations.models import BackedUpFile, BackupRun
from integrations.schedule import scheduled_start, window_for_night
from monitoring.exposition import metrics_payload
from monitoring.heartbeats import record_dispatcher_pass
from tests.factories import make_integration
from tests.integrations.conftest import NIGHT, WARSAW
from tests.integrations.engine.helpers import NOV, drive_files, drive_requests, invoice, receipt

from .conftest import samples

NOV_23 = dt.date(2026, 11, 23)
SCRAPED = NIGHT + dt.timedelta(hours=1)  # 03:00:13 in Warsaw


@pytest.fixture
def loopback_only(settings):
    settings.METRICS_BEARER_TOKEN = ""
    settings.METRICS_ALLOWED_NETWORKS = []
    return settings


# --- Who may read -------------------------------------------------------------------------


TOKEN = "scrape-token-1"
BEARER = {"HTTP_AUTHORIZATION": f"Bearer {TOKEN}"}


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("token", "networks", "address", "headers", "status"),
    [
        # Nothing configured: loopback only.
        ("", [], "127.0.0.1", {}, 200),
        ("", [], "::1", {}, 200),
        ("", [], "::ffff:127.0.0.1", {}, 200),
        ("", [], "10.1.2.3", {}, 403),
        # A token opens it from anywhere, and closes loopback to requests without it.
        (TOKEN, [], "10.1.2.3", BEARER, 200),
        (TOKEN, [], "10.1.2.3", {"HTTP_AUTHORIZATION": "Bearer nope"}, 403),
        (TOKEN, [], "10.1.2.3", {}, 403),
        (TOKEN, [], "127.0.0.1", {}, 403),
        # Allowed networks replace loopback; the token still works from elsewhere.
        ("", ["10.0.0.0/8", "fd00::/8"], "10.1.2.3", {}, 200),
        ("", ["10.0.0.0/8", "fd00::/8"], "fd00::5", {}, 200),
        ("", ["10.0.0.0/8", "fd00::/8"], "127.0.0.1", {}, 403),
        (TOKEN, ["10.0.0.0/8"], "192.168.1.1", {}, 403),
        (TOKEN, ["10.0.0.0/8"], "192.168.1.1", BEARER, 200),
    ],
)
def test_who_may_read_metrics(client, settings, token, networks, address, headers, status):
    settings.METRICS_BEARER_TOKEN = token
    settings.METRICS_ALLOWED_NETWORKS = networks
    answer = client.get("/metrics", REMOTE_ADDR=address, **headers)
    assert answer.status_code == status
    if status == 200:
        assert answer["Content-Type"].startswith("text/plain")


@pytest.mark.django_db
def test_the_scraper_may_address_the_process_by_its_ip(client, loopback_only):
    answer = client.get("/metrics", HTTP_HOST="10.0.0.7:8000")
    assert answer.status_code == 200
    assert b"drivebackup_integrations" in answer.content


# --- What it says -------------------------------------------------------------------------


def value(payload: bytes, name: str, **labels: str) -> float:
    return samples(payload)[(name, tuple(sorted(labels.items())))]


ENGINE_FED = (
    "drivebackup_runs_finished_total",
    "drivebackup_uploaded_files_total",
    "drivebackup_uploaded_bytes_total",
    "drivebackup_drive_requests_total",
    "drivebackup_drive_rate_limit_wait_seconds_count",
    "drivebackup_drive_rate_limit_wait_seconds_sum",
    "drivebackup_drive_backoff_seconds_count",
    "drivebackup_drive_backoff_seconds_sum",
)


def counted(payload: bytes) -> dict:
    """The engine-fed series of a scrape, {(name, labels): value}."""
    return {key: v for key, v in samples(payload).items() if key[0] in ENGINE_FED}


def test_after_a_nights_run_every_metric_matches_it(
    engine, integration, merchant, settings, loopback_only, google_clock, client
):
    invoice(merchant, "FV 1/11/2026", NOV)
    invoice(merchant, "FV 2/11/2026", NOV)
    receipt(merchant, "PAR 1/11/2026", NOV)
    settings.BACKUP_DRIVE_WRITES_PER_SECOND = 3.0
    settings.BACKUP_DRIVE_WRITE_BURST = 2  # a few writes wait for the budget
    engine.inject_fault("503", count=1, endpoint="upload.create")  # one retry, one backoff
    waiting = make_integration("Waiting", time_zone="Europe/Warsaw")  # due, no run yet
    run = BackupRun.objects.create(
        integration=integration, trigger=BackupRun.Trigger.SCHEDULED, night=NOV_23
    )
    before, requests_before = counted(client.get("/metrics").content), drive_requests(engine)

    outcome = execute_run(run.pk, now=NIGHT)
    assert outcome.status == "succeeded"
    record_dispatcher_pass(NIGHT + dt.timedelta(minutes=58))
    with time_machine.travel(SCRAPED, tick=False):
        response = client.get("/metrics")

    assert response.status_code == 200
    payload = response.content
    after = counted(payload)
    delta = {key: after[key] - before.get(key, 0.0) for key in after}
    changed = {key: d for key, d in delta.items() if d}
    run.refresh_from_db()
    done = BackedUpFile.objects.filter(run=run, state=BackedUpFile.State.DONE)
    # The engine-fed series: the run's outcome, its files and bytes by kind, its requests.
    finished = (
        "drivebackup_runs_finished_total",
        (("outcome", "succeeded"), ("trigger", "scheduled")),
    )
    assert changed[finished] == 1
    for kind in ("orders", "invoice", "receipt"):
        files = done.filter(kind=kind)
        label = (("kind", kind),)
        assert delta[("drivebackup_uploaded_files_total", label)] == files.count()
        assert delta[("drivebackup_uploaded_bytes_total", label)] == sum(
            files.values_list("size", flat=True)
        )
    assert run.files_uploaded == done.count() == 4
    requests = {k: d for k, d in changed.items() if k[0] == "drivebackup_drive_requests_total"}
    assert sum(requests.values()) == drive_requests(engine) - requests_before == run.drive_calls
    assert (
        requests[
            ("drivebackup_drive_requests_total", (("method", "files.create"), ("status", "503")))
        ]
        == 1
    )
    assert delta[("drivebackup_drive_backoff_seconds_count", ())] == 1
    waits = delta[("drivebackup_drive_rate_limit_wait_seconds_count", ())]
    assert waits >= 1
    # Every sleep of the run was either the one backoff or a wait for the write budget.
    slept = (
        delta[("drivebackup_drive_backoff_seconds_sum", ())]
        + delta[("drivebackup_drive_rate_limit_wait_seconds_sum", ())]
    )
    assert slept == pytest.approx(sum(google_clock))
    assert set(changed) - set(requests) == {
        finished,
        *(
            (name, (("kind", k),))
            for name in ENGINE_FED[1:3]
            for k in ("orders", "invoice", "receipt")
        ),
        *((name, ()) for name in ENGINE_FED[4:]),
    }

    # The database's: tonight's run, nothing active or late, who still waits, the last pass.
    assert value(payload, "drivebackup_night_runs", status="succeeded") == 1
    for status in ("queued", "running", "partial", "failed"):
        assert value(payload, "drivebackup_night_runs", status=status) == 0
    assert value(payload, "drivebackup_runs_active", status="queued") == 0
    assert value(payload, "drivebackup_runs_active", status="running") == 0
    assert value(payload, "drivebackup_night_runs_overdue") == 0
    assert value(payload, "drivebackup_night_integrations_without_run") == 0  # night goes on
    assert value(payload, "drivebackup_integrations", state="connected") == 2
    assert value(payload, "drivebackup_integrations", state="failing") == 0
    assert value(payload, "drivebackup_integrations", state="access_lost") == 0
    last_pass = NIGHT + dt.timedelta(minutes=58)
    assert value(payload, "drivebackup_dispatcher_last_pass_timestamp_seconds") == (
        last_pass.timestamp()
    )
    # The integration without a run has waited since its start moment (if it has come).
    start = scheduled_start(window_for_night(NOV_23, WARSAW), waiting.pk)
    expected_wait = max((SCRAPED - start).total_seconds(), 0)
    assert value(payload, "drivebackup_oldest_due_integration_age_seconds") == expected_wait
    assert value(payload, "drivebackup_database_up") == 1
    assert drive_files(engine)  # the run did upload


@pytest.mark.django_db
def test_a_run_left_running_after_the_window_is_overdue():
    stuck = make_integration("Stuck", time_zone="Europe/Warsaw")
    BackupRun.objects.create(
        integration=stuck,
        trigger=BackupRun.Trigger.SCHEDULED,
        night=NOV_23,
        status=BackupRun.Status.RUNNING,
        started_at=NIGHT,
    )
    morning = dt.datetime(2026, 11, 23, 6, 15, tzinfo=WARSAW)
    payload = metrics_payload(now=morning)
    assert value(payload, "drivebackup_night_runs_overdue") == 1
    assert value(payload, "drivebackup_night_runs", status="running") == 1
    assert value(payload, "drivebackup_runs_active", status="running") == 1
    assert value(payload, "drivebackup_dispatcher_last_pass_timestamp_seconds") == 0


def test_without_a_database_only_database_up_says_so(monkeypatch):
    from django.db import DatabaseError

    from integrations import night_report

    def unreachable():
        raise DatabaseError("connection refused")

    monkeypatch.setattr(night_report, "active_runs_by_status", unreachable)
    payload = metrics_payload(now=SCRAPED)
    assert value(payload, "drivebackup_database_up") == 0
    assert not any(name == "drivebackup_night_runs" for name, _ in samples(payload))


# --- The engine's hooks (phase 2 calls them from the engine) ------------------------------


def sample(name: str, **labels: str) -> float:
    return REGISTRY.get_sample_value(name, labels) or 0.0


def test_the_hooks_count_what_they_are_told():
    before = {
        "runs": sample("drivebackup_runs_finished_total", outcome="partial", trigger="scheduled"),
        "files": sample("drivebackup_uploaded_files_total", kind="invoice"),
        "bytes": sample("drivebackup_uploaded_bytes_total", kind="invoice"),
        "requests": sample("drivebackup_drive_requests_total", method="files.create", status="503"),
        "backoff": sample("drivebackup_drive_backoff_seconds_sum"),
        "backoffs": sample("drivebackup_drive_backoff_seconds_count"),
        "waits": sample("drivebackup_drive_rate_limit_wait_seconds_count"),
        "waited": sample("drivebackup_drive_rate_limit_wait_seconds_sum"),
    }

    metrics.record_run_finished("partial", "scheduled")
    metrics.record_upload("invoice", 12_345)
    metrics.record_upload("invoice", 655)
    metrics.record_drive_request("files.create", 503)
    metrics.record_drive_request("files.create", 503)
    metrics.record_backoff(4.0)
    metrics.record_backoff(2.5)
    metrics.record_rate_limit_wait(0.25)
    metrics.record_rate_limit_wait(0)  # no wait, not counted

    payload = samples(metrics_payload(with_database=False))
    after = {
        "runs": payload[
            ("drivebackup_runs_finished_total", (("outcome", "partial"), ("trigger", "scheduled")))
        ],
        "files": payload[("drivebackup_uploaded_files_total", (("kind", "invoice"),))],
        "bytes": payload[("drivebackup_uploaded_bytes_total", (("kind", "invoice"),))],
        "requests": payload[
            ("drivebackup_drive_requests_total", (("method", "files.create"), ("status", "503")))
        ],
        "backoff": payload[("drivebackup_drive_backoff_seconds_sum", ())],
        "backoffs": payload[("drivebackup_drive_backoff_seconds_count", ())],
        "waits": payload[("drivebackup_drive_rate_limit_wait_seconds_count", ())],
        "waited": payload[("drivebackup_drive_rate_limit_wait_seconds_sum", ())],
    }
    # Sums of seconds are floats: earlier tests' values make 6.5 come out as 6.500000000000001.
    assert {key: after[key] - before[key] for key in before} == pytest.approx(
        {
            "runs": 1,
            "files": 2,
            "bytes": 13_000,
            "requests": 2,
            "backoff": 6.5,
            "backoffs": 2,
            "waits": 1,
            "waited": 0.25,
        }
    )


def test_known_label_values_mirror_the_models():
    from integrations.models import BackedUpFile

    finished = set(BackupRun.Status.values) - set(BackupRun.ACTIVE_STATUSES)
    assert set(metrics.OUTCOMES) == finished | {"skipped"}
    assert set(metrics.TRIGGERS) == set(BackupRun.Trigger.values)
    assert set(metrics.KINDS) == set(BackedUpFile.Kind.values)


@pytest.mark.django_db
def test_every_metric_is_listed_before_anything_happened():
    names = {name for name, _ in samples(metrics_payload())}
    assert {
        "drivebackup_runs_finished_total",
        "drivebackup_uploaded_files_total",
        "drivebackup_uploaded_bytes_total",
        "drivebackup_drive_backoff_seconds_count",
        "drivebackup_drive_rate_limit_wait_seconds_count",
        "drivebackup_runs_active",
        "drivebackup_night_runs",
        "drivebackup_night_runs_overdue",
        "drivebackup_night_integrations_without_run",
        "drivebackup_oldest_due_integration_age_seconds",
        "drivebackup_dispatcher_last_pass_timestamp_seconds",
        "drivebackup_integrations",
        "drivebackup_database_up",
    } <= names
