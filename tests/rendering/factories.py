"""Plain model constructors for the rendering tests (and scratch benchmarks)."""

from __future__ import annotations

import datetime as dt
import hashlib
from decimal import Decimal

from accounts.models import Merchant
from documents.models import ApiInvoicePdf, Invoice, Order, OrderItem, OrderStatus, Receipt
from tests import factories

SELLER = {
    "seller_name": "Sklep Żółta Łódź sp. z o.o.",
    "seller_address": "ul. Świętokrzyska 12/4\n00-116 Warszawa\nPolska",
    "seller_tax_id": "PL5252248481",
}
BUYER = {
    "buyer_name": "João Conceição Araújo",
    "buyer_address": "Rua das Flores 45, 2º Esq.\n4050-262 Porto\nPortugal",
    "buyer_tax_id": "PT501964843",
}
PRODUCTS = [
    ("Kubek ceramiczny „Gżegżółka” 350 ml", "pcs", Decimal("24.39"), Decimal("23")),
    ("Livro: Memórias Póstumas de Brás Cubas", "pcs", Decimal("42.45"), Decimal("5")),
    ("Kawa ziarnista 1 kg, Etiopia Yirgacheffe", "kg", Decimal("81.30"), Decimal("8")),
    ("Usługa pakowania na prezent", "svc", Decimal("8.13"), Decimal("23")),
]
Q = Decimal("0.01")


def make_merchant(name: str = "Żółta Łódź") -> Merchant:
    return Merchant.objects.create(name=name)


def invoice_items(count: int) -> list[tuple[str, str, Decimal, Decimal, Decimal]]:
    rows = []
    for i in range(count):
        name, unit, price, rate = PRODUCTS[i % len(PRODUCTS)]
        quantity = Decimal(1 + i % 3)
        label = f"{name} #{i + 1}" if count > len(PRODUCTS) else name
        rows.append((label, unit, price, rate, quantity))
    return rows


def make_invoice(
    merchant: Merchant,
    number: str,
    items: int = 3,
    *,
    source: str = Invoice.Source.PLATFORM,
    issue_date: dt.date = dt.date(2026, 11, 12),
    currency: str = "PLN",
) -> Invoice:
    """A print-worthy invoice: Polish seller, Portuguese buyer, `items` lines of PRODUCTS."""
    lines = []
    for name, unit, price, rate, quantity in invoice_items(items):
        net = (price * quantity).quantize(Q)
        lines.append(
            {
                "name": name,
                "quantity": quantity,
                "unit": unit,
                "unit_price_net": price,
                "vat_rate": rate,
                "total_net": net,
                "total_gross": (net * (1 + rate / 100)).quantize(Q),
            }
        )
    return factories.make_invoice(
        merchant,
        number,
        issue_date=issue_date,
        payment_method="Przelew bancário",
        payment_due=issue_date + dt.timedelta(days=14),
        currency=currency,
        source=source,
        items=lines,
        **SELLER,
        **BUYER,
    )


def make_api_invoice(merchant: Merchant, number: str, content: bytes) -> Invoice:
    invoice = make_invoice(merchant, number, items=1, source=Invoice.Source.API)
    ApiInvoicePdf.objects.create(
        invoice=invoice,
        content=content,
        sha256=hashlib.sha256(content).hexdigest(),
        size=len(content),
    )
    return invoice


def make_receipt(merchant: Merchant, number: str, items: int = 2) -> Receipt:
    """A print-worthy receipt with `items` lines of PRODUCTS."""
    lines = []
    total_net = Decimal("0")
    for name, _unit, price, rate, quantity in invoice_items(items):
        gross_price = (price * (1 + rate / 100)).quantize(Q)
        gross = (gross_price * quantity).quantize(Q)
        total_net += (gross / (1 + rate / 100)).quantize(Q)
        lines.append(
            {
                "name": name,
                "quantity": quantity,
                "unit_price_gross": gross_price,
                "vat_rate": rate,
                "total_gross": gross,
            }
        )
    return factories.make_receipt(
        merchant,
        number,
        issue_date=dt.date(2026, 11, 13),
        payment_method="Cartão",
        buyer_name="Zdzisław Bąk",
        total_net=total_net,
        total_gross=sum((line["total_gross"] for line in lines), Decimal("0")),
        items=lines,
        **SELLER,
    )


def make_status(merchant: Merchant, name: str = "New") -> OrderStatus:
    return OrderStatus.objects.create(merchant=merchant, name=name)


def make_order(
    merchant: Merchant,
    status: OrderStatus,
    status_changed_at: dt.datetime,
    items: int = 2,
    **fields,
) -> Order:
    order = Order.objects.create(
        merchant=merchant,
        status=status,
        status_changed_at=status_changed_at,
        source=fields.pop("source", "allegro"),
        external_id=fields.pop("external_id", "A-1"),
        created_at=fields.pop("created_at", status_changed_at - dt.timedelta(days=1)),
        **fields,
    )
    OrderItem.objects.bulk_create(
        OrderItem(
            order=order,
            name=f"Item {i + 1}",
            sku=f"SKU-{i + 1}",
            quantity=Decimal(i + 1),
            unit_price_gross=Decimal("10.50"),
        )
        for i in range(items)
    )
    return order
