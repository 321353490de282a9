"""F6: nesting and body size are capped with a JSON error, never a 500 page.

The review sent a JSON body nested 100,000 deep: the parser ran out of recursion and the API
answered Django's HTML 500 page.
"""

from __future__ import annotations

import json

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client

from tests.documents.test_api import PDF, URL, assert_nothing_stored, error_of, invoice_data
from tests.factories import make_merchant

pytestmark = pytest.mark.django_db


@pytest.fixture
def auth() -> dict[str, str]:
    merchant, _ = make_merchant()
    return {"HTTP_AUTHORIZATION": f"Bearer {merchant.rotate_api_token()}"}


@pytest.fixture
def client() -> Client:
    client = Client()
    client.raise_request_exception = False
    return client


@pytest.mark.parametrize(
    "body",
    [
        "[" * 100_000 + "]" * 100_000,
        '{"a":' * 100_000 + "1" + "}" * 100_000,
        json.dumps({**invoice_data(), "buyer": {"name": [[[[[[[[["deep"]]]]]]]]]}}),
    ],
    ids=["arrays", "objects", "nine-levels"],
)
def test_deep_json_is_400_in_json(client, auth, body):
    response = client.post(URL, body, content_type="application/json", **auth)

    assert response.status_code == 400
    assert response["Content-Type"] == "application/json"
    assert error_of(response)["code"] == "too_deep"
    assert_nothing_stored()


def test_deep_json_in_the_multipart_invoice_part_is_400(client, auth):
    deep = "[" * 100_000 + "]" * 100_000

    response = client.post(URL, {"invoice": deep, "pdf": SimpleUploadedFile("a.pdf", PDF)}, **auth)

    assert response.status_code == 400
    error = error_of(response)
    assert (error["code"], error["field"]) == ("too_deep", "invoice")


def test_a_body_over_the_cap_is_413_in_json(client, auth, settings):
    settings.API_MAX_PDF_BYTES = 1000
    body = json.dumps({**invoice_data(), "pdf": "A" * 400_000})

    response = client.post(URL, body, content_type="application/json", **auth)

    assert response.status_code == 413
    assert response["Content-Type"] == "application/json"
    assert error_of(response)["code"] == "too_large"


def test_too_many_multipart_parts_is_400_in_json(client, auth, settings):
    settings.DATA_UPLOAD_MAX_NUMBER_FIELDS = 10
    parts = {f"extra{n}": "x" for n in range(20)}

    response = client.post(
        URL, {**parts, "invoice": "{}", "pdf": SimpleUploadedFile("a.pdf", PDF)}, **auth
    )

    assert response.status_code == 400
    assert error_of(response)["code"] == "invalid_body"
