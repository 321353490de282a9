"""The bench's data: demo merchants from the seed_demo generator, each with a Google account.

One Google account per merchant, as on a real platform: the per-user write limit applies to
each account separately. Grants are minted through the fake's real OAuth endpoints, the way
the tests do it (consent page, code exchange, ``about.get``).
"""

from __future__ import annotations

import datetime as dt
import uuid
from dataclasses import dataclass

from django.core.management import call_command
from django.utils import timezone
from google_auth_oauthlib.flow import Flow

from accounts.models import Merchant
from bench.harness import REDIRECT_URI
from documents import demo
from documents.models import Invoice, Receipt
from fake_google import FakeGoogle
from integrations.google import oauth
from integrations.google.service import fetch_account
from integrations.models import GoogleDriveIntegration


@dataclass(frozen=True)
class NightSizes:
    """Per merchant, the bench's data sizes; ``months`` of history lie behind this month."""

    orders_in_window: int = 200
    orders: int = 400
    invoices_this_month: int = 40
    receipts_this_month: int = 20
    months: int = 2
    # Of this month's invoices, how many came in through the API with their own PDF (S11):
    # backed up as they are, never rendered.
    api_invoices: int = 3

    def seed_arguments(self) -> dict[str, int]:
        share = self.months + 1
        return {
            "orders": self.orders,
            "orders_in_window": self.orders_in_window,
            "invoices": self.invoices_this_month * share,
            "invoices_this_month": self.invoices_this_month,
            "receipts": self.receipts_this_month * share,
            "receipts_this_month": self.receipts_this_month,
            "months": self.months,
            "api_invoices": self.api_invoices,
            "external_invoices": 0,
        }


def migrate() -> None:
    call_command("migrate", interactive=False, verbosity=0)


def seed_night_merchants(count: int, sizes: NightSizes, now: dt.datetime) -> list[Merchant]:
    """``count`` demo merchants, through the generator behind ``manage.py seed_demo``.

    Called directly rather than through the command so that no merchant is switched to
    external accounting (the command does that to the third one for the demo's sake).
    """
    return demo.seed(merchants=count, now=now, **sizes.seed_arguments())


def seed_csv_merchant(index: int, orders: int, now: dt.datetime) -> Merchant:
    """One merchant whose ``orders`` orders all changed status inside the 30-day window."""
    (merchant,) = demo.seed(
        merchants=1,
        first_index=index,
        orders=orders,
        orders_in_window=orders,
        invoices=0,
        receipts=0,
        months=0,
        api_invoices=0,
        external_invoices=0,
        now=now,
    )
    return merchant


def google_email(merchant_index: int) -> str:
    return f"bench.merchant{merchant_index + 1}@example.com"


def mint_refresh_token(consent: FakeGoogle, email: str):
    """The consent flow against the fake, as a browser would; the resulting credentials."""
    flow = Flow.from_client_config(
        oauth.client_config(),
        scopes=[oauth.settings.GOOGLE_DRIVE_SCOPE],
        redirect_uri=REDIRECT_URI,
    )
    url, _state = flow.authorization_url(access_type="offline", prompt="consent")
    flow.fetch_token(authorization_response=consent.authorize(url, email))
    return flow.credentials


def connect(merchant: Merchant, email: str, consent: FakeGoogle) -> GoogleDriveIntegration:
    credentials = mint_refresh_token(consent, email)
    account = fetch_account(credentials)
    return GoogleDriveIntegration.objects.create(
        merchant=merchant,
        status=GoogleDriveIntegration.Status.CONNECTED,
        refresh_token=credentials.refresh_token,
        granted_scopes=" ".join(credentials.scopes or []),
        google_email=account.email,
        google_account_id=account.permission_id,
        connected_at=timezone.now(),
    )


def connect_all(merchants: list[Merchant]) -> list[GoogleDriveIntegration]:
    # Only its browser helper is used: it speaks HTTP to whatever URL it is given, here the
    # fake_google subprocess. Nothing is started.
    consent = FakeGoogle()
    return [connect(m, google_email(i), consent) for i, m in enumerate(merchants)]


def documents_for_pdf(merchants: list[Merchant], count: int) -> list[Invoice | Receipt]:
    """``count`` seeded documents the renderer prints (no API invoice), 2 invoices : 1 receipt
    as in the data, taken across merchants so that every profile's layout is in the mix."""
    ids = [m.pk for m in merchants]
    invoice_count = count - count // 3
    invoices = list(
        Invoice.objects.filter(merchant_id__in=ids, source=Invoice.Source.PLATFORM).order_by(
            "merchant_id", "issue_date", "id"
        )
    )
    receipts = list(Receipt.objects.filter(merchant_id__in=ids).order_by("merchant_id", "id"))
    return _spread(invoices, invoice_count) + _spread(receipts, count - invoice_count)


def _spread(items: list, count: int) -> list:
    if count >= len(items):
        return items
    step = len(items) / count
    return [items[int(i * step)] for i in range(count)]


# --- The next night ---------------------------------------------------------------------------


@dataclass(frozen=True)
class NextDaySizes:
    """What a merchant of NightSizes issues in one day: the month's documents over 20 days."""

    invoices: int = 2
    receipts: int = 1


def issue_next_day_documents(merchants: list[Merchant], sizes: NextDaySizes) -> int:
    """Each merchant issues ``sizes`` new documents today, after the first night's backup.

    The new documents copy the merchant's latest platform-issued ones (same layout, items
    and sizes) under new numbers; returns how many were created.
    """
    today = timezone.localdate()
    created = 0
    for merchant in merchants:
        latest_invoices = Invoice.objects.filter(
            merchant=merchant, source=Invoice.Source.PLATFORM
        ).order_by("-id")[: sizes.invoices]
        latest_receipts = Receipt.objects.filter(merchant=merchant).order_by("-id")[
            : sizes.receipts
        ]
        for document in [*latest_invoices, *latest_receipts]:
            _reissue(document, today)
            created += 1
    return created


def _reissue(document: Invoice | Receipt, day: dt.date) -> None:
    items = list(document.items.all())
    prefix = document.number.split(" ")[0]
    model = type(document)
    sequence = model.objects.filter(merchant_id=document.merchant_id).count() + 1
    while model.objects.filter(
        merchant_id=document.merchant_id, number=_document_number(prefix, sequence, day)
    ).exists():
        sequence += 1
    document.pk = None
    document._state.adding = True
    document.uuid = uuid.uuid4()
    document.number = _document_number(prefix, sequence, day)
    # Every date of the document moves with its issue date (sale date, payment due).
    shift = day - document.issue_date
    for name in ("sale_date", "payment_due"):
        if getattr(document, name, None) is not None:
            setattr(document, name, getattr(document, name) + shift)
    document.issue_date = day
    document.save()
    for item in items:
        item.pk = None
        item._state.adding = True
        setattr(item, item._meta.get_field(model._meta.model_name).attname, document.pk)
        item.save()


def _document_number(prefix: str, sequence: int, day: dt.date) -> str:
    return f"{prefix} {sequence}/{day:%m/%Y}"
