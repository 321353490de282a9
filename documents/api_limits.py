"""What one merchant may ask of the invoice API: requests per period and bytes kept.

The rate is counted per merchant in the shared cache by django-ratelimit (a fixed window, so
``Retry-After`` is the time left in it); the quota sums the sizes of the merchant's stored PDFs
while its row is locked, so two requests at once cannot both take the last bytes.
"""

from __future__ import annotations

from django.conf import settings
from django.db.models import Sum
from django.http import HttpRequest
from django_ratelimit.core import get_usage

from accounts.models import Merchant
from documents.api_errors import ApiError
from documents.models import ApiInvoicePdf


def check_rate(request: HttpRequest, merchant: Merchant) -> None:
    usage = get_usage(
        request,
        group="api:invoices",
        key=lambda _group, _request: str(merchant.pk),
        rate=settings.API_RATE_LIMIT,
        increment=True,
    )
    if usage and usage["should_limit"]:
        retry_after = max(1, int(usage["time_left"]))
        raise ApiError(
            429,
            "rate_limited",
            f"Too many requests: this account may send {usage['limit']} per "
            f"{period_of(settings.API_RATE_LIMIT)}. Try again in {retry_after} s.",
            headers={"Retry-After": str(retry_after)},
        )


def period_of(rate: str) -> str:
    unit = rate.partition("/")[2].lstrip("0123456789")[:1]
    return {"s": "second", "m": "minute", "h": "hour", "d": "day"}.get(unit, rate)


def stored_bytes(merchant: Merchant) -> int:
    total = ApiInvoicePdf.objects.filter(invoice__merchant=merchant).aggregate(Sum("size"))
    return total["size__sum"] or 0


def check_quota(merchant: Merchant, incoming: int) -> None:
    """Call inside the transaction that stores the PDF."""
    Merchant.objects.select_for_update().filter(pk=merchant.pk).first()
    quota = settings.API_STORAGE_QUOTA_BYTES
    used = stored_bytes(merchant)
    if used + incoming > quota:
        raise ApiError(
            413,
            "storage_quota_exceeded",
            f"This account keeps {used} bytes of PDFs sent through the API, and this one "
            f"({incoming} bytes) would go over its quota of {quota} bytes. Nothing was stored.",
            field="pdf",
        )
