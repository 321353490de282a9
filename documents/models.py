"""Orders, invoices and non-fiscal receipts of a merchant."""

from __future__ import annotations

import uuid
from decimal import Decimal

from django.core.files.base import ContentFile
from django.db import models, transaction
from django.db.models.signals import post_delete
from django.dispatch import receiver
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from accounts.models import Merchant

MONEY = {"max_digits": 14, "decimal_places": 2}


class OrderStatus(models.Model):
    """One entry of a merchant's own list of order statuses."""

    merchant = models.ForeignKey(Merchant, on_delete=models.CASCADE, related_name="order_statuses")
    name = models.CharField(_("name"), max_length=100)
    position = models.PositiveIntegerField(default=0)

    class Meta:
        verbose_name = _("order status")
        # Django would add an "s": "order statuss".
        verbose_name_plural = _("order statuses")
        ordering = ["merchant", "position", "name"]
        constraints = [
            models.UniqueConstraint(fields=["merchant", "name"], name="uniq_status_name"),
        ]

    def __str__(self) -> str:
        return self.name


class Order(models.Model):
    merchant = models.ForeignKey(Merchant, on_delete=models.CASCADE, related_name="orders")
    uuid = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    source = models.CharField(_("source"), max_length=50, help_text=_("Marketplace or shop."))
    external_id = models.CharField(_("external id"), max_length=100, blank=True)
    created_at = models.DateTimeField(_("created at"), default=timezone.now)
    # RESTRICT, not PROTECT: a status in use cannot be deleted on its own, yet deleting the
    # merchant (which cascades to both) works.
    status = models.ForeignKey(OrderStatus, on_delete=models.RESTRICT, related_name="orders")
    # Maintained by save() whenever the status changes; the backup's 30-day window reads it.
    status_changed_at = models.DateTimeField(_("status changed at"), default=timezone.now)

    buyer_name = models.CharField(_("buyer name"), max_length=200, blank=True)
    buyer_email = models.EmailField(_("buyer e-mail"), blank=True)
    buyer_phone = models.CharField(_("buyer phone"), max_length=50, blank=True)
    buyer_company = models.CharField(_("buyer company"), max_length=200, blank=True)
    buyer_tax_id = models.CharField(_("buyer tax id"), max_length=50, blank=True)
    delivery_name = models.CharField(_("delivery name"), max_length=200, blank=True)
    delivery_company = models.CharField(_("delivery company"), max_length=200, blank=True)
    delivery_street = models.CharField(_("delivery street"), max_length=200, blank=True)
    delivery_postcode = models.CharField(_("delivery postcode"), max_length=20, blank=True)
    delivery_city = models.CharField(_("delivery city"), max_length=100, blank=True)
    delivery_country = models.CharField(_("delivery country code"), max_length=2, blank=True)
    invoice_name = models.CharField(_("invoice name"), max_length=200, blank=True)
    invoice_company = models.CharField(_("invoice company"), max_length=200, blank=True)
    invoice_street = models.CharField(_("invoice street"), max_length=200, blank=True)
    invoice_postcode = models.CharField(_("invoice postcode"), max_length=20, blank=True)
    invoice_city = models.CharField(_("invoice city"), max_length=100, blank=True)
    invoice_country = models.CharField(_("invoice country code"), max_length=2, blank=True)

    payment_method = models.CharField(_("payment method"), max_length=100, blank=True)
    delivery_method = models.CharField(_("delivery method"), max_length=100, blank=True)
    delivery_price = models.DecimalField(_("delivery price"), default=Decimal("0"), **MONEY)
    currency = models.CharField(_("currency"), max_length=3, default="PLN")
    total_gross = models.DecimalField(_("total"), default=Decimal("0"), **MONEY)
    paid = models.DecimalField(_("paid"), default=Decimal("0"), **MONEY)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(fields=["merchant", "status_changed_at"], name="order_status_changed_idx"),
            models.Index(fields=["merchant", "-created_at"], name="order_created_idx"),
        ]

    def __str__(self) -> str:
        return f"#{self.pk} {self.source} {self.external_id}".strip()

    def save(self, *args, **kwargs):
        loaded = getattr(self, "_loaded_status_id", None)
        if self.pk is not None and loaded is not None and loaded != self.status_id:
            self.status_changed_at = timezone.now()
            if kwargs.get("update_fields") is not None:
                kwargs["update_fields"] = {*kwargs["update_fields"], "status_changed_at"}
        super().save(*args, **kwargs)
        self._loaded_status_id = self.status_id

    @classmethod
    def from_db(cls, db, field_names, values):
        instance = super().from_db(db, field_names, values)
        instance._loaded_status_id = instance.__dict__.get("status_id")
        return instance

    def recalculate_total(self) -> None:
        items = sum((i.quantity * i.unit_price_gross for i in self.items.all()), Decimal("0"))
        self.total_gross = items + self.delivery_price


class OrderItem(models.Model):
    order = models.ForeignKey(Order, on_delete=models.CASCADE, related_name="items")
    name = models.CharField(_("name"), max_length=300)
    sku = models.CharField(_("SKU"), max_length=100, blank=True)
    quantity = models.DecimalField(_("quantity"), max_digits=12, decimal_places=3)
    unit_price_gross = models.DecimalField(_("unit price (gross)"), **MONEY)
    vat_rate = models.DecimalField(_("VAT rate %"), max_digits=5, decimal_places=2, default=23)

    class Meta:
        ordering = ["id"]

    def __str__(self) -> str:
        return self.name


class AccountingDocument(models.Model):
    """What invoices and receipts share: a number, an issue date, parties, money."""

    merchant = models.ForeignKey(Merchant, on_delete=models.CASCADE, related_name="+")
    uuid = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    number = models.CharField(_("number"), max_length=100)
    issue_date = models.DateField(_("issue date"))
    currency = models.CharField(_("currency"), max_length=3, default="PLN")
    total_net = models.DecimalField(_("total net"), default=Decimal("0"), **MONEY)
    total_gross = models.DecimalField(_("total gross"), default=Decimal("0"), **MONEY)
    order = models.ForeignKey(
        Order, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    seller_name = models.CharField(_("seller"), max_length=200)
    seller_address = models.TextField(_("seller address"), blank=True)
    seller_tax_id = models.CharField(_("seller tax id"), max_length=50, blank=True)
    buyer_name = models.CharField(_("buyer"), max_length=200, blank=True)
    buyer_address = models.TextField(_("buyer address"), blank=True)
    buyer_tax_id = models.CharField(_("buyer tax id"), max_length=50, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    # Changes after a backup make the next run upload a new copy (S10).
    updated_at = models.DateTimeField(auto_now=True, db_index=True)

    class Meta:
        abstract = True
        ordering = ["-issue_date", "-id"]

    def __str__(self) -> str:
        return self.number


class Invoice(AccountingDocument):
    class Source(models.TextChoices):
        PLATFORM = "platform", _("Issued in the panel")
        EXTERNAL = "external", _("Issued in an external accounting system")
        API = "api", _("Sent in through the API")

    merchant = models.ForeignKey(Merchant, on_delete=models.CASCADE, related_name="invoices")
    sale_date = models.DateField(_("sale date"))
    payment_method = models.CharField(_("payment method"), max_length=100, blank=True)
    payment_due = models.DateField(_("payment due"), null=True, blank=True)
    source = models.CharField(
        _("source"), max_length=10, choices=Source.choices, default=Source.PLATFORM
    )

    class Meta(AccountingDocument.Meta):
        constraints = [
            models.UniqueConstraint(fields=["merchant", "number"], name="uniq_invoice_number"),
        ]
        indexes = [
            models.Index(fields=["merchant", "issue_date"], name="invoice_issue_idx"),
            # "Has this merchant sent any invoice through the API?" (S11), asked by the Drive
            # page and by every dispatcher pass, must not read a merchant's external invoices.
            models.Index(
                fields=["merchant"], condition=models.Q(source="api"), name="invoice_api_idx"
            ),
        ]

    @property
    def backup_possible(self) -> bool:
        """Externally issued invoices are not kept by the platform (S11)."""
        return self.source != self.Source.EXTERNAL


class InvoiceItem(models.Model):
    invoice = models.ForeignKey(Invoice, on_delete=models.CASCADE, related_name="items")
    name = models.CharField(_("name"), max_length=300)
    quantity = models.DecimalField(_("quantity"), max_digits=12, decimal_places=3)
    unit = models.CharField(_("unit"), max_length=20, default="pcs")
    unit_price_net = models.DecimalField(_("unit price (net)"), **MONEY)
    vat_rate = models.DecimalField(_("VAT rate %"), max_digits=5, decimal_places=2, default=23)
    total_net = models.DecimalField(_("net"), **MONEY)
    total_gross = models.DecimalField(_("gross"), **MONEY)

    class Meta:
        ordering = ["id"]

    def __str__(self) -> str:
        return self.name


def api_pdf_path(instance: ApiInvoicePdf, filename: str) -> str:
    """Where a received PDF lives in the file storage: one folder per merchant."""
    return f"api-invoices/{instance.invoice.merchant_id}/{instance.invoice.uuid}.pdf"


class ApiInvoicePdf(models.Model):
    """The PDF a merchant's own system sent with an invoice; backed up as received.

    The bytes live in Django's file storage (a directory, or S3-compatible storage), not in
    the database; ``content`` reads them, and assigning bytes to it stores them on save.
    """

    invoice = models.OneToOneField(Invoice, on_delete=models.CASCADE, related_name="api_pdf")
    file = models.FileField(upload_to=api_pdf_path, max_length=255)
    sha256 = models.CharField(max_length=64)
    size = models.PositiveIntegerField()
    received_at = models.DateTimeField(auto_now_add=True)

    def __str__(self) -> str:
        return f"PDF of {self.invoice_id}"

    @property
    def content(self) -> bytes:
        """The PDF's bytes, as received (what the backup uploads)."""
        with self.file.open("rb") as stored:
            return stored.read()

    @content.setter
    def content(self, data: bytes) -> None:
        self.file = ContentFile(bytes(data), name="invoice.pdf")


@receiver(post_delete, sender=ApiInvoicePdf)
def _delete_stored_pdf(sender, instance: ApiInvoicePdf, **kwargs) -> None:
    # Deleting the invoice (or its merchant) deletes the row; the file goes with it, once the
    # deletion is committed (a rolled-back one keeps it).
    if instance.file:
        name, storage = instance.file.name, instance.file.storage
        transaction.on_commit(lambda: storage.delete(name))


class Receipt(AccountingDocument):
    """A non-fiscal receipt."""

    merchant = models.ForeignKey(Merchant, on_delete=models.CASCADE, related_name="receipts")
    payment_method = models.CharField(_("payment method"), max_length=100, blank=True)

    class Meta(AccountingDocument.Meta):
        constraints = [
            models.UniqueConstraint(fields=["merchant", "number"], name="uniq_receipt_number"),
        ]
        indexes = [models.Index(fields=["merchant", "issue_date"], name="receipt_issue_idx")]


class ReceiptItem(models.Model):
    receipt = models.ForeignKey(Receipt, on_delete=models.CASCADE, related_name="items")
    name = models.CharField(_("name"), max_length=300)
    quantity = models.DecimalField(_("quantity"), max_digits=12, decimal_places=3)
    unit_price_gross = models.DecimalField(_("unit price (gross)"), **MONEY)
    vat_rate = models.DecimalField(_("VAT rate %"), max_digits=5, decimal_places=2, default=23)
    total_gross = models.DecimalField(_("gross"), **MONEY)

    class Meta:
        ordering = ["id"]

    def __str__(self) -> str:
        return self.name


def merchant_has_api_invoices(merchant: Merchant) -> bool:
    return Invoice.objects.filter(merchant=merchant, source=Invoice.Source.API).exists()
