"""Which documents a backup run takes (S7, S9, S11), written once.

- S7: the orders CSV holds every order whose status changed in the window before the run;
- S9: accounting documents from the 1st of the month of an account's first run, and from then
  on everything not backed up yet, so a failed night is caught up by the next one;
- S11: invoices issued by an external accounting system are not kept by the platform and are
  never backed up; the Invoices tick counts only while external accounting is off or the
  merchant sends invoices in through the API. The rule exists as Python (for one integration)
  and as a Q (for the dispatcher's query over all of them).
"""

from __future__ import annotations

from collections.abc import Collection
from datetime import date, datetime, timedelta

from django.conf import settings
from django.db.models import Exists, OuterRef, Q

from accounts.models import Merchant
from documents.models import Invoice, Receipt, merchant_has_api_invoices
from integrations.models import BackedUpFile, GoogleDriveIntegration

# --- S11 --------------------------------------------------------------------------------------


def invoices_backup_available(merchant: Merchant) -> bool:
    """S11: invoices of an external accounting system are not kept, so not backed up."""
    return not merchant.external_accounting_enabled or merchant_has_api_invoices(merchant)


def invoices_wanted(integration: GoogleDriveIntegration) -> bool:
    """The Invoices box is ticked and the platform keeps the merchant's invoices (S11)."""
    return integration.backup_invoices and invoices_backup_available(integration.merchant)


def something_to_back_up(integration: GoogleDriveIntegration) -> bool:
    """A box is ticked whose documents a run would back up.

    S11: a kept Invoices tick of a merchant whose invoices an external system issues is not
    one (the box is disabled; the tick applies again once external accounting is off).
    """
    if integration.backup_orders or integration.backup_receipts:
        return True
    return invoices_wanted(integration)


def invoices_wanted_q() -> Q:
    """invoices_wanted() as a condition on GoogleDriveIntegration rows.

    Subqueries rather than joins: the dispatcher's SELECT ... FOR UPDATE locks integration
    rows only, never their merchants'.
    """
    kept_by_platform = Merchant.objects.filter(
        pk=OuterRef("merchant_id"), external_accounting_enabled=False
    )
    api_invoices = Invoice.objects.filter(
        merchant_id=OuterRef("merchant_id"), source=Invoice.Source.API
    )
    return Q(backup_invoices=True) & (Exists(kept_by_platform) | Exists(api_invoices))


def something_to_back_up_q() -> Q:
    """something_to_back_up() as a condition on GoogleDriveIntegration rows."""
    return Q(backup_orders=True) | Q(backup_receipts=True) | invoices_wanted_q()


# --- S7 ---------------------------------------------------------------------------------------


def orders_window_start(run_started: datetime) -> datetime:
    """S7: the CSV holds the orders whose status changed from this moment to the run's start."""
    return run_started - timedelta(days=settings.BACKUP_ORDERS_WINDOW_DAYS)


# --- S9 ---------------------------------------------------------------------------------------


def documents_since(integration: GoogleDriveIntegration, today: date) -> date:
    """S9: the first run (for this Google account) starts at the 1st of its month.

    `today` is the run's start as a local date; the first run stores its answer, which a
    switch to another Google account clears.
    """
    since = integration.documents_since
    if since is None:
        since = today.replace(day=1)
        GoogleDriveIntegration.objects.filter(
            pk=integration.pk, documents_since__isnull=True
        ).update(documents_since=since)
        integration.documents_since = since
    return since


class SinceRefused(ValueError):
    """A start date the backup cannot take (in the future, or later than the current one)."""


def move_documents_since_back(
    integration: GoogleDriveIntegration, day: date, today: date
) -> date | None:
    """A backfill: documents issued from `day` on are backed up by the next run.

    Only ever moves the start back: documents already in Drive stay there, so a later start
    would only hide some from the page's coverage. Returns the start date it replaced.
    """
    if day > today:
        raise SinceRefused(f"{day.isoformat()} is in the future")
    before = integration.documents_since
    if before is not None and day > before:
        raise SinceRefused(
            f"the backup already starts on {before.isoformat()}; a start date only moves back"
        )
    GoogleDriveIntegration.objects.filter(pk=integration.pk).update(documents_since=day)
    integration.documents_since = day
    return before


def documents_to_back_up(
    model: type[Invoice] | type[Receipt],
    kind: str,
    integration: GoogleDriveIntegration,
    account: str,
    since: date | None,
    among: Collection | None = None,
) -> list[tuple[int, date]]:
    """(id, issue date) of documents issued since `since` not covered by a done upload.

    A done upload covers a document if it was read no earlier than the document's last
    change; the fingerprint decides later whether a change altered the print. External
    invoices are never taken (S11). `among` limits the documents to these uuids (a repair
    run's, which takes them whatever their issue date: `since=None`).
    """
    covered = BackedUpFile.objects.filter(
        integration=integration,
        google_account_id=account,
        kind=kind,
        document_uuid=OuterRef("uuid"),
        state=BackedUpFile.State.DONE,
        source_updated_at__gte=OuterRef("updated_at"),
    )
    documents = model.objects.filter(merchant_id=integration.merchant_id)
    if since is not None:
        documents = documents.filter(issue_date__gte=since)
    if among is not None:
        documents = documents.filter(uuid__in=among)
    if model is Invoice:
        documents = documents.exclude(source=Invoice.Source.EXTERNAL)
    return list(
        documents.exclude(Exists(covered))
        .order_by("issue_date", "id")
        .values_list("id", "issue_date")
    )
