from __future__ import annotations

import base64
import json
from decimal import Decimal

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from documents.demo import minimal_pdf
from documents.models import ApiInvoicePdf, Invoice, InvoiceItem
from tests.factories import make_invoice, make_merchant

pytestmark = pytest.mark.django_db

URL = "/api/v1/invoices"
PDF = minimal_pdf(["Invoice FV 12/11/2026", "Total: 24.60 PLN"])


def invoice_data(**overrides):
    data = {
        "number": "FV 12/11/2026",
        "issue_date": "2026-11-12",
        "sale_date": "2026-11-10",
        "payment_due": "2026-11-26",
        "payment_method": "Przelew",
        "currency": "PLN",
        "seller": {"name": "Sklep Łódź sp. z o.o.", "address": "ul. Długa 1\n00-001 Warszawa",
                   "tax_id": "PL5252812345"},
        "buyer": {"name": "Zofia Wójcik", "address": "Rua Augusta 5\nSão Paulo"},
        "items": [
            {"name": "Kubek", "quantity": "2", "unit_price_net": "10.00", "vat_rate": "23"},
            {"name": "Herbata", "quantity": 1.5, "unit": "kg", "unit_price_net": 4,
             "vat_rate": 5, "total_net": "6.00", "total_gross": "6.30"},
        ],
    }  # fmt: skip
    data.update(overrides)
    return data


@pytest.fixture
def merchant_and_token():
    merchant, _ = make_merchant()
    return merchant, merchant.rotate_api_token()


def post_json(client, token, data, pdf=PDF, **extra):
    body = dict(data)
    if pdf is not None:
        body["pdf"] = base64.b64encode(pdf).decode()
    headers = {"HTTP_AUTHORIZATION": f"Bearer {token}"} if token else {}
    return client.post(URL, json.dumps(body), content_type="application/json", **headers, **extra)


def error_of(response):
    body = response.json()
    assert set(body) == {"error"}
    return body["error"]


def assert_nothing_stored():
    assert Invoice.objects.filter(source=Invoice.Source.API).count() == 0
    assert InvoiceItem.objects.count() == 0
    assert ApiInvoicePdf.objects.count() == 0


def test_the_url_name_resolves_to_the_documented_path():
    assert reverse("api:invoices") == URL


def test_json_invoice_with_pdf_is_stored(client, merchant_and_token):
    merchant, token = merchant_and_token

    response = post_json(client, token, invoice_data())

    assert response.status_code == 201, response.content
    body = response.json()
    invoice = Invoice.objects.get(pk=body["id"])
    assert invoice.merchant == merchant
    assert invoice.source == Invoice.Source.API
    assert invoice.number == "FV 12/11/2026"
    assert str(invoice.issue_date) == "2026-11-12"
    assert str(invoice.sale_date) == "2026-11-10"
    assert invoice.seller_name == "Sklep Łódź sp. z o.o."
    assert invoice.buyer_address == "Rua Augusta 5\nSão Paulo"
    items = list(invoice.items.all())
    assert [(i.name, i.quantity, i.total_net, i.total_gross) for i in items] == [
        ("Kubek", Decimal("2"), Decimal("20.00"), Decimal("24.60")),
        ("Herbata", Decimal("1.5"), Decimal("6.00"), Decimal("6.30")),
    ]
    assert items[1].unit == "kg"
    assert invoice.total_net == Decimal("26.00")
    assert invoice.total_gross == Decimal("30.90")
    assert bytes(invoice.api_pdf.content) == PDF
    assert invoice.api_pdf.size == len(PDF)
    assert body["pdf"]["sha256"] == invoice.api_pdf.sha256
    assert body["uuid"] == str(invoice.uuid)


def test_multipart_invoice_with_pdf_file_is_stored(client, merchant_and_token):
    merchant, token = merchant_and_token

    response = client.post(
        URL,
        {
            "invoice": json.dumps(invoice_data(total_gross="30.90")),
            "pdf": SimpleUploadedFile("fv.pdf", PDF, content_type="application/pdf"),
        },
        HTTP_AUTHORIZATION=f"Bearer {token}",
    )

    assert response.status_code == 201, response.content
    invoice = Invoice.objects.get(merchant=merchant)
    assert bytes(invoice.api_pdf.content) == PDF
    assert invoice.total_gross == Decimal("30.90")


def test_the_same_number_may_exist_at_another_merchant(client, merchant_and_token):
    _, token = merchant_and_token
    other, _ = make_merchant()
    make_invoice(other, number="FV 12/11/2026")

    response = post_json(client, token, invoice_data())

    assert response.status_code == 201


def test_a_token_only_writes_to_its_own_merchant(client, merchant_and_token):
    merchant, token = merchant_and_token
    other, _ = make_merchant()
    other.rotate_api_token()

    post_json(client, token, invoice_data())

    assert Invoice.objects.filter(merchant=other).count() == 0
    assert Invoice.objects.filter(merchant=merchant).count() == 1


def test_a_logged_in_session_is_not_enough(client):
    _, user = make_merchant()
    client.force_login(user)

    response = post_json(client, None, invoice_data())

    assert response.status_code == 401
    assert_nothing_stored()


@pytest.mark.parametrize(
    "header",
    [None, "", "Bearer", "Bearer ", "Basic dXNlcjpwYXNz", "Bearer dbk_not-a-real-token", "Token x"],
)
def test_missing_or_bad_token_is_401(client, merchant_and_token, header):
    extra = {} if header is None else {"HTTP_AUTHORIZATION": header}

    response = client.post(
        URL,
        json.dumps({**invoice_data(), "pdf": base64.b64encode(PDF).decode()}),
        content_type="application/json",
        **extra,
    )

    assert response.status_code == 401
    assert response["WWW-Authenticate"].startswith("Bearer")
    assert error_of(response)["code"] == "unauthorized"
    assert_nothing_stored()


def test_a_replaced_token_stops_working(client, merchant_and_token):
    merchant, old = merchant_and_token
    merchant.rotate_api_token()

    assert post_json(client, old, invoice_data()).status_code == 401


def test_a_merchant_without_a_token_cannot_be_reached_with_an_empty_hash(client):
    make_merchant()

    response = client.post(
        URL, "{}", content_type="application/json", HTTP_AUTHORIZATION="Bearer  "
    )

    assert response.status_code == 401


def test_duplicate_number_is_409_and_keeps_the_first(client, merchant_and_token):
    merchant, token = merchant_and_token
    assert post_json(client, token, invoice_data()).status_code == 201

    response = post_json(client, token, invoice_data(currency="EUR"))

    assert response.status_code == 409
    error = error_of(response)
    assert error["code"] == "duplicate_number"
    assert error["field"] == "number"
    assert "FV 12/11/2026" in error["message"]
    assert Invoice.objects.get(merchant=merchant).currency == "PLN"
    assert ApiInvoicePdf.objects.count() == 1


def test_duplicate_of_an_invoice_issued_in_the_panel_is_409(client, merchant_and_token):
    merchant, token = merchant_and_token
    make_invoice(merchant, number="FV 12/11/2026")

    response = post_json(client, token, invoice_data())

    assert response.status_code == 409
    assert Invoice.objects.count() == 1
    assert InvoiceItem.objects.count() == 1
    assert ApiInvoicePdf.objects.count() == 0


@pytest.mark.parametrize(
    ("overrides", "field", "words"),
    [
        ({"number": None}, "number", "required"),
        ({"number": "   "}, "number", "required"),
        ({"number": "FV 1\n2/11/2026"}, "number", "control characters"),
        ({"number": "FV 1\x002026"}, "number", "control characters"),
        ({"number": "FV\u200b1/11/2026"}, "number", "control characters"),
        ({"number": "F" * 101}, "number", "At most 100 characters"),
        ({"number": 12}, "number", "string"),
        ({"issue_date": None}, "issue_date", "required"),
        ({"issue_date": "12.11.2026"}, "issue_date", "YYYY-MM-DD"),
        ({"issue_date": "2026-02-30"}, "issue_date", "calendar date"),
        ({"sale_date": "yesterday"}, "sale_date", "YYYY-MM-DD"),
        ({"payment_due": "0001-01-01"}, "payment_due", "out of range"),
        ({"currency": "zł"}, "currency", "three-letter"),
        ({"currency": None}, "currency", "three-letter"),
        ({"seller": None}, "seller", "object"),
        ({"seller": {"name": ""}}, "seller.name", "required"),
        ({"buyer": {"name": "x" * 201}}, "buyer.name", "At most 200"),
        ({"items": []}, "items", "at least one"),
        ({"items": "Kubek"}, "items", "at least one"),
        ({"items": ["Kubek"]}, "items[0]", "object"),
        ({"items": [{"name": "K", "quantity": "1,5", "unit_price_net": "1"}]},
         "items[0].quantity", "dot for decimals"),
        ({"items": [{"name": "K", "quantity": "0", "unit_price_net": "1"}]},
         "items[0].quantity", "greater than zero"),
        ({"items": [{"name": "K", "quantity": "1", "unit_price_net": "-1"}]},
         "items[0].unit_price_net", "negative"),
        ({"items": [{"name": "K", "quantity": "1", "unit_price_net": "1.001"}]},
         "items[0].unit_price_net", "2 decimal places"),
        ({"items": [{"name": "K", "quantity": "1", "unit_price_net": "NaN"}]},
         "items[0].unit_price_net", "finite"),
        ({"items": [{"name": "K", "quantity": "1", "unit_price_net": "1e20"}]},
         "items[0].unit_price_net", "too large"),
        ({"items": [{"name": "K", "quantity": True, "unit_price_net": "1"}]},
         "items[0].quantity", "number"),
        ({"items": [{"name": "K", "quantity": "1", "unit_price_net": "1", "vat_rate": "123"}]},
         "items[0].vat_rate", "too large"),
        ({"items": [{"quantity": "1", "unit_price_net": "1"}]}, "items[0].name", "required"),
        ({"items": [{"name": "K", "quantity": "1", "unit_price_net": "1"}]},
         "items[0].vat_rate", "Enter a number"),
        ({"total_gross": "abc"}, "total_gross", "not a number"),
        ({"colour": "blue"}, "colour", "Unknown field"),
    ],
)  # fmt: skip
def test_bad_fields_are_400_with_the_field_named(
    client, merchant_and_token, overrides, field, words
):
    _, token = merchant_and_token

    response = post_json(client, token, invoice_data(**overrides))

    assert response.status_code == 400, response.content
    error = error_of(response)
    assert error["code"] == "invalid"
    assert error["field"] == field
    assert words.lower() in error["message"].lower()
    assert {"field": field, "message": error["message"]} in error["details"]
    assert_nothing_stored()


def test_all_field_problems_are_reported_at_once(client, merchant_and_token):
    _, token = merchant_and_token

    response = post_json(client, token, invoice_data(issue_date="x", currency="", items=[]))

    fields = [d["field"] for d in error_of(response)["details"]]
    assert fields == ["issue_date", "currency", "items"]


def test_malformed_json_is_400(client, merchant_and_token):
    _, token = merchant_and_token

    response = client.post(
        URL, "{not json", content_type="application/json", HTTP_AUTHORIZATION=f"Bearer {token}"
    )

    assert response.status_code == 400
    assert error_of(response)["code"] == "invalid_json"
    assert_nothing_stored()


def test_a_json_array_is_400(client, merchant_and_token):
    _, token = merchant_and_token

    response = client.post(
        URL, "[1, 2]", content_type="application/json", HTTP_AUTHORIZATION=f"Bearer {token}"
    )

    assert response.status_code == 400
    assert "object" in error_of(response)["message"]


def test_missing_pdf_is_400(client, merchant_and_token):
    _, token = merchant_and_token

    response = post_json(client, token, invoice_data(), pdf=None)

    assert response.status_code == 400
    assert error_of(response)["field"] == "pdf"
    assert_nothing_stored()


def test_pdf_that_is_not_base64_is_400(client, merchant_and_token):
    _, token = merchant_and_token

    response = post_json(client, token, {**invoice_data(), "pdf": "%PDF-not base64!"}, pdf=None)

    assert response.status_code == 400
    assert "base64" in error_of(response)["message"]
    assert_nothing_stored()


@pytest.mark.parametrize(
    ("content", "words"),
    [
        (b"\x89PNG\r\n\x1a\n" + b"0" * 100, "not a PDF"),
        (b"<html>invoice</html>", "not a PDF"),
        (b"", "required"),
        (b"%PDF-1.4\n1 0 obj\n<< garbage", "damaged"),
        (PDF[: len(PDF) // 2], "damaged"),
    ],
)
def test_a_file_that_is_not_a_readable_pdf_is_400(client, merchant_and_token, content, words):
    _, token = merchant_and_token

    response = post_json(client, token, invoice_data(), pdf=content)

    assert response.status_code == 400
    error = error_of(response)
    assert error["field"] == "pdf"
    assert words.lower() in error["message"].lower()
    assert_nothing_stored()


def test_a_pdf_over_the_limit_is_413_in_json(client, merchant_and_token, settings):
    _, token = merchant_and_token
    settings.API_MAX_PDF_BYTES = len(PDF) - 1

    response = post_json(client, token, invoice_data())

    assert response.status_code == 413
    assert error_of(response)["field"] == "pdf"
    assert_nothing_stored()


def test_a_pdf_over_the_limit_is_413_in_multipart(client, merchant_and_token, settings):
    _, token = merchant_and_token
    settings.API_MAX_PDF_BYTES = len(PDF) - 1

    response = client.post(
        URL,
        {"invoice": json.dumps(invoice_data()), "pdf": SimpleUploadedFile("a.pdf", PDF)},
        HTTP_AUTHORIZATION=f"Bearer {token}",
    )

    assert response.status_code == 413
    assert_nothing_stored()


def test_a_huge_body_is_refused_before_it_is_read(client, merchant_and_token, settings):
    _, token = merchant_and_token
    settings.API_MAX_PDF_BYTES = 1000

    response = post_json(client, token, invoice_data(), CONTENT_LENGTH="50000000")

    assert response.status_code == 413
    assert_nothing_stored()


def test_multipart_without_the_invoice_part_or_the_file_is_400(client, merchant_and_token):
    _, token = merchant_and_token
    auth = {"HTTP_AUTHORIZATION": f"Bearer {token}"}

    no_invoice = client.post(URL, {"pdf": SimpleUploadedFile("a.pdf", PDF)}, **auth)
    no_file = client.post(URL, {"invoice": json.dumps(invoice_data())}, **auth)
    bad_json = client.post(URL, {"invoice": "{", "pdf": SimpleUploadedFile("a.pdf", PDF)}, **auth)

    assert error_of(no_invoice)["field"] == "invoice"
    assert error_of(no_file)["field"] == "pdf"
    assert error_of(bad_json)["code"] == "invalid_json"
    assert_nothing_stored()


def test_other_content_types_are_415(client, merchant_and_token):
    _, token = merchant_and_token

    response = client.post(
        URL, "number=1", content_type="text/plain", HTTP_AUTHORIZATION=f"Bearer {token}"
    )

    assert response.status_code == 415


def test_get_is_405(client, merchant_and_token):
    _, token = merchant_and_token

    response = client.get(URL, HTTP_AUTHORIZATION=f"Bearer {token}")

    assert response.status_code == 405
    assert response["Allow"] == "POST"


def test_csrf_does_not_apply(merchant_and_token):
    from django.test import Client

    _, token = merchant_and_token
    strict = Client(enforce_csrf_checks=True)

    assert post_json(strict, token, invoice_data()).status_code == 201


def test_a_failure_while_storing_leaves_nothing(client, merchant_and_token, monkeypatch):
    _, token = merchant_and_token

    def explode(*args, **kwargs):
        raise RuntimeError("disk full")

    monkeypatch.setattr(ApiInvoicePdf, "save", explode)
    client.raise_request_exception = False

    response = post_json(client, token, invoice_data())

    assert response.status_code == 500
    assert Invoice.objects.count() == 0
    assert InvoiceItem.objects.count() == 0
