"""Large documents: CPU per page of invoices of 10 to 5,000 items, and their HTML print.

A table that runs over many pages used to cost more per page as the pages grew (WeasyPrint
issue #1296); the figure that says whether that is gone is ``page_cost_ratio``: CPU per page
of the 1,000-item invoice over CPU per page of a two-page one. The HTML print of the
1,000-item invoice (what the panel serves in a web request) is timed too.
"""

from __future__ import annotations

import io
import time
from typing import Any

from django.db import connection
from django.test.utils import CaptureQueriesContext
from pypdf import PdfReader

from accounts.models import Merchant
from documents import pdf
from documents.models import Invoice
from documents.printing import render_print_html
from tests.rendering import factories

TWO_PAGE_ITEMS = 30
# In the number of every invoice this module makes, so that it can delete them all.
LARGE_MARK = "/LARGE/"
RATIO_ITEMS = 1000


def make_large_invoice(merchant: Merchant, items: int) -> Invoice:
    """An invoice of ``items`` lines, the rendering tests' products in turn."""
    return factories.make_invoice(merchant, f"FV {items}{LARGE_MARK}{merchant.pk}", items=items)


def _loaded(invoice: Invoice) -> Invoice:
    return Invoice.objects.prefetch_related("items").get(pk=invoice.pk)


def measure_invoice_pdf(invoice: Invoice, repeat: int) -> dict[str, Any]:
    """Best of ``repeat`` CPU times of ``render_pdfs`` for one invoice, per page."""
    invoice = _loaded(invoice)
    cpu_times, wall_times, content = [], [], b""
    for _ in range(repeat):
        cpu, wall = time.process_time(), time.perf_counter()
        content = pdf.render_pdfs([invoice])[0].content
        cpu_times.append(time.process_time() - cpu)
        wall_times.append(time.perf_counter() - wall)
    pages = len(PdfReader(io.BytesIO(content)).pages)
    cpu = min(cpu_times)
    return {
        "items": invoice.items.count(),
        "pages": pages,
        "cpu_s": cpu,
        "wall_s": min(wall_times),
        "cpu_ms_per_page": 1000 * cpu / pages,
        "bytes": len(content),
        "repeat": repeat,
    }


def measure_html_print(invoice: Invoice, repeat: int) -> dict[str, Any]:
    """The HTML print (the browser's page, one cell per figure): seconds and queries."""
    cpu_times, wall_times = [], []
    html = ""
    for _ in range(repeat):
        cpu, wall = time.process_time(), time.perf_counter()
        with CaptureQueriesContext(connection) as queries:
            html = render_print_html(_loaded(invoice), for_pdf=False, extra={})
        cpu_times.append(time.process_time() - cpu)
        wall_times.append(time.perf_counter() - wall)
    return {
        "items": invoice.items.count(),
        "cpu_s": min(cpu_times),
        "wall_s": min(wall_times),
        "queries": len(queries.captured_queries),
        "html_bytes": len(html.encode()),
    }


def _repeat_for(items: int, ratio_size: int, repeat: int) -> int:
    """How many renders of an invoice of ``items`` lines to take the best of.

    The two sides of ``page_cost_ratio`` are measured alike (best of ``repeat``): a single
    render against a best-of-five carries one render's noise into the ratio (0.88 in one run,
    1.42 in the next on the same code). Other invoices of more than 100 items take seconds
    each, and once is enough for a per-page figure.
    """
    return repeat if items <= 100 or items == ratio_size else 1


def pdf_large_figures(merchant: Merchant, item_counts: tuple[int, ...], repeat: int) -> dict:
    """Per-page CPU of each size and of a two-page invoice; their ratio; the HTML print.

    The invoices are deleted afterwards: the merchant is one of the night's, and the next
    night's documents copy a merchant's latest invoices (bench.dataset), so a copy of the
    5,000-item invoice went into that night (about 20 CPU-s in one run, its estimate 1.20x
    against 1.15x without).
    """
    try:
        return _measure_large_invoices(merchant, item_counts, repeat)
    finally:
        Invoice.objects.filter(merchant=merchant, number__contains=LARGE_MARK).delete()


def _measure_large_invoices(merchant: Merchant, item_counts: tuple[int, ...], repeat: int) -> dict:
    pdf.render_pdfs([_loaded(make_large_invoice(merchant, 3))])  # fonts, stylesheets
    two_page = measure_invoice_pdf(make_large_invoice(merchant, TWO_PAGE_ITEMS), repeat)
    ratio_size = RATIO_ITEMS if RATIO_ITEMS in item_counts else max(item_counts)
    sizes = {}
    for items in item_counts:
        invoice = make_large_invoice(merchant, items)
        sizes[str(items)] = measure_invoice_pdf(invoice, _repeat_for(items, ratio_size, repeat))
        if items == RATIO_ITEMS:
            html_print = measure_html_print(invoice, repeat)
    ratio_base = sizes[str(ratio_size)]
    figures: dict[str, Any] = {
        "two_page": two_page,
        "sizes": sizes,
        "ratio_items": ratio_base["items"],
        "page_cost_ratio": ratio_base["cpu_ms_per_page"] / two_page["cpu_ms_per_page"],
    }
    if str(RATIO_ITEMS) in sizes:
        figures["html_print"] = html_print
    return figures
