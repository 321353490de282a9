"""The suite's clock: the wall clock, or a moment chosen with ``TEST_NOW``.

    make test TEST_NOW=2027-03-28T02:30+01:00
    make test TEST_NOW="2027-10-31T02:30 Europe/Warsaw"

moves the clock of the whole test session (and of the Celery workers and other Python processes
it starts through ``python -m tests.clock``) to that moment, from where it keeps ticking. A
date-sensitive test that passes today but not on the first night of a month, on a night when
the clocks change or on 29 February is a test that reads the wall clock; this is how CI finds
them before the calendar does.

A moment is ISO 8601 with an offset (``2027-03-01T00:30+01:00``), or a local time followed by an
IANA zone name (``2027-03-01T00:30 Europe/Warsaw``). A local time that a clock change skips or
repeats is taken with the offset in force before the change (``fold=0``), as Python does.
"""

from __future__ import annotations

import datetime as dt
import os
import runpy
import sys
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import time_machine

ENV = "TEST_NOW"

_session_traveller: time_machine.travel | None = None


class BadMoment(ValueError):
    pass


def parse_moment(text: str) -> dt.datetime:
    """An aware datetime from ``TEST_NOW``'s text."""
    stamp, _, zone_name = text.strip().partition(" ")
    try:
        moment = dt.datetime.fromisoformat(stamp)
    except ValueError as error:
        raise BadMoment(f"{ENV}={text!r}: not an ISO 8601 date and time ({error})") from None
    if zone_name:
        if moment.tzinfo is not None:
            raise BadMoment(f"{ENV}={text!r}: give an offset or a zone name, not both")
        try:
            moment = moment.replace(tzinfo=ZoneInfo(zone_name.strip()))
        except (ZoneInfoNotFoundError, ValueError):
            raise BadMoment(f"{ENV}={text!r}: unknown time zone {zone_name!r}") from None
    if moment.tzinfo is None:
        raise BadMoment(
            f"{ENV}={text!r}: say which zone, with an offset (+01:00) or a zone name "
            "(Europe/Warsaw); a bare local time would depend on the machine's zone"
        )
    return moment


def chosen_moment() -> dt.datetime | None:
    text = os.environ.get(ENV, "").strip()
    return parse_moment(text) if text else None


def start_session_clock() -> dt.datetime | None:
    """Move this process's clock to ``TEST_NOW`` (if set) for the rest of its life."""
    global _session_traveller
    moment = chosen_moment()
    if moment is None or _session_traveller is not None:
        return moment
    _session_traveller = time_machine.travel(moment, tick=True)
    _session_traveller.start()
    return moment


def child_environment() -> dict[str, str]:
    """What a child process needs to start at this process's moment (empty on the wall clock).

    The child gets "now" as this process sees it at the spawn, so a worker started an hour
    into a travelled session is an hour later too.
    """
    if _session_traveller is None:
        return {}
    return {ENV: dt.datetime.now(dt.UTC).isoformat()}


def main(argv: list[str]) -> None:
    """``python -m tests.clock MODULE ARGS…``: run MODULE as ``python -m`` would, on the clock."""
    if not argv:
        raise SystemExit("usage: python -m tests.clock MODULE [ARGS...]")
    start_session_clock()
    module, *args = argv
    sys.argv = [module, *args]
    runpy.run_module(module, run_name="__main__", alter_sys=True)


if __name__ == "__main__":
    main(sys.argv[1:])
