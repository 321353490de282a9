"""A run writes the prints in the merchant's language; a language change uploads nothing again."""

from __future__ import annotations

import csv
import datetime as dt
import io

from django.utils import timezone, translation
from pypdf import PdfReader

from documents.csv_export import HEADERS
from documents.models import Order
from integrations.models import BackupRun
from tests.factories import make_order
from tests.integrations.conftest import NIGHT

from .helpers import NOV, content_of, documents_in_drive, drive_files, invoice, receipt, run_backup


def speak(merchant, language: str) -> None:
    merchant.language = language
    merchant.save(update_fields=["language"])


def pdf_texts(fake) -> dict[str, str]:
    """The text of every PDF in the fake Drive, by file name."""
    texts = {}
    for file in drive_files(fake):
        if file["name"].endswith(".pdf"):
            reader = PdfReader(io.BytesIO(content_of(fake, file["id"])))
            texts[file["name"]] = "\n".join(page.extract_text() for page in reader.pages)
    return texts


def test_a_portuguese_merchant_gets_portuguese_prints(engine, documents_only, merchant):
    speak(merchant, "pt-br")
    invoice(merchant, "FV 1/11/2026", NOV + dt.timedelta(days=2), gross="1234.56")
    receipt(merchant, "PAR 1/11/2026", NOV + dt.timedelta(days=3))

    run, _outcome = run_backup(documents_only)

    assert run.status == BackupRun.Status.SUCCEEDED
    texts = pdf_texts(engine)
    assert "Fatura com IVA" in texts["FV 1_11_2026.pdf"]
    assert "1.234,56" in texts["FV 1_11_2026.pdf"]
    assert "VAT invoice" not in texts["FV 1_11_2026.pdf"]
    assert "Recibo não fiscal" in texts["PAR 1_11_2026.pdf"]
    # The run leaves the worker's own language as it found it.
    assert translation.get_language() == "en"


def test_an_english_merchant_gets_english_prints_whatever_the_worker_speaks(
    engine, documents_only, merchant
):
    invoice(merchant, "FV 1/11/2026", NOV + dt.timedelta(days=2), gross="1234.56")

    with translation.override("pt-br"):
        run_backup(documents_only)

    text = pdf_texts(engine)["FV 1_11_2026.pdf"]
    assert "VAT invoice" in text
    assert "1,234.56" in text


def test_a_language_change_uploads_no_document_again(engine, documents_only, merchant):
    first = invoice(merchant, "FV 1/11/2026", NOV + dt.timedelta(days=2))
    receipt(merchant, "PAR 1/11/2026", NOV + dt.timedelta(days=3))
    run_backup(documents_only)
    speak(merchant, "pt-br")
    # Saved again without a change that shows in the print: the document is looked at anew.
    first.save()

    second, _outcome = run_backup(documents_only, now=NIGHT + dt.timedelta(days=1))

    assert second.status == BackupRun.Status.SUCCEEDED
    assert second.files_uploaded == 0
    assert sorted(documents_in_drive(engine).values()) == [1, 1]


def test_after_a_language_change_new_and_changed_documents_come_in_the_new_language(
    engine, documents_only, merchant
):
    changed = invoice(merchant, "FV 1/11/2026", NOV + dt.timedelta(days=2))
    run_backup(documents_only)
    speak(merchant, "pt-br")
    changed.buyer_name = "João Araújo Filho"
    changed.save()
    invoice(merchant, "FV 2/11/2026", NOV + dt.timedelta(days=4))

    second, _outcome = run_backup(documents_only, now=NIGHT + dt.timedelta(days=1))

    assert second.files_uploaded == 2
    texts = pdf_texts(engine)
    assert "VAT invoice" in texts["FV 1_11_2026.pdf"]
    assert "Fatura com IVA" in texts["FV 1_11_2026 (2).pdf"]
    assert "Fatura com IVA" in texts["FV 2_11_2026.pdf"]


def test_the_orders_csv_header_is_the_same_in_every_language(engine, integration, merchant):
    speak(merchant, "pt-br")
    order = make_order(merchant)
    Order.objects.filter(pk=order.pk).update(status_changed_at=timezone.now())

    run, _outcome = run_backup(integration, now=timezone.now())

    assert run.orders_exported == 1
    [export] = [f for f in drive_files(engine) if f["name"].endswith(".csv")]
    text = content_of(engine, export["id"]).decode("utf-8-sig")
    assert next(csv.reader(io.StringIO(text))) == HEADERS
