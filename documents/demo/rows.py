"""Fast inserts for seeding many rows, and a tiny valid PDF for API invoices."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from django.db import connections, models, router
from django.utils import timezone

from documents.demo.generators import ascii_only

BATCH_SIZE = 2000


# --- Fast inserts -------------------------------------------------------------------------


def _db_converter(field: models.Field, connection) -> Callable[[Any], Any] | None:
    """How to turn a Python value of this field into a database parameter (None: as is)."""
    ops = connection.ops
    if isinstance(field, models.UUIDField) and not connection.features.has_native_uuid_field:
        return lambda value: value.hex
    if isinstance(field, models.DateTimeField):
        return ops.adapt_datetimefield_value
    if isinstance(field, models.DateField):
        return ops.adapt_datefield_value
    if isinstance(field, models.DecimalField):
        return lambda value: ops.adapt_decimalfield_value(
            value, field.max_digits, field.decimal_places
        )
    return None


def insert_rows(model: type[models.Model], objects: Sequence[models.Model]) -> None:
    """INSERT plain model instances with one executemany.

    About three times cheaper than ``bulk_create`` for wide rows, which compiles every value
    through the ORM. Only for the simple field types of the order tables; primary keys are
    not set on the instances. No signals, like ``bulk_create``.
    """
    if not objects:
        return
    connection = connections[router.db_for_write(model)]
    fields = [f for f in model._meta.concrete_fields if not f.primary_key]
    stamp = timezone.now()
    for f in fields:
        if getattr(f, "auto_now", False) or getattr(f, "auto_now_add", False):
            for obj in objects:
                setattr(obj, f.attname, stamp)
    converters = [_db_converter(f, connection) for f in fields]
    attnames = [f.attname for f in fields]
    quote = connection.ops.quote_name
    head = "INSERT INTO {} ({}) VALUES ".format(  # noqa: S608 - names from model metadata
        quote(model._meta.db_table), ", ".join(quote(f.column) for f in fields)
    )
    placeholders = "({})".format(", ".join(["%s"] * len(fields)))
    rows = []
    for obj in objects:
        values = obj.__dict__
        rows.append(
            tuple(
                value if convert is None or value is None else convert(value)
                for value, convert in zip((values[a] for a in attnames), converters, strict=True)
            )
        )
    with connection.cursor() as cursor:
        raw = cursor.cursor
        if connection.vendor == "postgresql" and hasattr(raw, "copy"):
            # psycopg 3: COPY is several times faster than one INSERT per row.
            columns = ", ".join(quote(f.column) for f in fields)
            table = quote(model._meta.db_table)
            with raw.copy(f"COPY {table} ({columns}) FROM STDIN") as copy:
                for row in rows:
                    copy.write_row(row)
            return
        cursor.executemany(head + placeholders, rows)


# --- A tiny valid PDF ---------------------------------------------------------------------


def minimal_pdf(lines: Sequence[str]) -> bytes:
    """A one-page A4 PDF with the given lines in Helvetica; small, valid, readable by pypdf."""

    def escape(text: str) -> str:
        return ascii_only(text).replace("\\", "\\\\").replace("(", "\\(").replace(")", "\\)")

    text_ops = ["BT", "/F1 11 Tf", "14 TL", "56 780 Td"]
    for i, line in enumerate(lines):
        if i == 0:
            text_ops += ["/F1 16 Tf", f"({escape(line)}) Tj", "/F1 11 Tf", "T*", "T*"]
        else:
            text_ops += [f"({escape(line)}) Tj", "T*"]
    text_ops.append("ET")
    stream = "\n".join(text_ops).encode("ascii")

    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] "
        b"/Resources << /Font << /F1 4 0 R >> >> /Contents 5 0 R >>",
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica /Encoding /WinAnsiEncoding >>",
        b"<< /Length %d >>\nstream\n" % len(stream) + stream + b"\nendstream",
    ]
    out = bytearray(b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n")
    offsets = []
    for number, body in enumerate(objects, start=1):
        offsets.append(len(out))
        out += b"%d 0 obj\n" % number + body + b"\nendobj\n"
    xref_at = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    for offset in offsets:
        out += b"%010d 00000 n \n" % offset
    out += b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (
        len(objects) + 1,
        xref_at,
    )
    return bytes(out)
