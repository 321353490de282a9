"""F1: amounts and totals beyond the 14-digit money column are refused, naming the field.

The review sent two items of 999999999999.99 with no totals: the API summed them into a
total_gross of 1999999999999.98, answered 201, and every later read of the row failed
(the merchant's invoice list, print and PDF, the backup, the admin).
"""

from __future__ import annotations

import pytest
from django.test import Client

from accounts.models import User
from documents.models import Invoice
from tests.documents.test_api import assert_nothing_stored, error_of, invoice_data, post_json
from tests.factories import make_merchant

pytestmark = pytest.mark.django_db

BIG = "999999999999.99"  # the largest amount the column holds


def big_item(**overrides):
    return {"name": "Yacht", "quantity": "1", "unit_price_net": BIG, "vat_rate": "0", **overrides}


@pytest.fixture
def merchant_client_token():
    merchant, user = make_merchant()
    browser = Client()
    browser.force_login(user)
    return merchant, browser, merchant.rotate_api_token()


def test_items_that_sum_beyond_the_column_are_400_naming_the_total(merchant_client_token):
    _, browser, token = merchant_client_token

    response = post_json(Client(), token, invoice_data(items=[big_item(), big_item()]))

    assert response.status_code == 400, response.content
    error = error_of(response)
    assert error["code"] == "invalid"
    assert {d["field"] for d in error["details"]} == {"total_net", "total_gross"}
    assert "999999999999.99" in error["message"]
    assert_nothing_stored()
    # What the stored row used to break keeps working.
    assert browser.get("/invoices/").status_code == 200


def test_one_item_at_the_limit_is_accepted_and_readable(merchant_client_token):
    merchant, browser, token = merchant_client_token

    response = post_json(Client(), token, invoice_data(items=[big_item()]))

    assert response.status_code == 201, response.content
    assert str(Invoice.objects.get(merchant=merchant).total_gross) == BIG
    assert browser.get("/invoices/").status_code == 200


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        ({"total_gross": "1999999999999.98"}, "total_gross"),
        ({"total_net": 10**13}, "total_net"),
        ({"items": [big_item(quantity="2")]}, "items[0].total_net"),
        ({"items": [big_item(vat_rate="23")]}, "items[0].total_gross"),
        ({"items": [big_item(total_gross="1000000000000")]}, "items[0].total_gross"),
        ({"items": [big_item(quantity="1000000000")]}, "items[0].quantity"),
    ],
)
def test_every_amount_given_or_computed_must_fit_its_column(
    merchant_client_token, overrides, field
):
    _, _, token = merchant_client_token

    response = post_json(Client(), token, invoice_data(**overrides))

    assert response.status_code == 400, response.content
    assert error_of(response)["field"] == field
    assert_nothing_stored()


def test_the_admin_list_stays_readable(merchant_client_token):
    _, _, token = merchant_client_token
    post_json(Client(), token, invoice_data(items=[big_item(), big_item()]))
    admin = Client()
    admin.force_login(User.objects.create_superuser(email="ops@example.com", password="x"))

    assert admin.get("/admin/documents/invoice/").status_code == 200
