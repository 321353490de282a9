from __future__ import annotations

import pytest
from django.urls import reverse

from accounts.models import Merchant, User
from documents.models import ApiInvoicePdf, Invoice
from tests.factories import make_invoice, make_merchant, make_order, make_receipt

pytestmark = pytest.mark.django_db

MODELS = [
    "accounts_merchant", "accounts_user", "documents_orderstatus", "documents_order",
    "documents_invoice", "documents_receipt",
]  # fmt: skip


@pytest.fixture
def admin_client(client):
    admin = User.objects.create_superuser(email="admin@example.com", password="x")
    client.force_login(admin)
    return client


@pytest.fixture
def data():
    merchant, _ = make_merchant(name="Sklep Łódź")
    merchant.rotate_api_token()
    order = make_order(merchant)
    invoice = make_invoice(merchant, source=Invoice.Source.API)
    ApiInvoicePdf.objects.create(invoice=invoice, content=b"%PDF-1.4", sha256="0" * 64, size=8)
    receipt = make_receipt(merchant)
    return {
        "accounts_merchant": merchant,
        "accounts_user": merchant.users.get(),
        "documents_orderstatus": order.status,
        "documents_order": order,
        "documents_invoice": invoice,
        "documents_receipt": receipt,
    }


@pytest.mark.parametrize("model", MODELS)
def test_changelist_search_and_change_pages_render(admin_client, data, model):
    changelist = reverse(f"admin:{model}_changelist")

    assert admin_client.get(changelist).status_code == 200
    assert admin_client.get(changelist, {"q": "Łódź"}).status_code == 200
    change = admin_client.get(reverse(f"admin:{model}_change", args=[data[model].pk]))
    assert change.status_code == 200


def test_merchant_admin_never_offers_the_token_hash(admin_client, data):
    merchant = data["accounts_merchant"]
    url = reverse("admin:accounts_merchant_change", args=[merchant.pk])

    page = admin_client.get(url)

    assert "api_token_hash" not in page.context["adminform"].form.fields
    assert merchant.api_token_hash not in page.content.decode()
    admin_client.post(
        url,
        {
            "name": "Renamed",
            "language": "en",
            "time_zone": merchant.time_zone,
            "api_token_hash": "f" * 64,
            "users-TOTAL_FORMS": "1",
            "users-INITIAL_FORMS": "1",
            "users-0-id": str(data["accounts_user"].pk),
            "users-0-merchant": str(merchant.pk),
            "users-0-is_active": "on",
        },
    )
    refreshed = Merchant.objects.get(pk=merchant.pk)
    assert refreshed.name == "Renamed"
    assert refreshed.api_token_hash == merchant.api_token_hash


def test_support_sees_and_can_change_a_merchants_language(admin_client, data):
    merchant = data["accounts_merchant"]
    url = reverse("admin:accounts_merchant_change", args=[merchant.pk])

    response = admin_client.post(
        url,
        {
            "name": merchant.name,
            "language": "pt-br",
            "time_zone": merchant.time_zone,
            "users-TOTAL_FORMS": "1",
            "users-INITIAL_FORMS": "1",
            "users-0-id": str(data["accounts_user"].pk),
            "users-0-merchant": str(merchant.pk),
            "users-0-is_active": "on",
        },
    )

    assert response.status_code == 302
    merchant.refresh_from_db()
    assert merchant.language == "pt-br"
    listing = admin_client.get(reverse("admin:accounts_merchant_changelist")).content.decode()
    assert "Português (Brasil)" in listing
