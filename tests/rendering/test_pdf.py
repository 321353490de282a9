from __future__ import annotations

import io
import shutil
import subprocess
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
from django.db import connections
from pypdf import PdfReader

from documents import pdf
from documents.filenames import document_filename
from documents.models import Invoice, Receipt
from tests.rendering import factories


def pdf_pages_text(content: bytes) -> list[str]:
    return [page.extract_text() for page in PdfReader(io.BytesIO(content)).pages]


def embedded_font_programs(content: bytes) -> list[bytes]:
    """The font files every page's fonts point at, read from this PDF alone."""
    programs = []
    for page in PdfReader(io.BytesIO(content)).pages:
        fonts = page["/Resources"]["/Font"]
        for ref in fonts.values():
            font = ref.get_object()
            descendant = font["/DescendantFonts"][0].get_object()
            descriptor = descendant["/FontDescriptor"].get_object()
            programs.append(descriptor["/FontFile2"].get_object().get_data())
    return programs


@pytest.fixture
def batch(merchant):
    """A mix of short documents with an 80-line (several pages) invoice in the middle."""
    return [
        factories.make_invoice(merchant, "FV 1/11/2026", items=2),
        factories.make_receipt(merchant, "PAR 1/11/2026", items=3),
        factories.make_invoice(merchant, "FV 2/11/2026", items=80),
        factories.make_invoice(merchant, "FV 3/11/2026", items=5, currency="EUR"),
        factories.make_receipt(merchant, "PAR 2/11/2026", items=1),
    ]


def pages_as_png(content: bytes, workdir: Path, name: str) -> list[bytes]:
    """Every page of a PDF drawn by poppler, as PNG bytes: what a reader of the file sees."""
    source = workdir / f"{name}.pdf"
    source.write_bytes(content)
    subprocess.run(["pdftoppm", "-png", "-r", "60", source, workdir / name], check=True)
    return [png.read_bytes() for png in sorted(workdir.glob(f"{name}-*.png"))]


def test_fast_and_naive_renders_have_the_same_pages_and_text(batch):
    naive = [pdf.render_pdf_naive(doc) for doc in batch]
    fast = pdf.render_pdfs(batch)

    assert [f.filename for f in fast] == [f.filename for f in naive]
    for fast_file, naive_file in zip(fast, naive, strict=True):
        assert fast_file.mimetype == naive_file.mimetype == "application/pdf"
        assert pdf_pages_text(fast_file.content) == pdf_pages_text(naive_file.content)
    page_counts = [len(PdfReader(io.BytesIO(f.content)).pages) for f in fast]
    assert page_counts[2] > 1
    assert page_counts[0] == page_counts[1] == 1


@pytest.mark.skipif(shutil.which("pdftoppm") is None, reason="needs poppler-utils (pdftoppm)")
def test_fast_unbatched_and_naive_renders_look_the_same(batch, tmp_path):
    naive = [pdf.render_pdf_naive(doc) for doc in batch]
    unbatched = [pdf.render_pdf_unbatched(doc) for doc in batch]
    fast = pdf.render_pdfs(batch)

    for index, files in enumerate(zip(naive, unbatched, fast, strict=True)):
        naive_pages, unbatched_pages, fast_pages = (
            pages_as_png(f.content, tmp_path, f"{index}-{kind}")
            for f, kind in zip(files, ("naive", "unbatched", "fast"), strict=True)
        )
        assert naive_pages
        assert fast_pages == naive_pages
        assert unbatched_pages == naive_pages


def test_fast_pdfs_are_the_naive_pdfs_byte_for_byte(batch):
    """Each file embeds only its own document's font subset: no byte more in Drive."""
    naive = [pdf.render_pdf_naive(doc).content for doc in batch]

    assert [f.content for f in pdf.render_pdfs(batch)] == naive


def test_each_pdf_is_complete_on_its_own(batch):
    files = pdf.render_pdfs(batch)

    for doc, rendered in zip(batch, files, strict=True):
        assert rendered.filename == document_filename(doc.number)
        assert rendered.content.startswith(b"%PDF-")
        text = "\n".join(pdf_pages_text(rendered.content))
        assert doc.number in text
        assert f"{doc.total_gross:,.2f} {doc.currency}" in text
        programs = embedded_font_programs(rendered.content)
        assert programs
        assert all(len(program) > 1000 for program in programs)
        assert PdfReader(io.BytesIO(rendered.content)).metadata.title == doc.number


def test_documents_of_another_batch_do_not_leak_into_a_pdf(batch):
    files = pdf.render_pdfs(batch)

    first_text = "\n".join(pdf_pages_text(files[0].content))
    assert "FV 2/11/2026" not in first_text
    assert "PAR 1/11/2026" not in first_text


def test_batches_smaller_than_the_input_give_the_same_pdfs(batch, monkeypatch):
    whole = pdf.render_pdfs(batch)
    monkeypatch.setattr(pdf, "RENDER_BATCH_SIZE", 2)
    chunked = pdf.render_pdfs(batch)

    assert [pdf_pages_text(f.content) for f in chunked] == [
        pdf_pages_text(f.content) for f in whole
    ]


def test_same_input_gives_the_same_bytes(invoice):
    assert pdf.render_pdfs([invoice])[0].content == pdf.render_pdfs([invoice])[0].content
    assert pdf.render_pdf_naive(invoice).content == pdf.render_pdf_naive(invoice).content
    assert pdf.render_pdf_unbatched(invoice).content == pdf.render_pdf_unbatched(invoice).content


def test_invoice_print_shows_what_an_eu_vat_invoice_needs(invoice):
    text = "\n".join(pdf_pages_text(pdf.render_pdf_naive(invoice).content))

    for expected in [
        "VAT invoice",
        "FV 12/11/2026",
        "2026-11-12",
        "2026-11-26",
        "PL5252248481",
        "PT501964843",
        "Sklep Żółta Łódź sp. z o.o.",
        "João Conceição Araújo",
        "Kubek ceramiczny „Gżegżółka” 350 ml",
        "23%",
        "Amount due",
        f"{invoice.total_gross:,.2f} PLN",
        f"{invoice.total_net:,.2f} PLN",
    ]:
        assert expected in text


def test_receipt_print_says_it_is_not_fiscal(receipt):
    text = "\n".join(pdf_pages_text(pdf.render_pdf_naive(receipt).content))

    assert "Non-fiscal receipt" in text
    assert "PAR 7/11/2026" in text
    assert f"{receipt.total_gross:,.2f} PLN" in text


def test_api_invoice_is_returned_as_received(merchant, invoice):
    stored = b"%PDF-1.4\n% the merchant's own print\n%%EOF\n"
    api_invoice = factories.make_api_invoice(merchant, "API 5/2026", stored)

    files = pdf.render_pdfs([invoice, Invoice.objects.get(pk=api_invoice.pk)])

    assert files[1].content == stored
    assert files[1].filename == "API 5_2026.pdf"
    assert files[0].content != stored
    assert pdf.render_pdf_naive(api_invoice).content == stored


def test_external_invoice_is_never_rendered(merchant, invoice):
    external = factories.make_invoice(merchant, "EXT 1/2026", source=Invoice.Source.EXTERNAL)

    with pytest.raises(ValueError, match="external"):
        pdf.render_pdfs([invoice, external])
    with pytest.raises(ValueError, match="external"):
        pdf.render_pdf_naive(external)


def test_items_are_loaded_in_one_query_per_kind(merchant, django_assert_max_num_queries):
    for n in range(4):
        factories.make_invoice(merchant, f"FV {n}/Q", items=2)
        factories.make_receipt(merchant, f"PAR {n}/Q", items=2)
    invoices = list(Invoice.objects.filter(merchant=merchant))
    receipts = list(Receipt.objects.filter(merchant=merchant))

    with django_assert_max_num_queries(2):
        files = pdf.render_pdfs(invoices + receipts)
    assert len(files) == 8


def test_a_queryset_is_accepted(merchant, invoice, receipt):
    files = pdf.render_pdfs(Receipt.objects.filter(merchant=merchant))
    assert [f.filename for f in files] == ["PAR 7_11_2026.pdf"]


def test_empty_input_gives_no_files():
    assert pdf.render_pdfs([]) == []


def test_prints_load_only_the_bundled_fonts():
    fetcher = pdf.BundledFontsOnlyFetcher()
    for url in ["file:///etc/passwd", "http://169.254.169.254/latest/meta-data/", "data:,x"]:
        with pytest.raises(ValueError):
            fetcher.fetch(url)
    font_url = (pdf.FONTS_DIR / pdf.PRINT_FONTS[0][0]).as_uri()
    assert fetcher.fetch(font_url).read(4) == b"\x00\x01\x00\x00"


def test_threads_of_one_process_can_render_at_the_same_time(batch):
    pdf.prefetch_for_print(batch)
    expected = [f.content for f in pdf.render_pdfs(batch)]

    def render_in_thread(_):
        try:
            return pdf.render_pdfs(batch)
        finally:
            # A thread's own database connection would keep the test database busy.
            connections.close_all()

    with ThreadPoolExecutor(3) as pool:
        results = list(pool.map(render_in_thread, range(3)))
    assert all([f.content for f in files] == expected for files in results)
