"""F2: a per-merchant request rate, a stored-bytes quota, and PDFs in file storage.

The review sent five 10 MiB PDFs in 1.1 s, all accepted, and the database grew from 1.6 to
54 MB: no rate limit, no quota, every PDF inside a database row.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor
from django.test import Client

from documents.models import ApiInvoicePdf, Invoice
from tests.documents.test_api import PDF, error_of, invoice_data, post_json
from tests.factories import make_merchant


@pytest.fixture
def media(settings, tmp_path) -> Path:
    settings.MEDIA_ROOT = tmp_path / "media"
    return settings.MEDIA_ROOT


@pytest.fixture
def token(db):
    merchant, _ = make_merchant()
    return merchant.rotate_api_token()


def numbered(n: int) -> dict:
    return invoice_data(number=f"FV {n}/11/2026")


def test_requests_over_the_rate_are_429_with_retry_after(settings, media, token):
    settings.API_RATE_LIMIT = "3/m"
    client = Client()

    answers = [post_json(client, token, numbered(n)).status_code for n in range(3)]
    refused = post_json(client, token, numbered(4))

    assert answers == [201, 201, 201]
    assert refused.status_code == 429
    assert 1 <= int(refused["Retry-After"]) <= 60
    error = error_of(refused)
    assert error["code"] == "rate_limited"
    assert "3 per minute" in error["message"]
    assert Invoice.objects.count() == 3


def test_the_rate_is_counted_per_merchant(settings, media, token):
    settings.API_RATE_LIMIT = "1/m"
    other, _ = make_merchant()
    other_token = other.rotate_api_token()

    assert post_json(Client(), token, numbered(1)).status_code == 201
    assert post_json(Client(), token, numbered(2)).status_code == 429
    assert post_json(Client(), other_token, numbered(1)).status_code == 201


def test_pdfs_over_the_quota_are_refused_with_a_clear_error(settings, media, token):
    settings.API_STORAGE_QUOTA_BYTES = 2 * len(PDF)
    client = Client()
    assert post_json(client, token, numbered(1)).status_code == 201
    assert post_json(client, token, numbered(2)).status_code == 201

    refused = post_json(client, token, numbered(3))

    assert refused.status_code == 413
    error = error_of(refused)
    assert error["code"] == "storage_quota_exceeded"
    assert str(2 * len(PDF)) in error["message"]
    assert Invoice.objects.count() == 2
    assert len(list(media.rglob("*.pdf"))) == 2


def test_the_pdf_goes_to_file_storage_not_into_the_database(media, token):
    response = post_json(Client(), token, invoice_data())

    assert response.status_code == 201
    stored = ApiInvoicePdf.objects.get()
    [path] = media.rglob("*.pdf")
    assert path.read_bytes() == PDF
    assert stored.content == PDF  # what the backup reads
    with connection.cursor() as cursor:
        columns = connection.introspection.get_table_description(
            cursor, ApiInvoicePdf._meta.db_table
        )
    assert "content" not in {column.name for column in columns}


def test_deleting_the_invoice_deletes_its_file(media, token, django_capture_on_commit_callbacks):
    post_json(Client(), token, invoice_data())
    [path] = media.rglob("*.pdf")

    with django_capture_on_commit_callbacks(execute=True):
        Invoice.objects.get().delete()

    assert not path.exists()


def test_a_refused_invoice_leaves_no_file(media, token):
    post_json(Client(), token, invoice_data())

    assert post_json(Client(), token, invoice_data()).status_code == 409
    assert len(list(media.rglob("*.pdf"))) == 1


@pytest.mark.django_db(transaction=True)
def test_pdfs_kept_in_database_rows_move_to_file_storage(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    before = [("documents", "0004_invoice_api_index")]
    executor = MigrationExecutor(connection)
    executor.migrate(before)
    old = executor.loader.project_state(before).apps
    merchant = old.get_model("accounts", "Merchant").objects.create(name="Old shop")
    invoice = old.get_model("documents", "Invoice").objects.create(
        merchant=merchant, number="FV 1", issue_date="2026-11-01", sale_date="2026-11-01"
    )
    old.get_model("documents", "ApiInvoicePdf").objects.create(
        invoice=invoice, content=PDF, sha256="x", size=len(PDF)
    )

    executor = MigrationExecutor(connection)
    executor.migrate(executor.loader.graph.leaf_nodes())

    stored = ApiInvoicePdf.objects.get()
    assert stored.content == PDF
    assert stored.file.name.startswith(f"api-invoices/{merchant.pk}/")
    assert (tmp_path / stored.file.name).read_bytes() == PDF


def test_s3_compatible_storage_is_one_variable():
    from storages.backends.s3 import S3Storage

    from backupsite.settings import file_storage

    config = file_storage("s3://invoices-bucket/drive-backup?endpoint_url=https://s3.example.com")
    storage = S3Storage(**config["OPTIONS"])

    assert config["BACKEND"] == "storages.backends.s3.S3Storage"
    assert storage.bucket_name == "invoices-bucket"
    assert storage.location == "drive-backup"
    assert storage.endpoint_url == "https://s3.example.com"
    assert storage.default_acl == "private"
    assert file_storage("") == {"BACKEND": "django.core.files.storage.FileSystemStorage"}


def test_an_unreachable_request_counter_answers_503_with_retry_after_and_stores_nothing(
    settings, media, token
):
    """Redis (where the rate is counted) down: a JSON 503 the client can retry, never a 500."""
    settings.CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": "redis://127.0.0.1:9/0",  # the discard port: nothing listens there
        }
    }

    response = post_json(Client(), token, numbered(1))

    assert response.status_code == 503
    assert response["Retry-After"] == "30"
    assert error_of(response)["code"] == "temporarily_unavailable"
    assert not Invoice.objects.exists()
