"""The large-document bench measures both sides of its page-cost ratio alike, and leaves
nothing behind for the nights."""

import pytest

from accounts.models import Merchant
from bench.pdf_large import _repeat_for, pdf_large_figures
from documents.models import Invoice
from tests.rendering import factories


def test_both_sides_of_the_ratio_take_the_best_of_the_same_number_of_renders():
    # The two-page invoice has 30 items: best of 5; the ratio's 1,000-item one must match.
    assert _repeat_for(30, 1000, 5) == 5
    assert _repeat_for(1000, 1000, 5) == 5


def test_other_large_invoices_render_once_and_small_ones_repeat():
    assert _repeat_for(5000, 1000, 5) == 1
    assert _repeat_for(100, 1000, 5) == 5
    assert _repeat_for(40, 40, 1) == 1


@pytest.mark.django_db
def test_the_large_invoices_are_gone_once_measured():
    merchant = Merchant.objects.create(name="Loja Azul")
    seeded = factories.make_invoice(merchant, "FV 1/11/2026", items=2)

    figures = pdf_large_figures(merchant, (10,), repeat=1)

    assert figures["sizes"]["10"]["pages"] == 1
    # The next night copies the merchant's latest invoices: only the seeded one is left.
    assert list(Invoice.objects.filter(merchant=merchant)) == [seeded]
