from __future__ import annotations

from django.urls import include, path  # noqa: F401

app_name = "documents"

urlpatterns: list = []
