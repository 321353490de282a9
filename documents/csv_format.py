"""What one row of the orders CSV is made of, shared by its two readers (csv_export's ORM
path and csv_copy's COPY): the order fields read, the cells a formula prefix is neutralized in,
the item summary's separators, the cells of a row and the writer (RFC 4180, CRLF)."""

from __future__ import annotations

import csv
import datetime as dt
import io
from dataclasses import dataclass

BOM = "\ufeff".encode()
FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")
# First characters that call for a ``'``; ``text[:1] in`` it is False for an empty cell.
FORMULA_FIRST_CHARS = frozenset(FORMULA_PREFIXES)
ITEM_SEPARATOR = "; "
TIMES = "\u00d7"  # MULTIPLICATION SIGN, as in "2 \u00d7 Mug"

# Order fields read from the database, in the order the row builder expects them.
ORDER_FIELDS = (
    "id",
    "external_id",
    "source",
    "created_at",
    "status_id",
    "status_changed_at",
    "buyer_name",
    "buyer_email",
    "buyer_phone",
    "buyer_company",
    "buyer_tax_id",
    "delivery_name",
    "delivery_company",
    "delivery_street",
    "delivery_postcode",
    "delivery_city",
    "delivery_country",
    "invoice_name",
    "invoice_company",
    "invoice_street",
    "invoice_postcode",
    "invoice_city",
    "invoice_country",
    "payment_method",
    "delivery_method",
    "delivery_price",
    "currency",
    "total_gross",
    "paid",
)
TEXT_SLICE = slice(6, 25)  # buyer_name .. delivery_method, as read above


@dataclass(frozen=True)
class ExportWindow:
    """One export: a merchant's orders whose status changed in ``[since, until)``, with
    timestamps in ``tz``, read ``chunk_size`` rows at a time."""

    merchant_id: int
    since: dt.datetime
    until: dt.datetime
    tz: dt.tzinfo
    chunk_size: int


def csv_bytes(rows: list[list]) -> bytes:
    buffer = io.StringIO()
    csv.writer(buffer, lineterminator="\r\n").writerows(rows)
    return buffer.getvalue().encode("utf-8")


def row_cells(rows: list[tuple], tz: dt.tzinfo) -> list[tuple]:
    """The CSV cells of rows as both readers give them: the order's fields with the status
    name in place of its id and the buyer and address cells already neutralized, then the
    number of items and their summary. Timestamps go to ``tz``; the other text cells get
    their ``'`` here; amounts stay numbers."""
    formula = FORMULA_FIRST_CHARS
    cells = []
    append = cells.append
    for values in rows:
        order_id, external_id, source, created_at, status, status_changed_at = values[:6]
        delivery_price, currency, total, paid, item_count, summary = values[25:]
        append(
            (
                order_id,
                f"'{external_id}" if external_id[:1] in formula else external_id,
                f"'{source}" if source[:1] in formula else source,
                created_at.astimezone(tz).isoformat(timespec="seconds"),
                f"'{status}" if status[:1] in formula else status,
                status_changed_at.astimezone(tz).isoformat(timespec="seconds"),
                *values[TEXT_SLICE],
                delivery_price,
                f"'{currency}" if currency[:1] in formula else currency,
                total,
                paid,
                item_count,
                f"'{summary}" if summary[:1] in formula else summary,
            )
        )
    return cells
