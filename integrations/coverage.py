"""What of the merchant's documents is in Drive, per month and kind, and why the rest is not.

Invoices and receipts the platform keeps (S11: not those an external accounting system
issued) are counted against the ledger's completed uploads to the connected Google account.
A document without a copy is, in this order: from an external accounting system (never backed
up), of a kind the merchant did not tick, issued before the backup's start date (S9), one
whose upload failed (tried again by the next run), or waiting for the next run.

Two aggregate queries (one per kind, grouped by issue month) and one for the last orders CSV,
however many documents the merchant has.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime

from django.db.models import Count, Exists, OuterRef, Q
from django.db.models.functions import TruncMonth
from django.utils import timezone

from accounts.time_zones import zone_named
from documents.models import Invoice, Receipt
from integrations.models import BackedUpFile, GoogleDriveIntegration
from integrations.selection import invoices_backup_available

MONTHS_SHOWN = 12


@dataclass
class KindCoverage:
    """One kind of document in one month (or a total)."""

    # Documents the platform keeps, so a backup could copy them.
    documents: int = 0
    in_drive: int = 0
    external: int = 0
    not_selected: int = 0
    before_start: int = 0
    failed: int = 0
    waiting: int = 0

    @property
    def missing(self) -> int:
        return self.documents - self.in_drive

    @property
    def complete(self) -> bool:
        return self.missing == 0

    def add(self, other: KindCoverage) -> None:
        for name in self.__dataclass_fields__:
            setattr(self, name, getattr(self, name) + getattr(other, name))


@dataclass
class MonthCoverage:
    # The first day of the month; None for the row of every earlier month together.
    month: date | None
    invoices: KindCoverage = field(default_factory=KindCoverage)
    receipts: KindCoverage = field(default_factory=KindCoverage)

    @property
    def empty(self) -> bool:
        return not (
            self.invoices.documents
            or self.receipts.documents
            or self.invoices.external
            or self.receipts.external
        )


@dataclass(frozen=True)
class OrdersExport:
    finished_at: datetime
    orders: int
    name: str


@dataclass(frozen=True)
class Coverage:
    start: date
    start_is_default: bool
    months: list[MonthCoverage]
    earlier: MonthCoverage
    total: MonthCoverage
    last_orders_export: OrdersExport | None


def backup_start(integration: GoogleDriveIntegration, now: datetime) -> tuple[date, bool]:
    """The first issue date backed up, and whether it is still S9's default.

    Until the first run stores it, a run takes documents from the 1st of the month it starts
    in (in the backup's time zone), so that is what the page shows.
    """
    if integration.documents_since is not None:
        return integration.documents_since, False
    return now.astimezone(zone_named(integration.time_zone)).date().replace(day=1), True


def last_months(today: date, count: int = MONTHS_SHOWN) -> list[date]:
    """The first days of the `count` months up to `today`'s, newest first."""
    year, month = today.year, today.month
    months = []
    for _ in range(count):
        months.append(date(year, month, 1))
        year, month = (year, month - 1) if month > 1 else (year - 1, 12)
    return months


def coverage_for(integration: GoogleDriveIntegration, now: datetime | None = None) -> Coverage:
    now = now or timezone.now()
    start, is_default = backup_start(integration, now)
    months = last_months(timezone.localtime(now).date())
    rows = {month: MonthCoverage(month) for month in months}
    earlier = MonthCoverage(None)
    total = MonthCoverage(None)
    kinds = (
        ("invoices", Invoice, BackedUpFile.Kind.INVOICE, _invoices_selected(integration)),
        ("receipts", Receipt, BackedUpFile.Kind.RECEIPT, integration.backup_receipts),
    )
    for attribute, model, kind, selected in kinds:
        for month, counts in _count_by_month(integration, model, kind, start, selected):
            row = rows.get(month, earlier if month < months[-1] else None)
            if row is not None:
                getattr(row, attribute).add(counts)
            getattr(total, attribute).add(counts)
    return Coverage(
        start=start,
        start_is_default=is_default,
        months=[rows[month] for month in months],
        earlier=earlier,
        total=total,
        last_orders_export=last_orders_export(integration),
    )


def _invoices_selected(integration: GoogleDriveIntegration) -> bool:
    return integration.backup_invoices and invoices_backup_available(integration.merchant)


def _count_by_month(
    integration: GoogleDriveIntegration,
    model: type[Invoice] | type[Receipt],
    kind: str,
    start: date,
    selected: bool,
) -> list[tuple[date, KindCoverage]]:
    ledger = BackedUpFile.objects.filter(
        integration=integration,
        google_account_id=integration.google_account_key,
        kind=kind,
        document_uuid=OuterRef("uuid"),
    )
    copied = Q(Exists(ledger.filter(state=BackedUpFile.State.DONE)))
    failed = Q(
        Exists(ledger.filter(state__in=[BackedUpFile.State.FAILED, BackedUpFile.State.IN_TRASH]))
    )
    external = Q(source=Invoice.Source.EXTERNAL) if model is Invoice else Q(pk__in=[])
    kept_missing = ~external & ~copied
    groups = (
        model.objects.filter(merchant_id=integration.merchant_id)
        .annotate(month=TruncMonth("issue_date"))
        .values("month")
        .annotate(
            external=Count("id", filter=external),
            documents=Count("id", filter=~external),
            in_drive=Count("id", filter=~external & copied),
            before_start=Count("id", filter=kept_missing & Q(issue_date__lt=start)),
            failed=Count("id", filter=kept_missing & Q(issue_date__gte=start) & failed),
        )
        .order_by("month")
    )
    result = []
    for group in groups:
        counts = KindCoverage(
            documents=group["documents"],
            in_drive=group["in_drive"],
            external=group["external"],
        )
        missing = counts.documents - counts.in_drive
        if not selected:
            counts.not_selected = missing
        else:
            counts.before_start = group["before_start"]
            counts.failed = group["failed"]
            counts.waiting = missing - counts.before_start - counts.failed
        result.append((_as_date(group["month"]), counts))
    return result


def _as_date(value: date | datetime) -> date:
    return value.date() if isinstance(value, datetime) else value


def last_orders_export(integration: GoogleDriveIntegration) -> OrdersExport | None:
    row = (
        BackedUpFile.objects.filter(
            integration=integration,
            google_account_id=integration.google_account_key,
            kind=BackedUpFile.Kind.ORDERS,
            state=BackedUpFile.State.DONE,
        )
        .select_related("run")
        .order_by("-completed_at", "-id")
        .first()
    )
    if row is None:
        return None
    return OrdersExport(
        finished_at=row.completed_at or row.created_at,
        orders=row.run.orders_exported if row.run else 0,
        name=row.name,
    )
