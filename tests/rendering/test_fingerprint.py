from __future__ import annotations

import hashlib
from decimal import Decimal

from django.utils import translation

from documents.models import Invoice, Receipt
from documents.pdf import document_fingerprint
from tests.rendering import factories


def reload(doc):
    return type(doc).objects.prefetch_related("items").get(pk=doc.pk)


def test_fingerprint_is_a_sha256_hex(invoice):
    fingerprint = document_fingerprint(invoice)
    assert len(fingerprint) == 64
    int(fingerprint, 16)


def test_unchanged_document_keeps_its_fingerprint(invoice):
    before = document_fingerprint(reload(invoice))
    invoice.save()  # touches updated_at only
    assert document_fingerprint(reload(invoice)) == before


def test_changed_item_changes_the_fingerprint(invoice):
    before = document_fingerprint(reload(invoice))
    item = invoice.items.first()
    item.quantity += 1
    item.save()
    assert document_fingerprint(reload(invoice)) != before


def test_renamed_item_changes_the_fingerprint(receipt):
    before = document_fingerprint(reload(receipt))
    item = receipt.items.first()
    item.name += " (corrected)"
    item.save()
    assert document_fingerprint(reload(receipt)) != before


def test_added_item_and_changed_buyer_change_the_fingerprint(invoice):
    before = document_fingerprint(reload(invoice))
    invoice.buyer_tax_id = "PT999999990"
    invoice.save()
    after_buyer = document_fingerprint(reload(invoice))
    invoice.items.create(
        name="Extra",
        quantity=1,
        unit_price_net=Decimal("1.00"),
        total_net=Decimal("1.00"),
        total_gross=Decimal("1.23"),
    )
    after_item = document_fingerprint(reload(invoice))
    assert len({before, after_buyer, after_item}) == 3


def test_equal_amounts_written_differently_give_the_same_fingerprint(invoice):
    loaded = reload(invoice)
    before = document_fingerprint(loaded)
    loaded.total_net = Decimal(str(loaded.total_net) + "0")
    assert document_fingerprint(loaded) == before


def test_invoice_and_receipt_with_the_same_data_differ(merchant):
    invoice = factories.make_invoice(merchant, "X 1", items=1)
    receipt = factories.make_receipt(merchant, "X 1", items=1)
    assert document_fingerprint(reload(invoice)) != document_fingerprint(reload(receipt))


def test_template_version_is_part_of_the_fingerprint(invoice, monkeypatch):
    before = document_fingerprint(reload(invoice))
    monkeypatch.setattr("documents.pdf.PRINT_TEMPLATE_VERSION", "test-next")
    assert document_fingerprint(reload(invoice)) != before


def test_api_invoice_fingerprint_is_the_sha256_of_its_pdf(merchant):
    content = b"%PDF-1.7 api"
    invoice = factories.make_api_invoice(merchant, "API 1", content)
    loaded = Invoice.objects.get(pk=invoice.pk)
    assert document_fingerprint(loaded) == hashlib.sha256(content).hexdigest()


def test_receipt_fingerprint_ignores_ids_and_timestamps(merchant, other_merchant):
    first = factories.make_receipt(merchant, "PAR 1", items=2)
    second = factories.make_receipt(other_merchant, "PAR 1", items=2)
    Receipt.objects.filter(pk=second.pk).update(created_at=first.created_at.replace(year=2020))
    # Same content in different rows: ids, uuids and timestamps are not part of the print.
    assert first.uuid != second.uuid
    assert document_fingerprint(reload(first)) == document_fingerprint(reload(second))


def test_language_is_not_part_of_the_fingerprint(invoice, merchant):
    """A merchant who changes language must not get a second copy of every document."""
    before = document_fingerprint(reload(invoice))
    merchant.language = "pt-br"
    merchant.save(update_fields=["language"])
    with translation.override("pt-br"):
        assert document_fingerprint(reload(invoice)) == before
