from __future__ import annotations

import csv
import datetime as dt
import hashlib
import io
import zoneinfo
from decimal import Decimal

import pytest
from django.db import connection

from documents import csv_copy, csv_export
from documents.csv_export import (
    BOM,
    HEADERS,
    ORDER_CSV_COLUMNS,
    orders_csv_filename,
    write_orders_csv,
)
from documents.csv_format import ORDER_FIELDS, TEXT_SLICE, ExportWindow
from documents.models import Order, OrderItem
from tests.rendering import factories

UNTIL = dt.datetime(2026, 11, 23, 1, 0, 13, tzinfo=dt.UTC)
SINCE = UNTIL - dt.timedelta(days=30)
WARSAW = zoneinfo.ZoneInfo("Europe/Warsaw")


def export(merchant, since=SINCE, until=UNTIL, tz=WARSAW, **kwargs):
    out = io.BytesIO()
    stats = write_orders_csv(merchant.pk, since, until, out, tz, **kwargs)
    return stats, out.getvalue()


def parse(data: bytes) -> list[dict[str, str]]:
    assert data.startswith(BOM)
    text = data[len(BOM) :].decode("utf-8")
    return list(csv.DictReader(io.StringIO(text, newline="")))


@pytest.fixture
def status(merchant):
    return factories.make_status(merchant, "Wysłane")


def test_header_bom_and_crlf(merchant, status):
    factories.make_order(merchant, status, UNTIL - dt.timedelta(days=1))
    stats, data = export(merchant)

    assert data.startswith(BOM + b"order_id,external_id,source,created_at,status,")
    assert data.count(b"\r\n") == 2
    assert not data.replace(b"\r\n", b"").count(b"\n")
    assert stats.rows == 1
    assert len(HEADERS) == len(ORDER_CSV_COLUMNS) == len(set(HEADERS))
    assert all(str(description) for _, description in ORDER_CSV_COLUMNS)


def test_stats_describe_exactly_what_was_written(merchant, status):
    for n in range(3):
        factories.make_order(merchant, status, UNTIL - dt.timedelta(hours=n + 1))
    stats, data = export(merchant)

    assert stats.rows == 3
    assert stats.bytes == len(data)
    assert stats.sha256 == hashlib.sha256(data).hexdigest()
    assert stats.md5 == hashlib.md5(data).hexdigest()


def test_values_timestamps_and_items(merchant, status):
    order = factories.make_order(
        merchant,
        status,
        dt.datetime(2026, 11, 20, 23, 30, tzinfo=dt.UTC),
        items=2,
        created_at=dt.datetime(2026, 7, 1, 10, 0, tzinfo=dt.UTC),
        external_id="AL-77",
        buyer_name="Zażółć Gęślą",
        buyer_email="b@example.com",
        delivery_city="Łódź",
        delivery_price=Decimal("12.99"),
        total_gross=Decimal("44.49"),
        paid=Decimal("44.49"),
        currency="PLN",
    )
    (row,) = parse(export(merchant)[1])

    assert row["order_id"] == str(order.pk)
    assert row["external_id"] == "AL-77"
    assert row["status"] == "Wysłane"
    assert row["created_at"] == "2026-07-01T12:00:00+02:00"
    assert row["status_changed_at"] == "2026-11-21T00:30:00+01:00"
    assert row["buyer_name"] == "Zażółć Gęślą"
    assert row["delivery_city"] == "Łódź"
    assert (row["delivery_price"], row["total"], row["paid"]) == ("12.99", "44.49", "44.49")
    assert row["item_count"] == "2"
    assert row["items"] == "1 \u00d7 Item 1 [SKU-1] @ 10.50; 2 \u00d7 Item 2 [SKU-2] @ 10.50"


def test_commas_quotes_and_newlines_are_quoted(merchant, status):
    tricky = 'Kowalski, Jan "JK"\nline two'
    factories.make_order(merchant, status, UNTIL - dt.timedelta(hours=1), buyer_name=tricky)
    _, data = export(merchant)

    assert b'"Kowalski, Jan ""JK""\nline two"' in data
    assert parse(data)[0]["buyer_name"] == tricky


@pytest.mark.parametrize("prefix", ["=", "+", "-", "@", "\t", "\r"])
def test_formula_cells_are_neutralized(merchant, status, prefix):
    payload = f'{prefix}HYPERLINK("http://evil")'
    factories.make_order(
        merchant, status, UNTIL - dt.timedelta(hours=1), buyer_company=payload, source=payload
    )
    (row,) = parse(export(merchant)[1])

    assert row["buyer_company"] == "'" + payload
    assert row["source"] == "'" + payload


def test_status_name_and_phone_are_neutralized_but_amounts_stay_numbers(merchant):
    status = factories.make_status(merchant, "=cmd|' /C calc'!A0")
    factories.make_order(
        merchant,
        status,
        UNTIL - dt.timedelta(hours=1),
        buyer_phone="+48 600 100 200",
        paid=Decimal("-5.00"),
    )
    (row,) = parse(export(merchant)[1])

    assert row["status"] == "'=cmd|' /C calc'!A0"
    assert row["buyer_phone"] == "'+48 600 100 200"
    assert row["paid"] == "-5.00"


def test_window_is_half_open(merchant, status):
    inside_first = factories.make_order(merchant, status, SINCE, external_id="first")
    factories.make_order(
        merchant, status, SINCE - dt.timedelta(microseconds=1), external_id="before"
    )
    inside_last = factories.make_order(
        merchant, status, UNTIL - dt.timedelta(microseconds=1), external_id="last"
    )
    factories.make_order(merchant, status, UNTIL, external_id="at-until")

    rows = parse(export(merchant)[1])

    assert [r["order_id"] for r in rows] == [str(inside_first.pk), str(inside_last.pk)]


def test_other_merchants_orders_are_not_exported(merchant, other_merchant, status):
    mine = factories.make_order(merchant, status, UNTIL - dt.timedelta(hours=1))
    theirs_status = factories.make_status(other_merchant, "Theirs")
    factories.make_order(other_merchant, theirs_status, UNTIL - dt.timedelta(hours=1))

    rows = parse(export(merchant)[1])

    assert [r["order_id"] for r in rows] == [str(mine.pk)]


def test_empty_window_gives_only_the_header(merchant):
    stats, data = export(merchant)
    assert stats.rows == 0
    assert parse(data) == []
    assert data.startswith(BOM + b"order_id,")


@pytest.fixture
def on_postgresql():
    if connection.vendor != "postgresql":
        pytest.skip("the COPY path is PostgreSQL's (DATABASE_URL)")


@pytest.fixture
def through_the_orm(monkeypatch):
    """Exports read through the ORM, as on a database other than PostgreSQL."""
    monkeypatch.setattr(csv_copy, "copied_chunks", csv_export.orm_chunks)


@pytest.mark.parametrize("orders", [3, 25])
def test_orm_queries_do_not_grow_with_orders_within_a_chunk(
    merchant, status, orders, through_the_orm, django_assert_max_num_queries
):
    for n in range(orders):
        factories.make_order(merchant, status, UNTIL - dt.timedelta(minutes=n + 1), items=3)

    # Status names, orders, items of the one chunk.
    with django_assert_max_num_queries(3):
        stats, _ = export(merchant)
    assert stats.rows == orders


def test_orm_chunks_cost_one_items_query_each_and_keep_every_row(
    merchant, status, through_the_orm, django_assert_max_num_queries
):
    for n in range(25):
        factories.make_order(merchant, status, UNTIL - dt.timedelta(minutes=n + 1), items=2)

    with django_assert_max_num_queries(2 + 3):
        stats, data = export(merchant, chunk_size=10)
    rows = parse(data)
    assert stats.rows == len(rows) == 25
    assert all(r["item_count"] == "2" for r in rows)
    assert len({r["order_id"] for r in rows}) == 25


def test_on_postgresql_one_copy_reads_every_chunk_without_a_query(
    merchant, status, on_postgresql, django_assert_num_queries
):
    for n in range(25):
        factories.make_order(merchant, status, UNTIL - dt.timedelta(minutes=n + 1), items=2)

    # No status names, orders or items query: the one COPY brings all three, in chunks of 10.
    with django_assert_num_queries(1):
        stats, data = export(merchant, chunk_size=10)
    rows = parse(data)
    assert stats.rows == len(rows) == 25
    assert all(r["item_count"] == "2" for r in rows)
    assert all(r["status"] == "Wysłane" for r in rows)


def test_an_abandoned_export_leaves_the_connection_usable(merchant, status):
    for n in range(5):
        factories.make_order(merchant, status, UNTIL - dt.timedelta(minutes=n + 1))
    chunks = csv_export._iter_chunks(ExportWindow(merchant.pk, SINCE, UNTIL, WARSAW, chunk_size=2))
    next(chunks), next(chunks)  # the header and the first two rows, the COPY still open

    chunks.close()

    assert Order.objects.filter(merchant=merchant).count() == 5


# Cells a spreadsheet or a CSV parser can trip over, and the values a database prints its own
# way (trailing zeros, negative amounts, a lone backslash-dot that COPY's text format quotes).
AWKWARD_TEXTS = [
    "",
    " ",
    "plain",
    'Kowalski, Jan "JK"',
    "line\nbreak",
    "line\r\nbreak",
    "\rcarriage",
    "\ttab first",
    "=SUM(A1)",
    "+48 600 100 200",
    "-minus",
    "@at",
    "'already quoted",
    "\\.",
    "back\\slash",
    "Zażółć gęślą jaźń ✓ 🦄",
    "trailing space ",
    ";",
]
AWKWARD_QUANTITIES = ["0", "1.500", "10.000", "0.125", "123456789.000", "-2.000"]
AWKWARD_PRICES = ["0.00", "10.50", "-1.50", "99999999.99", "0.01"]
ZONES = ["Europe/Warsaw", "UTC", "America/St_Johns", "Asia/Kathmandu", "Pacific/Chatham"]


def awkward_orders(merchant, status, other_status, count: int = 40) -> None:
    """Orders with every awkward cell, around Warsaw's change to winter time."""
    text_fields = ORDER_FIELDS[TEXT_SLICE]
    texts = AWKWARD_TEXTS
    for n in range(count):
        changed = dt.datetime(2026, 10, 25, 0, 30, tzinfo=dt.UTC) + dt.timedelta(
            minutes=17 * n, microseconds=999_999 * (n % 2)
        )
        fields = {
            name: texts[(n + i) % len(texts)][: Order._meta.get_field(name).max_length]
            for i, name in enumerate(text_fields)
        }
        order = Order.objects.create(
            merchant=merchant,
            status=other_status if n % 7 == 3 else status,
            status_changed_at=changed,
            created_at=changed - dt.timedelta(days=n, seconds=n),
            source=texts[n % len(texts)][:50] or "shop",
            external_id=texts[(n + 3) % len(texts)],
            currency=("PLN", "=1+", "")[n % 3],
            delivery_price=Decimal(AWKWARD_PRICES[n % len(AWKWARD_PRICES)]),
            total_gross=Decimal(AWKWARD_PRICES[(n + 1) % len(AWKWARD_PRICES)]),
            paid=Decimal(AWKWARD_PRICES[(n + 2) % len(AWKWARD_PRICES)]),
            **fields,
        )
        OrderItem.objects.bulk_create(
            OrderItem(
                order=order,
                name=texts[(n + k) % len(texts)] or "unnamed",
                sku=texts[(n + 2 * k) % len(texts)][:100],
                quantity=Decimal(AWKWARD_QUANTITIES[(n + k) % len(AWKWARD_QUANTITIES)]),
                unit_price_gross=Decimal(AWKWARD_PRICES[(n + k) % len(AWKWARD_PRICES)]),
            )
            for k in range(n % 4)  # some orders have no items
        )


@pytest.mark.parametrize("zone", ZONES)
def test_the_copy_and_the_orm_write_the_same_bytes(
    merchant, other_merchant, status, zone, on_postgresql, monkeypatch
):
    awkward_orders(merchant, status, factories.make_status(other_merchant, "=Theirs"))
    since = dt.datetime(2026, 9, 1, tzinfo=dt.UTC)
    until = dt.datetime(2026, 11, 1, tzinfo=dt.UTC)
    tz = zoneinfo.ZoneInfo(zone)

    copied, copied_data = export(merchant, since, until, tz, chunk_size=7)
    monkeypatch.setattr(csv_copy, "copied_chunks", csv_export.orm_chunks)
    read, read_data = export(merchant, since, until, tz, chunk_size=7)

    assert copied_data == read_data
    assert copied == read
    assert copied.rows == 40
    rows = parse(copied_data)
    assert {r["status"] for r in rows} == {"Wysłane", ""}
    assert {r["items"][:1] for r in rows} >= {"", "'", "0", "1"}


def test_orders_csv_filename_uses_the_local_time():
    moment = dt.datetime(2026, 11, 23, 1, 0, 13, tzinfo=dt.UTC)
    assert orders_csv_filename(moment, WARSAW) == "orders_2026-11-23_02-00-13.csv"
    assert orders_csv_filename(moment, dt.UTC) == "orders_2026-11-23_01-00-13.csv"
