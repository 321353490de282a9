"""TEST_NOW: the whole suite, and the processes it starts, at a chosen moment (tests/clock.py)."""

from __future__ import annotations

import datetime as dt
import subprocess
import sys
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from tests import clock

BASE_DIR = Path(__file__).resolve().parents[1]
WARSAW = ZoneInfo("Europe/Warsaw")


def test_a_moment_with_an_offset():
    moment = clock.parse_moment("2027-03-01T00:30+01:00")
    assert moment == dt.datetime(2027, 2, 28, 23, 30, tzinfo=dt.UTC)


def test_a_local_time_with_a_zone_name_takes_that_zone_s_offset_of_the_day():
    assert clock.parse_moment("2027-07-01T00:30 Europe/Warsaw").utcoffset() == dt.timedelta(hours=2)
    assert clock.parse_moment("2027-01-01T00:30 Europe/Warsaw").utcoffset() == dt.timedelta(hours=1)


def test_a_local_time_the_spring_change_skips_is_taken_before_the_change():
    """02:30 does not exist in Warsaw on 28 March 2027; Python reads it with the winter offset."""
    moment = clock.parse_moment("2027-03-28T02:30 Europe/Warsaw")
    assert moment.astimezone(dt.UTC) == dt.datetime(2027, 3, 28, 1, 30, tzinfo=dt.UTC)


@pytest.mark.parametrize(
    "text, complaint",
    [
        ("2027-03-01T00:30", "say which zone"),
        ("yesterday", "not an ISO 8601"),
        ("2027-03-01T00:30 Mars/Olympus", "unknown time zone"),
        ("2027-03-01T00:30+01:00 Europe/Warsaw", "not both"),
    ],
)
def test_a_moment_that_is_not_one_is_refused_with_the_reason(text, complaint):
    with pytest.raises(clock.BadMoment, match=complaint):
        clock.parse_moment(text)


def test_a_child_process_starts_at_the_moment_it_is_given():
    """What the Celery workers of the engine tests are started with (`python -m tests.clock`):
    `python -m calendar` prints the calendar of the current year, so it shows whose clock ran."""
    printed = subprocess.run(
        [sys.executable, "-m", "tests.clock", "calendar"],
        cwd=BASE_DIR,
        env={"TEST_NOW": "2031-06-15T12:00+00:00", "PATH": "/usr/bin:/bin"},
        check=True,
        capture_output=True,
        text=True,
    ).stdout
    assert printed.split()[0] == "2031"


def test_a_child_is_handed_this_process_s_now_only_when_the_session_travels(monkeypatch):
    monkeypatch.setattr(clock, "_session_traveller", None)
    assert clock.child_environment() == {}
    monkeypatch.setattr(clock, "_session_traveller", object())
    with_clock = clock.child_environment()
    handed = dt.datetime.fromisoformat(with_clock[clock.ENV])
    assert abs(handed - dt.datetime.now(dt.UTC)) < dt.timedelta(minutes=1)
