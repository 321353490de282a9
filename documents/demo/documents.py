"""Seeding a demo merchant's invoices (platform, API, external) and receipts."""

from __future__ import annotations

import hashlib
from datetime import date, datetime, timedelta
from decimal import ROUND_HALF_UP, Decimal

from django.utils import timezone

from accounts.models import Merchant
from documents.demo.generators import (
    CENT,
    Generator,
    OrderIndex,
    Sizes,
    batched,
    month_start,
    random_day_in_month,
    spread_counts,
)
from documents.demo.rows import BATCH_SIZE, minimal_pdf
from documents.demo.vocabulary import PRODUCTS, Profile
from documents.models import (
    ApiInvoicePdf,
    Invoice,
    InvoiceItem,
    Receipt,
    ReceiptItem,
)


def _document_days(
    gen: Generator, today: date, total: int, this_month: int, months: int
) -> list[date]:
    first_this_month = today.replace(day=1)
    days = [random_day_in_month(first_this_month, today, gen) for _ in range(this_month)]
    earlier = total - this_month
    if months and earlier:
        for months_back, count in enumerate(spread_counts(earlier, months), start=1):
            first = month_start(today, months_back)
            days += [random_day_in_month(first, today, gen) for _ in range(count)]
    return days


def _numbered(prefix: str, days: list[date]) -> list[tuple[date, str]]:
    """Number documents per month in issue order: ``FV 1/11/2026``, ``FV 2/11/2026``..."""
    numbered = []
    sequence: dict[tuple[int, int], int] = {}
    for day in sorted(days):
        key = (day.year, day.month)
        sequence[key] = sequence.get(key, 0) + 1
        numbered.append((day, f"{prefix} {sequence[key]}/{day.month:02d}/{day.year}"))
    return numbered


def _party(gen: Generator, profile: Profile, company_share: float) -> tuple[str, str, str, str]:
    """Name, address, tax id and currency of a buyer."""
    currency, country, _ = gen.weighted(profile.markets, [m[2] for m in profile.markets])
    street, postcode, city = gen.address(country)
    if gen.rng.random() < company_share:
        name = gen.company(country)
        tax_id = gen.digits(country.tax_id_format)
    else:
        name, tax_id = gen.person(country), ""
    return name, f"{street}\n{postcode} {city}\n{country.code}", tax_id, currency


def seed_invoices(
    merchant: Merchant,
    profile: Profile,
    gen: Generator,
    sizes: Sizes,
    now: datetime,
    order_index: OrderIndex,
    external_only: bool,
) -> None:
    today = timezone.localdate(now)
    kept_days = _document_days(gen, today, sizes.invoices, sizes.invoices_this_month, sizes.months)
    this_month = today.replace(day=1)
    # External invoices sit in earlier months so that "this month" counts what can be backed up.
    external_days = _document_days(
        gen,
        today,
        sizes.external_invoices,
        0 if sizes.months else sizes.external_invoices,
        sizes.months,
    )
    sources = {}
    api_left = 0 if external_only else sizes.api_invoices
    tagged = [(d, "kept") for d in kept_days] + [(d, "external") for d in external_days]
    tagged.sort(key=lambda pair: (pair[0], pair[1]))
    numbered = _numbered("FV", [d for d, _ in tagged])
    kinds = [kind for _, kind in tagged]
    # The API invoices are the last ones of this month: the demo's first backup takes them.
    for position in range(len(numbered) - 1, -1, -1):
        day, _ = numbered[position]
        if external_only or kinds[position] == "external":
            sources[position] = Invoice.Source.EXTERNAL
        elif api_left and day >= this_month:
            sources[position] = Invoice.Source.API
            api_left -= 1
        else:
            sources[position] = Invoice.Source.PLATFORM

    invoices, all_items, pdfs = [], [], []
    for position, (day, number) in enumerate(numbered):
        invoice, items = _build_invoice(merchant, profile, gen, day, number, order_index)
        invoice.source = sources[position]
        invoices.append(invoice)
        all_items.append(items)
    for batch in batched(range(len(invoices)), BATCH_SIZE):
        Invoice.objects.bulk_create([invoices[i] for i in batch])
    items_to_create = []
    for invoice, items in zip(invoices, all_items, strict=True):
        for item in items:
            item.invoice_id = invoice.pk
            items_to_create.append(item)
        if invoice.source == Invoice.Source.API:
            pdfs.append(_api_pdf(invoice, items))
    InvoiceItem.objects.bulk_create(items_to_create, batch_size=BATCH_SIZE)
    ApiInvoicePdf.objects.bulk_create(pdfs)


def _build_invoice(
    merchant: Merchant,
    profile: Profile,
    gen: Generator,
    day: date,
    number: str,
    order_index: OrderIndex,
) -> tuple[Invoice, list[InvoiceItem]]:
    buyer, address, tax_id, currency = _party(gen, profile, company_share=0.6)
    items = []
    for _ in range(gen.weighted((1, 2, 3, 5), (45, 30, 18, 7))):
        product = gen.pick(PRODUCTS)
        quantity = Decimal(gen.weighted((1, 2, 4, 10), (60, 20, 12, 8)))
        gross_unit = gen.money(product.price, currency)
        net_unit = (gross_unit * 100 / (100 + product.vat)).quantize(CENT, ROUND_HALF_UP)
        net = (net_unit * quantity).quantize(CENT, ROUND_HALF_UP)
        gross = (net * (100 + product.vat) / 100).quantize(CENT, ROUND_HALF_UP)
        items.append(
            InvoiceItem(
                name=product.name,
                quantity=quantity,
                unit=profile.unit,
                unit_price_net=net_unit,
                vat_rate=product.vat,
                total_net=net,
                total_gross=gross,
            )
        )
    sale_date = day - timedelta(days=gen.rng.randrange(0, 3))
    invoice = Invoice(
        merchant=merchant,
        uuid=gen.uuid(),
        number=number,
        issue_date=day,
        sale_date=sale_date,
        currency=currency,
        total_net=sum((i.total_net for i in items), Decimal("0")),
        total_gross=sum((i.total_gross for i in items), Decimal("0")),
        order_id=order_index.near(day, gen),
        seller_name=profile.name,
        seller_address=f"{profile.street}\n{profile.postcode_city}",
        seller_tax_id=profile.tax_id,
        buyer_name=buyer,
        buyer_address=address,
        buyer_tax_id=tax_id,
        payment_method=gen.pick(profile.payment_methods),
        payment_due=day + timedelta(days=gen.pick((0, 7, 14, 30))),
    )
    return invoice, items


def _api_pdf(invoice: Invoice, items: list[InvoiceItem]) -> ApiInvoicePdf:
    lines = [
        f"Invoice {invoice.number}",
        f"Issue date: {invoice.issue_date:%Y-%m-%d}   Sale date: {invoice.sale_date:%Y-%m-%d}",
        f"Seller: {invoice.seller_name}, {invoice.seller_tax_id}",
        f"Buyer: {invoice.buyer_name} {invoice.buyer_tax_id}".rstrip(),
        "",
    ]
    lines += [f"{i.quantity:g} x {i.name}: {i.total_gross} {invoice.currency}" for i in items]
    lines += [
        "",
        f"Total: {invoice.total_gross} {invoice.currency}",
        "Issued by the merchant's own system.",
    ]
    content = minimal_pdf(lines)
    return ApiInvoicePdf(
        invoice=invoice,
        content=content,
        sha256=hashlib.sha256(content).hexdigest(),
        size=len(content),
    )


def seed_receipts(
    merchant: Merchant,
    profile: Profile,
    gen: Generator,
    sizes: Sizes,
    now: datetime,
    order_index: OrderIndex,
) -> None:
    today = timezone.localdate(now)
    days = _document_days(gen, today, sizes.receipts, sizes.receipts_this_month, sizes.months)
    receipts, all_items = [], []
    for day, number in _numbered("PAR", days):
        buyer, address, _, currency = _party(gen, profile, company_share=0.0)
        items = []
        for _ in range(gen.weighted((1, 2, 3), (60, 30, 10))):
            product = gen.pick(PRODUCTS)
            quantity = Decimal(gen.weighted((1, 2, 3), (80, 15, 5)))
            unit = gen.money(product.price, currency)
            items.append(
                ReceiptItem(
                    name=product.name,
                    quantity=quantity,
                    unit_price_gross=unit,
                    vat_rate=product.vat,
                    total_gross=(unit * quantity).quantize(CENT),
                )
            )
        gross = sum((i.total_gross for i in items), Decimal("0"))
        net = sum(
            (
                (i.total_gross * 100 / (100 + i.vat_rate)).quantize(CENT, ROUND_HALF_UP)
                for i in items
            ),
            Decimal("0"),
        )
        receipts.append(
            Receipt(
                merchant=merchant,
                uuid=gen.uuid(),
                number=number,
                issue_date=day,
                currency=currency,
                total_net=net,
                total_gross=gross,
                order_id=order_index.near(day, gen),
                seller_name=profile.name,
                seller_address=f"{profile.street}\n{profile.postcode_city}",
                seller_tax_id=profile.tax_id,
                buyer_name=buyer,
                buyer_address=address,
                payment_method=gen.pick(profile.payment_methods),
            )
        )
        all_items.append(items)
    Receipt.objects.bulk_create(receipts, batch_size=BATCH_SIZE)
    items_to_create = []
    for receipt, items in zip(receipts, all_items, strict=True):
        for item in items:
            item.receipt_id = receipt.pk
            items_to_create.append(item)
    ReceiptItem.objects.bulk_create(items_to_create, batch_size=BATCH_SIZE)
