from __future__ import annotations

from django.contrib import admin
from django.urls import include, path
from django.views.generic import RedirectView

urlpatterns = [
    path("", RedirectView.as_view(pattern_name="documents:orders", permanent=False)),
    path("i18n/", include("django.conf.urls.i18n")),
    path("admin/", admin.site.urls),
    path("api/v1/", include("documents.api_urls")),
    path("accounts/", include("accounts.urls")),
    path("", include("documents.urls")),
    path("integrations/", include("integrations.urls")),
]
