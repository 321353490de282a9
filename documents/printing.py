"""What goes into the print of an invoice or a receipt: template context and HTML.

One template per document kind serves both the HTML print view and the PDF, so what a
merchant sees in the browser is what lands in Drive. For the PDF, the figures of a table row
come as one line of text set to the columns' edges (``documents.print_columns``): the same
look for a fraction of WeasyPrint's work. The browser gets one cell per figure, as its fonts
are not the PDF's.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.template.loader import render_to_string
from django.utils import formats
from django.utils.html import strip_spaces_between_tags
from django.utils.translation import gettext as _

from documents import print_blocks
from documents.models import Invoice, InvoiceItem, Receipt, ReceiptItem
from documents.print_columns import Column, aligned_heading, aligned_line, aligned_row

# Bump whenever a template or this module changes what a print shows: the fingerprint of
# every document changes with it, so the next backup keeps a copy in the new layout.
PRINT_TEMPLATE_VERSION = "1"

INVOICE_TEMPLATE = "documents/print/invoice.html"
RECEIPT_TEMPLATE = "documents/print/receipt.html"

CENT = Decimal("0.01")

# The prints' type sizes (print.css): body text, and the small print of table headings.
TEXT_PT = 8.5
SMALL_PT = 7.5
GRAND_TOTAL_PT = 10
# Column widths of the item tables in mm, ``None`` for the one that takes the rest; the
# templates' <col> elements are made from these, and the figures' edges too.
INVOICE_COLUMNS_MM = (7, None, 13, 11, 19, 11, 20, 18, 21)
RECEIPT_COLUMNS_MM = (7, None, 14, 24, 14, 26)
# A4 less the page's side margins (print.css): the width of the item tables.
CONTENT_WIDTH_MM = 210 - 2 * 14
# Cells' horizontal padding (print.css): item tables, the VAT summary, the totals.
LINES_PADDING_MM = 1.5
SUMMARY_WIDTH_MM = 92

Document = Invoice | Receipt


@dataclass(frozen=True)
class VatRateLine:
    rate: Decimal
    net: Decimal
    vat: Decimal
    gross: Decimal


def format_amount(value: Decimal) -> str:
    """Two decimals with the active language's separators and grouping."""
    return formats.number_format(
        Decimal(value).quantize(CENT), decimal_pos=2, use_l10n=True, force_grouping=True
    )


def format_money(value: Decimal, currency: str) -> str:
    return f"{format_amount(value)} {currency}"


def format_quantity(value: Decimal) -> str:
    """A quantity without trailing zeros: 2, 1.5, 0.125."""
    normalized = Decimal(value).normalize()
    decimals = max(0, -normalized.as_tuple().exponent)  # type: ignore[operator]
    return formats.number_format(normalized, decimal_pos=decimals, use_l10n=True)


def format_rate(value: Decimal) -> str:
    return f"{format_quantity(value)}%"


def invoice_vat_summary(items: Iterable[InvoiceItem]) -> list[VatRateLine]:
    """Net, VAT and gross per VAT rate, highest rate first, as on an EU VAT invoice."""
    sums: dict[Decimal, tuple[Decimal, Decimal]] = {}
    for item in items:
        net, gross = sums.get(item.vat_rate, (Decimal("0"), Decimal("0")))
        sums[item.vat_rate] = (net + item.total_net, gross + item.total_gross)
    return [
        VatRateLine(rate=rate, net=net, vat=gross - net, gross=gross)
        for rate, (net, gross) in sorted(sums.items(), key=lambda pair: -pair[0])
    ]


def figure_columns(
    widths_mm: Sequence[float],
    padding_mm: float,
    aligns: Sequence[str] | None = None,
    *,
    overflow: bool = False,
) -> list[Column]:
    """Where the figures of cells of these widths sit, measured from the start of the
    content box of one cell that spans them all (same padding).

    ``overflow``: a word too wide for a left-aligned cell ran into the cell's right padding
    (headings, which do not break words), so the line may use that padding too.
    """
    columns = []
    start = 0.0
    for index, width in enumerate(widths_mm):
        align = aligns[index] if aligns else "right"
        room = width - 2 * padding_mm
        if align == "right":
            edge = start + room
        else:
            edge = start
            room += padding_mm if overflow else 0
        columns.append(Column(edge, room, align))  # type: ignore[arg-type]
        start += width
    return columns


def full_widths(widths_mm: Sequence[float | None]) -> list[float]:
    """Column widths with the one left to take the rest (``None``) filled in."""
    rest = CONTENT_WIDTH_MM - sum(width or 0 for width in widths_mm)
    return [width if width is not None else rest for width in widths_mm]


INVOICE_FIGURES = figure_columns(
    INVOICE_COLUMNS_MM[2:], LINES_PADDING_MM, ["right", "left", *["right"] * 5]
)
RECEIPT_FIGURES = figure_columns(RECEIPT_COLUMNS_MM[2:], LINES_PADDING_MM)
SUMMARY_FIGURES = figure_columns([SUMMARY_WIDTH_MM / 4] * 4, LINES_PADDING_MM)
TOTALS_FIGURES = figure_columns([SUMMARY_WIDTH_MM / 2] * 2, LINES_PADDING_MM, ["left", "right"])


def table_heading(
    cells: Sequence[tuple[str, str]], widths_mm: Sequence[float | None], *, for_pdf: bool
) -> dict[str, Any]:
    """An item table's heading: (label, css class) per column, and for the PDF the labels
    as one text of at most two lines, white on the heading's blue like the cells were."""
    heading: dict[str, Any] = {
        "cells": [{"label": label, "css": css} for label, css in cells],
        "figures": None,
    }
    if for_pdf:
        widths = full_widths(widths_mm)
        aligns = ["left" if "text" in css else "right" for _, css in cells]
        columns = figure_columns(widths, LINES_PADDING_MM, aligns, overflow=True)
        labels = [label for label, _ in cells]
        heading["figures"] = aligned_heading(labels, columns, font_size_pt=SMALL_PT, bold=True)
    return heading


def invoice_heading(*, for_pdf: bool) -> dict[str, Any]:
    cells = [
        (_("No."), "pos text"),
        (_("Product or service"), "text"),
        (_("Qty"), ""),
        (_("Unit"), "text"),
        (_("Unit net price"), ""),
        (_("VAT rate"), ""),
        (_("Net amount"), ""),
        (_("VAT amount"), ""),
        (_("Gross amount"), ""),
    ]
    return table_heading(cells, INVOICE_COLUMNS_MM, for_pdf=for_pdf)


def receipt_heading(*, for_pdf: bool) -> dict[str, Any]:
    cells = [
        (_("No."), "pos text"),
        (_("Product or service"), "text"),
        (_("Qty"), ""),
        (_("Unit gross price"), ""),
        (_("VAT rate"), ""),
        (_("Gross amount"), ""),
    ]
    return table_heading(cells, RECEIPT_COLUMNS_MM, for_pdf=for_pdf)


INVOICE_ROW_ALIGNS = ["left", "left", "right", "left", *["right"] * 5]
RECEIPT_ROW_ALIGNS = ["left", "left", *["right"] * 4]


def row_columns(widths_mm: Sequence[float | None], aligns: Sequence[str]) -> list[Column]:
    """A whole item row's columns; the position may run into its cell's right padding."""
    columns = figure_columns(full_widths(widths_mm), LINES_PADDING_MM, aligns)
    position = columns[0]
    return [Column(position.edge_mm, position.width_mm + LINES_PADDING_MM, "left"), *columns[1:]]


INVOICE_ROW = row_columns(INVOICE_COLUMNS_MM, INVOICE_ROW_ALIGNS)
RECEIPT_ROW = row_columns(RECEIPT_COLUMNS_MM, RECEIPT_ROW_ALIGNS)


def with_row_text(
    row: dict[str, Any], keys: Sequence[str], columns: Sequence[Column]
) -> dict[str, Any]:
    """For the PDF: the row after its position number (grey, a span of its own) as one text
    under ``line``, the name wrapped in its column; else its figures as one text (or None)."""
    position = str(row["position"])
    values = [position, row["name"], *(row[key] for key in keys)]
    text = aligned_row(values, 1, columns, font_size_pt=TEXT_PT)
    row["line"] = text[len(position) :] if text else None
    return row


def with_figures_line(
    row: dict[str, Any], keys: Sequence[str], columns: Sequence[Column], **font: Any
) -> dict[str, Any]:
    """The row, plus its figures as one aligned line under ``figures`` (None: one cell each)."""
    row["figures"] = aligned_line([row[key] for key in keys], columns, **font)
    return row


INVOICE_FIGURE_KEYS = (
    "quantity",
    "unit",
    "unit_price_net",
    "vat_rate",
    "total_net",
    "vat",
    "total_gross",
)
RECEIPT_FIGURE_KEYS = ("quantity", "unit_price_gross", "vat_rate", "total_gross")
SUMMARY_KEYS = ("rate", "net", "vat", "gross")


def invoice_item_rows(items: list[InvoiceItem], *, for_pdf: bool = False) -> list[dict[str, Any]]:
    rows = [
        {
            "position": position,
            "name": item.name,
            "quantity": format_quantity(item.quantity),
            "unit": item.unit,
            "unit_price_net": format_amount(item.unit_price_net),
            "vat_rate": format_rate(item.vat_rate),
            "total_net": format_amount(item.total_net),
            "vat": format_amount(item.total_gross - item.total_net),
            "total_gross": format_amount(item.total_gross),
        }
        for position, item in enumerate(items, start=1)
    ]
    if for_pdf:
        for row in rows:
            with_row_text(row, INVOICE_FIGURE_KEYS, INVOICE_ROW)
            with_figures_line(row, INVOICE_FIGURE_KEYS, INVOICE_FIGURES, font_size_pt=TEXT_PT)
    return rows


def vat_summary_rows(items: list[InvoiceItem], *, for_pdf: bool) -> list[dict[str, Any]]:
    rows = [
        {
            "rate": format_rate(line.rate),
            "net": format_amount(line.net),
            "vat": format_amount(line.vat),
            "gross": format_amount(line.gross),
        }
        for line in invoice_vat_summary(items)
    ]
    if for_pdf:
        for row in rows:
            with_figures_line(row, SUMMARY_KEYS, SUMMARY_FIGURES, font_size_pt=TEXT_PT)
    return rows


def totals_rows(labelled: Sequence[tuple[str, str]], *, for_pdf: bool) -> list[dict[str, Any]]:
    """Label and amount per line; the last one is the grand total (bold, larger)."""
    rows = []
    for index, (label, amount) in enumerate(labelled):
        grand = index == len(labelled) - 1
        row = {"label": label, "amount": amount, "grand": grand}
        if for_pdf:
            size = GRAND_TOTAL_PT if grand else TEXT_PT
            keys = ("label", "amount")
            with_figures_line(row, keys, TOTALS_FIGURES, font_size_pt=size, bold=grand)
        rows.append(row)
    return rows


def totals_lines(totals: Sequence[dict[str, Any]]) -> str | None:
    """The totals above the grand total as one text, if every line (the grand one too) has
    its aligned line."""
    if not totals[-1].get("figures"):
        return None
    return stacked_lines(totals[:-1])


def document_totals(doc: Document, labels: Sequence[str], *, for_pdf: bool) -> list[dict]:
    """Net, VAT and gross of the whole document, under the given labels."""
    net, gross = doc.total_net, doc.total_gross
    amounts = [format_money(value, doc.currency) for value in (net, gross - net, gross)]
    return totals_rows(list(zip(labels, amounts, strict=True)), for_pdf=for_pdf)


def stacked_lines(rows: Sequence[dict[str, Any]]) -> str | None:
    """Rows whose figures are one line each, as one text of several lines (print.css gives it
    the rows' pitch as line height); ``None`` unless every row has its line."""
    lines = [row.get("figures") for row in rows]
    if len(lines) < 2 or not all(lines):
        return None
    return "\n".join(lines)  # type: ignore[arg-type]


def summary_heading(labels: Sequence[str], *, for_pdf: bool) -> dict[str, Any]:
    heading: dict[str, Any] = {"labels": list(labels), "figures": None}
    if for_pdf:
        heading["figures"] = aligned_line(labels, SUMMARY_FIGURES, font_size_pt=SMALL_PT)
    return heading


def invoice_context(invoice: Invoice, *, for_pdf: bool = False) -> dict[str, Any]:
    items = list(invoice.items.all())
    currency = invoice.currency
    context = {
        "doc": invoice,
        "title": invoice.number,
        "facts": print_blocks.invoice_facts(invoice),
        "columns_mm": INVOICE_COLUMNS_MM,
        "heading": invoice_heading(for_pdf=for_pdf),
        "items": invoice_item_rows(items, for_pdf=for_pdf),
        "summary_heading": summary_heading(
            [_("VAT rate"), _("Net amount"), _("VAT amount"), _("Gross amount")], for_pdf=for_pdf
        ),
        "vat_summary": (vat_summary := vat_summary_rows(items, for_pdf=for_pdf)),
        "vat_summary_lines": stacked_lines(vat_summary),
        "totals": (
            totals := document_totals(
                invoice, (_("Total net"), _("Total VAT"), _("Total gross")), for_pdf=for_pdf
            )
        ),
        "totals_lines": totals_lines(totals),
        "amount_due": format_money(invoice.total_gross, currency),
    }
    return context | print_blocks.pdf_blocks(context) if for_pdf else context


def receipt_item_rows(items: list[ReceiptItem], *, for_pdf: bool = False) -> list[dict[str, Any]]:
    rows = [
        {
            "position": position,
            "name": item.name,
            "quantity": format_quantity(item.quantity),
            "unit_price_gross": format_amount(item.unit_price_gross),
            "vat_rate": format_rate(item.vat_rate),
            "total_gross": format_amount(item.total_gross),
        }
        for position, item in enumerate(items, start=1)
    ]
    if for_pdf:
        for row in rows:
            with_row_text(row, RECEIPT_FIGURE_KEYS, RECEIPT_ROW)
            with_figures_line(row, RECEIPT_FIGURE_KEYS, RECEIPT_FIGURES, font_size_pt=TEXT_PT)
    return rows


def receipt_context(receipt: Receipt, *, for_pdf: bool = False) -> dict[str, Any]:
    items = list(receipt.items.all())
    context = {
        "doc": receipt,
        "title": receipt.number,
        "facts": print_blocks.receipt_facts(receipt),
        "columns_mm": RECEIPT_COLUMNS_MM,
        "heading": receipt_heading(for_pdf=for_pdf),
        "items": receipt_item_rows(items, for_pdf=for_pdf),
        "totals": (
            totals := document_totals(
                receipt, (_("Net amount"), _("VAT amount"), _("Total")), for_pdf=for_pdf
            )
        ),
        "totals_lines": totals_lines(totals),
    }
    return context | print_blocks.pdf_blocks(context) if for_pdf else context


def print_template_and_context(doc: Document, *, for_pdf: bool) -> tuple[str, dict[str, Any]]:
    if isinstance(doc, Invoice):
        return INVOICE_TEMPLATE, invoice_context(doc, for_pdf=for_pdf)
    if isinstance(doc, Receipt):
        return RECEIPT_TEMPLATE, receipt_context(doc, for_pdf=for_pdf)
    raise TypeError(f"Not a printable document: {type(doc).__name__}")


def render_print_html(doc: Document, *, for_pdf: bool, extra: dict[str, Any] | None = None) -> str:
    """The print of one document as a standalone HTML page.

    ``for_pdf`` leaves out the inline stylesheet and the browser toolbar: the PDF renderer
    brings its own parsed stylesheet and bundled fonts.
    """
    template_name, context = print_template_and_context(doc, for_pdf=for_pdf)
    context.update(extra or {})
    context["for_pdf"] = for_pdf
    html = render_to_string(template_name, context)
    # Whitespace between tags is text WeasyPrint parses and then throws away.
    return strip_spaces_between_tags(html) if for_pdf else html
