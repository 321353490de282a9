from __future__ import annotations

import io
import re

import pytest
from django.urls import reverse
from pypdf import PdfReader

from documents.models import Invoice
from tests.rendering import factories

VIEWS = ["invoice_print", "invoice_pdf", "receipt_print", "receipt_pdf"]


def url_for(name, invoice, receipt):
    doc = invoice if name.startswith("invoice") else receipt
    return reverse(f"documents:{name}", args=[doc.pk])


@pytest.mark.parametrize("name", VIEWS)
def test_login_is_required(client, invoice, receipt, name):
    url = url_for(name, invoice, receipt)
    response = client.get(url)
    assert response.status_code == 302
    assert reverse("accounts:login") in response["Location"]


@pytest.mark.parametrize("name", VIEWS)
def test_another_merchants_document_is_a_404(merchant_client, other_merchant, name):
    invoice = factories.make_invoice(other_merchant, "FV 9/2026")
    receipt = factories.make_receipt(other_merchant, "PAR 9/2026")
    assert merchant_client.get(url_for(name, invoice, receipt)).status_code == 404


def test_invoice_print_page(merchant_client, invoice):
    response = merchant_client.get(reverse("documents:invoice_print", args=[invoice.pk]))

    assert response.status_code == 200
    html = response.content.decode()
    assert "FV 12/11/2026" in html
    assert "Sklep Żółta Łódź sp. z o.o." in html
    assert reverse("documents:invoice_pdf", args=[invoice.pk]) in html
    # The inline stylesheet carries the answer's Content-Security-Policy nonce.
    [nonce] = re.findall(r"'nonce-([^']+)'", response["Content-Security-Policy"])[:1]
    assert f'<style nonce="{nonce}">' in html
    assert "no-store" in response["Cache-Control"]


def test_receipt_print_page(merchant_client, receipt):
    response = merchant_client.get(reverse("documents:receipt_print", args=[receipt.pk]))

    assert response.status_code == 200
    assert "Non-fiscal receipt" in response.content.decode()


def test_print_page_escapes_document_data(merchant_client, merchant):
    invoice = factories.make_invoice(merchant, "FV <script>alert(1)</script>")
    response = merchant_client.get(reverse("documents:invoice_print", args=[invoice.pk]))

    assert b"<script>alert(1)</script>" not in response.content
    assert b"&lt;script&gt;" in response.content


def test_invoice_pdf_download(merchant_client, invoice):
    response = merchant_client.get(reverse("documents:invoice_pdf", args=[invoice.pk]))

    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    assert "FV 12_11_2026.pdf" in response["Content-Disposition"]
    text = PdfReader(io.BytesIO(response.content)).pages[0].extract_text()
    assert "FV 12/11/2026" in text


def test_receipt_pdf_download(merchant_client, receipt):
    response = merchant_client.get(reverse("documents:receipt_pdf", args=[receipt.pk]))

    assert response.status_code == 200
    assert response.content.startswith(b"%PDF-")


def test_external_invoice_has_no_print(merchant_client, merchant):
    external = factories.make_invoice(merchant, "EXT 1", source=Invoice.Source.EXTERNAL)
    for name in ("invoice_print", "invoice_pdf"):
        url = reverse(f"documents:{name}", args=[external.pk])
        assert merchant_client.get(url).status_code == 404


def test_api_invoice_print_is_its_stored_pdf(merchant_client, merchant):
    stored = b"%PDF-1.4 stored by the merchant's system"
    api_invoice = factories.make_api_invoice(merchant, "API 3/2026", stored)

    page = merchant_client.get(reverse("documents:invoice_print", args=[api_invoice.pk]))
    assert page.status_code == 302
    assert page["Location"] == reverse("documents:invoice_pdf", args=[api_invoice.pk])
    download = merchant_client.get(page["Location"])
    assert download.content == stored


def test_prints_are_in_the_merchants_language_not_the_panels(merchant_client, merchant, invoice):
    merchant.language = "pt-br"
    merchant.save(update_fields=["language"])

    page = merchant_client.get(reverse("documents:invoice_print", args=[invoice.pk]))
    download = merchant_client.get(reverse("documents:invoice_pdf", args=[invoice.pk]))

    assert page["Content-Language"] == "pt-br"
    assert '<html lang="pt-br">' in page.content.decode()
    assert "Fatura com IVA" in page.content.decode()
    assert "Fatura com IVA" in PdfReader(io.BytesIO(download.content)).pages[0].extract_text()
    # The rest of the panel stays in the language the user browses in.
    assert '<html lang="en">' in merchant_client.get(reverse("documents:invoices")).content.decode()


def test_an_english_merchants_print_stays_english_in_a_portuguese_panel(
    merchant_client, receipt, settings
):
    merchant_client.cookies[settings.LANGUAGE_COOKIE_NAME] = "pt-br"

    page = merchant_client.get(reverse("documents:receipt_print", args=[receipt.pk]))

    assert "Non-fiscal receipt" in page.content.decode()
    assert page["Content-Language"] == "en"


def test_the_print_page_s_buttons_are_in_the_panel_s_language(merchant_client, receipt, settings):
    """The document is the merchant's; the toolbar around it belongs to the panel."""
    merchant_client.cookies[settings.LANGUAGE_COOKIE_NAME] = "pt-br"

    page = merchant_client.get(reverse("documents:receipt_print", args=[receipt.pk]))

    html = page.content.decode()
    toolbar = html[html.index('<nav class="toolbar"') : html.index("</nav>")]
    assert 'lang="pt-br"' in toolbar
    assert "Voltar" in toolbar and "Baixar PDF" in toolbar and "Imprimir" in toolbar
    assert "Non-fiscal receipt" in html
    assert '<html lang="en">' in html


# --- PDFs of large documents: made by a worker, never inside the request ---------------------


@pytest.fixture
def large_limit(settings, monkeypatch):
    """Documents of more than two items count as large; files go to an in-memory storage."""
    settings.STORAGES = {
        **settings.STORAGES,
        "default": {"BACKEND": "django.core.files.storage.InMemoryStorage"},
    }
    monkeypatch.setattr("documents.print_files.INLINE_PDF_MAX_ITEMS", 2)
    from django.core.cache import cache

    cache.clear()


def test_large_pdf_is_prepared_by_a_worker_then_served(
    merchant_client, merchant, large_limit, eager_celery, monkeypatch
):
    invoice = factories.make_invoice(merchant, "FV 50/11/2026", items=5)
    url = reverse("documents:invoice_pdf", args=[invoice.pk])
    rendered_in_request = []
    monkeypatch.setattr(
        "documents.print_views.render_pdf", lambda doc: rendered_in_request.append(doc)
    )

    waiting = merchant_client.get(url)

    assert waiting.status_code == 202
    page = waiting.content.decode()
    assert "preparing the PDF" in page
    assert "This document has 5 items" in page
    # It asks again in the background instead of a timed refresh of the page (WCAG 2.2.1).
    assert 'http-equiv="refresh"' not in page
    assert 'data-refresh-ms="3000"' in page
    assert f'href="{url}"' in page
    assert "no-store" in waiting["Cache-Control"]
    ready = merchant_client.get(url)
    assert ready.status_code == 200
    assert ready["Content-Type"] == "application/pdf"
    assert "FV 50_11_2026.pdf" in ready["Content-Disposition"]
    text = "\n".join(p.extract_text() for p in PdfReader(io.BytesIO(ready.content)).pages)
    assert "FV 50/11/2026" in text
    assert rendered_in_request == []


def test_large_pdf_is_queued_once_while_the_page_waits(
    merchant_client, merchant, large_limit, monkeypatch
):
    receipt = factories.make_receipt(merchant, "PAR 50/11/2026", items=4)
    queued = []
    monkeypatch.setattr(
        "documents.tasks.prepare_print_pdf.delay", lambda *args: queued.append(args)
    )
    url = reverse("documents:receipt_pdf", args=[receipt.pk])

    assert merchant_client.get(url).status_code == 202
    assert merchant_client.get(url).status_code == 202
    assert queued == [("receipt", receipt.pk, "en")]


def test_a_changed_document_gets_a_new_file(merchant_client, merchant, large_limit, eager_celery):
    from django.core.files.storage import default_storage

    invoice = factories.make_invoice(merchant, "FV 51/11/2026", items=3)
    url = reverse("documents:invoice_pdf", args=[invoice.pk])
    merchant_client.get(url)
    assert merchant_client.get(url).status_code == 200
    invoice.buyer_name = "Another buyer"
    invoice.save()

    assert merchant_client.get(url).status_code == 202
    ready = merchant_client.get(url)
    assert "Another buyer" in PdfReader(io.BytesIO(ready.content)).pages[0].extract_text()
    _, files = default_storage.listdir(f"prints/invoice/{invoice.pk}")
    assert len(files) == 1  # the earlier version's file is gone


def test_html_print_of_a_large_invoice_takes_a_fixed_number_of_queries(
    merchant_client, merchant, django_assert_max_num_queries
):
    invoice = factories.make_invoice(merchant, "FV 52/11/2026", items=1000)
    url = reverse("documents:invoice_print", args=[invoice.pk])

    with django_assert_max_num_queries(6):
        response = merchant_client.get(url)
    html = response.content.decode()
    assert html.count("<tr>") >= 1000
    assert "Usługa pakowania na prezent #1000" in html


def test_the_waiting_page_speaks_the_panels_language(
    merchant_client, merchant, large_limit, monkeypatch, settings
):
    receipt = factories.make_receipt(merchant, "PAR 53/11/2026", items=3)
    monkeypatch.setattr("documents.tasks.prepare_print_pdf.delay", lambda *args: None)
    merchant_client.cookies[settings.LANGUAGE_COOKIE_NAME] = "pt-br"

    page = merchant_client.get(reverse("documents:receipt_pdf", args=[receipt.pk]))

    assert "PAR 53/11/2026: preparando o PDF" in page.content.decode()
    assert "Este documento tem 3 itens" in page.content.decode()
