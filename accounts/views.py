from __future__ import annotations

from django.contrib import messages
from django.contrib.auth import login
from django.contrib.auth.views import LoginView
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import translation
from django.utils.cache import add_never_cache_headers
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from accounts.forms import EmailAuthenticationForm, MerchantSettingsForm, SignupForm
from accounts.models import Merchant
from accounts.signals import merchant_time_zone_changed
from accounts.signup import activate, register, user_to_confirm
from accounts.tenancy import merchant_required
from accounts.throttling import too_many_signups
from documents.models import merchant_has_api_invoices


class EmailLoginView(LoginView):
    template_name = "accounts/login.html"
    authentication_form = EmailAuthenticationForm
    redirect_authenticated_user = True


@require_http_methods(["GET", "POST"])
def signup(request: HttpRequest) -> HttpResponse:
    if request.user.is_authenticated:
        return redirect("documents:orders")
    form = SignupForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        if too_many_signups(request, form.cleaned_data["email"]):
            form.add_error(None, _("Too many sign-ups from here. Please try again in an hour."))
            return render(request, "accounts/signup.html", {"form": form}, status=429)
        register(form, language=translation.get_language())
        return redirect("accounts:signup_sent")
    return render(request, "accounts/signup.html", {"form": form})


def signup_sent(request: HttpRequest) -> HttpResponse:
    return render(request, "accounts/signup_sent.html")


@require_http_methods(["GET", "POST"])
def signup_confirm(request: HttpRequest, uidb64: str, token: str) -> HttpResponse:
    """GET shows a button, POST activates: a mail scanner that opens the link activates
    nothing and does not spend it."""
    user = user_to_confirm(uidb64, token)
    if user is None:
        return render(request, "accounts/signup_confirm.html", {"valid": False}, status=400)
    if request.method == "GET":
        return render(request, "accounts/signup_confirm.html", {"valid": True, "account": user})
    activate(user)
    login(request, user, backend="django.contrib.auth.backends.ModelBackend")
    messages.success(request, _("Welcome! Your merchant account is ready."))
    return redirect("documents:orders")


def _settings_page(request: HttpRequest, form: MerchantSettingsForm, **extra) -> HttpResponse:
    merchant = request.merchant  # type: ignore[attr-defined]
    context = {
        "form": form,
        "merchant": merchant,
        "has_api_invoices": merchant_has_api_invoices(merchant),
        **extra,
    }
    response = render(request, "accounts/settings.html", context)
    add_never_cache_headers(response)
    return response


@merchant_required
@require_http_methods(["GET", "POST"])
def settings_view(request: HttpRequest) -> HttpResponse:
    merchant = request.merchant  # type: ignore[attr-defined]
    previous_zone = merchant.time_zone
    form = MerchantSettingsForm(request.POST or None, instance=merchant)
    if request.method == "POST" and form.is_valid():
        form.save()
        if merchant.time_zone != previous_zone:
            merchant_time_zone_changed.send(
                sender=Merchant, merchant=merchant, previous_zone=previous_zone
            )
        messages.success(request, _("Settings saved."))
        return redirect("accounts:settings")
    return _settings_page(request, form)


@merchant_required
@require_POST
def rotate_api_token(request: HttpRequest) -> HttpResponse:
    merchant = request.merchant  # type: ignore[attr-defined]
    had_token = bool(merchant.api_token_hash)
    token = merchant.rotate_api_token()
    # Rendered in the POST's answer, never stored in plaintext: it is shown exactly once.
    return _settings_page(
        request,
        MerchantSettingsForm(instance=merchant),
        new_token=token,
        replaced_token=had_token,
    )
