"""The invoice API's fields, checked with Django forms; every amount fits its database column.

``validate_invoice(data)`` takes the decoded JSON object and returns a ``CleanInvoice`` or
raises ``ApiError(400)`` naming every field in trouble (``number``, ``seller.name``,
``items[2].quantity``, ``total_gross``), the first one as the message.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from datetime import date
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from django import forms
from django.core.exceptions import ValidationError

from documents.api_errors import ApiError
from documents.models import MONEY, Invoice

CENT = Decimal("0.01")
MAX_ITEMS = 1000
# The largest amount a MONEY column (14 digits, 2 of them decimals) holds. A sum of items over
# it once reached the database: on SQLite every later read of the row failed, on PostgreSQL
# the insert did.
MAX_AMOUNT = Decimal(10 ** (MONEY["max_digits"] - MONEY["decimal_places"])) - CENT
MAX_QUANTITY = Decimal("999999999.999")  # max_digits 12, decimal_places 3


def has_control_characters(text: str, allow_newlines: bool = False) -> bool:
    allowed = {"\n", "\r", "\t"} if allow_newlines else set()
    return any(
        unicodedata.category(ch) in {"Cc", "Cf", "Zl", "Zp", "Cs", "Co", "Cn"} and ch not in allowed
        for ch in text
    )


class TextField(forms.CharField):
    """A JSON string: a number or an object is refused, not turned into text."""

    def __init__(self, *, max_length: int, multiline: bool = False, **kwargs) -> None:
        kwargs.setdefault("required", False)
        messages = {"max_length": "At most %(limit_value)d characters (got %(show_value)d)."}
        super().__init__(max_length=max_length, error_messages=messages, **kwargs)
        self.multiline = multiline

    def to_python(self, value: Any) -> str:
        if value not in self.empty_values and not isinstance(value, str):
            raise ValidationError("Must be a string.", code="type")
        return super().to_python(value)

    def validate(self, value: str) -> None:
        super().validate(value)
        if has_control_characters(value, allow_newlines=self.multiline):
            raise ValidationError("Contains control characters.", code="control")


class IsoDateField(forms.Field):
    def to_python(self, value: Any) -> date | None:
        if value in self.empty_values:
            return None
        if not isinstance(value, str) or not re.fullmatch(r"\d{4}-\d{2}-\d{2}", value):
            raise ValidationError("Enter a date as YYYY-MM-DD.", code="invalid")
        try:
            parsed = date.fromisoformat(value)
        except ValueError:
            raise ValidationError("Not a valid calendar date.", code="invalid") from None
        if not 1900 <= parsed.year <= 2999:
            raise ValidationError("The year is out of range.", code="range")
        return parsed


class AmountField(forms.DecimalField):
    """A JSON number or a numeric string, within the column's range."""

    def __init__(
        self,
        *,
        places: int = 2,
        maximum: Decimal = MAX_AMOUNT,
        positive: bool = False,
        **kwargs,
    ) -> None:
        messages = {
            "required": 'Enter a number, e.g. "12.50".',
            "invalid": "Not a number; use a dot for decimals.",
            "max_value": "The amount is too large (at most %(limit_value)s).",
            "min_value": "Must not be negative.",
            "max_decimal_places": "At most %(max)s decimal places.",
        }
        super().__init__(
            max_value=maximum,
            min_value=Decimal("0"),
            decimal_places=places,
            error_messages=messages,
            **kwargs,
        )
        self.positive = positive

    def to_python(self, value: Any) -> Decimal | None:
        if isinstance(value, bool | dict | list):
            raise ValidationError(self.error_messages["invalid"], code="invalid")
        if isinstance(value, str) and value.strip().lower() in {"nan", "inf", "infinity", "-inf"}:
            raise ValidationError("Enter a finite number.", code="invalid")
        return super().to_python(value)

    def validate(self, value: Decimal | None) -> None:
        if value is not None and not value.is_finite():
            raise ValidationError("Enter a finite number.", code="invalid")
        super().validate(value)
        if self.positive and value == 0:
            raise ValidationError("Must be greater than zero.", code="min_value")


class CurrencyField(forms.Field):
    def to_python(self, value: Any) -> str:
        code = value.strip().upper() if isinstance(value, str) else ""
        if not re.fullmatch(r"[A-Z]{3}", code):
            raise ValidationError(
                "Give a three-letter currency code such as PLN, EUR or BRL.", code="invalid"
            )
        return code


class InvoiceForm(forms.Form):
    number = TextField(max_length=Invoice._meta.get_field("number").max_length, required=True)
    issue_date = IsoDateField()
    sale_date = IsoDateField(required=False)
    payment_due = IsoDateField(required=False)
    payment_method = TextField(max_length=100)
    currency = CurrencyField()
    total_net = AmountField(required=False)
    total_gross = AmountField(required=False)

    def clean_number(self) -> str:
        if "  " in self.cleaned_data["number"]:
            raise ValidationError("Contains repeated spaces.")
        return self.cleaned_data["number"]


class PartyForm(forms.Form):
    name = TextField(max_length=200)
    address = TextField(max_length=1000, multiline=True)
    tax_id = TextField(max_length=50)


class SellerForm(PartyForm):
    name = TextField(max_length=200, required=True)


class ItemForm(forms.Form):
    name = TextField(max_length=300, required=True)
    quantity = AmountField(places=3, maximum=MAX_QUANTITY, positive=True)
    unit = TextField(max_length=20)
    unit_price_net = AmountField()
    vat_rate = AmountField(maximum=Decimal("100"))
    total_net = AmountField(required=False)
    total_gross = AmountField(required=False)

    def clean_unit(self) -> str:
        return self.cleaned_data["unit"] or "pcs"

    def clean(self) -> dict[str, Any]:
        """Item totals left out are computed, and must fit their columns too."""
        data = super().clean()
        if self.errors:
            return data
        if data["total_net"] is None:
            data["total_net"] = (data["quantity"] * data["unit_price_net"]).quantize(
                CENT, ROUND_HALF_UP
            )
        if data["total_gross"] is None:
            gross = data["total_net"] * (100 + data["vat_rate"]) / 100
            data["total_gross"] = gross.quantize(CENT, ROUND_HALF_UP)
        for name in ("total_net", "total_gross"):
            if data[name] > MAX_AMOUNT:
                self.add_error(name, too_large_sum(f"The item's {name.replace('_', ' ')}"))
        return data


def too_large_sum(what: str) -> str:
    return f"{what} comes to more than {MAX_AMOUNT}, the largest amount an invoice can hold."


@dataclass
class CleanInvoice:
    """The invoice's model fields (``fields``) and its items' (``items``), all checked."""

    fields: dict[str, Any]
    items: list[dict[str, Any]]


class Errors:
    def __init__(self) -> None:
        self.details: list[dict[str, str]] = []

    def add(self, field_name: str, message: str) -> None:
        self.details.append({"field": field_name, "message": message})

    def add_form(self, form: forms.Form, prefix: str = "") -> None:
        """A bound form's errors in its fields' order, named as the JSON names them."""
        for name in form.fields:
            if name in form.errors:
                self.add(f"{prefix}{name}", form.errors[name][0])

    def raise_if_any(self) -> None:
        if self.details:
            first = self.details[0]
            raise ApiError(400, "invalid", first["message"], first["field"], details=self.details)


def _party(errors: Errors, data: dict[str, Any], key: str, form_class) -> dict[str, str]:
    party = data.get(key)
    if party is None and form_class is PartyForm:
        return {"name": "", "address": "", "tax_id": ""}
    if not isinstance(party, dict):
        errors.add(key, f"Give the {key} as an object with 'name', 'address' and 'tax_id'.")
        return {}
    form = form_class(party)
    errors.add_form(form, f"{key}.")
    return form.cleaned_data if form.is_valid() else {}


def _items(errors: Errors, raw_items: Any) -> list[dict[str, Any]]:
    if not isinstance(raw_items, list) or not raw_items:
        errors.add("items", "Give at least one item as a list of objects.")
        return []
    if len(raw_items) > MAX_ITEMS:
        errors.add("items", f"At most {MAX_ITEMS} items.")
        return []
    items = []
    for index, raw in enumerate(raw_items):
        if not isinstance(raw, dict):
            errors.add(f"items[{index}]", "Each item must be an object.")
            continue
        form = ItemForm(raw)
        if form.is_valid():
            items.append(form.cleaned_data)
        errors.add_form(form, f"items[{index}].")
    return items


def _total(errors: Errors, given: Decimal | None, name: str, items: list[dict]) -> Decimal:
    """The invoice's total as given, or the sum of its items', which must fit the column."""
    if given is not None:
        return given
    total = sum((item[name] for item in items), Decimal("0"))
    if total > MAX_AMOUNT:
        errors.add(name, too_large_sum(f"The sum of the items' {name.replace('_', ' ')}"))
    return total


def validate_invoice(data: dict[str, Any]) -> CleanInvoice:
    """Every field checked; all problems reported at once, the first one as the message."""
    errors = Errors()
    known = {*InvoiceForm.base_fields, "seller", "buyer", "items"}
    for unknown in sorted(set(data) - known):
        errors.add(unknown, "Unknown field.")
    form = InvoiceForm({k: v for k, v in data.items() if k in InvoiceForm.base_fields})
    form.is_valid()
    errors.add_form(form)
    seller = _party(errors, data, "seller", SellerForm)
    buyer = _party(errors, data, "buyer", PartyForm)
    items = _items(errors, data.get("items"))
    errors.raise_if_any()

    fields = form.cleaned_data
    fields["sale_date"] = fields["sale_date"] or fields["issue_date"]
    fields["total_net"] = _total(errors, fields["total_net"], "total_net", items)
    fields["total_gross"] = _total(errors, fields["total_gross"], "total_gross", items)
    errors.raise_if_any()
    for key, party in (("seller", seller), ("buyer", buyer)):
        fields.update({f"{key}_{name}": value for name, value in party.items()})
    return CleanInvoice(fields, items)
