"""Print views of invoices and receipts: the print as a web page, and as a PDF download.

Only the logged-in merchant's documents: another merchant's id is a 404, like a missing one.
Externally issued invoices are not kept by the platform (S11), so they have no print either.
Prints are in the merchant's language, whatever language the panel is in: what the merchant
sees here is what the backup puts into Drive. The toolbar above the print is the panel's, in
the language the user browses in.

The PDF of a large document is never rendered inside the request (``documents.print_files``):
the route answers with a page that says it is being prepared and refreshes itself until the
worker's file is there, then serves that file.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps

from django.conf import settings
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import translation
from django.utils.cache import patch_cache_control
from django.utils.http import content_disposition_header

from accounts.tenancy import get_for_merchant, merchant_required
from documents.filenames import document_filename
from documents.models import Invoice, Receipt
from documents.pdf import PDF_MIMETYPE, RenderedFile, is_api_invoice, render_pdf
from documents.print_files import PrintFile, queue_once, renders_in_request, stored_pdf
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


# Seconds between two looks of the "being prepared" page at the worker's file.
PENDING_REFRESH_SECONDS = 3


def pdf_or_pending(request: HttpRequest, doc: Invoice | Receipt, back_url: str) -> HttpResponse:
    """The PDF, rendered now if it is small, else the worker's file or a page that waits."""
    if renders_in_request(doc):
        return pdf_response(render_pdf(doc))
    print_file = PrintFile.of(doc, translation.get_language())
    content = stored_pdf(print_file)
    if content is not None:
        return pdf_response(RenderedFile(document_filename(doc.number), PDF_MIMETYPE, content))
    queue_once(print_file)
    return pdf_pending_page(request, doc, back_url)


def pdf_pending_page(request: HttpRequest, doc: Invoice | Receipt, back_url: str) -> HttpResponse:
    """A panel page, in the language the user browses in, that reloads itself."""
    panel_language = getattr(request, "LANGUAGE_CODE", settings.LANGUAGE_CODE)
    context = {
        "doc": doc,
        "item_count": doc.items.count(),
        "back_url": back_url,
        "refresh_seconds": PENDING_REFRESH_SECONDS,
    }
    with translation.override(panel_language):
        response = render(request, "documents/pdf_pending.html", context, status=202)
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
    invoice = printable_invoice(request, pk)
    return pdf_or_pending(request, invoice, reverse("documents:invoices"))


@merchant_required
@in_merchant_language
def receipt_print(request: HttpRequest, pk: int) -> HttpResponse:
    receipt = printable_receipt(request, pk)
    pdf_url = reverse("documents:receipt_pdf", args=[receipt.pk])
    return print_page(request, receipt, pdf_url, reverse("documents:receipts"))


@merchant_required
@in_merchant_language
def receipt_pdf(request: HttpRequest, pk: int) -> HttpResponse:
    receipt = printable_receipt(request, pk)
    return pdf_or_pending(request, receipt, reverse("documents:receipts"))
