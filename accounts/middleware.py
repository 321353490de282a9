"""The panel shows times in the merchant's time zone (``Merchant.time_zone``)."""

from __future__ import annotations

from collections.abc import Callable

from django.http import HttpRequest, HttpResponse
from django.utils import timezone

from accounts.tenancy import current_merchant
from accounts.time_zones import is_known_time_zone


class MerchantTimeZoneMiddleware:
    """Activates the logged-in merchant's time zone for the request (after authentication).

    Pages of anyone else (anonymous visitors, platform staff) stay in ``settings.TIME_ZONE``.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        merchant = current_merchant(request)
        if merchant is None or not is_known_time_zone(merchant.time_zone):
            return self.get_response(request)
        with timezone.override(merchant.time_zone):
            return self.get_response(request)
