"""Render while uploading: the next step of PDFs is made while the run sends the current one.

A run's uploads wait most of the time (Google's 3 writes/s per account, the network), and its
renders are CPU. Done one after the other, a run lasts render + upload; here one thread of
the run renders step n+1 while the run's own thread uploads step n, so it lasts about
max(render, upload).

The documents are read from the database in batches (plan.RENDER_BATCH_SIZE: one query per
kind for their items) and rendered in steps of a few (RENDER_STEP_DOCUMENTS), one step ahead
of the uploads. Rendered a whole batch ahead, a run did its last render about two batches of
uploads (13 s at 3 writes/s) before its end; at the end of a night every run left was in that
state and the CPU idled for it. A step ahead, the last render is a few uploads from the end.

What stays in the run's thread: every database read and write (the documents, the ledger,
the progress) and every upload, in the plan's order. The render thread gets only prepared
documents (items prefetched) and returns bytes, so the ledger's order of states (a row
reserved before its upload, completed after it) and the exactly-once rule are untouched. At
most two steps are held at once: the one being uploaded and the one being rendered.

The runs of one worker process take turns to render (`RenderTurns`). A run's uploads are
paced at 3 writes/s, so a run started late cannot catch up once the others are done: the
night waits for its last runs' paced uploads (about 21 s for 67 writes) with the CPU idle.
Two rules keep the CPU busy until the end:
- while runs wait in the queue for a worker thread (`RunsWaiting`), the run with the fewest
  documents left goes first: it ends sooner and frees its thread, so the night's last runs
  start earlier and the runs in flight keep more work for the end;
- once none waits, the run with the most documents left goes first: the run furthest
  behind renders as fast as its uploads go, and the others fill the CPU meanwhile.
"""

from __future__ import annotations

import dataclasses
import itertools
import threading
import time
from collections.abc import Callable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from contextlib import contextmanager
from types import TracebackType

from django.db import connections
from django.db.models import Q
from django.utils import timezone

from integrations.engine import plan
from integrations.models import BackupRun, GoogleDriveIntegration

Batch = tuple[plan.PreparedBatch, "Future[plan.RenderedBatch]"]

# Documents rendered in one turn, and how far a run's renders run ahead of its uploads.
RENDER_STEP_DOCUMENTS = 5


class RenderTurns:
    """One render at a time in this process, given to one of the runs waiting for it.

    While runs still wait for a worker, the run with the fewest documents left goes first: it
    finishes sooner and frees its worker thread for a waiting run, so the night's last runs
    start early enough for their paced uploads. Once none waits, the run with the most left
    goes first: the last runs started are the ones the night waits for. Equals go in the
    order they asked.
    """

    def __init__(self) -> None:
        self._changed = threading.Condition()
        self._waiting: list[tuple[int, int]] = []
        self._arrivals = itertools.count()
        self._busy = False
        self._shortest_first = False

    @contextmanager
    def turn(self, documents_left: int, *, runs_waiting: bool = False) -> Iterator[None]:
        """Wait for this render's turn and hold it inside the block. ``runs_waiting``: runs
        wait for a worker thread (the caller's latest look at the queue)."""
        place = (documents_left, next(self._arrivals))
        with self._changed:
            self._shortest_first = runs_waiting
            self._waiting.append(place)
            try:
                while self._busy or self._next_place() != place:
                    self._changed.wait()
            except BaseException:
                # Interrupted while waiting: leave the queue so the others are not stuck
                # behind a place nobody will take.
                self._waiting.remove(place)
                self._changed.notify_all()
                raise
            self._waiting.remove(place)
            self._busy = True
        try:
            yield
        finally:
            with self._changed:
                self._busy = False
                self._changed.notify_all()

    def _next_place(self) -> tuple[int, int]:
        if self._shortest_first:
            return min(self._waiting)
        return min(self._waiting, key=lambda place: (-place[0], place[1]))


class RunsWaiting:
    """Whether runs wait in the queue for a worker thread, looked up at most every
    ``every_s`` seconds per process (one query)."""

    def __init__(self, every_s: float = 2.0, clock: Callable[[], float] = time.monotonic) -> None:
        self.every_s = every_s
        self.clock = clock
        self._lock = threading.Lock()
        self._checked_at = -float("inf")
        self._answer = False

    def __call__(self) -> bool:
        now = self.clock()
        with self._lock:
            if now - self._checked_at < self.every_s:
                return self._answer
            self._checked_at = now
        # Served by the partial index of active runs; a run postponed for a retry waits for
        # its time, not for a worker.
        answer = (
            BackupRun.objects.filter(status=BackupRun.Status.QUEUED)
            .filter(Q(not_before__isnull=True) | Q(not_before__lte=timezone.now()))
            .exists()
        )
        self._answer = answer
        return answer


TURNS = RenderTurns()
RUNS_WAITING = RunsWaiting()


class RenderAhead:
    """The documents' Uploads of one run, each step rendered while the one before uploads.

    Use as a context manager: leaving it (also by an exception that stops the run) waits for
    the render in progress and drops the ones not started.
    """

    def __init__(
        self,
        work: list[plan.DocumentWork],
        integration: GoogleDriveIntegration,
        account: str,
        report: plan.Report,
    ) -> None:
        self.integration = integration
        self.account = account
        self.report = report
        self._batches = (
            (w, ids)
            for w in work
            for ids in plan.chunks([pk for pk, _ in w.found], plan.RENDER_BATCH_SIZE)
        )
        self._steps: Iterator[plan.PreparedBatch] = iter(())
        # Documents this run has still to render, the step being rendered included.
        self._left = sum(len(w.found) for w in work)
        self._next: Batch | None = None
        self._started = False
        self._executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="render-ahead")

    def __enter__(self) -> RenderAhead:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.close()

    def start(self) -> None:
        """Start rendering the first step now (the caller has other work meanwhile)."""
        if not self._started:
            self._started = True
            self._next = self._render_next_step()

    def uploads(self) -> Iterator[plan.Upload]:
        """Every Upload in the plan's order; the next step renders while these are sent."""
        self.start()
        while self._next is not None:
            step, rendering = self._next
            self._next = self._render_next_step()
            yield from plan.batch_uploads(step, rendering.result(), self.report)

    def close(self) -> None:
        self._executor.shutdown(wait=True, cancel_futures=True)

    def _render_next_step(self) -> Batch | None:
        """Start rendering the next step, reading the next batch from the database if needed."""
        step = self._next_step()
        if step is None:
            return None
        left, self._left = self._left, self._left - len(step.pending)
        return step, self._executor.submit(_render, step, left, RUNS_WAITING())

    def _next_step(self) -> plan.PreparedBatch | None:
        while (step := next(self._steps, None)) is None:
            batch_ids = next(self._batches, None)
            if batch_ids is None:
                return None
            work, ids = batch_ids
            batch = plan.prepare_batch(work, ids, self.integration, self.account, self.report)
            # Documents Drive already holds in their current print need no render.
            self._left -= len(ids) - len(batch.pending)
            self._steps = steps_of(batch, RENDER_STEP_DOCUMENTS)
        return step


def steps_of(batch: plan.PreparedBatch, size: int) -> Iterator[plan.PreparedBatch]:
    """The batch's pending documents in steps of at most ``size``, in their order."""
    for pending in plan.chunks(batch.pending, size):
        yield dataclasses.replace(batch, pending=pending)


def _render(
    batch: plan.PreparedBatch, documents_left: int, runs_waiting: bool
) -> plan.RenderedBatch:
    try:
        with TURNS.turn(documents_left, runs_waiting=runs_waiting):
            return plan.render_batch(batch)
    finally:
        # Rendering reads no database; should it ever, the connection it opened in this
        # thread would outlive the run: closed here, where it belongs.
        connections.close_all()
