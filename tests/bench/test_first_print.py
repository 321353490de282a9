"""The bench's fixed baseline prints the same documents as the project's print.

``bench.first_print`` is the print as first written, frozen: its pages must carry the words
the current print carries, on as many pages, or the speed-up over it compares different work.
"""

from __future__ import annotations

import io
from collections import Counter

import pytest
from django.utils import translation
from pypdf import PdfReader

from bench.first_print.pdf import render_pdf_first
from documents import pdf
from tests.rendering import factories


def words_per_page(content: bytes) -> list[Counter[str]]:
    """Each page's words, whatever spaces separate them; as a count, since the current item
    table's heading is read line by line where the first one's was read cell by cell."""
    return [Counter(page.extract_text().split()) for page in PdfReader(io.BytesIO(content)).pages]


@pytest.fixture
def documents(db):
    merchant = factories.make_merchant("Żółta Łódź")
    return [
        factories.make_invoice(merchant, "FV 1/11/2026", items=3),
        factories.make_invoice(merchant, "FV 2/11/2026", items=30, currency="EUR"),
        factories.make_receipt(merchant, "PAR 1/11/2026", items=2),
    ]


@pytest.mark.parametrize("language", ["en", "pt-br", "pl"])
def test_the_first_print_has_the_words_and_pages_of_the_current_one(documents, language):
    with translation.override(language):
        current = pdf.render_pdfs(documents)
        first = [render_pdf_first(doc) for doc in documents]

    for doc, now, then in zip(documents, current, first, strict=True):
        assert then.filename == now.filename
        pages = words_per_page(then.content)
        assert pages == words_per_page(now.content), doc.number
        assert pages[0][doc.number.split()[0]] >= 2  # the heading's number and the footer's
    assert len(words_per_page(first[1].content)) == 2
