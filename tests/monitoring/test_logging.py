"""LOG_FORMAT=json: one JSON object per line, with the run's fields as keys."""

from __future__ import annotations

import io
import json
import logging
import logging.config
import os
import subprocess
import sys
from pathlib import Path

import pytest

from backupsite.logging import use_log_format
from integrations.run_log import log_run_finished, log_run_started
from tests.integrations.engine.helpers import NOV, invoice, receipt, run_backup

ROOT = Path(__file__).resolve().parents[2]


def console_config(log_format: str) -> dict:
    return use_log_format(
        {
            "version": 1,
            "disable_existing_loggers": False,
            "formatters": {"plain": {"format": "%(levelname)s %(name)s: %(message)s"}},
            "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
            "loggers": {"integrations.runs": {"handlers": ["console"], "level": "INFO"}},
        },
        log_format,
    )


@pytest.fixture
def runs_log(monkeypatch):
    """What the integrations.runs logger writes, as configured for LOG_FORMAT=json."""
    stream = io.StringIO()
    monkeypatch.setattr(sys, "stderr", stream)
    logger = logging.getLogger("integrations.runs")
    saved = (logger.handlers[:], logger.level, logger.propagate)
    logging.config.dictConfig(console_config("json"))
    logger.propagate = False
    yield stream
    logger.handlers[:], logger.level, logger.propagate = saved


def test_a_run_start_and_end_are_one_json_line_each(runs_log):
    log_run_started(41, 7, trigger="scheduled", attempt=1)
    log_run_finished(
        41,
        7,
        outcome="partial",
        trigger="scheduled",
        files=12,
        size=34_567,
        duration_seconds=8.5,
        reason="2 files failed",
    )

    started, finished = (json.loads(line) for line in runs_log.getvalue().splitlines())
    assert started["message"] == "Backup run 41 started: integration 7, scheduled, attempt 1"
    assert started | {"time": None} == {
        "time": None,
        "level": "INFO",
        "logger": "integrations.runs",
        "message": started["message"],
        "event": "run_started",
        "run_id": 41,
        "integration_id": 7,
        "trigger": "scheduled",
        "attempt": 1,
    }
    assert finished["level"] == "WARNING"
    assert finished["message"] == (
        "Backup run 41 finished: integration 7, partial (2 files failed), 12 files, 34567 bytes"
    )
    assert {k: finished[k] for k in ("run_id", "integration_id", "outcome", "bytes")} == {
        "run_id": 41,
        "integration_id": 7,
        "outcome": "partial",
        "bytes": 34_567,
    }
    assert finished["duration_seconds"] == 8.5


def test_an_unknown_log_format_is_refused_with_the_choices():
    with pytest.raises(ValueError, match="LOG_FORMAT must be one of plain, json, not 'xml'"):
        console_config("xml")


def test_the_setting_switches_every_process_to_json_lines(tmp_path):
    code = (
        "import django, logging; django.setup(); "
        "logging.getLogger('integrations.runs').warning('hello', extra={'run_id': 5})"
    )
    env = {**os.environ, "LOG_FORMAT": "json", "DJANGO_SETTINGS_MODULE": "backupsite.settings"}
    result = subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, env=env, capture_output=True, text=True, timeout=60
    )
    line = json.loads(result.stderr.strip().splitlines()[-1])
    assert (line["message"], line["run_id"], line["level"]) == ("hello", 5, "WARNING")


def test_a_run_against_fake_google_logs_one_json_line_at_its_start_and_one_at_its_end(
    runs_log, engine, documents_only, merchant
):
    invoice(merchant, "FV 1/11/2026", NOV)
    receipt(merchant, "PAR 1/11/2026", NOV)

    run, outcome = run_backup(documents_only)

    assert outcome.succeeded
    started, finished = (json.loads(line) for line in runs_log.getvalue().splitlines())
    ids = {"run_id": run.pk, "integration_id": documents_only.pk}
    assert started | {"time": None} == {
        "time": None,
        "level": "INFO",
        "logger": "integrations.runs",
        "message": f"Backup run {run.pk} started: integration {documents_only.pk}, manual, "
        "attempt 1",
        "event": "run_started",
        **ids,
        "trigger": "manual",
        "attempt": 1,
    }
    assert finished["level"] == "INFO"
    assert {key: finished[key] for key in (*ids, "event", "outcome", "files", "bytes")} == {
        **ids,
        "event": "run_finished",
        "outcome": "succeeded",
        "files": 2,
        "bytes": run.bytes_uploaded,
    }
    assert run.bytes_uploaded > 0


def test_a_run_that_fails_logs_its_end_as_a_warning_with_the_reason(
    caplog, engine, documents_only, merchant
):
    invoice(merchant, "FV 1/11/2026", NOV)
    engine.configure(storage_quota_bytes=1)  # the Drive is full

    with caplog.at_level(logging.INFO, logger="integrations.runs"):
        run, outcome = run_backup(documents_only)

    lines = [r for r in caplog.records if r.name == "integrations.runs"]
    assert [(r.event, r.run_id, r.integration_id) for r in lines] == [
        ("run_started", run.pk, documents_only.pk),
        ("run_finished", run.pk, documents_only.pk),
    ]
    assert (lines[1].levelno, lines[1].outcome, lines[1].reason) == (
        logging.WARNING,
        outcome.status,
        "quota",
    )
