"""The orders CSV's rows on PostgreSQL: one ``COPY ... TO STDOUT (FORMAT BINARY)``.

The server joins each order's status name, summarizes its items (``string_agg`` in item order,
the quantity's trailing zeros trimmed) and neutralizes the buyer and address cells, and streams
the rows while this process formats and writes the ones it already has, so the two share the
machine's cores. Binary rows load in psycopg's C loaders (Django's own text loader for
``timestamptz`` is Python). The bytes are those of the ORM path (csv_export); a test writes
awkward orders through both and compares them.
"""

from __future__ import annotations

from collections.abc import Iterator
from itertools import islice

from django.db import connection
from psycopg import sql

from documents import csv_format
from documents.csv_format import ExportWindow, csv_bytes
from documents.models import Order, OrderItem, OrderStatus

# The COPY's columns: the order's fields with the status name in place of its id, then the
# number of items and their summary. Amounts come as text (PostgreSQL prints a numeric as its
# Decimal prints), so no Decimal is made only to be printed again.
_COPY_TYPES = (
    ["int8", "text", "text", "timestamptz", "text", "timestamptz"]
    + ["text"] * (csv_format.TEXT_SLICE.stop - csv_format.TEXT_SLICE.start)
    + ["text", "text", "text", "text", "int8", "text"]
)


def _copy_sql(window: ExportWindow) -> sql.Composed:
    """The window's orders, one row each in id order, with status name and item summary.

    The orders are sorted before the joins, not after: the rows then stream from the first
    one instead of after the whole result is built and sorted. The buyer and address cells
    come neutralized (the server has a core to spare while this process writes). An item
    reads as the ORM path writes it: ``trim_scale`` drops the quantity's trailing zeros as
    ``Decimal.normalize`` does. A status of another merchant reads as no status, as in the
    ORM path. COPY takes no bound parameters: values are merged in as literals by psycopg.
    """
    columns = [Order._meta.get_field(name).column for name in csv_format.ORDER_FIELDS]
    cells: list[sql.Composable] = [sql.Identifier("o", column) for column in columns]
    cells[4] = sql.SQL("coalesce(s.name, '')")
    for index in range(csv_format.TEXT_SLICE.start, csv_format.TEXT_SLICE.stop):
        cells[index] = sql.SQL(
            "CASE WHEN left({cell}, 1) = ANY({prefixes}) THEN {mark} || {cell} ELSE {cell} END"
        ).format(
            cell=cells[index],
            prefixes=sql.Literal(list(csv_format.FORMULA_PREFIXES)),
            mark=sql.Literal("'"),
        )
    for index in range(csv_format.TEXT_SLICE.stop, len(cells)):
        cells[index] = sql.SQL("{}::text").format(cells[index])
    return sql.SQL(
        "COPY (SELECT {cells}, coalesce(i.n, 0), coalesce(i.summary, '')"
        " FROM (SELECT {columns}, merchant_id FROM {order}"
        " WHERE merchant_id = {merchant}"
        " AND status_changed_at >= {since} AND status_changed_at < {until} ORDER BY id) o"
        " LEFT JOIN {status} s ON s.id = o.status_id AND s.merchant_id = o.merchant_id"
        " LEFT JOIN LATERAL (SELECT count(*) AS n, string_agg("
        "trim_scale(it.quantity)::text || {times} || it.name"
        " || CASE WHEN it.sku <> '' THEN ' [' || it.sku || ']' ELSE '' END"
        " || ' @ ' || it.unit_price_gross::text, {separator} ORDER BY it.id) AS summary"
        " FROM {item} it WHERE it.order_id = o.id) i ON true"
        " ORDER BY o.id) TO STDOUT (FORMAT BINARY)"
    ).format(
        cells=sql.SQL(", ").join(cells),
        columns=sql.SQL(", ").join(map(sql.Identifier, columns)),
        order=sql.Identifier(Order._meta.db_table),
        status=sql.Identifier(OrderStatus._meta.db_table),
        item=sql.Identifier(OrderItem._meta.db_table),
        times=sql.Literal(f" {csv_format.TIMES} "),
        separator=sql.Literal(csv_format.ITEM_SEPARATOR),
        merchant=sql.Literal(window.merchant_id),
        since=sql.Literal(window.since),
        until=sql.Literal(window.until),
    )


def copied_chunks(window: ExportWindow) -> Iterator[tuple[int, bytes]]:
    """The rows of one COPY, formatted a chunk at a time while the server sends the next.

    The connection is busy until the last chunk: the caller reads them all before its next
    query (an abandoned export cancels the COPY).
    """
    statement = _copy_sql(window)
    with connection.cursor() as cursor, cursor.copy(statement) as copy:
        copy.set_types(_COPY_TYPES)
        rows = copy.rows()
        while chunk := list(islice(rows, window.chunk_size)):
            yield len(chunk), csv_bytes(csv_format.row_cells(chunk, window.tz))
