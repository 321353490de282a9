"""Merchants with documents, connected to the fake's Drive, and what their Drive should hold."""

from __future__ import annotations

import csv
import datetime as dt
import io
from collections import Counter
from dataclasses import dataclass, field
from decimal import Decimal
from zoneinfo import ZoneInfo

import requests
from django.conf import settings
from django.utils import timezone, translation
from pypdf import PdfReader

from accounts.models import Merchant, User
from documents.models import Invoice, Order, OrderItem, OrderStatus, Receipt
from documents.printing import format_amount
from integrations.models import BackupRun, GoogleDriveIntegration
from tests.factories import connect_integration, make_invoice, make_receipt

WARSAW = ZoneInfo("Europe/Warsaw")


def root() -> str:
    return "/" + settings.BACKUP_ROOT_FOLDER_NAME


def local_today() -> dt.date:
    return timezone.localdate(timezone=WARSAW)


NIGHT_OVER = dt.time(5, 30)


def tonight(days_later: int = 0) -> dt.datetime:
    """05:30 in Warsaw of the latest night whose start moments have all passed (+ days).

    Never in the future for ``days_later=0``: runs are dispatched at this moment, and a run
    queued "later" than the real clock would never look stalled to the dispatcher's recovery,
    which runs on the real clock (between midnight and 05:30 it would otherwise be today's).
    """
    now = timezone.now().astimezone(WARSAW)
    day = now.date() if now.time() >= NIGHT_OVER else now.date() - dt.timedelta(days=1)
    return dt.datetime.combine(day + dt.timedelta(days=days_later), NIGHT_OVER, tzinfo=WARSAW)


def month_folder(day: dt.date) -> str:
    return f"{root()}/{day:%Y}/{day:%m}"


@dataclass
class Shop:
    merchant: Merchant
    integration: GoogleDriveIntegration
    google_email: str
    invoices: list[Invoice] = field(default_factory=list)
    receipts: list[Receipt] = field(default_factory=list)
    counter: int = 0

    def refresh(self) -> Shop:
        self.integration.refresh_from_db()
        return self

    def next_number(self) -> int:
        self.counter += 1
        return self.counter

    # --- documents ----------------------------------------------------------------------

    def add_invoice(self, issue_date: dt.date | None = None, **fields) -> Invoice:
        day = issue_date or this_month_day(self.next_number())
        gross = Decimal(f"{100 + self.counter}.{self.counter % 100:02d}")
        total_net = (gross / Decimal("1.23")).quantize(Decimal("0.01"))
        invoice = make_invoice(
            self.merchant,
            f"FV {self.counter}/{day:%m}/{day:%Y}",
            issue_date=day,
            buyer_name="Zdzisław Bąk",
            total_net=total_net,
            total_gross=gross,
            items=[
                {
                    "name": "Kubek ceramiczny",
                    "quantity": 1,
                    "unit_price_net": total_net,
                    "total_net": total_net,
                    "total_gross": gross,
                }
            ],
            **fields,
        )
        self.invoices.append(invoice)
        return invoice

    def add_receipt(self, issue_date: dt.date | None = None) -> Receipt:
        day = issue_date or this_month_day(self.next_number())
        gross = Decimal(f"{20 + self.counter}.{(7 * self.counter) % 100:02d}")
        receipt = make_receipt(
            self.merchant,
            f"PAR {self.counter}/{day:%m}/{day:%Y}",
            issue_date=day,
            buyer_name="João Araújo",
            total_net=(gross / Decimal("1.23")).quantize(Decimal("0.01")),
            total_gross=gross,
        )
        self.receipts.append(receipt)
        return receipt

    def add_order(self, status_changed_days_ago: float) -> Order:
        status, _ = OrderStatus.objects.get_or_create(merchant=self.merchant, name="Paid")
        order = Order.objects.create(
            merchant=self.merchant,
            source="Allegro",
            external_id=f"A-{self.next_number()}",
            status=status,
            status_changed_at=timezone.now() - dt.timedelta(days=status_changed_days_ago),
            buyer_name="Zdzisław Bąk",
            total_gross=Decimal("123.45"),
        )
        OrderItem.objects.create(
            order=order, name="Kubek", quantity=1, unit_price_gross=Decimal("123.45")
        )
        return order

    # --- what Drive should hold ---------------------------------------------------------

    def expected_documents(self) -> dict[str, Invoice | Receipt]:
        """Drive path of every document the first-month rule and the ticks select."""
        since = local_today().replace(day=1)
        expected: dict[str, Invoice | Receipt] = {}
        if self.integration.backup_invoices:
            for doc in self.invoices:
                if doc.issue_date >= since and doc.source != Invoice.Source.EXTERNAL:
                    expected[document_path(doc, "Invoices")] = doc
        if self.integration.backup_receipts:
            for doc in self.receipts:
                if doc.issue_date >= since:
                    expected[document_path(doc, "Receipts")] = doc
        return expected

    def orders_in_window(self) -> set[str]:
        since = timezone.now() - dt.timedelta(days=settings.BACKUP_ORDERS_WINDOW_DAYS)
        return set(
            Order.objects.filter(merchant=self.merchant, status_changed_at__gte=since).values_list(
                "external_id", flat=True
            )
        )


def this_month_day(n: int) -> dt.date:
    today = local_today()
    return today.replace(day=1 + (n * 7) % today.day)


def document_path(doc: Invoice | Receipt, folder: str) -> str:
    return f"{month_folder(doc.issue_date)}/{folder}/{doc.number.replace('/', '_')}.pdf"


def make_shop(fake, name: str, google_email: str, **boxes: bool) -> Shop:
    merchant = Merchant.objects.create(name=name)
    slug = name.lower().replace(" ", "-")
    User.objects.create_user(email=f"owner@{slug}.example", password="x", merchant=merchant)
    fake.add_user(google_email, name)
    integration = connect_integration(fake, merchant, google_email, time_zone="Europe/Warsaw")
    for box, ticked in boxes.items():
        setattr(integration, box, ticked)
    integration.save()
    return Shop(merchant=merchant, integration=integration, google_email=google_email)


# --- Reading the fake's Drive -------------------------------------------------------------


def our_files(fake, email: str, *, trashed: bool = False) -> list[dict]:
    return [
        f for f in fake.files(email) if f["created_by_client"] and (trashed or not f["trashed"])
    ]


def folder_paths(fake, email: str) -> list[str]:
    return sorted(f["path"] for f in our_files(fake, email) if f["folder"])


def file_paths(fake, email: str) -> list[str]:
    return sorted(f["path"] for f in our_files(fake, email) if not f["folder"])


def copies_per_document(fake, email: str) -> Counter:
    """How many of our files carry each document uuid (appProperties `doc`), trash included."""
    return Counter(
        f["appProperties"]["doc"]
        for f in our_files(fake, email, trashed=True)
        if not f["folder"] and "doc" in f["appProperties"]
    )


def content_of(fake, file_id: str) -> bytes:
    answer = requests.get(f"{fake.url}/_fake/files/{file_id}/content", timeout=10)
    answer.raise_for_status()
    return answer.content


def pdf_text(content: bytes) -> str:
    reader = PdfReader(io.BytesIO(content))
    return "\n".join(page.extract_text() for page in reader.pages)


def assert_pdf_shows(content: bytes, doc: Invoice | Receipt) -> None:
    assert content.startswith(b"%PDF-"), f"{doc.number}: not a PDF"
    text = pdf_text(content)
    assert doc.number in text, f"{doc.number}: number missing from its PDF"
    # The worker prints in the merchant's language, whatever language this process has on.
    with translation.override(doc.merchant.language):
        total = format_amount(doc.total_gross)
    assert total in text, f"{doc.number}: total missing from its PDF"


def csv_rows(content: bytes) -> list[dict[str, str]]:
    text = content.decode("utf-8-sig")
    dialect = csv.Sniffer().sniff(text.splitlines()[0], delimiters=",;\t")
    return list(csv.DictReader(io.StringIO(text), dialect=dialect))


def runs_finished(count: int):
    """A condition for wait_for: `count` runs exist and none is queued or running."""

    def condition() -> bool:
        runs = BackupRun.objects.all()
        return (
            runs.count() >= count and not runs.filter(status__in=BackupRun.ACTIVE_STATUSES).exists()
        )

    return condition
