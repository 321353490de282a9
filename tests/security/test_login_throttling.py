"""F4: failed log-ins are throttled, on the panel and in the admin, with a page that says why.

The review tried 50 wrong passwords in 19.6 s, all answered 200, and then the right one
worked; the admin's log-in was the same.
"""

from __future__ import annotations

import pytest
from django.test import Client, RequestFactory

from accounts.models import User
from accounts.throttling import client_ip
from tests.factories import PASSWORD, make_merchant

pytestmark = pytest.mark.django_db

LOGIN = "/accounts/login/"
ADMIN_LOGIN = "/admin/login/?next=/admin/"


def try_login(client: Client, url: str, email: str, password: str, **extra):
    return client.post(url, {"username": email, "password": password}, **extra)


def test_the_right_password_after_too_many_wrong_ones_is_refused(settings):
    _, user = make_merchant(email="owner@example.com")
    client = Client()

    wrong = [try_login(client, LOGIN, user.email, f"guess-{n}").status_code for n in range(50)]
    right = try_login(client, LOGIN, user.email, PASSWORD)

    assert wrong[: settings.AXES_FAILURE_LIMIT - 1] == [200] * (settings.AXES_FAILURE_LIMIT - 1)
    assert set(wrong[settings.AXES_FAILURE_LIMIT :]) == {429}
    assert right.status_code == 429
    assert "_auth_user_id" not in client.session
    page = right.content.decode()
    assert "Too many failed log-in attempts" in page
    assert "paused for 15 minutes" in page


def test_the_lockout_page_speaks_the_merchant_s_language():
    _, user = make_merchant(email="dona@example.com")
    client = Client(HTTP_ACCEPT_LANGUAGE="pt-BR")
    for n in range(5):
        try_login(client, LOGIN, user.email, f"guess-{n}")

    page = try_login(client, LOGIN, user.email, PASSWORD).content.decode()

    assert "Muitas tentativas" in page


def test_the_admin_log_in_is_throttled_too(settings):
    User.objects.create_superuser(email="ops@example.com", password="the-admin-password")
    client = Client()
    for n in range(settings.AXES_FAILURE_LIMIT):
        try_login(client, ADMIN_LOGIN, "ops@example.com", f"guess-{n}")

    response = try_login(client, ADMIN_LOGIN, "ops@example.com", "the-admin-password")

    assert response.status_code == 429
    assert "_auth_user_id" not in client.session


def test_a_lockout_does_not_reach_the_merchant_at_another_address(settings):
    _, user = make_merchant(email="owner@example.com")
    attacker = Client(REMOTE_ADDR="203.0.113.9")
    for n in range(settings.AXES_FAILURE_LIMIT + 1):
        try_login(attacker, LOGIN, user.email, f"guess-{n}")

    merchant = Client(REMOTE_ADDR="198.51.100.7")
    response = try_login(merchant, LOGIN, user.email, PASSWORD)

    assert response.status_code == 302
    assert "_auth_user_id" in merchant.session


def test_a_success_resets_the_count():
    _, user = make_merchant(email="owner@example.com")
    client = Client()
    for n in range(4):
        try_login(client, LOGIN, user.email, f"guess-{n}")
    assert try_login(client, LOGIN, user.email, PASSWORD).status_code == 302
    client.logout()

    for n in range(4):
        assert try_login(client, LOGIN, user.email, f"again-{n}").status_code == 200


def test_behind_the_proxy_the_client_is_the_address_it_forwarded(settings):
    """The proxy appends the address it saw; what the client wrote before it counts for
    nothing, or every attempt could claim a new address."""
    forged = RequestFactory().get(
        "/", HTTP_X_FORWARDED_FOR="10.0.0.1, 203.0.113.9", REMOTE_ADDR="127.0.0.1"
    )
    settings.BEHIND_PROXY = True
    assert client_ip(forged) == "203.0.113.9"
    settings.BEHIND_PROXY = False
    assert client_ip(forged) == "127.0.0.1"
