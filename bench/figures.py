"""Figures 1 and 2 of the bench, measured in this process with the helpers of bench.render."""

from __future__ import annotations

import datetime as dt
import io
import logging
from pathlib import Path
from typing import Any

from django.conf import settings
from django.utils import timezone

from bench import render
from documents.csv_export import write_orders_csv
from documents.models import Invoice, Receipt


def pdf_figures(
    docs: list[Invoice | Receipt], repeat: int, fonttools_subsetting: bool = False
) -> dict[str, Any]:
    """The first implementation's naive render (the fixed baseline), the naive render of
    the current print (one ``HTML().write_pdf()`` per document, WeasyPrint's defaults), the
    same with the process's shared fonts and stylesheets, and ``render_pdfs``, on the same
    documents (``bench.render.measure_pdf``).

    ``fonttools_subsetting``: as on a host without HarfBuzz-Subset, where every write subsets
    the fonts in Python and batching pays off most.
    """
    # WeasyPrint warns on every write that it falls back to fontTools: expected here.
    weasyprint_log = logging.getLogger("weasyprint")
    saved_level = weasyprint_log.level
    if fonttools_subsetting:
        weasyprint_log.setLevel(logging.ERROR)
    try:
        measured = render.measure_pdf(
            docs, repeat=repeat, fonttools_subsetting=fonttools_subsetting
        )
    finally:
        weasyprint_log.setLevel(saved_level)
    return {
        **measured,
        "repeat": repeat,
        "fonttools_subsetting": fonttools_subsetting,
        # On a host without HarfBuzz-Subset every write subsets with fontTools anyway.
        "harfbuzz_subset_available": harfbuzz_subset_available(),
        **{
            f"{renderer}_docs_per_cpu_s": 1000 / measured[renderer]["cpu_ms_per_doc"]
            for renderer in ("first", "naive", "unbatched", "fast")
        },
    }


def harfbuzz_subset_available() -> bool:
    import weasyprint.pdf.fonts as weasyprint_fonts

    return weasyprint_fonts.harfbuzz_subset is not None


# --- Orders CSV -----------------------------------------------------------------------------


def csv_window(until: dt.datetime | None = None) -> tuple[dt.datetime, dt.datetime]:
    until = until or timezone.now()
    return until - dt.timedelta(days=settings.BACKUP_ORDERS_WINDOW_DAYS), until


class _NullSink(io.RawIOBase):
    def writable(self) -> bool:
        return True

    def write(self, data) -> int:  # type: ignore[override]
        return len(data)


def _status_kib(name: str) -> int | None:
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith(name + ":"):
                return int(line.split()[1])
    except OSError:
        pass
    return None


def _reset_peak_rss() -> bool:
    """Linux: writing 5 to clear_refs resets VmHWM (the peak RSS) to the current RSS."""
    try:
        Path("/proc/self/clear_refs").write_text("5")
        return True
    except OSError:
        return False


def csv_rss_growth_mib(merchant_id: int) -> float | None:
    """How far the process's resident memory rose above its level during one export.

    Complements tracemalloc's peak (Python heap only) with what the OS sees: the database
    driver's buffers and C-level allocations included.
    """
    if not _reset_peak_rss():
        return None
    before = _status_kib("VmRSS")
    since, until = csv_window()
    write_orders_csv(merchant_id, since, until, _NullSink(), dt.UTC)
    peak = _status_kib("VmHWM")
    if before is None or peak is None:
        return None
    return max(0, peak - before) / 1024


def csv_figures(merchants: dict[int, int], repeat: int) -> dict[str, Any]:
    """For each order count → merchant id: seconds, rows/s, peak memory of one export.

    Resident-memory growth is measured first for every size, before the timed runs (which
    write into memory buffers) raise the process's high-water mark.
    """
    rss = {orders: csv_rss_growth_mib(merchant_id) for orders, merchant_id in merchants.items()}
    results: dict[str, Any] = {}
    for orders, merchant_id in merchants.items():
        since, until = csv_window()
        measured = render.measure_csv(merchant_id, since, until, dt.UTC, repeat=repeat)
        results[str(orders)] = {**measured, "rss_growth_mib": rss[orders], "repeat": repeat}
    return results
