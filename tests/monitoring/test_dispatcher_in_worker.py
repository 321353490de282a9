"""A real worker records the dispatcher's pass where /readyz and /metrics of the web read it."""

from __future__ import annotations

import pytest

from integrations import tasks
from monitoring.heartbeats import last_dispatcher_pass

pytestmark = [pytest.mark.slow, pytest.mark.django_db(transaction=True)]


def test_a_pass_in_a_worker_process_is_seen_by_this_one(start_worker, broker):
    from tests.integrations.workers.worker import wait_for

    start_worker()
    assert last_dispatcher_pass() is None
    tasks.dispatch_due_backups.delay()

    # (The worker's clock is not compared with this one: under TEST_NOW each process's clock
    # starts at that moment when the process starts.)
    wait_for(lambda: last_dispatcher_pass() is not None, timeout=30, what="a recorded pass")
