"""Merchant-facing lists of orders, invoices and receipts; every query is the merchant's own."""

from __future__ import annotations

from django.db.models import QuerySet
from django.views.generic import DetailView, ListView

from accounts.tenancy import MerchantRequiredMixin
from documents.models import Invoice, Order, Receipt

PAGE_SIZE = 50


class MerchantListView(MerchantRequiredMixin, ListView):
    paginate_by = PAGE_SIZE

    def get_queryset(self) -> QuerySet:
        return self.model._default_manager.filter(merchant=self.merchant)


class OrderListView(MerchantListView):
    model = Order
    template_name = "documents/order_list.html"
    context_object_name = "orders"

    def get_queryset(self) -> QuerySet:
        return super().get_queryset().select_related("status").order_by("-created_at", "-id")


class OrderDetailView(MerchantRequiredMixin, DetailView):
    model = Order
    template_name = "documents/order_detail.html"
    context_object_name = "order"

    def get_queryset(self) -> QuerySet:
        return Order.objects.filter(merchant=self.merchant).select_related("status")

    def get_context_data(self, **kwargs) -> dict:
        context = super().get_context_data(**kwargs)
        order = self.object
        context["items"] = order.items.all()
        context["invoices"] = Invoice.objects.filter(merchant=self.merchant, order=order)
        context["receipts"] = Receipt.objects.filter(merchant=self.merchant, order=order)
        return context


class InvoiceListView(MerchantListView):
    model = Invoice
    template_name = "documents/invoice_list.html"
    context_object_name = "invoices"

    def get_queryset(self) -> QuerySet:
        return super().get_queryset().order_by("-issue_date", "-id")


class ReceiptListView(MerchantListView):
    model = Receipt
    template_name = "documents/receipt_list.html"
    context_object_name = "receipts"

    def get_queryset(self) -> QuerySet:
        return super().get_queryset().order_by("-issue_date", "-id")
