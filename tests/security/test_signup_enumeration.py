"""F7: sign-up does not tell anyone which e-mail addresses have an account.

The review read "An account with this e-mail address already exists" off the sign-up form,
so anyone could test which addresses belong to merchants.
"""

from __future__ import annotations

import re

import pytest
from django.test import Client

from accounts.models import Merchant, User
from tests.factories import make_merchant

pytestmark = pytest.mark.django_db

SIGNUP = "/accounts/signup/"


def sign_up(email: str, client: Client | None = None):
    return (client or Client()).post(
        SIGNUP,
        {
            "merchant_name": "Probe",
            "email": email,
            "password1": "a-long-and-unusual-pass-77",
            "password2": "a-long-and-unusual-pass-77",
        },
        follow=True,
    )


def visible(response) -> str:
    """The page without what differs from one request to the next (the CSRF token)."""
    return re.sub(r'value="[^"]{32,}"', "", response.content.decode())


def test_a_registered_and_a_new_address_get_the_same_answer(mailoutbox):
    make_merchant(email="merchant@example.com")

    registered = sign_up("merchant@example.com")
    new = sign_up("nobody@example.com")

    assert registered.status_code == new.status_code == 200
    assert registered.redirect_chain == new.redirect_chain
    assert visible(registered) == visible(new)
    assert "already exists" not in visible(registered)
    assert Merchant.objects.filter(name="Probe").count() == 1, "only for the new address"


def test_only_the_mailbox_owner_learns_which_it_was(mailoutbox):
    make_merchant(email="merchant@example.com")

    sign_up("Merchant@Example.com")

    [message] = mailoutbox
    assert message.to == ["merchant@example.com"]
    assert "already has an account" in message.body
    assert "/accounts/login/" in message.body


def test_an_account_is_usable_only_after_its_address_is_confirmed(mailoutbox):
    sign_up("nobody@example.com")
    client = Client()

    response = client.post(
        "/accounts/login/",
        {"username": "nobody@example.com", "password": "a-long-and-unusual-pass-77"},
    )

    assert response.status_code == 200, "the log-in form again, with its error"
    assert "_auth_user_id" not in client.session
    assert not User.objects.get(email="nobody@example.com").is_active
    [message] = mailoutbox
    assert "/accounts/signup/confirm/" in message.body


def test_an_unconfirmed_address_gets_its_link_again_a_deactivated_one_does_not(mailoutbox):
    sign_up("nobody@example.com")
    _, closed = make_merchant(email="closed@example.com")
    closed.is_active = False
    closed.last_login = closed.date_joined
    closed.save()

    sign_up("nobody@example.com")
    sign_up("closed@example.com")

    _, again, deactivated = mailoutbox
    assert "/accounts/signup/confirm/" in again.body
    assert "/accounts/signup/confirm/" not in deactivated.body


def test_sign_ups_are_throttled_per_client_and_per_address(settings, mailoutbox):
    settings.SIGNUP_RATE_LIMIT = "3/h"
    settings.SIGNUP_EMAIL_RATE_LIMIT = "2/h"
    client = Client()

    answers = [sign_up(f"probe{n}@example.com", client).status_code for n in range(4)]
    to_one_inbox = [
        sign_up("victim@example.com", Client(REMOTE_ADDR=f"198.51.100.{n}")).status_code
        for n in range(3)
    ]

    assert answers == [200, 200, 200, 429]
    assert to_one_inbox == [200, 200, 429]
    assert len([m for m in mailoutbox if m.to == ["victim@example.com"]]) == 2


def test_the_confirmation_page_logs_nobody_in_before_the_button(mailoutbox):
    sign_up("nobody@example.com")
    link = re.search(r"http\S+(/accounts/signup/confirm/\S+/)", mailoutbox[0].body)[1]

    page = Client().get(link)

    assert page.status_code == 200
    assert page.context["user"].is_anonymous, "the header shows no one signed in"
    assert "nobody@example.com" in page.content.decode()


def test_sign_up_waits_with_a_clear_message_while_its_counters_are_unreachable(
    settings, mailoutbox
):
    """Redis (the sign-up counters) down: no 500, no mail sent, no account made."""
    settings.CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": "redis://127.0.0.1:9/0",  # the discard port: nothing listens there
        }
    }

    response = sign_up("someone@example.com")

    assert response.status_code == 503
    assert "Sign-up is paused for a moment" in response.content.decode()
    assert not mailoutbox
    assert not User.objects.filter(email="someone@example.com").exists()
