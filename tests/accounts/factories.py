"""Small builders for tests of the merchant-facing pages and the API."""

from __future__ import annotations

import itertools
from datetime import date, timedelta
from decimal import Decimal

from django.utils import timezone

from accounts.models import Merchant, User
from documents.models import Invoice, InvoiceItem, Order, OrderItem, OrderStatus, Receipt

PASSWORD = "correct-horse-battery-9"
_counter = itertools.count(1)


def make_merchant(name: str | None = None, email: str | None = None) -> tuple[Merchant, User]:
    n = next(_counter)
    merchant = Merchant.objects.create(name=name or f"Merchant {n}")
    user = User.objects.create_user(
        email=email or f"user{n}@example.com", password=PASSWORD, merchant=merchant
    )
    return merchant, user


def make_status(merchant: Merchant, name: str = "New", position: int = 0) -> OrderStatus:
    return OrderStatus.objects.get_or_create(
        merchant=merchant, name=name, defaults={"position": position}
    )[0]


def make_order(merchant: Merchant, **fields) -> Order:
    fields.setdefault("status", make_status(merchant))
    fields.setdefault("source", "Allegro")
    fields.setdefault("buyer_name", f"Buyer of {merchant.name}")
    fields.setdefault("total_gross", Decimal("123.45"))
    order = Order.objects.create(merchant=merchant, **fields)
    OrderItem.objects.create(
        order=order, name="Kubek", quantity=1, unit_price_gross=Decimal("123.45")
    )
    return order


def make_invoice(merchant: Merchant, number: str | None = None, **fields) -> Invoice:
    day = fields.pop("issue_date", timezone.localdate())
    invoice = Invoice.objects.create(
        merchant=merchant,
        number=number or f"FV {next(_counter)}/11/2026",
        issue_date=day,
        sale_date=fields.pop("sale_date", day),
        seller_name=merchant.name,
        buyer_name=fields.pop("buyer_name", f"Invoice buyer of {merchant.name}"),
        total_gross=Decimal("24.60"),
        **fields,
    )
    InvoiceItem.objects.create(
        invoice=invoice,
        name="Item",
        quantity=1,
        unit_price_net=Decimal("20.00"),
        total_net=Decimal("20.00"),
        total_gross=Decimal("24.60"),
    )
    return invoice


def make_receipt(merchant: Merchant, number: str | None = None, **fields) -> Receipt:
    return Receipt.objects.create(
        merchant=merchant,
        number=number or f"PAR {next(_counter)}/11/2026",
        issue_date=fields.pop("issue_date", date.today() - timedelta(days=1)),
        seller_name=merchant.name,
        buyer_name=fields.pop("buyer_name", f"Receipt buyer of {merchant.name}"),
        **fields,
    )
