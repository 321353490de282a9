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
