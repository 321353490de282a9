"""The cheaper print layout shows what the previous one showed, on as many pages.

The previous layout had one table cell per figure. The templates still write that markup for
a row whose figures cannot be set as one line, and for the browser: with ``aligned_line``
made to give up on every row, they give the previous layout, rendered here the naive way.
"""

from __future__ import annotations

import io
from collections import Counter
from decimal import Decimal

import pytest
from django.utils import translation
from pypdf import PdfReader

from documents import pdf, print_blocks, printing
from documents.models import Invoice
from documents.print_columns import Column, aligned_heading, aligned_line, print_font_metrics
from tests.rendering import factories


@pytest.fixture
def one_cell_per_figure(monkeypatch):
    """Render with the previous layout: every figure in a cell of its own."""

    def render(doc) -> bytes:
        with monkeypatch.context() as patch:
            patch.setattr(printing, "aligned_line", lambda *args, **kwargs: None)
            patch.setattr(printing, "aligned_heading", lambda *args, **kwargs: None)
            patch.setattr(printing, "aligned_row", lambda *args, **kwargs: None)
            patch.setattr(print_blocks, "pdf_blocks", lambda context: {})
            html = printing.render_print_html(doc, for_pdf=True)
            assert 'class="figures' not in html
            assert 'class="item"' not in html
            assert '<table class="facts">' in html and '<table class="doc-head">' in html
            return pdf._write_with_defaults(html)

    return render


def words_per_page(content: bytes) -> list[list[str]]:
    """Each page's words in reading order; spaces of any width separate words alike."""
    return [page.extract_text().split() for page in PdfReader(io.BytesIO(content)).pages]


def same_words(new: list[str], old: list[str], heading_words: set[str], in_order: bool) -> bool:
    """The same words, in the same order except for the item table's heading: its labels
    are now one text read line by line, where each cell's label used to be read in turn (as
    is a row whose name takes two lines: its figures now come after the name's first line)."""
    if Counter(new) != Counter(old):
        return False
    return not in_order or [w for w in new if w not in heading_words] == [
        w for w in old if w not in heading_words
    ]


def names_fit_on_one_line(doc) -> bool:
    _, context = printing.print_template_and_context(doc, for_pdf=True)
    return not any("\n" in (row["line"] or "") for row in context["items"])


def heading_words(doc) -> set[str]:
    """The item table's labels, and the amount due: the previous layout floated it to the
    right of its label, and a float's text is read before the page's other text."""
    _, context = printing.print_template_and_context(doc, for_pdf=False)
    labels = {word for cell in context["heading"]["cells"] for word in cell["label"].split()}
    return labels | set(context.get("amount_due", "").split())


@pytest.fixture
def documents(merchant):
    long_unit = factories.make_invoice(merchant, "FV 4/11/2026", items=2)
    long_unit.items.update(unit="Stück (Karton à 12)")
    big_amount = factories.make_receipt(merchant, "PAR 4/11/2026", items=1)
    big_amount.items.update(total_gross=Decimal("123456789012.00"))
    return [
        factories.make_invoice(merchant, "FV 1/11/2026", items=3),
        factories.make_invoice(merchant, "FV 2/11/2026", items=80),
        factories.make_invoice(merchant, "FV 3/11/2026", items=7, currency="EUR"),
        factories.make_receipt(merchant, "PAR 1/11/2026", items=2),
        factories.make_receipt(merchant, "PAR 2/11/2026", items=60),
        Invoice.objects.get(pk=long_unit.pk),
        big_amount,
    ]


@pytest.mark.parametrize("language", ["en", "pt-br", "pl"])
def test_new_layout_has_the_words_and_pages_of_the_previous_one(
    documents, language, one_cell_per_figure
):
    with translation.override(language):
        new = pdf.render_pdfs(documents)
        for doc, rendered in zip(documents, new, strict=True):
            old_pages = words_per_page(one_cell_per_figure(doc))
            new_pages = words_per_page(rendered.content)
            assert len(new_pages) == len(old_pages), doc.number
            for new_words, old_words in zip(new_pages, old_pages, strict=True):
                in_order = names_fit_on_one_line(doc)
                assert same_words(new_words, old_words, heading_words(doc), in_order), doc.number
    assert len(old_pages) == 1
    assert len(words_per_page(new[1].content)) > 2


def test_rows_are_one_line_of_figures_unless_a_figure_does_not_fit(documents):
    regular, long_unit = documents[0], documents[5]
    html = printing.render_print_html(regular, for_pdf=True)
    assert html.count('class="item"') == 3  # a row: position, name and figures
    assert html.count('class="figures"') == 1  # the item table's heading
    assert "<colgroup>" not in html and "colspan" not in html  # one text per row
    assert html.count('class="num"') == 0
    # The small tables as blocks of text: facts, VAT summary, totals, amount due, heading.
    for block in ("facts", "summary-head", "summary-lines", "totals-lines", "grand-total"):
        assert html.count(f'<p class="{block}">') == 1, block
    assert '<p class="amount-due">' in html and '<div class="doc-head">' in html
    assert html.count("<table") == 3  # items, the parties' two boxes, the closing's columns

    fallback = printing.render_print_html(long_unit, for_pdf=True)
    assert fallback.count('class="num"') == 2 * 6  # one cell per figure; the unit is text
    assert "<colgroup>" in fallback


def test_the_browser_print_keeps_one_cell_per_figure(documents):
    html = printing.render_print_html(documents[0], for_pdf=False)
    assert 'class="figures"' not in html
    assert '<table class="facts">' in html and '<table class="summary">' in html
    assert 'class="item"' not in html
    assert html.count('class="num"') == 3 * 6


def test_aligned_figures_end_at_their_columns_edges():
    metrics = print_font_metrics()
    columns = [Column(10, 9), Column(12, 10, "left"), Column(40, 20)]
    values = ["7", "kg", "1,234.50"]
    line = aligned_line(values, columns, 8.5)
    assert line is not None
    units_per_mm = metrics.units_per_em / (8.5 * 25.4 / 72)
    ends = []
    position = 0
    rest = line
    for value in values:
        start = rest.index(value)
        position += metrics.text_units(rest[:start])
        ends.append((position, position + metrics.text_units(value)))
        position += metrics.text_units(value)
        rest = rest[start + len(value) :]
    assert abs(ends[0][1] - 10 * units_per_mm) <= 2
    assert abs(ends[1][0] - 12 * units_per_mm) <= 2
    assert abs(ends[2][1] - 40 * units_per_mm) <= 2
    assert " " not in line.replace("1,234.50", "")  # only spaces CSS never collapses


def test_headings_wrap_in_their_columns_and_sit_on_the_last_line():
    columns = [Column(0, 10, "left"), Column(40, 14)]
    heading = aligned_heading(["Qty", "Unit net price"], columns, 7.5, bold=True)
    assert heading is not None
    first, second = heading.split("\n")
    assert first.split() == ["Unit", "net"]
    assert second.split() == ["Qty", "price"]
    assert aligned_heading(["Quantidadeeeeeeeeeee"], [Column(0, 10, "left")], 7.5) is None


def test_no_aligned_line_for_what_the_font_lacks_or_a_column_cannot_hold():
    assert aligned_line(["шт"], [Column(10, 9)], 8.5) is None
    assert aligned_line(["123,456,789.00"], [Column(10, 9)], 8.5) is None
    assert aligned_line(["a\tb"], [Column(10, 9)], 8.5) is None


def test_blocks_give_way_to_tables_for_what_they_cannot_measure():
    assert print_blocks.facts_lines([("Issue date", "2026-11-12")]) is not None
    assert print_blocks.facts_lines([("Дата", "2026-11-12")]) is None
    assert print_blocks.facts_lines([("Payment method", "x" * 400)]) is None
    assert print_blocks.issuer_fits_one_line("Sklep Żółta Łódź sp. z o.o.")
    assert not print_blocks.issuer_fits_one_line("Sklep Żółta Łódź sp. z o.o. " * 4)
    assert print_blocks.amount_due_line("Amount due", "1,234.50 PLN") is not None
    assert print_blocks.amount_due_line("Amount due", "1" * 60) is None
