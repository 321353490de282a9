from __future__ import annotations

from django.urls import path

from documents import api

app_name = "api"

urlpatterns = [
    path("invoices", api.invoices, name="invoices"),
    path("invoices/", api.invoices),
]
