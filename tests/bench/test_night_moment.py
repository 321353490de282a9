"""The bench plays a night at 05:30 local time of the last night that has ended."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import pytest
import time_machine

from bench.night import night_moment

WARSAW = ZoneInfo("Europe/Warsaw")


@pytest.mark.parametrize(
    ("clock", "moment"),
    [
        # After 05:30: this morning's.
        (dt.datetime(2026, 12, 7, 10, 0, tzinfo=WARSAW), dt.datetime(2026, 12, 7, 5, 30)),
        (dt.datetime(2026, 12, 7, 5, 30, tzinfo=WARSAW), dt.datetime(2026, 12, 7, 5, 30)),
        # Between midnight and 05:30, tonight's is still ahead: yesterday's.
        (dt.datetime(2026, 12, 7, 1, 16, tzinfo=WARSAW), dt.datetime(2026, 12, 6, 5, 30)),
        (dt.datetime(2027, 3, 1, 0, 30, tzinfo=WARSAW), dt.datetime(2027, 2, 28, 5, 30)),
        # The night after the clocks went back (CET again) and a day in summer time.
        (dt.datetime(2027, 10, 31, 2, 30, tzinfo=WARSAW), dt.datetime(2027, 10, 30, 5, 30)),
        (dt.datetime(2027, 7, 1, 23, 59, tzinfo=WARSAW), dt.datetime(2027, 7, 1, 5, 30)),
    ],
)
def test_the_night_is_the_last_one_that_has_ended(settings, clock, moment):
    settings.TIME_ZONE = "UTC"
    with time_machine.travel(clock, tick=False):
        played = night_moment()

    assert played.astimezone(WARSAW).replace(tzinfo=None) == moment
    assert played <= clock
