"""Included by integrations.urls under "google-drive/", in the "integrations" namespace."""

from __future__ import annotations

from django.urls import path

from integrations import verify_views

urlpatterns = [
    path("check/", verify_views.check_now, name="google_drive_check"),
    path("resend-missing/", verify_views.resend_missing, name="google_drive_resend_missing"),
]
