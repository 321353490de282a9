from __future__ import annotations

from django.urls import include, path

from integrations import views

app_name = "integrations"

urlpatterns = [
    path("", views.index, name="index"),
    path("google-drive/", views.google_drive, name="google_drive"),
    path("google-drive/connect/", views.google_drive_connect, name="google_drive_connect"),
    # Registered with Google as the OAuth redirect URI: keep this path stable.
    path("google-drive/callback/", views.google_drive_callback, name="google_drive_callback"),
    path("google-drive/settings/", views.google_drive_settings, name="google_drive_settings"),
    path("google-drive/start/", views.google_drive_start, name="google_drive_start"),
    path("google-drive/disconnect/", views.google_drive_disconnect, name="google_drive_disconnect"),
    path("google-drive/", include("integrations.run_urls")),
    path("google-drive/", include("integrations.verify_urls")),
]
