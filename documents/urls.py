from __future__ import annotations

from django.urls import include, path

from documents import views

app_name = "documents"

urlpatterns = [
    path("orders/", views.OrderListView.as_view(), name="orders"),
    path("orders/<int:pk>/", views.OrderDetailView.as_view(), name="order_detail"),
    path("invoices/", views.InvoiceListView.as_view(), name="invoices"),
    path("receipts/", views.ReceiptListView.as_view(), name="receipts"),
    # invoice_print and receipt_print
    path("", include("documents.print_urls")),
]
