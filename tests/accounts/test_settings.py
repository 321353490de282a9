from __future__ import annotations

import pytest
from django.urls import reverse

from accounts.models import Merchant, hash_api_token
from tests.factories import make_merchant

pytestmark = pytest.mark.django_db

# What the page's time zone select posts when left as it is (a new merchant's default).
ZONE = {"time_zone": "Europe/Warsaw"}


def test_rotating_shows_the_token_once_and_stores_only_its_hash(client):
    merchant, user = make_merchant()
    client.force_login(user)

    response = client.post(reverse("accounts:rotate_api_token"))

    assert response.status_code == 200
    token = response.context["new_token"]
    assert token.startswith("dbk_")
    assert token in response.content.decode()
    assert "no-store" in response["Cache-Control"]
    merchant.refresh_from_db()
    assert merchant.api_token_hash == hash_api_token(token)
    assert token not in merchant.api_token_hash
    assert merchant.api_token_prefix == token[:8]

    later = client.get(reverse("accounts:settings")).content.decode()
    assert token not in later
    assert merchant.api_token_prefix in later


def test_rotating_again_replaces_the_previous_token(client):
    merchant, user = make_merchant()
    client.force_login(user)
    first = client.post(reverse("accounts:rotate_api_token")).context["new_token"]

    response = client.post(reverse("accounts:rotate_api_token"))

    second = response.context["new_token"]
    assert second != first
    assert response.context["replaced_token"] is True
    merchant.refresh_from_db()
    assert merchant.api_token_hash == hash_api_token(second)


def test_rotation_needs_post(client):
    _, user = make_merchant()
    client.force_login(user)

    assert client.get(reverse("accounts:rotate_api_token")).status_code == 405


def test_rotation_touches_only_the_own_merchant(client):
    _, user = make_merchant()
    other, _ = make_merchant()
    other_token = other.rotate_api_token()
    client.force_login(user)

    client.post(reverse("accounts:rotate_api_token"))

    other.refresh_from_db()
    assert other.api_token_hash == hash_api_token(other_token)


def test_toggle_external_accounting_and_rename(client):
    merchant, user = make_merchant(name="Old name")
    other, _ = make_merchant(name="Other")
    client.force_login(user)

    response = client.post(
        reverse("accounts:settings"),
        {**ZONE, "name": "New name", "language": "en", "external_accounting_enabled": "on"},
    )

    assert response.status_code == 302
    merchant.refresh_from_db()
    assert merchant.name == "New name"
    assert merchant.external_accounting_enabled is True
    page = client.get(reverse("accounts:settings")).content.decode()
    assert "invoices cannot be backed up" in page

    client.post(reverse("accounts:settings"), {**ZONE, "name": "New name", "language": "en"})
    merchant.refresh_from_db()
    assert merchant.external_accounting_enabled is False
    assert Merchant.objects.get(pk=other.pk).name == "Other"


def test_settings_form_cannot_set_the_token_hash(client):
    merchant, user = make_merchant()
    client.force_login(user)

    client.post(
        reverse("accounts:settings"),
        {
            **ZONE,
            "name": "X",
            "language": "en",
            "api_token_hash": hash_api_token("dbk_chosen"),
            "api_token_prefix": "dbk_",
        },
    )

    merchant.refresh_from_db()
    assert merchant.name == "X"
    assert merchant.api_token_hash == ""


@pytest.mark.parametrize(("code", "name"), [("pl", "Polski"), ("pt-br", "Português (Brasil)")])
def test_merchant_chooses_the_language_of_documents_and_emails(client, code, name):
    merchant, user = make_merchant()
    client.force_login(user)
    page = client.get(reverse("accounts:settings")).content.decode()
    assert f'<option value="{code}">{name}</option>' in page

    response = client.post(
        reverse("accounts:settings"), {**ZONE, "name": merchant.name, "language": code}
    )

    assert response.status_code == 302
    merchant.refresh_from_db()
    assert merchant.language == code
    # The panel itself keeps the language the user browses in.
    page = client.get(reverse("accounts:settings")).content.decode()
    assert '<html lang="en">' in page
    assert f'<option value="{code}" selected>{name}</option>' in page


def test_a_language_the_site_does_not_offer_is_refused(client):
    merchant, user = make_merchant()
    client.force_login(user)

    response = client.post(
        reverse("accounts:settings"), {**ZONE, "name": merchant.name, "language": "de"}
    )

    assert response.status_code == 200
    assert "Select a valid choice" in response.content.decode()
    merchant.refresh_from_db()
    assert merchant.language == "en"
