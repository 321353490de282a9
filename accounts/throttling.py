"""Who is asking, and whether they asked too often (sign-up; log-in is django-axes')."""

from __future__ import annotations

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django_ratelimit.core import is_ratelimited


def client_ip(request: HttpRequest) -> str:
    """The client's address: behind the proxy (BEHIND_HTTPS_PROXY) the last address of
    X-Forwarded-For, the one the proxy itself appended; a client can forge the ones before it."""
    if settings.BEHIND_PROXY:
        forwarded = request.META.get("HTTP_X_FORWARDED_FOR", "")
        last = forwarded.rsplit(",", 1)[-1].strip()
        if last:
            return last
    return request.META.get("REMOTE_ADDR", "")


def too_many_signups(request: HttpRequest, email: str) -> bool:
    """Counts this sign-up, by client address and by the e-mail address it names (each
    sign-up sends a mail there: nobody may flood someone else's inbox through us)."""
    by_client = is_ratelimited(
        request,
        group="signup:client",
        key=lambda _group, request: client_ip(request),
        rate=settings.SIGNUP_RATE_LIMIT,
        increment=True,
    )
    by_email = is_ratelimited(
        request,
        group="signup:email",
        key=lambda _group, _request: email.lower(),
        rate=settings.SIGNUP_EMAIL_RATE_LIMIT,
        increment=True,
    )
    return by_client or by_email


def lockout_response(
    request: HttpRequest, original_response=None, credentials=None
) -> HttpResponse:
    """What django-axes answers to a locked-out log-in, the panel's or the admin's."""
    minutes = max(1, round(settings.AXES_COOLOFF_TIME.total_seconds() / 60))
    return render(request, "accounts/locked_out.html", {"minutes": minutes}, status=429)
