"""Seeding demo merchants: sizes, merchants, their statuses and orders (see documents.demo)."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from datetime import datetime, timedelta
from decimal import Decimal

from django.conf import settings
from django.contrib.auth.hashers import make_password
from django.db import transaction
from django.utils import timezone

from accounts.models import Merchant, User
from documents.demo.documents import seed_invoices, seed_receipts
from documents.demo.generators import Generator, OrderIndex, Sizes, batched, seconds_ago
from documents.demo.rows import BATCH_SIZE, insert_rows
from documents.demo.vocabulary import (
    OLD_STATUS_WEIGHTS,
    PRODUCTS,
    PROFILES,
    RECENT_STATUS_WEIGHTS,
    Profile,
)
from documents.models import (
    Order,
    OrderItem,
    OrderStatus,
)

DEFAULT_SEED = 20261123
DEMO_EMAIL = "demo@example.com"
DEMO_PASSWORD = "demo-password-2026"  # printed by `make run`; demo data only


def merchant_email(index: int) -> str:
    """E-mail of the n-th demo merchant's user (0 is the demo merchant)."""
    return DEMO_EMAIL if index == 0 else f"merchant{index + 1}@example.com"


# --- Seeding ------------------------------------------------------------------------------


def seed(
    *,
    merchants: int = 3,
    orders: int = 300,
    invoices: int = 60,
    receipts: int = 30,
    months: int = 3,
    invoices_this_month: int | None = None,
    receipts_this_month: int | None = None,
    orders_in_window: int | None = None,
    status_days: int = 60,
    api_invoices: int = 3,
    external_invoices: int = 3,
    external_accounting_merchants: Sequence[int] = (),
    seed: int = DEFAULT_SEED,
    now: datetime | None = None,
    password: str = DEMO_PASSWORD,
    first_index: int = 0,
) -> list[Merchant]:
    """Create ``merchants`` demo merchants with their data; return them.

    Counts are per merchant. ``invoices`` counts the invoices kept by the platform (issued in
    the panel or sent through the API); ``external_invoices`` come on top. Defaults for the
    "this month" counts and the 30-day order window are proportional shares.
    ``external_accounting_merchants`` lists merchant indexes whose invoices all come from an
    external accounting system (S11: nothing to back up). ``first_index`` lets callers add
    merchants after existing ones (``merchant{n}@example.com``).
    """
    now = now or timezone.now()
    sizes = _sizes(
        orders=orders,
        orders_in_window=orders_in_window,
        status_days=status_days,
        invoices=invoices,
        invoices_this_month=invoices_this_month,
        receipts=receipts,
        receipts_this_month=receipts_this_month,
        months=months,
        api_invoices=api_invoices,
        external_invoices=external_invoices,
    )
    password_hash = make_password(password)  # hashed once: hashing is slow by design
    created = []
    with transaction.atomic():
        for index in range(first_index, first_index + merchants):
            gen = Generator(seed * 1_000_003 + index)
            external = index in external_accounting_merchants
            created.append(_seed_merchant(index, gen, sizes, now, password_hash, external))
    return created


def _sizes(**kw) -> Sizes:
    for name, value in kw.items():
        if value is not None and value < 0:
            raise ValueError(f"{name} must not be negative")
    if kw["status_days"] <= settings.BACKUP_ORDERS_WINDOW_DAYS:
        raise ValueError("status_days must be longer than the backup's order window")
    window_share = settings.BACKUP_ORDERS_WINDOW_DAYS / kw["status_days"]
    orders_in_window = kw["orders_in_window"]
    if orders_in_window is None:
        orders_in_window = round(kw["orders"] * window_share)
    share_this_month = 1 / (kw["months"] + 1)
    invoices_this_month = kw["invoices_this_month"]
    if invoices_this_month is None:
        invoices_this_month = max(round(kw["invoices"] * share_this_month), kw["api_invoices"])
    receipts_this_month = kw["receipts_this_month"]
    if receipts_this_month is None:
        receipts_this_month = round(kw["receipts"] * share_this_month)
    if kw["months"] == 0:
        invoices_this_month, receipts_this_month = kw["invoices"], kw["receipts"]
    checks = (
        (orders_in_window, kw["orders"], "orders_in_window"),
        (invoices_this_month, kw["invoices"], "invoices_this_month"),
        (receipts_this_month, kw["receipts"], "receipts_this_month"),
        (kw["api_invoices"], invoices_this_month, "api_invoices (placed this month)"),
    )
    for part, whole, name in checks:
        if part > whole:
            raise ValueError(f"{name} ({part}) exceeds its total ({whole})")
    return Sizes(
        orders=kw["orders"],
        orders_in_window=orders_in_window,
        status_days=kw["status_days"],
        invoices=kw["invoices"],
        invoices_this_month=invoices_this_month,
        receipts=kw["receipts"],
        receipts_this_month=receipts_this_month,
        months=kw["months"],
        api_invoices=kw["api_invoices"],
        external_invoices=kw["external_invoices"],
    )


def _seed_merchant(
    index: int, gen: Generator, sizes: Sizes, now: datetime, password_hash: str, external: bool
) -> Merchant:
    profile = PROFILES[index % len(PROFILES)]
    name = profile.name if index < len(PROFILES) else f"{profile.name} #{index + 1}"
    merchant = Merchant.objects.create(
        name=name,
        external_accounting_enabled=external,
        language=profile.language,
        time_zone=profile.time_zone,
    )
    email = merchant_email(index)
    User.objects.create(email=email, username=email, password=password_hash, merchant=merchant)
    statuses = [
        OrderStatus(merchant=merchant, name=status_name, position=position)
        for position, status_name in enumerate(profile.statuses)
    ]
    OrderStatus.objects.bulk_create(statuses)
    statuses = list(OrderStatus.objects.filter(merchant=merchant).order_by("position"))

    order_index = _seed_orders(merchant, profile, statuses, gen, sizes, now)
    seed_invoices(merchant, profile, gen, sizes, now, order_index, external)
    seed_receipts(merchant, profile, gen, sizes, now, order_index)
    return merchant


def _seed_orders(
    merchant: Merchant,
    profile: Profile,
    statuses: list[OrderStatus],
    gen: Generator,
    sizes: Sizes,
    now: datetime,
) -> OrderIndex:
    window = settings.BACKUP_ORDERS_WINDOW_DAYS * 86400
    # A margin on both sides of the window's edge keeps the count exact for a run a little
    # after `now`.
    in_window = (60, window - 3600)
    before_window = (window + 3600, sizes.status_days * 86400)
    pairs: list[tuple[datetime, int]] = []

    def build() -> Iterator[tuple[Order, list[OrderItem]]]:
        for i in range(sizes.orders):
            span = in_window if i < sizes.orders_in_window else before_window
            yield _build_order(merchant, profile, statuses, gen, now, span)

    for batch in batched(build(), BATCH_SIZE):
        orders = [order for order, _ in batch]
        insert_rows(Order, orders)
        ids = dict(
            Order.objects.filter(uuid__in=[o.uuid for o in orders]).values_list("uuid", "pk")
        )
        for order in orders:
            order.pk = ids[order.uuid]
        items = []
        for order, order_items in batch:
            for item in order_items:
                item.order_id = order.pk
                items.append(item)
            pairs.append((order.created_at, order.pk))
        insert_rows(OrderItem, items)
    pairs.sort()
    return OrderIndex(days=[timezone.localdate(c) for c, _ in pairs], ids=[p for _, p in pairs])


def _build_order(
    merchant: Merchant,
    profile: Profile,
    statuses: list[OrderStatus],
    gen: Generator,
    now: datetime,
    span: tuple[int, int],
) -> tuple[Order, list[OrderItem]]:
    changed_at = seconds_ago(now, *span, gen)
    recent = now - changed_at < timedelta(days=3)
    status = gen.weighted(statuses, RECENT_STATUS_WEIGHTS if recent else OLD_STATUS_WEIGHTS)
    if status.position == 0:
        created_at = changed_at
    else:
        created_at = changed_at - timedelta(seconds=gen.rng.randrange(600, 14 * 86400))
    marketplace = gen.weighted(profile.marketplaces, [m.weight for m in profile.marketplaces])
    currency, country, _ = gen.weighted(profile.markets, [m[2] for m in profile.markets])
    buyer = gen.person(country)
    street, postcode, city = gen.address(country)
    company = gen.company(country) if gen.rng.random() < 0.2 else ""
    items = []
    for _ in range(gen.weighted((1, 2, 3, 4), (55, 28, 12, 5))):
        product = gen.pick(PRODUCTS)
        items.append(
            OrderItem(
                name=product.name,
                sku=product.sku,
                quantity=Decimal(gen.weighted((1, 2, 3, 5), (75, 17, 6, 2))),
                unit_price_gross=gen.money(product.price, currency),
                vat_rate=product.vat,
            )
        )
    delivery_price = gen.money(
        Decimal(gen.pick(("0", "9.99", "12.99", "16.50", "24.00"))), currency
    )
    total = sum((i.quantity * i.unit_price_gross for i in items), Decimal("0")) + delivery_price
    cancelled = status.position == 4
    paid = Decimal("0") if cancelled or status.position == 0 else total
    order = Order(
        merchant=merchant,
        uuid=gen.uuid(),
        source=marketplace.name,
        external_id=gen.digits(marketplace.external_id_format),
        created_at=created_at,
        status=status,
        status_changed_at=changed_at,
        buyer_name=buyer,
        buyer_email=gen.email(buyer),
        buyer_phone=gen.digits(country.phone_format),
        buyer_company=company,
        buyer_tax_id=gen.digits(country.tax_id_format) if company else "",
        delivery_name=buyer,
        delivery_company=company,
        delivery_street=street,
        delivery_postcode=postcode,
        delivery_city=city,
        delivery_country=country.code,
        invoice_name=buyer,
        invoice_company=company,
        invoice_street=street,
        invoice_postcode=postcode,
        invoice_city=city,
        invoice_country=country.code,
        payment_method=gen.pick(profile.payment_methods),
        delivery_method=gen.pick(profile.delivery_methods),
        delivery_price=delivery_price,
        currency=currency,
        total_gross=total,
        paid=paid,
    )
    return order, items
