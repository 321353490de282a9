from __future__ import annotations

import io
import re
from datetime import UTC, datetime, timedelta

import pytest
from django.core.management import CommandError, call_command
from django.forms.models import model_to_dict
from pypdf import PdfReader

from accounts.models import Merchant, User
from documents import demo
from documents.models import Invoice, InvoiceItem, Order, OrderStatus, Receipt

pytestmark = pytest.mark.django_db

NOW = datetime(2026, 11, 23, 2, 0, 13, tzinfo=UTC)
SMALL = {"merchants": 2, "orders": 60, "invoices": 12, "receipts": 8, "months": 2}
# Set by Django on insert, or database ids: the only fields allowed to differ between runs.
VOLATILE = {"id", "created_at_auto", "updated_at", "received_at", "password", "last_login"}


def row(obj, drop=()) -> dict:
    data = model_to_dict(obj)
    for name in ("id", "merchant", "updated_at", *drop):
        data.pop(name, None)
    data["uuid"] = str(getattr(obj, "uuid", ""))
    return data


def canonical_dump() -> list:
    """Everything seeded, with ids replaced by stable keys, in a stable order."""
    dump = []
    for user in User.objects.select_related("merchant").order_by("email"):
        merchant = user.merchant
        orders = Order.objects.filter(merchant=merchant).select_related("status").order_by("uuid")
        uuid_of_order = {o.pk: str(o.uuid) for o in orders}
        dump.append(
            {
                "email": user.email,
                "merchant": merchant.name,
                "external": merchant.external_accounting_enabled,
                "statuses": list(
                    OrderStatus.objects.filter(merchant=merchant).values_list("name", "position")
                ),
                "orders": [
                    {
                        **row(o, drop=("status",)),
                        "status": o.status.name,
                        "items": [row(i, drop=("order",)) for i in o.items.all()],
                    }
                    for o in orders
                ],
                "invoices": [
                    {
                        **row(inv, drop=("order",)),
                        "order": uuid_of_order.get(inv.order_id),
                        "items": [row(i, drop=("invoice",)) for i in inv.items.all()],
                        "pdf": getattr(getattr(inv, "api_pdf", None), "sha256", None),
                    }
                    for inv in Invoice.objects.filter(merchant=merchant).order_by("uuid")
                ],
                "receipts": [
                    {
                        **row(r, drop=("order",)),
                        "order": uuid_of_order.get(r.order_id),
                        "items": [row(i, drop=("receipt",)) for i in r.items.all()],
                    }
                    for r in Receipt.objects.filter(merchant=merchant).order_by("uuid")
                ],
            }
        )
    return dump


def test_same_seed_gives_the_same_data():
    demo.seed(**SMALL, seed=7, now=NOW)
    first = canonical_dump()
    Merchant.objects.all().delete()
    User.objects.all().delete()

    demo.seed(**SMALL, seed=7, now=NOW)
    second = canonical_dump()

    assert first == second
    assert len(first[0]["orders"]) == 60
    assert first[0]["orders"][0]["items"]


def test_another_seed_gives_other_data():
    demo.seed(**SMALL, seed=7, now=NOW)
    first = canonical_dump()
    Merchant.objects.all().delete()
    User.objects.all().delete()

    demo.seed(**SMALL, seed=8, now=NOW)

    second = canonical_dump()
    assert [m["email"] for m in first] == [m["email"] for m in second]
    assert first[0]["orders"] != second[0]["orders"]


def test_counts_in_the_backup_windows_are_exact():
    merchants = demo.seed(
        merchants=2,
        orders=200,
        orders_in_window=120,
        invoices=50,
        invoices_this_month=40,
        receipts=30,
        receipts_this_month=20,
        api_invoices=4,
        external_invoices=3,
        months=3,
        now=NOW,
    )
    first_of_month = NOW.date().replace(day=1)
    window_start = NOW - timedelta(days=30)

    for merchant in merchants:
        orders = Order.objects.filter(merchant=merchant)
        assert orders.count() == 200
        assert orders.filter(status_changed_at__gte=window_start).count() == 120
        assert orders.filter(status_changed_at__gt=NOW).count() == 0
        assert orders.filter(status_changed_at__lt=NOW - timedelta(days=61)).count() == 0
        kept = Invoice.objects.filter(merchant=merchant).exclude(source=Invoice.Source.EXTERNAL)
        assert kept.count() == 50
        assert kept.filter(issue_date__gte=first_of_month).count() == 40
        assert kept.filter(issue_date__gt=NOW.date()).count() == 0
        api = kept.filter(source=Invoice.Source.API)
        assert api.count() == 4
        assert api.filter(issue_date__gte=first_of_month).count() == 4
        external = Invoice.objects.filter(merchant=merchant, source=Invoice.Source.EXTERNAL)
        assert external.count() == 3
        assert external.filter(issue_date__gte=first_of_month).count() == 0
        receipts = Receipt.objects.filter(merchant=merchant)
        assert receipts.count() == 30
        assert receipts.filter(issue_date__gte=first_of_month).count() == 20
        assert receipts.filter(issue_date__lt=first_of_month.replace(month=8)).count() == 0


def test_documents_are_numbered_per_month_and_api_pdfs_are_real():
    demo.seed(**SMALL, now=NOW)

    for invoice in Invoice.objects.all():
        match = re.fullmatch(r"FV (\d+)/(\d{2})/(\d{4})", invoice.number)
        assert match, invoice.number
        assert (int(match[2]), int(match[3])) == (invoice.issue_date.month, invoice.issue_date.year)
    for receipt in Receipt.objects.all():
        assert re.fullmatch(r"PAR \d+/\d{2}/\d{4}", receipt.number)
    nov = sorted(
        int(n.split()[1].split("/")[0])
        for n in Receipt.objects.filter(
            merchant__users__email=demo.DEMO_EMAIL, issue_date__month=11
        ).values_list("number", flat=True)
    )
    assert nov == list(range(1, len(nov) + 1))
    api = Invoice.objects.filter(source=Invoice.Source.API)
    assert api.exists()
    for invoice in api:
        reader = PdfReader(io.BytesIO(bytes(invoice.api_pdf.content)))
        assert invoice.number in reader.pages[0].extract_text()


def test_data_is_varied():
    demo.seed(merchants=3, orders=300, now=NOW, external_accounting_merchants=(2,))

    assert set(Order.objects.values_list("currency", flat=True)) >= {"PLN", "EUR", "GBP", "BRL"}
    sources = set(Order.objects.values_list("source", flat=True))
    assert {"Allegro", "eBay", "Sklep internetowy", "Own shop"} <= sources
    assert any(s.startswith("Amazon") for s in sources)
    names = " ".join(Order.objects.values_list("buyer_name", flat=True))
    assert re.search(r"[łąęśżźćńó]", names)  # Polish
    assert re.search(
        r"[ãçõ]", names + " ".join(Order.objects.values_list("delivery_city", flat=True))
    )
    status_names = set(OrderStatus.objects.values_list("name", flat=True))
    assert {"Opłacone", "Shipped", "Delivered", "Cancelled", "Entregue"} <= status_names
    spread = Order.objects.order_by("status_changed_at").values_list("status_changed_at", flat=True)
    assert spread.last() - spread.first() > timedelta(days=45)
    third = Merchant.objects.get(users__email="merchant3@example.com")
    assert third.external_accounting_enabled
    languages = dict(Merchant.objects.values_list("name", "language"))
    assert languages["Loja Exemplo Comércio Ltda."] == "pt-br"
    assert languages["Sklep Demo sp. z o.o."] == "pl"
    assert languages["Northbridge Trading Ltd"] == "en"
    polish_units = InvoiceItem.objects.filter(invoice__merchant__name="Sklep Demo sp. z o.o.")
    assert set(polish_units.values_list("unit", flat=True)) == {"szt."}
    assert not Invoice.objects.filter(merchant=third).exclude(source="external").exists()


def test_month_boundary_right_after_midnight_on_the_first():
    first = datetime(2026, 12, 1, 0, 5, tzinfo=UTC)

    demo.seed(merchants=1, orders=10, invoices=8, invoices_this_month=4, receipts=4,
                   receipts_this_month=2, api_invoices=1, now=first)  # fmt: skip

    this_month = Invoice.objects.filter(issue_date=first.date()).exclude(source="external")
    assert this_month.count() == 4
    assert Receipt.objects.filter(issue_date=first.date()).count() == 2


def test_inconsistent_sizes_are_refused():
    with pytest.raises(ValueError, match="orders_in_window"):
        demo.seed(merchants=1, orders=10, orders_in_window=11, now=NOW)
    with pytest.raises(ValueError, match="api_invoices"):
        demo.seed(merchants=1, invoices=5, invoices_this_month=1, api_invoices=2, now=NOW)
    assert not Merchant.objects.exists()


def test_command_creates_the_demo_login_and_respects_if_empty():
    out = io.StringIO()
    call_command("seed_demo", "--merchants=2", "--orders=20", "--invoices=6", "--receipts=4",
                 "--now=2026-11-23T02:00:00+00:00", stdout=out)  # fmt: skip

    owner = User.objects.get(email=demo.DEMO_EMAIL)
    assert owner.check_password(demo.DEMO_PASSWORD)
    assert User.objects.get(email="merchant2@example.com").merchant != owner.merchant
    assert Order.objects.filter(merchant=owner.merchant).count() == 20
    assert demo.DEMO_EMAIL in out.getvalue()

    call_command("seed_demo", "--if-empty", stdout=io.StringIO())
    assert Merchant.objects.count() == 2

    with pytest.raises(CommandError, match="exist already"):
        call_command("seed_demo", "--merchants=1", stdout=io.StringIO())

    call_command("seed_demo", "--merchants=2", "--orders=5", "--reset", stdout=io.StringIO())
    assert Merchant.objects.count() == 2
    assert Order.objects.count() == 10
