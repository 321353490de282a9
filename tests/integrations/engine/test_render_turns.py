"""The runs of one worker process take turns to render: the one furthest behind goes first."""

from __future__ import annotations

import threading

import pytest

from integrations.engine import pipeline, plan

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


def test_the_run_with_most_documents_left_renders_first():
    turns = pipeline.RenderTurns()
    served: list[int] = []

    def render(left: int):
        def take_turn() -> None:
            with turns.turn(left):
                served.append(left)

        return take_turn

    with turns.turn(documents_left=1_000):
        threads = start_waiting(turns, [render(n) for n in (3, 60, 20, 41)])
        assert served == []
    for thread in threads:
        thread.join(WAIT_S)

    assert served == [60, 41, 20, 3]


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


def test_a_run_asks_for_each_batch_with_the_documents_it_has_left(
    engine,
    documents_only,
    merchant,
    batches_of_two,  # noqa: F811
    monkeypatch,
):
    five_invoices(merchant)
    asked: list[int] = []
    turn = pipeline.TURNS.turn

    def recorded_turn(documents_left: int):
        asked.append(documents_left)
        return turn(documents_left)

    monkeypatch.setattr(pipeline.TURNS, "turn", recorded_turn)

    run, _ = run_backup(documents_only)

    assert run.files_uploaded == 5
    # Batches of two: 5 documents left, then 3, then the last one.
    assert asked == [5, 3, 1]
    assert plan.RENDER_BATCH_SIZE == 2
