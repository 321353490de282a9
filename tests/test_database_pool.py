"""The PostgreSQL connection pool: a connection PostgreSQL closed is replaced, not failed."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

import pytest
from django.db import connection, connections

pytestmark = pytest.mark.django_db(transaction=True)


def backend_pid_in_a_thread() -> int:
    """What a Celery task does: take a connection in its thread, use it, give it back."""

    def work() -> int:
        try:
            with connections["default"].cursor() as cursor:
                cursor.execute("SELECT pg_backend_pid()")
                return cursor.fetchone()[0]
        finally:
            connections.close_all()

    with ThreadPoolExecutor(max_workers=1) as thread:
        return thread.submit(work).result()


@pytest.fixture
def pooled():
    if connection.vendor != "postgresql" or connection.pool is None:
        pytest.skip("the pool is PostgreSQL's (DATABASE_URL, DATABASE_POOL_MAX_SIZE)")


def live_backends() -> set[int]:
    with connection.cursor() as cursor:
        cursor.execute("SELECT pid FROM pg_stat_activity WHERE datname = current_database()")
        return {pid for (pid,) in cursor.fetchall()}


def test_a_task_borrows_a_connection_instead_of_starting_a_backend(pooled):
    backend_pid_in_a_thread()
    alive = live_backends()

    # Without the pool the first task's backend ended with it, and this one starts another.
    assert backend_pid_in_a_thread() in alive


def test_a_pooled_connection_postgresql_ended_is_replaced_on_the_next_task(pooled):
    first = backend_pid_in_a_thread()
    with connection.cursor() as cursor:
        # A restart of PostgreSQL, or an idle timeout, ends the backend behind the pool's back.
        cursor.execute("SELECT pg_terminate_backend(%s)", [first])

    second = backend_pid_in_a_thread()

    assert second != first
