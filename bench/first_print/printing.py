"""Template context and HTML of the first print: ``documents/printing.py`` at commit a2ab3eb.

Its templates (``templates/`` here) are rendered by an engine of their own, so that they
never pick up the project's current ones; the words come from the project's catalogs.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from decimal import Decimal
from functools import cache
from pathlib import Path
from typing import Any

from django.template import Context, Engine
from django.utils import formats

from documents.models import Invoice, InvoiceItem, Receipt, ReceiptItem

TEMPLATES_DIR = Path(__file__).resolve().parent / "templates"
INVOICE_TEMPLATE = "documents/print/invoice.html"
RECEIPT_TEMPLATE = "documents/print/receipt.html"
STYLESHEET_TEMPLATE = "documents/print/print.css"

CENT = Decimal("0.01")

Document = Invoice | Receipt


@cache
def template_engine() -> Engine:
    return Engine(
        dirs=[str(TEMPLATES_DIR)],
        libraries={"i18n": "django.templatetags.i18n", "static": "django.templatetags.static"},
    )


def render_template(name: str, context: dict[str, Any]) -> str:
    return template_engine().get_template(name).render(Context(context))


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


def invoice_item_rows(items: list[InvoiceItem]) -> list[dict[str, Any]]:
    return [
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


def invoice_context(invoice: Invoice) -> dict[str, Any]:
    items = list(invoice.items.all())
    currency = invoice.currency
    summary = invoice_vat_summary(items)
    return {
        "doc": invoice,
        "title": invoice.number,
        "items": invoice_item_rows(items),
        "vat_summary": [
            {
                "rate": format_rate(line.rate),
                "net": format_amount(line.net),
                "vat": format_amount(line.vat),
                "gross": format_amount(line.gross),
            }
            for line in summary
        ],
        "total_net": format_money(invoice.total_net, currency),
        "total_vat": format_money(invoice.total_gross - invoice.total_net, currency),
        "total_gross": format_money(invoice.total_gross, currency),
        "amount_due": format_money(invoice.total_gross, currency),
    }


def receipt_item_rows(items: list[ReceiptItem]) -> list[dict[str, Any]]:
    return [
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


def receipt_context(receipt: Receipt) -> dict[str, Any]:
    items = list(receipt.items.all())
    currency = receipt.currency
    return {
        "doc": receipt,
        "title": receipt.number,
        "items": receipt_item_rows(items),
        "total_net": format_money(receipt.total_net, currency),
        "total_vat": format_money(receipt.total_gross - receipt.total_net, currency),
        "total_gross": format_money(receipt.total_gross, currency),
    }


def print_template_and_context(doc: Document) -> tuple[str, dict[str, Any]]:
    if isinstance(doc, Invoice):
        return INVOICE_TEMPLATE, invoice_context(doc)
    if isinstance(doc, Receipt):
        return RECEIPT_TEMPLATE, receipt_context(doc)
    raise TypeError(f"Not a printable document: {type(doc).__name__}")


def render_print_html(doc: Document) -> str:
    """The first print of one document as the PDF renderer got it (``for_pdf``: no inline
    stylesheet, no browser toolbar)."""
    template_name, context = print_template_and_context(doc)
    context["for_pdf"] = True
    return render_template(template_name, context)


def stylesheet() -> str:
    return render_template(STYLESHEET_TEMPLATE, {})
