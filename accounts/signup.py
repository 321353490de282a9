"""Sign-up that never tells whether an e-mail address already has an account.

Every valid sign-up gets the same answer ("check your inbox") and one e-mail to the address it
names: a new address receives the link that activates its account; an address that already
has one is told so, with the way to log in. Only the owner of the mailbox learns which. The
password given is hashed either way, so the answer takes as long in both cases.
"""

from __future__ import annotations

from django.conf import settings
from django.contrib.auth.hashers import make_password
from django.contrib.auth.tokens import default_token_generator
from django.core.mail import send_mail
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils.encoding import force_bytes
from django.utils.http import urlsafe_base64_decode, urlsafe_base64_encode
from django.utils.translation import gettext as _

from accounts.models import User


def register(form, *, language: str) -> None:
    """Act on a valid SignupForm: create the (inactive) account or tell the owner it exists."""
    email = form.cleaned_data["email"]
    existing = User.objects.filter(email__iexact=email).first()
    if existing is None:
        send_confirmation(form.save(language=language, active=False))
    elif awaits_confirmation(existing):
        make_password(form.cleaned_data["password1"])
        send_confirmation(existing)
    else:
        make_password(form.cleaned_data["password1"])
        send_already_registered(existing)


def awaits_confirmation(user: User) -> bool:
    # Signed up, never confirmed, never logged in: an account an operator deactivated has
    # logged in before and is not reopened by a new sign-up.
    return not user.is_active and user.last_login is None


def confirmation_url(user: User) -> str:
    uid = urlsafe_base64_encode(force_bytes(user.pk))
    token = default_token_generator.make_token(user)
    return settings.SITE_URL.rstrip("/") + reverse("accounts:signup_confirm", args=[uid, token])


def user_to_confirm(uidb64: str, token: str) -> User | None:
    """The account a confirmation link opens; None when the link is wrong, used or expired
    (PASSWORD_RESET_TIMEOUT). Logging in changes last_login, which spends the token."""
    try:
        user = User.objects.get(pk=int(urlsafe_base64_decode(uidb64)))
    except (ValueError, OverflowError, User.DoesNotExist):
        return None
    if not awaits_confirmation(user) or not default_token_generator.check_token(user, token):
        return None
    return user


def activate(user: User) -> None:
    user.is_active = True
    user.save(update_fields=["is_active"])


def send_confirmation(user: User) -> None:
    context = {"merchant": user.merchant, "url": confirmation_url(user)}
    send_mail(
        _("Confirm your Drive Backup account"),
        render_to_string("emails/signup_confirm.txt", context),
        None,
        [user.email],
    )


def send_already_registered(user: User) -> None:
    login_url = settings.SITE_URL.rstrip("/") + reverse("accounts:login")
    send_mail(
        _("You already have a Drive Backup account"),
        render_to_string("emails/signup_already_registered.txt", {"login_url": login_url}),
        None,
        [user.email],
    )
