"""Scoping every request to the merchant of the logged-in user.

Views of any app use one of:

- ``@merchant_required`` on a function view: logs in anonymous users, shows a clear page to
  users without a merchant (platform staff) and sets ``request.merchant``;
- ``MerchantRequiredMixin`` on a class-based view: the same, plus ``self.merchant``;
- ``current_merchant(request)`` to read the merchant (``None`` when there is none);
- ``get_for_merchant(request, Model_or_queryset, **lookup)``: ``get_object_or_404`` limited to
  the current merchant's rows, so another merchant's object is a 404, never a 403.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import TYPE_CHECKING, Any, TypeVar

from django.contrib.auth.views import redirect_to_login
from django.db import models
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, render

if TYPE_CHECKING:
    from accounts.models import Merchant

M = TypeVar("M", bound=models.Model)
ViewFunc = Callable[..., HttpResponse]


def current_merchant(request: HttpRequest) -> Merchant | None:
    """The merchant the logged-in user belongs to, or None (anonymous, platform staff)."""
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return None
    return user.merchant


def no_merchant_response(request: HttpRequest) -> HttpResponse:
    return render(request, "accounts/no_merchant.html", status=403)


def merchant_required(view: ViewFunc) -> ViewFunc:
    """Decorator: only users of a merchant get through; sets ``request.merchant``."""

    @wraps(view)
    def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        if not request.user.is_authenticated:
            return redirect_to_login(request.get_full_path())
        merchant = current_merchant(request)
        if merchant is None:
            return no_merchant_response(request)
        request.merchant = merchant  # type: ignore[attr-defined]
        return view(request, *args, **kwargs)

    return wrapper


class MerchantRequiredMixin:
    """Class-based views: the same gate as ``merchant_required``; sets ``self.merchant``."""

    merchant: Merchant

    def dispatch(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        if not request.user.is_authenticated:
            return redirect_to_login(request.get_full_path())
        merchant = current_merchant(request)
        if merchant is None:
            return no_merchant_response(request)
        self.merchant = merchant
        request.merchant = merchant  # type: ignore[attr-defined]
        return super().dispatch(request, *args, **kwargs)  # type: ignore[misc]


def scope_to_merchant(
    request: HttpRequest, model_or_queryset: type[M] | models.QuerySet[M]
) -> models.QuerySet[M]:
    """The rows of the current merchant only (an empty queryset when there is none)."""
    queryset = (
        model_or_queryset
        if isinstance(model_or_queryset, models.QuerySet)
        else model_or_queryset._default_manager.all()
    )
    merchant = current_merchant(request)
    if merchant is None:
        return queryset.none()
    return queryset.filter(merchant=merchant)


def get_for_merchant(
    request: HttpRequest, model_or_queryset: type[M] | models.QuerySet[M], **lookup: Any
) -> M:
    """``get_object_or_404`` within the current merchant's rows."""
    return get_object_or_404(scope_to_merchant(request, model_or_queryset), **lookup)
