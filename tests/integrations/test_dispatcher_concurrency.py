"""Two dispatchers at the same moment (two beat schedulers, or one delayed): one run each.

Each dispatcher runs in its own thread with its own database connection. On PostgreSQL (CI)
they really overlap: `select_for_update(skip_locked=True)` lets each one claim the rows the
other does not hold, and the existing-run check under the lock plus the unique constraint do
the rest. SQLite has no row locks (Django drops FOR UPDATE there); its BEGIN IMMEDIATE
transactions run one after the other, so there the test checks the sequential case.
"""

from __future__ import annotations

import threading

import pytest
from django.db import connections

from integrations import dispatcher
from integrations.models import BackupRun
from tests.factories import make_integration
from tests.integrations.conftest import LATE_NIGHT, Enqueued

pytestmark = pytest.mark.django_db(transaction=True)

DISPATCHERS = 2
INTEGRATIONS = 40


def dispatch_together(now, dispatchers: int) -> tuple[list[list[int]], list[BaseException]]:
    start = threading.Barrier(dispatchers)
    created: list[list[int]] = [[] for _ in range(dispatchers)]
    errors: list[BaseException] = []

    def one_dispatcher(index: int) -> None:
        try:
            start.wait(timeout=10)
            created[index] = dispatcher.create_due_runs(now, enqueue=Enqueued(), chunk_size=7)
        except BaseException as exc:
            errors.append(exc)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=one_dispatcher, args=(i,)) for i in range(dispatchers)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    return created, errors


def test_two_dispatchers_at_once_create_one_run_per_integration():
    integrations = {make_integration(f"Shop {i}").pk for i in range(INTEGRATIONS)}

    created, errors = dispatch_together(LATE_NIGHT, DISPATCHERS)

    assert errors == []
    all_created = [run_id for ids in created for run_id in ids]
    assert len(all_created) == len(set(all_created)) == INTEGRATIONS
    runs = BackupRun.objects.all()
    assert sorted(runs.values_list("integration_id", flat=True)) == sorted(integrations)
