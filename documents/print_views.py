"""Print views of invoices and receipts: the print as a web page, and as a PDF download.

Only the logged-in merchant's documents: another merchant's id is a 404, like a missing one.
Externally issued invoices are not kept by the platform (S11), so they have no print either.
Prints are in the merchant's language, whatever language the panel is in: what the merchant
sees here is what the backup puts into Drive. The toolbar above the print is the panel's, in
the language the user browses in.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps

from django.conf import settings
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.urls import reverse
from django.utils import translation
from django.utils.cache import patch_cache_control
from django.utils.http import content_disposition_header

from accounts.tenancy import get_for_merchant, merchant_required
from documents.models import Invoice, Receipt
from documents.pdf import RenderedFile, is_api_invoice, render_pdf
from documents.printing import render_print_html


def in_merchant_language(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    @wraps(view)
    def wrapper(request: HttpRequest, *args, **kwargs) -> HttpResponse:
        language = request.merchant.language  # type: ignore[attr-defined]
        with translation.override(language):
            response = view(request, *args, **kwargs)
        response.headers.setdefault("Content-Language", language)
        return response

    return wrapper


def printable_invoice(request: HttpRequest, pk: int) -> Invoice:
    invoice = get_for_merchant(request, Invoice.objects.prefetch_related("items"), pk=pk)
    if not invoice.backup_possible:
        raise Http404("Externally issued invoices are not kept by the platform.")
    return invoice


def printable_receipt(request: HttpRequest, pk: int) -> Receipt:
    return get_for_merchant(request, Receipt.objects.prefetch_related("items"), pk=pk)


def print_page(
    request: HttpRequest, doc: Invoice | Receipt, pdf_url: str, back_url: str
) -> HttpResponse:
    """The print as HTML; its toolbar is the panel's, in the language the user browses in."""
    extra = {
        "pdf_url": pdf_url,
        "back_url": back_url,
        "panel_language": getattr(request, "LANGUAGE_CODE", settings.LANGUAGE_CODE),
        # The page's inline stylesheet runs under the Content-Security-Policy's nonce (str():
        # django-csp puts a nonce into the header only once it has been read).
        "csp_nonce": str(getattr(request, "csp_nonce", "")),
    }
    html = render_print_html(doc, for_pdf=False, extra=extra)
    response = HttpResponse(html)
    patch_cache_control(response, private=True, no_store=True)
    return response


def pdf_response(rendered: RenderedFile) -> HttpResponse:
    response = HttpResponse(rendered.content, content_type=rendered.mimetype)
    response["Content-Disposition"] = content_disposition_header(False, rendered.filename)
    patch_cache_control(response, private=True, no_store=True)
    return response


@merchant_required
@in_merchant_language
def invoice_print(request: HttpRequest, pk: int) -> HttpResponse:
    invoice = printable_invoice(request, pk)
    pdf_url = reverse("documents:invoice_pdf", args=[invoice.pk])
    if is_api_invoice(invoice):
        # The merchant's own system made this print; there is no HTML of it.
        return redirect(pdf_url)
    return print_page(request, invoice, pdf_url, reverse("documents:invoices"))


@merchant_required
@in_merchant_language
def invoice_pdf(request: HttpRequest, pk: int) -> HttpResponse:
    return pdf_response(render_pdf(printable_invoice(request, pk)))


@merchant_required
@in_merchant_language
def receipt_print(request: HttpRequest, pk: int) -> HttpResponse:
    receipt = printable_receipt(request, pk)
    pdf_url = reverse("documents:receipt_pdf", args=[receipt.pk])
    return print_page(request, receipt, pdf_url, reverse("documents:receipts"))


@merchant_required
@in_merchant_language
def receipt_pdf(request: HttpRequest, pk: int) -> HttpResponse:
    return pdf_response(render_pdf(printable_receipt(request, pk)))
