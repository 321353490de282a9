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
``409`` (an invoice with this number exists), ``413`` (PDF over ``API_MAX_PDF_BYTES``),
``415`` (other content types). Nothing is stored unless the whole invoice is accepted.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import io
import json
import logging
import re
import unicodedata
from dataclasses import dataclass, field
from datetime import date
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from typing import Any

from django.conf import settings
from django.core.exceptions import RequestDataTooBig
from django.db import IntegrityError, transaction
from django.http import HttpRequest, JsonResponse
from django.views.decorators.csrf import csrf_exempt

from accounts.models import Merchant, hash_api_token
from documents.models import ApiInvoicePdf, Invoice, InvoiceItem

logger = logging.getLogger(__name__)

CENT = Decimal("0.01")
MAX_ITEMS = 1000
MAX_AMOUNT = Decimal("999999999999.99")  # fits MONEY (14 digits, 2 decimals)
CURRENCY_RE = re.compile(r"^[A-Z]{3}$")
# Room for base64 (4/3) and the rest of the invoice around the PDF.
BODY_OVERHEAD_BYTES = 256 * 1024


class ApiError(Exception):
    def __init__(
        self,
        status: int,
        code: str,
        message: str,
        field: str | None = None,
        details: list[dict[str, str]] | None = None,
    ) -> None:
        super().__init__(message)
        self.status, self.code, self.message, self.field = status, code, message, field
        self.details = details or ([{"field": field, "message": message}] if field else [])

    def response(self) -> JsonResponse:
        body = {
            "error": {
                "code": self.code,
                "message": self.message,
                "field": self.field,
                "details": self.details,
            }
        }
        response = JsonResponse(body, status=self.status)
        if self.status == 401:
            response["WWW-Authenticate"] = 'Bearer realm="api"'
        return response


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
    raise ApiError(
        415,
        "unsupported_media_type",
        "Send 'application/json' (PDF in base64) or 'multipart/form-data' "
        "(parts 'invoice' and 'pdf').",
    )


def too_large() -> ApiError:
    limit = settings.API_MAX_PDF_BYTES
    return ApiError(
        413, "too_large", f"The PDF is larger than the limit of {limit} bytes.", field="pdf"
    )


def _parse_json(text: str | bytes, field: str | None) -> dict[str, Any]:
    try:
        data = json.loads(text, parse_float=Decimal)
    except (ValueError, UnicodeDecodeError) as error:
        where = f" in '{field}'" if field else ""
        message = f"The JSON{where} cannot be parsed: {error}."
        raise ApiError(400, "invalid_json", message, field) from None
    if not isinstance(data, dict):
        raise ApiError(400, "invalid_json", "The invoice must be a JSON object.", field)
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


# --- Validation ---------------------------------------------------------------------------


@dataclass
class CleanItem:
    name: str
    quantity: Decimal
    unit: str
    unit_price_net: Decimal
    vat_rate: Decimal
    total_net: Decimal
    total_gross: Decimal


@dataclass
class CleanInvoice:
    number: str
    issue_date: date
    sale_date: date
    payment_due: date | None
    payment_method: str
    currency: str
    seller_name: str
    seller_address: str
    seller_tax_id: str
    buyer_name: str
    buyer_address: str
    buyer_tax_id: str
    items: list[CleanItem]
    total_net: Decimal
    total_gross: Decimal


@dataclass
class Errors:
    details: list[dict[str, str]] = field(default_factory=list)

    def add(self, field_name: str, message: str) -> None:
        self.details.append({"field": field_name, "message": message})

    def raise_if_any(self) -> None:
        if self.details:
            first = self.details[0]
            raise ApiError(400, "invalid", first["message"], first["field"], details=self.details)


class FieldError(Exception):
    pass


def has_control_characters(text: str, allow_newlines: bool = False) -> bool:
    allowed = {"\n", "\r", "\t"} if allow_newlines else set()
    return any(
        unicodedata.category(ch) in {"Cc", "Cf", "Zl", "Zp", "Cs", "Co", "Cn"} and ch not in allowed
        for ch in text
    )


def clean_text(
    value: Any, *, max_length: int, required: bool = False, multiline: bool = False
) -> str:
    if value is None:
        value = ""
    if not isinstance(value, str):
        raise FieldError("Must be a string.")
    value = value.strip()
    if required and not value:
        raise FieldError("This field is required.")
    if len(value) > max_length:
        raise FieldError(f"At most {max_length} characters (got {len(value)}).")
    if has_control_characters(value, allow_newlines=multiline):
        raise FieldError("Contains control characters.")
    return value


def clean_number(value: Any) -> str:
    number = clean_text(
        value, max_length=Invoice._meta.get_field("number").max_length, required=True
    )
    if "  " in number:
        raise FieldError("Contains repeated spaces.")
    return number


def clean_date(value: Any, *, required: bool) -> date | None:
    if value in (None, ""):
        if required:
            raise FieldError("This field is required.")
        return None
    if not isinstance(value, str) or not re.fullmatch(r"\d{4}-\d{2}-\d{2}", value):
        raise FieldError("Enter a date as YYYY-MM-DD.")
    try:
        parsed = date.fromisoformat(value)
    except ValueError:
        raise FieldError("Not a valid calendar date.") from None
    if not 1900 <= parsed.year <= 2999:
        raise FieldError("The year is out of range.")
    return parsed


def clean_decimal(
    value: Any,
    *,
    places: int,
    minimum: Decimal = Decimal("0"),
    maximum: Decimal = MAX_AMOUNT,
    allow_zero: bool = True,
) -> Decimal:
    if isinstance(value, bool) or value is None or value == "":
        raise FieldError('Enter a number, e.g. "12.50".')
    if isinstance(value, int | Decimal):
        number = Decimal(value)
    elif isinstance(value, str):
        try:
            number = Decimal(value.strip())
        except InvalidOperation:
            raise FieldError(f"'{value[:40]}' is not a number; use a dot for decimals.") from None
    else:
        raise FieldError("Enter a number.")
    if not number.is_finite():
        raise FieldError("Enter a finite number.")
    if number.as_tuple().exponent < -places:  # type: ignore[operator]
        raise FieldError(f"At most {places} decimal places.")
    if number < minimum or (not allow_zero and number == 0):
        raise FieldError(
            "Must be greater than zero." if not allow_zero else "Must not be negative."
        )
    if number > maximum:
        raise FieldError("The amount is too large.")
    return number


def _take(errors: Errors, name: str, func, *args, **kwargs):
    try:
        return func(*args, **kwargs)
    except FieldError as error:
        errors.add(name, str(error))
        return None


def _party(errors: Errors, data: dict[str, Any], key: str, required: bool) -> tuple[str, str, str]:
    party = data.get(key)
    if party is None and not required:
        return "", "", ""
    if not isinstance(party, dict):
        errors.add(key, f"Give the {key} as an object with 'name', 'address' and 'tax_id'.")
        return "", "", ""
    name = _take(
        errors, f"{key}.name", clean_text, party.get("name"), max_length=200, required=required
    )
    address = _take(
        errors, f"{key}.address", clean_text, party.get("address"), max_length=1000, multiline=True
    )
    tax_id = _take(errors, f"{key}.tax_id", clean_text, party.get("tax_id"), max_length=50)
    return name or "", address or "", tax_id or ""


def _item(errors: Errors, index: int, raw: Any) -> CleanItem | None:
    prefix = f"items[{index}]"
    if not isinstance(raw, dict):
        errors.add(prefix, "Each item must be an object.")
        return None
    before = len(errors.details)
    name = _take(
        errors, f"{prefix}.name", clean_text, raw.get("name"), max_length=300, required=True
    )
    quantity = _take(
        errors,
        f"{prefix}.quantity",
        clean_decimal,
        raw.get("quantity"),
        places=3,
        maximum=Decimal("999999999.999"),
        allow_zero=False,
    )
    unit = _take(
        errors, f"{prefix}.unit", clean_text, raw.get("unit", "pcs") or "pcs", max_length=20
    )
    price = _take(
        errors, f"{prefix}.unit_price_net", clean_decimal, raw.get("unit_price_net"), places=2
    )
    vat = _take(
        errors,
        f"{prefix}.vat_rate",
        clean_decimal,
        raw.get("vat_rate"),
        places=2,
        maximum=Decimal("100"),
    )
    total_net = total_gross = None
    if raw.get("total_net") not in (None, ""):
        total_net = _take(errors, f"{prefix}.total_net", clean_decimal, raw["total_net"], places=2)
    if raw.get("total_gross") not in (None, ""):
        total_gross = _take(
            errors, f"{prefix}.total_gross", clean_decimal, raw["total_gross"], places=2
        )
    if len(errors.details) > before:
        return None
    if total_net is None:
        total_net = (quantity * price).quantize(CENT, ROUND_HALF_UP)
    if total_gross is None:
        total_gross = (total_net * (100 + vat) / 100).quantize(CENT, ROUND_HALF_UP)
    if total_net > MAX_AMOUNT or total_gross > MAX_AMOUNT:
        errors.add(prefix, "The item's total is too large.")
        return None
    return CleanItem(name, quantity, unit, price, vat, total_net, total_gross)


def validate_invoice(data: dict[str, Any]) -> CleanInvoice:
    """Every field checked; all problems reported at once, the first one as the message."""
    errors = Errors()
    known = {
        "number",
        "issue_date",
        "sale_date",
        "payment_due",
        "payment_method",
        "currency",
        "seller",
        "buyer",
        "items",
        "total_net",
        "total_gross",
    }
    for unknown in sorted(set(data) - known):
        errors.add(unknown, "Unknown field.")
    number = _take(errors, "number", clean_number, data.get("number"))
    issue_date = _take(errors, "issue_date", clean_date, data.get("issue_date"), required=True)
    sale_date = _take(errors, "sale_date", clean_date, data.get("sale_date"), required=False)
    payment_due = _take(errors, "payment_due", clean_date, data.get("payment_due"), required=False)
    payment_method = _take(
        errors, "payment_method", clean_text, data.get("payment_method"), max_length=100
    )
    currency = data.get("currency")
    if not isinstance(currency, str) or not CURRENCY_RE.match(currency.strip().upper()):
        errors.add("currency", "Give a three-letter currency code such as PLN, EUR or BRL.")
        currency = None
    else:
        currency = currency.strip().upper()
    seller = _party(errors, data, "seller", required=True)
    buyer = _party(errors, data, "buyer", required=False)

    raw_items = data.get("items")
    items: list[CleanItem] = []
    if not isinstance(raw_items, list) or not raw_items:
        errors.add("items", "Give at least one item as a list of objects.")
    elif len(raw_items) > MAX_ITEMS:
        errors.add("items", f"At most {MAX_ITEMS} items.")
    else:
        items = [item for i, raw in enumerate(raw_items) if (item := _item(errors, i, raw))]

    totals = {}
    for key in ("total_net", "total_gross"):
        if data.get(key) not in (None, ""):
            totals[key] = _take(errors, key, clean_decimal, data[key], places=2)
    errors.raise_if_any()

    total_net = totals.get("total_net")
    total_gross = totals.get("total_gross")
    return CleanInvoice(
        number=number,
        issue_date=issue_date,
        sale_date=sale_date or issue_date,
        payment_due=payment_due,
        payment_method=payment_method or "",
        currency=currency,
        seller_name=seller[0],
        seller_address=seller[1],
        seller_tax_id=seller[2],
        buyer_name=buyer[0],
        buyer_address=buyer[1],
        buyer_tax_id=buyer[2],
        items=items,
        total_net=total_net if total_net is not None else sum(i.total_net for i in items),
        total_gross=total_gross if total_gross is not None else sum(i.total_gross for i in items),
    )


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
    """Invoice, items and PDF in one transaction: all of them or none."""
    try:
        with transaction.atomic():
            if Invoice.objects.filter(merchant=merchant, number=clean.number).exists():
                raise duplicate_number(clean.number)
            invoice = Invoice.objects.create(
                merchant=merchant,
                source=Invoice.Source.API,
                number=clean.number,
                issue_date=clean.issue_date,
                sale_date=clean.sale_date,
                payment_due=clean.payment_due,
                payment_method=clean.payment_method,
                currency=clean.currency,
                total_net=clean.total_net,
                total_gross=clean.total_gross,
                seller_name=clean.seller_name,
                seller_address=clean.seller_address,
                seller_tax_id=clean.seller_tax_id,
                buyer_name=clean.buyer_name,
                buyer_address=clean.buyer_address,
                buyer_tax_id=clean.buyer_tax_id,
            )
            InvoiceItem.objects.bulk_create(
                InvoiceItem(invoice=invoice, **item.__dict__) for item in clean.items
            )
            ApiInvoicePdf.objects.create(
                invoice=invoice,
                content=pdf,
                sha256=hashlib.sha256(pdf).hexdigest(),
                size=len(pdf),
            )
    except IntegrityError:
        # Two requests with the same number at once: the unique constraint decides.
        raise duplicate_number(clean.number) from None
    return invoice


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
