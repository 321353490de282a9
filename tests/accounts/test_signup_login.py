from __future__ import annotations

import re
from urllib.parse import urlsplit

import pytest
from django.urls import reverse

from accounts.models import Merchant, User
from tests.factories import PASSWORD, make_merchant

pytestmark = pytest.mark.django_db


def signup_data(**overrides):
    data = {
        "merchant_name": "Sklep Łódź",
        "email": "Owner@Example.com",
        "password1": "a-long-and-unusual-pass-77",
        "password2": "a-long-and-unusual-pass-77",
    }
    data.update(overrides)
    return data


def confirmation_link(message) -> str:
    [link] = re.findall(r"https?://\S+/signup/confirm/\S+/", message.body)
    return urlsplit(link).path


def test_signup_creates_merchant_and_user_and_the_e_mailed_link_logs_in(client, mailoutbox):
    response = client.post(reverse("accounts:signup"), signup_data())

    assert response.status_code == 302
    assert response["Location"] == reverse("accounts:signup_sent")
    merchant = Merchant.objects.get()
    assert merchant.name == "Sklep Łódź"
    user = User.objects.get()
    assert user.merchant == merchant
    assert user.email == "owner@example.com"
    assert user.check_password("a-long-and-unusual-pass-77")
    assert not user.is_active, "not before the address is confirmed"
    [message] = mailoutbox
    assert message.to == ["owner@example.com"]
    link = confirmation_link(message)

    assert client.get(link).status_code == 200  # a button: opening the link changes nothing
    assert not User.objects.get().is_active
    response = client.post(link)

    assert response["Location"] == reverse("documents:orders")
    page = client.get(reverse("documents:orders"))
    assert page.status_code == 200
    assert page.context["user"] == user
    assert "Sklep Łódź" in page.content.decode()
    assert client.post(link).status_code == 400, "the link works once"


def test_signup_with_an_email_already_in_use_creates_nothing(client, mailoutbox):
    make_merchant(email="owner@example.com")

    response = client.post(reverse("accounts:signup"), signup_data())

    assert response["Location"] == reverse("accounts:signup_sent")
    assert Merchant.objects.count() == 1
    [message] = mailoutbox
    assert "already has an account" in message.body


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        ({"password2": "something-else-entirely-1"}, "password2"),
        ({"password1": "12345678", "password2": "12345678"}, "password1"),
        ({"merchant_name": "   "}, "merchant_name"),
        ({"email": "not-an-email"}, "email"),
    ],
)
def test_signup_form_errors(client, overrides, field):
    response = client.post(reverse("accounts:signup"), signup_data(**overrides))

    assert response.status_code == 200
    assert field in response.context["form"].errors
    assert not Merchant.objects.exists()
    assert not User.objects.exists()


def test_login_with_email_and_password(client):
    _, user = make_merchant(email="login@example.com")

    response = client.post(
        reverse("accounts:login"), {"username": "login@example.com", "password": PASSWORD}
    )

    assert response.status_code == 302
    assert response["Location"] == reverse("documents:orders")
    assert client.session["_auth_user_id"] == str(user.pk)


def test_login_with_a_wrong_password_shows_an_error(client):
    make_merchant(email="login@example.com")

    response = client.post(
        reverse("accounts:login"), {"username": "login@example.com", "password": "wrong"}
    )

    assert response.status_code == 200
    assert "_auth_user_id" not in client.session
    assert response.context["form"].non_field_errors()


def test_login_follows_next_to_the_page_asked_for(client):
    make_merchant(email="login@example.com")
    receipts = reverse("documents:receipts")

    response = client.post(
        f"{reverse('accounts:login')}?next={receipts}",
        {"username": "login@example.com", "password": PASSWORD, "next": receipts},
    )

    assert response["Location"] == receipts


def test_logout_is_post_only(client):
    _, user = make_merchant()
    client.force_login(user)

    assert client.get(reverse("accounts:logout")).status_code == 405
    assert "_auth_user_id" in client.session

    response = client.post(reverse("accounts:logout"))

    assert response.status_code == 302
    assert response["Location"] == reverse("accounts:login")
    assert "_auth_user_id" not in client.session


def test_signed_in_user_is_sent_from_signup_to_the_panel(client):
    _, user = make_merchant()
    client.force_login(user)

    response = client.get(reverse("accounts:signup"))

    assert response.status_code == 302
    assert not Merchant.objects.filter(name="Sklep Łódź").exists()


def test_signup_keeps_the_language_the_page_was_in(client, settings):
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "pt-br"

    client.post(reverse("accounts:signup"), signup_data())

    assert Merchant.objects.get().language == "pt-br"


def test_signup_from_a_browser_that_asks_for_portuguese_of_portugal(client):
    client.post(reverse("accounts:signup"), signup_data(), HTTP_ACCEPT_LANGUAGE="pt-PT,pt;q=0.9")

    assert Merchant.objects.get().language == "pt-br"


def test_signup_in_a_language_the_site_does_not_offer_keeps_the_default(client):
    client.post(reverse("accounts:signup"), signup_data(), HTTP_ACCEPT_LANGUAGE="de-DE,de;q=0.9")

    assert Merchant.objects.get().language == "en"
