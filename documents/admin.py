from __future__ import annotations

from django.contrib import admin

from documents.models import (
    ApiInvoicePdf,
    Invoice,
    InvoiceItem,
    Order,
    OrderItem,
    OrderStatus,
    Receipt,
    ReceiptItem,
)


@admin.register(OrderStatus)
class OrderStatusAdmin(admin.ModelAdmin):
    list_display = ("name", "merchant", "position")
    list_filter = ("merchant",)
    search_fields = ("name", "merchant__name")
    list_select_related = ("merchant",)


class OrderItemInline(admin.TabularInline):
    model = OrderItem
    extra = 0


@admin.register(Order)
class OrderAdmin(admin.ModelAdmin):
    list_display = (
        "id", "merchant", "source", "external_id", "buyer_name", "total_gross", "currency",
        "status", "created_at", "status_changed_at",
    )  # fmt: skip
    list_filter = ("source", "currency", "merchant")
    search_fields = ("=id", "external_id", "buyer_name", "buyer_email", "=uuid")
    list_select_related = ("merchant", "status")
    date_hierarchy = "created_at"
    readonly_fields = ("uuid", "status_changed_at", "updated_at")
    raw_id_fields = ("merchant",)
    inlines = [OrderItemInline]
    show_full_result_count = False


class InvoiceItemInline(admin.TabularInline):
    model = InvoiceItem
    extra = 0


class ApiInvoicePdfInline(admin.StackedInline):
    model = ApiInvoicePdf
    fields = ("sha256", "size", "received_at")
    readonly_fields = ("sha256", "size", "received_at")
    extra = 0
    can_delete = False

    def has_add_permission(self, request, obj=None) -> bool:
        return False


@admin.register(Invoice)
class InvoiceAdmin(admin.ModelAdmin):
    list_display = (
        "number", "merchant", "issue_date", "buyer_name", "total_gross", "currency", "source",
    )  # fmt: skip
    list_filter = ("source", "currency", "issue_date", "merchant")
    search_fields = ("number", "buyer_name", "buyer_tax_id", "=uuid")
    list_select_related = ("merchant",)
    date_hierarchy = "issue_date"
    readonly_fields = ("uuid", "created_at", "updated_at")
    raw_id_fields = ("merchant", "order")
    inlines = [InvoiceItemInline, ApiInvoicePdfInline]


class ReceiptItemInline(admin.TabularInline):
    model = ReceiptItem
    extra = 0


@admin.register(Receipt)
class ReceiptAdmin(admin.ModelAdmin):
    list_display = ("number", "merchant", "issue_date", "buyer_name", "total_gross", "currency")
    list_filter = ("currency", "issue_date", "merchant")
    search_fields = ("number", "buyer_name", "=uuid")
    list_select_related = ("merchant",)
    date_hierarchy = "issue_date"
    readonly_fields = ("uuid", "created_at", "updated_at")
    raw_id_fields = ("merchant", "order")
    inlines = [ReceiptItemInline]
