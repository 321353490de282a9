"""The large-document bench measures both sides of its page-cost ratio alike."""

from bench.pdf_large import _repeat_for


def test_both_sides_of_the_ratio_take_the_best_of_the_same_number_of_renders():
    # The two-page invoice has 30 items: best of 5; the ratio's 1,000-item one must match.
    assert _repeat_for(30, 1000, 5) == 5
    assert _repeat_for(1000, 1000, 5) == 5


def test_other_large_invoices_render_once_and_small_ones_repeat():
    assert _repeat_for(5000, 1000, 5) == 1
    assert _repeat_for(100, 1000, 5) == 5
    assert _repeat_for(40, 40, 1) == 1
