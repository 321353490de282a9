"""Small tables of the PDF prints set as blocks of text, for a fraction of WeasyPrint's work.

A table costs WeasyPrint a wrapper, the table, its row groups, rows and cells, each a box it
styles, lays out and draws, on top of the text. The facts under the heading (dates, order),
the VAT summary, the totals and the amount due are a few lines each: set as one block of
lines (``white-space: pre``, figures moved to their columns with the spaces of
``documents.print_columns``), whose line height is the table rows' pitch, every line sits
where its row did. The heading's issuer and title, two cells side by side, become two blocks,
the title pulled up beside the issuer's one line.

Each helper returns ``None`` when it cannot promise that look (a character the bundled font
lacks, a text wider than its place, an issuer of several lines): the template then keeps the
table. The browser's HTML print always does.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from django.utils import dateformat
from django.utils.translation import gettext as _

from documents.models import Invoice, Receipt
from documents.print_columns import (
    MM_PER_PT,
    Column,
    aligned_line,
    print_font_metrics,
    spacer,
)

# print.css: type sizes, the facts' gap between label and value, the amount due's box.
TEXT_PT = 8.5
ISSUER_PT = 11
AMOUNT_DUE_PT = 11
FACTS_GAP_MM = 4
# An A4 page less its 14 mm margins; the heading's two cells share it, the issuer's is the
# left half.
CONTENT_WIDTH_MM = 210 - 2 * 14
ISSUER_WIDTH_MM = CONTENT_WIDTH_MM / 2
# The money column (92 mm) less the amount due's padding (3 mm each side) and left rule (2pt).
AMOUNT_DUE_WIDTH_MM = 92 - 2 * 3 - 2 * MM_PER_PT


def facts_lines(facts: Sequence[tuple[str, str]]) -> list[dict[str, str]] | None:
    """The facts table (grey label, bold value) as lines: each label followed by the spaces
    that move its value to where the values' column began, the widest label plus its cell's
    4 mm padding. ``None`` if a label or value cannot be measured or would not fit."""
    regular, bold = print_font_metrics(), print_font_metrics(bold=True)
    widths = [regular.printable_units(label) for label, _ in facts]
    if not facts or None in widths:
        return None
    column = max(widths) + FACTS_GAP_MM * regular.units_per_mm(TEXT_PT)  # type: ignore[type-var]
    room = CONTENT_WIDTH_MM * regular.units_per_mm(TEXT_PT)
    lines = []
    for (label, value), width in zip(facts, widths, strict=True):
        value_width = bold.printable_units(value)
        if value_width is None or column + value_width > room:
            return None
        lines.append({"label": label + spacer(column - width, regular), "value": value})  # type: ignore[operator]
    return lines


def issuer_fits_one_line(issuer: str) -> bool:
    """Whether the seller's name takes one line of the heading's left half (bold, 11pt)."""
    metrics = print_font_metrics(bold=True)
    width = metrics.printable_units(issuer)
    return width is not None and width <= ISSUER_WIDTH_MM * metrics.units_per_mm(ISSUER_PT)


def amount_due_line(label: str, amount: str) -> str | None:
    """ "Amount due" at the box's left, the amount at its right (where its float sat)."""
    columns = [
        Column(0, AMOUNT_DUE_WIDTH_MM, "left"),
        Column(AMOUNT_DUE_WIDTH_MM, AMOUNT_DUE_WIDTH_MM, "right"),
    ]
    return aligned_line([label, amount], columns, AMOUNT_DUE_PT, bold=True)


def figures_text(rows: Sequence[dict[str, Any]]) -> str | None:
    """Rows' aligned figures as one text of one line per row; ``None`` unless every row has
    its line."""
    lines = [row.get("figures") for row in rows]
    if not lines or not all(lines):
        return None
    return "\n".join(lines)  # type: ignore[arg-type]


def summary_blocks(heading: dict[str, Any], rows: Sequence[dict[str, Any]]) -> dict | None:
    """The VAT summary's heading line and rows as two blocks, if all are aligned lines."""
    text = figures_text(rows)
    if not heading.get("figures") or text is None:
        return None
    return {"heading": heading["figures"], "lines": text}


def totals_blocks(totals: Sequence[dict[str, Any]]) -> dict | None:
    """The totals above the grand total as one block, the grand total as another."""
    above, grand = figures_text(totals[:-1]), totals[-1].get("figures")
    if above is None or not grand:
        return None
    return {"lines": above, "grand": grand}


def one_text_per_row(heading: dict[str, Any], rows: Sequence[dict[str, Any]]) -> bool:
    """Whether the item table's heading and every row are one text each: then the table
    needs no columns (the <col> elements and colspans are boxes and work for nothing)."""
    return bool(heading.get("figures")) and all(row.get("line") for row in rows)


# --- The facts under the heading (the browser's table and the PDF's lines alike) ----------


def format_date(value) -> str:
    return dateformat.format(value, "Y-m-d") if value else ""


def invoice_facts(invoice: Invoice) -> list[tuple[str, str]]:
    """The label and value of each line under the heading: dates, the order."""
    facts = [
        (_("Issue date"), format_date(invoice.issue_date)),
        (_("Sale date"), format_date(invoice.sale_date)),
    ]
    if invoice.order_id:
        facts.append((_("Order"), f"#{invoice.order_id}"))
    return facts


def receipt_facts(receipt: Receipt) -> list[tuple[str, str]]:
    facts = [(_("Issue date"), format_date(receipt.issue_date))]
    if receipt.order_id:
        facts.append((_("Order"), f"#{receipt.order_id}"))
    if receipt.payment_method:
        facts.append((_("Payment method"), receipt.payment_method))
    return facts


# --- The PDF's context ---------------------------------------------------------------------


def pdf_blocks(context: dict[str, Any]) -> dict[str, Any]:
    """For the PDF: the small tables of a print's context as blocks of text where they can
    be; a block that is ``None`` (or left out) keeps its table."""
    doc = context["doc"]
    blocks: dict[str, Any] = {
        "facts_lines": facts_lines(context["facts"]),
        "issuer_one_line": issuer_fits_one_line(doc.seller_name),
        "one_text_per_row": one_text_per_row(context["heading"], context["items"]),
        "totals_blocks": totals_blocks(context["totals"]),
    }
    if "vat_summary" in context:
        summary = summary_blocks(context["summary_heading"], context["vat_summary"])
        blocks["summary_blocks"] = summary
        blocks["amount_due_line"] = amount_due_line(_("Amount due"), context["amount_due"])
    return blocks
