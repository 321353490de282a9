"""/healthz and /readyz: no login, JSON, 503 naming the part that fails."""

from __future__ import annotations

import datetime as dt

import pytest
import time_machine

from monitoring import health
from monitoring.heartbeats import record_dispatcher_pass
from tests.isolation import session_slot

from .conftest import closed_port

NOW = dt.datetime(2026, 11, 23, 1, 30, tzinfo=dt.UTC)


@pytest.fixture
def reachable(settings, db):
    """Redis and the broker at the session's own Redis database; a recent dispatcher pass."""
    settings.REDIS_URL = session_slot().backup_redis_url
    settings.CELERY_BROKER_URL = settings.REDIS_URL
    settings.HEALTH_DISPATCHER_MAX_AGE_SECONDS = 900
    record_dispatcher_pass(NOW - dt.timedelta(minutes=4))
    with time_machine.travel(NOW, tick=False):
        yield settings


def test_healthz_answers_without_login(client):
    answer = client.get("/healthz", HTTP_HOST="10.0.0.7:8000")
    assert answer.status_code == 200
    assert answer.json() == {"status": "ok"}


def test_readyz_is_ready_when_everything_answers(client, reachable):
    answer = client.get("/readyz", HTTP_HOST="10.0.0.7:8000")
    body = answer.json()
    assert answer.status_code == 200, body
    assert body["status"] == "ok"
    assert body["failing"] == []
    assert set(body["checks"]) == {"database", "redis", "broker", "dispatcher"}
    assert "2026-11-23T01:26:00+00:00" in body["checks"]["dispatcher"]["detail"]


def test_readyz_names_redis_when_it_does_not_answer(client, reachable):
    port = closed_port()
    reachable.REDIS_URL = f"redis://127.0.0.1:{port}/0"
    reachable.CELERY_BROKER_URL = f"redis://:s3cret-password@127.0.0.1:{port}/0"
    answer = client.get("/readyz")
    assert answer.status_code == 503
    body = answer.json()
    assert body["failing"] == ["redis", "broker"]
    assert body["checks"]["redis"] == {"ok": False, "detail": "unreachable (ConnectionError)"}
    assert body["checks"]["database"] == {"ok": True}
    # Nothing of the URL (host, port, password) reaches the answer.
    assert "s3cret" not in answer.content.decode()
    assert str(port) not in answer.content.decode()


def broken_database_connection(connection):
    """A second connection to the database with its address changed to one that cannot work:
    a file in a directory that does not exist (SQLite), a closed port (PostgreSQL)."""
    settings_dict = dict(connection.settings_dict)
    if connection.vendor == "sqlite":
        settings_dict["NAME"] = "/nonexistent-directory/drivebackup.sqlite3"
    else:
        settings_dict["HOST"], settings_dict["PORT"] = "127.0.0.1", str(closed_port())
    return type(connection)(settings_dict, alias="unreachable")


def test_readyz_names_the_database_when_it_is_unreachable(client, reachable, monkeypatch):
    from django.db import connections

    broken = broken_database_connection(connections["default"])
    monkeypatch.setattr(health, "database_connection", lambda: broken)
    try:
        answer = client.get("/readyz")
    finally:
        broken.close()
    assert answer.status_code == 503
    body = answer.json()
    assert "database" in body["failing"]
    assert body["checks"]["database"]["detail"] == "unreachable (OperationalError)"
    assert body["checks"]["redis"] == {"ok": True}


def test_readyz_fails_when_the_dispatcher_has_not_passed_for_too_long(client, reachable):
    record_dispatcher_pass(NOW - dt.timedelta(minutes=16))
    answer = client.get("/readyz")
    assert answer.status_code == 503
    body = answer.json()
    assert body["failing"] == ["dispatcher"]
    assert body["checks"]["dispatcher"]["detail"].startswith("last pass 960 s ago")


def test_readyz_fails_before_any_dispatcher_pass(client, reachable):
    from monitoring.models import Heartbeat

    Heartbeat.objects.all().delete()
    answer = client.get("/readyz")
    assert answer.status_code == 503
    assert answer.json()["checks"]["dispatcher"] == {
        "ok": False,
        "detail": "no dispatcher pass recorded yet: is beat running?",
    }


def test_only_get_and_head(client):
    assert client.post("/healthz").status_code == 405
