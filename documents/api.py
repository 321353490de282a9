"""API for a merchant's own system: send in an invoice together with its PDF.

``POST /api/v1/invoices`` with ``Authorization: Bearer <token>`` (the merchant's API token,
generated under Account settings). Session cookies are not accepted and CSRF does not apply.

Two body formats carry the same fields:

- ``Content-Type: application/json``: the invoice object below, the PDF base64-encoded in
  ``"pdf"``;
- ``multipart/form-data``: a part ``invoice`` holding the invoice object as JSON (without
  ``pdf``) and a file part ``pdf``.

Invoice object (amounts as strings or numbers, dates as ``YYYY-MM-DD``)::

    {
      "number": "FV 12/11/2026",          required, up to 100 characters, may contain "/"
      "issue_date": "2026-11-12",         required
      "sale_date": "2026-11-12",          optional, defaults to issue_date
      "payment_due": "2026-11-26",        optional
      "payment_method": "Bank transfer",  optional
      "currency": "PLN",                  required, ISO 4217 code
      "seller": {"name": "...", "address": "...", "tax_id": "..."},   name required
      "buyer": {"name": "...", "address": "...", "tax_id": "..."},    optional
      "items": [                          at least one
        {"name": "...", "quantity": "2", "unit": "pcs", "unit_price_net": "10.00",
         "vat_rate": "23", "total_net": "20.00", "total_gross": "24.60"}
      ],                                  item totals are computed when left out;
                                          vat_rate is required (0 for exempt)
      "total_net": "20.00",               optional, defaults to the sum of the items
      "total_gross": "24.60",             optional, likewise
      "pdf": "<base64>"                   JSON only
    }

Answers are JSON. ``201`` with the stored invoice's ``id``, ``uuid``, ``number`` and the PDF's
``sha256``/``size``. Errors: ``{"error": {"code", "message", "field", "details": [{"field",
"message"}]}}`` with ``400`` (bad JSON or fields), ``401`` (missing or unknown token), ``405``,
``409`` (an invoice with this number exists), ``413`` (PDF over ``API_MAX_PDF_BYTES``, a body
too large for it, or ``storage_quota_exceeded``: the merchant's PDFs would pass
``API_STORAGE_QUOTA_BYTES``), ``415`` (other content types), ``429`` (more requests than
``API_RATE_LIMIT``; ``Retry-After`` says in how many seconds to try again). Amounts, given or
summed, must fit 12 digits before the decimal point; JSON may nest at most ``MAX_JSON_DEPTH``
levels. Nothing is stored unless the whole invoice is accepted. The PDF goes to the file
storage (see README, Configuration), never into the database.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import io
import json
import logging
from decimal import Decimal
from typing import Any

from django.conf import settings
from django.core.exceptions import RequestDataTooBig, SuspiciousOperation
from django.db import IntegrityError, transaction
from django.http import HttpRequest, JsonResponse
from django.http.multipartparser import MultiPartParserError
from django.views.decorators.csrf import csrf_exempt

from accounts.models import Merchant, hash_api_token
from documents.api_errors import ApiError, too_large
from documents.api_forms import CleanInvoice, validate_invoice
from documents.api_limits import check_quota, check_rate
from documents.models import ApiInvoicePdf, Invoice, InvoiceItem

logger = logging.getLogger(__name__)

# Room for base64 (4/3) and the rest of the invoice around the PDF.
BODY_OVERHEAD_BYTES = 256 * 1024
# An invoice nests three levels (invoice, items, item); anything much deeper is not one. Deep
# nesting once exhausted the parser's recursion and answered a 500 page.
MAX_JSON_DEPTH = 8


# --- Authentication -----------------------------------------------------------------------


def authenticate(request: HttpRequest) -> Merchant:
    header = request.headers.get("Authorization", "")
    scheme, _, token = header.partition(" ")
    token = token.strip()
    if scheme.lower() != "bearer" or not token:
        raise ApiError(
            401,
            "unauthorized",
            "Send the API token in the header 'Authorization: Bearer <token>'.",
        )
    merchant = (
        Merchant.objects.exclude(api_token_hash="")
        .filter(api_token_hash=hash_api_token(token))
        .first()
    )
    if merchant is None:
        raise ApiError(
            401, "unauthorized", "The API token is not valid (it may have been replaced)."
        )
    return merchant


# --- Reading the request ------------------------------------------------------------------


def read_payload(request: HttpRequest) -> tuple[dict[str, Any], bytes]:
    """The invoice object and the PDF's bytes, from a JSON or a multipart body."""
    limit = settings.API_MAX_PDF_BYTES
    try:
        content_length = int(request.headers.get("Content-Length") or 0)
    except ValueError:
        content_length = 0
    if content_length > limit * 4 // 3 + BODY_OVERHEAD_BYTES:
        raise too_large()
    content_type = request.content_type or ""
    try:
        if content_type == "application/json":
            return _read_json(request)
        if content_type == "multipart/form-data":
            return _read_multipart(request)
    except RequestDataTooBig:
        raise too_large() from None
    except (SuspiciousOperation, MultiPartParserError) as error:
        # Too many parts, a broken boundary: Django would answer its HTML 400 page.
        raise ApiError(400, "invalid_body", f"The multipart body cannot be read: {error}") from None
    raise ApiError(
        415,
        "unsupported_media_type",
        "Send 'application/json' (PDF in base64) or 'multipart/form-data' "
        "(parts 'invoice' and 'pdf').",
    )


def json_depth(value: Any) -> int:
    """How many arrays and objects deep `value` goes (iterative: no recursion to exhaust)."""
    deepest, stack = 0, [(value, 1)]
    while stack:
        node, depth = stack.pop()
        if isinstance(node, dict | list):
            deepest = max(deepest, depth)
            children = node.values() if isinstance(node, dict) else node
            stack.extend((child, depth + 1) for child in children)
    return deepest


def too_deep(field: str | None) -> ApiError:
    where = f" in '{field}'" if field else ""
    return ApiError(
        400, "too_deep", f"The JSON{where} nests deeper than {MAX_JSON_DEPTH} levels.", field
    )


def _parse_json(text: str | bytes, field: str | None) -> dict[str, Any]:
    try:
        data = json.loads(text, parse_float=Decimal)
    except RecursionError:
        raise too_deep(field) from None
    except (ValueError, UnicodeDecodeError) as error:
        where = f" in '{field}'" if field else ""
        message = f"The JSON{where} cannot be parsed: {error}."
        raise ApiError(400, "invalid_json", message, field) from None
    if not isinstance(data, dict):
        raise ApiError(400, "invalid_json", "The invoice must be a JSON object.", field)
    if json_depth(data) > MAX_JSON_DEPTH:
        raise too_deep(field)
    return data


def _read_json(request: HttpRequest) -> tuple[dict[str, Any], bytes]:
    data = _parse_json(request.body, None)
    encoded = data.pop("pdf", None)
    if encoded in (None, ""):
        raise ApiError(400, "required", "The PDF is required: send it base64-encoded.", "pdf")
    if not isinstance(encoded, str):
        raise ApiError(400, "invalid", "The PDF must be a base64 string.", "pdf")
    if len(encoded) > settings.API_MAX_PDF_BYTES * 4 // 3 + 4:
        raise too_large()
    try:
        pdf = base64.b64decode(encoded, validate=True)
    except (binascii.Error, ValueError):
        raise ApiError(400, "invalid", "The PDF is not valid base64.", "pdf") from None
    return data, pdf


def _read_multipart(request: HttpRequest) -> tuple[dict[str, Any], bytes]:
    raw = request.POST.get("invoice")
    if not raw:
        raise ApiError(
            400, "required", "The part 'invoice' is required: the invoice as JSON.", "invoice"
        )
    data = _parse_json(raw, "invoice")
    upload = request.FILES.get("pdf")
    if upload is None:
        raise ApiError(
            400, "required", "The PDF is required: attach it as the file part 'pdf'.", "pdf"
        )
    if upload.size > settings.API_MAX_PDF_BYTES:
        raise too_large()
    return data, upload.read()


def validate_pdf(content: bytes) -> None:
    if len(content) > settings.API_MAX_PDF_BYTES:
        raise too_large()
    if not content.startswith(b"%PDF-"):
        raise ApiError(
            400, "not_pdf", "The file is not a PDF (it does not start with %PDF-).", "pdf"
        )
    from pypdf import PdfReader

    try:
        reader = PdfReader(io.BytesIO(content))
        pages = len(reader.pages)
    except Exception as error:  # pypdf raises many kinds on damaged files
        logger.info("API PDF rejected: %s", error)
        raise ApiError(400, "not_pdf", "The PDF is damaged or cannot be read.", "pdf") from None
    if pages < 1:
        raise ApiError(400, "not_pdf", "The PDF has no pages.", "pdf")


# --- Storing ------------------------------------------------------------------------------


def duplicate_number(number: str) -> ApiError:
    return ApiError(
        409, "duplicate_number", f"An invoice numbered '{number}' exists already.", "number"
    )


def store_invoice(merchant: Merchant, clean: CleanInvoice, pdf: bytes) -> Invoice:
    """Invoice, items and PDF in one transaction: all of them or none. The PDF's file is
    written before the commit and deleted again when the transaction fails."""
    stored = None
    try:
        with transaction.atomic():
            check_quota(merchant, len(pdf))
            number = clean.fields["number"]
            if Invoice.objects.filter(merchant=merchant, number=number).exists():
                raise duplicate_number(number)
            invoice = Invoice.objects.create(
                merchant=merchant, source=Invoice.Source.API, **clean.fields
            )
            InvoiceItem.objects.bulk_create(
                InvoiceItem(invoice=invoice, **item) for item in clean.items
            )
            stored = ApiInvoicePdf(
                invoice=invoice,
                content=pdf,
                sha256=hashlib.sha256(pdf).hexdigest(),
                size=len(pdf),
            )
            stored.save()
    except IntegrityError:
        # Two requests with the same number at once: the unique constraint decides.
        _forget_file(stored)
        raise duplicate_number(clean.fields["number"]) from None
    except BaseException:
        _forget_file(stored)
        raise
    return invoice


def _forget_file(stored: ApiInvoicePdf | None) -> None:
    # `_committed`: the FieldFile has been written to the storage (by the row's save).
    if stored is not None and getattr(stored.file, "_committed", False) and stored.file.name:
        stored.file.storage.delete(stored.file.name)


# --- The view -----------------------------------------------------------------------------


@csrf_exempt
def invoices(request: HttpRequest) -> JsonResponse:
    try:
        if request.method != "POST":
            error = ApiError(405, "method_not_allowed", "Use POST to send an invoice.")
            response = error.response()
            response["Allow"] = "POST"
            return response
        merchant = authenticate(request)
        check_rate(request, merchant)
        data, pdf = read_payload(request)
        clean = validate_invoice(data)
        validate_pdf(pdf)
        invoice = store_invoice(merchant, clean, pdf)
    except ApiError as error:
        return error.response()
    return JsonResponse(
        {
            "id": invoice.pk,
            "uuid": str(invoice.uuid),
            "number": invoice.number,
            "source": invoice.source,
            "total_gross": str(invoice.total_gross),
            "currency": invoice.currency,
            "pdf": {"sha256": invoice.api_pdf.sha256, "size": invoice.api_pdf.size},
        },
        status=201,
    )
