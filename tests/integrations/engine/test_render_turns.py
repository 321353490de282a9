"""The runs of one worker process take turns to render: the one furthest behind goes first."""

from __future__ import annotations

import datetime as dt
import threading

import pytest
from django.utils import timezone

from integrations.engine import pipeline, plan
from integrations.models import BackupRun

from .helpers import run_backup
from .test_render_ahead import batches_of_two, five_invoices  # noqa: F401 (fixture)

WAIT_S = 30


def wait_until(condition, what: str) -> None:
    changed = threading.Event()
    for _ in range(int(WAIT_S / 0.01)):
        if condition():
            return
        changed.wait(0.01)
    pytest.fail(f"timed out waiting until {what}")


def start_waiting(turns: pipeline.RenderTurns, renders: list) -> list[threading.Thread]:
    """Start each render in a thread of its own, one after the other, each once the one
    before waits for its turn."""
    threads = []
    for render in renders:
        thread = threading.Thread(target=render, daemon=True)
        thread.start()
        threads.append(thread)
        count = len(threads)
        wait_until(lambda count=count: len(turns._waiting) == count, f"{count} renders wait")
    return threads


def served_order(asks: list[tuple[int, bool]], *, holder_saw_runs_waiting: bool) -> list[int]:
    """The order in which renders asking (documents left, runs waiting) one after the other,
    while another render holds the turn, get their turns."""
    turns = pipeline.RenderTurns()
    served: list[int] = []

    def render(left: int, runs_waiting: bool):
        def take_turn() -> None:
            with turns.turn(left, runs_waiting=runs_waiting):
                served.append(left)

        return take_turn

    with turns.turn(documents_left=1_000, runs_waiting=holder_saw_runs_waiting):
        threads = start_waiting(turns, [render(*ask) for ask in asks])
        assert served == []
    for thread in threads:
        thread.join(WAIT_S)
    return served


def test_the_run_with_most_documents_left_renders_first():
    asks = [(n, False) for n in (3, 60, 20, 41)]
    assert served_order(asks, holder_saw_runs_waiting=False) == [60, 41, 20, 3]


def test_while_runs_wait_for_a_worker_the_run_with_fewest_documents_left_renders_first():
    asks = [(n, True) for n in (41, 3, 60, 20)]
    # It frees its worker thread soonest for a run that waits.
    assert served_order(asks, holder_saw_runs_waiting=True) == [3, 20, 41, 60]


def test_once_no_run_waits_the_most_documents_left_go_first_again():
    # The last to ask saw the queue empty: the order changes for every render waiting.
    asks = [(3, True), (60, True), (20, False)]
    assert served_order(asks, holder_saw_runs_waiting=True) == [60, 20, 3]


def test_runs_waiting_reads_the_queue_at_most_every_few_seconds(engine, documents_only):
    now = [100.0]
    waiting = pipeline.RunsWaiting(every_s=2.0, clock=lambda: now[0])
    queued = BackupRun.objects.create(
        integration=documents_only, trigger=BackupRun.Trigger.SCHEDULED
    )
    assert waiting() is True
    queued.status = BackupRun.Status.RUNNING
    queued.save(update_fields=["status"])
    now[0] += 1.9
    assert waiting() is True  # the answer of 1.9 s ago
    now[0] += 0.2
    assert waiting() is False
    # Postponed for a retry, it waits for its time, not for a worker.
    BackupRun.objects.filter(pk=queued.pk).update(
        status=BackupRun.Status.QUEUED, not_before=timezone.now() + dt.timedelta(minutes=5)
    )
    now[0] += 2.0
    assert waiting() is False
    BackupRun.objects.filter(pk=queued.pk).update(not_before=timezone.now())
    now[0] += 2.0
    assert waiting() is True


def test_equals_render_in_the_order_they_asked_and_one_at_a_time():
    turns = pipeline.RenderTurns()
    started: list[str] = []
    release = threading.Event()

    def render(name: str):
        def take_turn() -> None:
            with turns.turn(5):
                started.append(name)
                release.wait(WAIT_S)

        return take_turn

    with turns.turn(documents_left=1):
        threads = start_waiting(turns, [render(n) for n in ("first", "second", "third")])

    wait_until(lambda: started == ["first"], "the first render has its turn")
    assert len(turns._waiting) == 2  # the others wait while it renders
    release.set()
    for thread in threads:
        thread.join(WAIT_S)
    assert started == ["first", "second", "third"]


def test_a_render_interrupted_while_waiting_leaves_the_queue(monkeypatch):
    turns = pipeline.RenderTurns()
    holder = turns.turn(documents_left=1)
    holder.__enter__()
    interrupted = threading.Event()
    real_wait = turns._changed.wait

    def wait_then_interrupt(timeout=None):
        if threading.current_thread().name == "interrupted":
            interrupted.set()
            raise KeyboardInterrupt
        return real_wait(timeout)

    monkeypatch.setattr(turns._changed, "wait", wait_then_interrupt)

    def interrupted_render() -> None:
        with pytest.raises(KeyboardInterrupt), turns.turn(99):
            pass

    thread = threading.Thread(target=interrupted_render, name="interrupted", daemon=True)
    thread.start()
    thread.join(WAIT_S)
    assert interrupted.is_set()
    assert turns._waiting == []
    holder.__exit__(None, None, None)
    # A later render gets its turn at once: no place left behind blocks it.
    with turns.turn(1):
        pass


def test_a_run_asks_for_each_step_with_its_documents_left_and_what_the_queue_said(
    engine,
    documents_only,
    merchant,
    batches_of_two,  # noqa: F811
    monkeypatch,
):
    five_invoices(merchant)
    asked: list[tuple[int, bool]] = []
    turn = pipeline.TURNS.turn
    answers = iter([True, True, False])

    def recorded_turn(documents_left: int, *, runs_waiting: bool = False):
        asked.append((documents_left, runs_waiting))
        return turn(documents_left, runs_waiting=runs_waiting)

    monkeypatch.setattr(pipeline.TURNS, "turn", recorded_turn)
    monkeypatch.setattr(pipeline, "RUNS_WAITING", lambda: next(answers))

    run, _ = run_backup(documents_only)

    assert run.files_uploaded == 5
    # Batches of two: 5 documents left, then 3, then the last one; the queue looked at each.
    assert asked == [(5, True), (3, True), (1, False)]
    assert plan.RENDER_BATCH_SIZE == 2
