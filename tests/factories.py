"""Builders of the tests' rows: merchants, integrations (with or without a real grant), runs."""

from __future__ import annotations

import itertools
from datetime import date, timedelta
from decimal import Decimal

from django.utils import timezone
from google_auth_oauthlib.flow import Flow

from accounts.models import Merchant, User
from documents.models import (
    Invoice,
    InvoiceItem,
    Order,
    OrderItem,
    OrderStatus,
    Receipt,
    ReceiptItem,
)
from integrations.google import oauth
from integrations.google.service import fetch_account
from integrations.models import BackupRun, GoogleDriveIntegration
from tests.conftest import TEST_SERVER_CALLBACK

MERCHANT_GOOGLE_EMAIL = "merchant@example.com"


def mint_refresh_token(fake_google, email: str = MERCHANT_GOOGLE_EMAIL):
    """Run the consent flow against fake_google (as the app's settings say); the credentials.

    Needs the `google_settings` fixture, which points the app at the fake and registers the
    client with the callback used here.
    """
    flow = Flow.from_client_config(
        oauth.client_config(),
        scopes=[oauth.settings.GOOGLE_DRIVE_SCOPE],
        redirect_uri=TEST_SERVER_CALLBACK,
    )
    url, _state = flow.authorization_url(access_type="offline", prompt="consent")
    redirect_url = fake_google.authorize(url, email)
    flow.fetch_token(authorization_response=redirect_url)
    return flow.credentials


def connect_integration(
    fake_google,
    merchant: Merchant,
    email: str = MERCHANT_GOOGLE_EMAIL,
    **fields,
) -> GoogleDriveIntegration:
    """A connected GoogleDriveIntegration of `merchant` holding a real grant of the fake."""
    credentials = mint_refresh_token(fake_google, email)
    account = fetch_account(credentials)
    integration, _ = GoogleDriveIntegration.objects.get_or_create(merchant=merchant)
    integration.refresh_token = credentials.refresh_token
    integration.granted_scopes = " ".join(credentials.scopes or [])
    integration.google_email = account.email
    integration.google_account_id = account.permission_id
    integration.status = GoogleDriveIntegration.Status.CONNECTED
    integration.connected_at = timezone.now()
    for name, value in fields.items():
        setattr(integration, name, value)
    integration.save()
    return integration


def make_integration(
    name: str = "Loja Azul",
    *,
    email: str | None = None,
    status: str = GoogleDriveIntegration.Status.CONNECTED,
    time_zone: str = "Europe/Warsaw",
    **fields,
) -> GoogleDriveIntegration:
    """A merchant with one user and an integration that looks connected (no real grant)."""
    merchant = Merchant.objects.create(name=name)
    slug = name.lower().replace(" ", "-")
    User.objects.create_user(
        email=email or f"owner@{slug}.example", password="x", merchant=merchant
    )
    connected = status == GoogleDriveIntegration.Status.CONNECTED
    fields.setdefault("refresh_token", "1//refresh-token" if connected else "")
    return GoogleDriveIntegration.objects.create(
        merchant=merchant,
        status=status,
        google_email=f"backup@{slug}.example",
        google_account_id=f"perm-{slug}",
        connected_at=timezone.now() if connected else None,
        time_zone=time_zone,
        **fields,
    )


def make_run(integration: GoogleDriveIntegration, **fields) -> BackupRun:
    fields.setdefault("trigger", BackupRun.Trigger.MANUAL)
    return BackupRun.objects.create(integration=integration, **fields)


# --- Merchants and their documents ---------------------------------------------------------

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


def make_invoice(
    merchant: Merchant, number: str | None = None, *, items: list[dict] | None = None, **fields
) -> Invoice:
    """The one way tests make an Invoice: any field can be given, with its item lines.

    `items`: InvoiceItem fields per line (default: one line of 20.00 net, 24.60 gross); the
    invoice's totals are the lines' sums unless given.
    """
    day = fields.pop("issue_date", None) or timezone.localdate()
    lines = [dict(DEFAULT_INVOICE_LINE)] if items is None else items
    fields.setdefault("sale_date", day)
    fields.setdefault("seller_name", merchant.name)
    fields.setdefault("buyer_name", f"Invoice buyer of {merchant.name}")
    fields.setdefault("total_net", sum((line["total_net"] for line in lines), Decimal("0")))
    fields.setdefault("total_gross", sum((line["total_gross"] for line in lines), Decimal("0")))
    invoice = Invoice.objects.create(
        merchant=merchant,
        number=number or f"FV {next(_counter)}/11/2026",
        issue_date=day,
        **fields,
    )
    InvoiceItem.objects.bulk_create(InvoiceItem(invoice=invoice, **line) for line in lines)
    return invoice


DEFAULT_INVOICE_LINE = {
    "name": "Item",
    "quantity": 1,
    "unit_price_net": Decimal("20.00"),
    "total_net": Decimal("20.00"),
    "total_gross": Decimal("24.60"),
}


def make_receipt(
    merchant: Merchant, number: str | None = None, *, items: list[dict] = (), **fields
) -> Receipt:
    """The one way tests make a Receipt; `items`: ReceiptItem fields per line (default none)."""
    receipt = Receipt.objects.create(
        merchant=merchant,
        number=number or f"PAR {next(_counter)}/11/2026",
        issue_date=fields.pop("issue_date", None) or date.today() - timedelta(days=1),
        seller_name=fields.pop("seller_name", merchant.name),
        buyer_name=fields.pop("buyer_name", f"Receipt buyer of {merchant.name}"),
        **fields,
    )
    ReceiptItem.objects.bulk_create(ReceiptItem(receipt=receipt, **line) for line in items)
    return receipt
