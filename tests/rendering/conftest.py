from __future__ import annotations

import pytest

from accounts.models import User
from tests.rendering import factories


@pytest.fixture
def merchant(db):
    return factories.make_merchant("Żółta Łódź")


@pytest.fixture
def other_merchant(db):
    return factories.make_merchant("Other shop")


@pytest.fixture
def invoice(merchant):
    return factories.make_invoice(merchant, "FV 12/11/2026", items=3)


@pytest.fixture
def receipt(merchant):
    return factories.make_receipt(merchant, "PAR 7/11/2026", items=2)


@pytest.fixture
def merchant_client(client, merchant):
    user = User.objects.create_user(
        email="owner@example.com", password="pw-123456", merchant=merchant
    )
    client.force_login(user)
    return client
