"""The dispatcher's own queue: it is not stuck behind a night's backlog of runs."""

from __future__ import annotations

import uuid

import pytest
from celery import current_app
from django.conf import settings
from kombu import Connection, Consumer, Exchange, Producer, Queue

from integrations import tasks
from tests.isolation import session_slot


def routed_queue(task_name: str) -> str:
    return current_app.amqp.router.route({}, task_name)["queue"].name


def test_the_dispatcher_goes_to_its_own_queue_and_runs_to_the_default_one():
    assert routed_queue(tasks.dispatch_due_backups.name) == settings.DISPATCH_QUEUE
    assert routed_queue(tasks.run_backup.name) == settings.CELERY_TASK_DEFAULT_QUEUE
    assert routed_queue(tasks.send_backup_email.name) == settings.CELERY_TASK_DEFAULT_QUEUE


def test_every_worker_consumes_both_queues():
    # Workers started without -Q consume every queue of task_queues (Procfile, bench, tests).
    consumed = {queue.name for queue in current_app.conf.task_queues}
    assert consumed == {settings.CELERY_TASK_DEFAULT_QUEUE, settings.DISPATCH_QUEUE}


@pytest.fixture
def kombu_broker():
    url = session_slot().backup_redis_url
    with Connection(url) as connection:
        try:
            connection.ensure_connection(max_retries=1)
        except Exception as error:  # pragma: no cover - depends on the machine
            pytest.skip(f"Redis not reachable at {url}: {error}")
        yield connection


def test_a_dispatch_behind_a_backlog_of_runs_is_handed_out_next(kombu_broker):
    """Redis hands out a worker's queues in turn, so the dispatcher does not wait its turn
    behind every queued run (and expire unrun)."""
    broker = kombu_broker
    suffix = uuid.uuid4().hex[:8]
    exchange = Exchange(f"test-exchange-{suffix}", type="direct")
    runs = Queue(f"test-runs-{suffix}", exchange, routing_key="runs")
    dispatch = Queue(f"test-dispatch-{suffix}", exchange, routing_key="dispatch")
    producer = Producer(broker.channel(), exchange)
    for queue in (runs, dispatch):
        queue(producer.channel).declare()
    for n in range(50):
        producer.publish({"run": n}, routing_key="runs", declare=[runs])
    producer.publish({"dispatch": True}, routing_key="dispatch", declare=[dispatch])

    received: list[dict] = []

    def take(body, message):
        received.append(body)
        message.ack()

    channel = broker.channel()
    try:
        with Consumer(channel, [runs, dispatch], callbacks=[take], prefetch_count=1):
            while len(received) < 3:
                broker.drain_events(timeout=5)
    finally:
        for queue in (runs, dispatch):
            queue(channel).delete()
        channel.close()

    assert {"dispatch": True} in received[:2]


def test_each_task_is_published_once_into_its_own_queue(broker):
    """One message per task: the two queues never both receive what is meant for one.

    Both queues are declared first, as a starting worker declares them: both are then bound
    to the exchange "celery" under the key "celery", and only Celery's publishing to the
    default exchange under the queue's name keeps a run from landing in both.
    """
    with current_app.connection_for_write() as connection:
        channel = connection.channel()
        for queue in current_app.amqp.queues.values():
            queue(channel).declare()
    tasks.run_backup.delay(0)
    tasks.dispatch_due_backups.delay()

    assert broker.llen(settings.CELERY_TASK_DEFAULT_QUEUE) == 1
    assert broker.llen(settings.DISPATCH_QUEUE) == 1


@pytest.mark.slow
@pytest.mark.django_db(transaction=True)
def test_a_worker_started_as_in_production_runs_the_dispatcher_from_its_queue(start_worker, broker):
    """No -Q on the command line (Procfile, bench): the worker consumes the dispatch queue."""
    from tests.integrations.workers.worker import wait_for

    worker = start_worker()
    tasks.dispatch_due_backups.delay()

    wait_for(
        lambda: "dispatch_due_backups" in worker.log() and " succeeded in " in worker.log(),
        timeout=30,
        what="the dispatcher to run",
    )
    assert f".> {settings.DISPATCH_QUEUE} " in worker.log()
