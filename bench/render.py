"""Measuring the PDF renderers and the orders CSV: pure functions that return numbers.

CPU seconds (``time.process_time``) are reported next to wall time because the machines these
run on are shared; every figure is the median of ``repeat`` runs.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import io
import statistics
import time
import tracemalloc
from collections.abc import Callable, Iterator, Sequence
from typing import Any

from django.db import connection, reset_queries
from django.test.utils import CaptureQueriesContext

from bench.first_print.pdf import render_pdf_first
from documents import pdf
from documents.csv_export import write_orders_csv
from documents.models import Invoice, Receipt

Document = Invoice | Receipt


def _timed(function: Callable[[], Any]) -> tuple[float, float, Any]:
    cpu, wall = time.process_time(), time.perf_counter()
    result = function()
    return time.process_time() - cpu, time.perf_counter() - wall, result


def _median_runs(function: Callable[[], Any], repeat: int) -> tuple[float, float, Any]:
    cpu_times, wall_times, result = [], [], None
    for _ in range(repeat):
        cpu, wall, result = _timed(function)
        cpu_times.append(cpu)
        wall_times.append(wall)
    return statistics.median(cpu_times), statistics.median(wall_times), result


@contextlib.contextmanager
def without_harfbuzz_subset() -> Iterator[None]:
    """Subset fonts with fontTools, as WeasyPrint does on a host without HarfBuzz-Subset."""
    import weasyprint.pdf.fonts as weasyprint_fonts

    saved = weasyprint_fonts.harfbuzz_subset
    weasyprint_fonts.harfbuzz_subset = None
    try:
        yield
    finally:
        weasyprint_fonts.harfbuzz_subset = saved


def warm_up_renderer(doc: Document) -> None:
    """Parse stylesheets and load fonts once, so the first measurement is not an outlier."""
    render_pdf_first(doc)
    pdf.render_pdf_naive(doc)
    pdf.render_pdf_unbatched(doc)
    pdf.render_pdfs([doc])


def measure_pdf_peak_memory(docs: Sequence[Document], batch_size: int) -> dict[str, float]:
    """Peak Python heap (tracemalloc) of one ``render_pdfs`` call with the given batch size."""
    docs = list(docs)
    pdf.prefetch_for_print(docs)
    saved = pdf.RENDER_BATCH_SIZE
    pdf.RENDER_BATCH_SIZE = batch_size
    tracemalloc.start()
    try:
        pdf.render_pdfs(docs)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
        pdf.RENDER_BATCH_SIZE = saved
    return {"documents": len(docs), "batch_size": batch_size, "peak_mib": peak / 2**20}


def measure_pdf(
    docs: Sequence[Document], repeat: int = 3, fonttools_subsetting: bool = False
) -> dict[str, Any]:
    """Four renderers on the same documents; speed-ups as ratios of CPU time.

    ``first``: the first implementation, the fixed baseline (``bench.first_print``: the
    print as first written, rendered the naive way). ``naive``: the same naive render of the
    current print. ``unbatched``: the fast path one document per call. ``fast``:
    ``render_pdfs`` on the whole list.

    The renderers take turns, round after round (each round in another order), and a speed-up
    is the median of the rounds' own ratios: on a shared machine a burst of other work lands
    on both sides of a ratio instead of on whichever renderer ran while it lasted.

    ``fonttools_subsetting`` measures a host without HarfBuzz-Subset, where WeasyPrint
    subsets fonts with fontTools and a write costs much more.
    """
    docs = list(docs)
    renderers: dict[str, Callable[[], list[pdf.RenderedFile]]] = {
        "first": lambda: [render_pdf_first(d) for d in docs],
        "naive": lambda: [pdf.render_pdf_naive(d) for d in docs],
        "unbatched": lambda: [pdf.render_pdf_unbatched(d) for d in docs],
        "fast": lambda: pdf.render_pdfs(docs),
    }
    mode = without_harfbuzz_subset() if fonttools_subsetting else contextlib.nullcontext()
    with mode:
        warm_up_renderer(docs[0])
        pdf.prefetch_for_print(docs)
        rounds = _interleaved_rounds(renderers, max(repeat, 1))
    measured: dict[str, Any] = {name: _renderer_figures(docs, rounds[name]) for name in renderers}
    measured["fast"]["batch_size"] = pdf.RENDER_BATCH_SIZE

    def speedup(slower: str, faster: str) -> float:
        pairs = zip(rounds[slower], rounds[faster], strict=True)
        return statistics.median(a[0] / b[0] for a, b in pairs)

    return {
        **measured,
        "rounds": len(rounds["fast"]),
        "speedup_cpu": speedup("first", "fast"),
        "speedup_cpu_by_round": [
            a[0] / b[0] for a, b in zip(rounds["first"], rounds["fast"], strict=True)
        ],
        "speedup_cpu_same_templates": speedup("naive", "fast"),
        "batching_speedup_cpu": speedup("unbatched", "fast"),
        "bytes_ratio_vs_naive": measured["fast"]["bytes_per_doc"]
        / measured["naive"]["bytes_per_doc"],
        "bytes_ratio_vs_first": measured["fast"]["bytes_per_doc"]
        / measured["first"]["bytes_per_doc"],
    }


def _interleaved_rounds(
    renderers: dict[str, Callable[[], Any]], rounds: int
) -> dict[str, list[tuple[float, float, Any]]]:
    """(CPU s, wall s, result) of every renderer in every round; round i starts at the i-th."""
    names = list(renderers)
    timings: dict[str, list[tuple[float, float, Any]]] = {name: [] for name in names}
    for i in range(rounds):
        shift = i % len(names)
        for name in names[shift:] + names[:shift]:
            timings[name].append(_timed(renderers[name]))
    return timings


def _renderer_figures(
    docs: Sequence[Document], runs: list[tuple[float, float, Any]]
) -> dict[str, float]:
    """Per document: the median CPU and wall time over the rounds; the last round's bytes."""
    sizes = [len(f.content) for f in runs[-1][2]]
    return {
        "documents": len(docs),
        "cpu_ms_per_doc": 1000 * statistics.median(r[0] for r in runs) / len(docs),
        "wall_ms_per_doc": 1000 * statistics.median(r[1] for r in runs) / len(docs),
        "bytes_per_doc": statistics.mean(sizes),
        "bytes_total": sum(sizes),
    }


def measure_csv(
    merchant_id: int,
    since: dt.datetime,
    until: dt.datetime,
    tz: dt.tzinfo = dt.UTC,
    repeat: int = 3,
) -> dict[str, float]:
    """Rows per second, bytes, queries and peak Python heap of one orders export."""

    def export():
        return write_orders_csv(merchant_id, since, until, io.BytesIO(), tz)

    cpu, wall, stats = _median_runs(export, repeat)
    reset_queries()
    with CaptureQueriesContext(connection) as queries:
        export()
    tracemalloc.start()
    try:
        write_orders_csv(merchant_id, since, until, _NullSink(), tz)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    return {
        "rows": stats.rows,
        "bytes": stats.bytes,
        "cpu_s": cpu,
        "wall_s": wall,
        "rows_per_s_cpu": stats.rows / cpu if cpu else float("inf"),
        "rows_per_s_wall": stats.rows / wall if wall else float("inf"),
        "queries": len(queries.captured_queries),
        "peak_mib": peak / 2**20,
    }


class _NullSink(io.RawIOBase):
    """A file that forgets what it is given: memory measured is the exporter's alone."""

    def writable(self) -> bool:
        return True

    def write(self, data) -> int:  # type: ignore[override]
        return len(data)
