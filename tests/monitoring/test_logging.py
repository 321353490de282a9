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
