from __future__ import annotations

from django.urls import path

from documents import print_views

urlpatterns = [
    path("invoices/<int:pk>/print/", print_views.invoice_print, name="invoice_print"),
    path("invoices/<int:pk>/pdf/", print_views.invoice_pdf, name="invoice_pdf"),
    path("receipts/<int:pk>/print/", print_views.receipt_print, name="receipt_print"),
    path("receipts/<int:pk>/pdf/", print_views.receipt_pdf, name="receipt_pdf"),
]
