"""PDF prints of invoices and receipts for the backup (S8, S10, S11).

Every renderer returns a ``RenderedFile(filename, mimetype, content)``.

``render_pdfs`` is the fast path: the process's font configuration and parsed stylesheets
are shared by every document, and each document is written on its own, so its PDF embeds
the subset of the fonts its own text needs and nothing else: the same bytes as the naive
baseline (``render_pdf_naive``). An earlier version wrote a batch of documents as one PDF
and cut it into files; every file then carried the whole batch's font subsets and a shared
resource dictionary, about a third more bytes per document in the merchant's Drive, for a
CPU saving within noise where HarfBuzz subsets the fonts.

Detect changed documents with ``document_fingerprint``, not with PDF hashes.

WeasyPrint (Pango, fontconfig) is not known to be thread-safe, and its font configuration
and parsed stylesheets are shared module-level state here, so all WeasyPrint work of a process
runs under ``RENDER_LOCK``: threads of one process render one after another (they would share
one core through the GIL anyway); processes render in parallel.
"""

from __future__ import annotations

import hashlib
import json
import threading
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass
from decimal import Decimal
from functools import cached_property
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlsplit
from urllib.request import url2pathname

from django.db.models import Model, prefetch_related_objects
from django.template.loader import render_to_string
from weasyprint import CSS, HTML
from weasyprint.text.fonts import FontConfiguration
from weasyprint.urls import URLFetcher

from documents.filenames import document_filename
from documents.models import Invoice, Receipt
from documents.printing import PRINT_TEMPLATE_VERSION, render_print_html

__all__ = [
    "PDF_MIMETYPE",
    "PRINT_TEMPLATE_VERSION",
    "RENDER_BATCH_SIZE",
    "RENDER_LOCK",
    "RenderedFile",
    "document_fingerprint",
    "render_pdf",
    "render_pdf_naive",
    "render_pdf_unbatched",
    "render_pdfs",
]

PDF_MIMETYPE = "application/pdf"

# Documents a caller hands to one ``render_pdfs`` call (the backup chunks its work by it):
# their items are loaded in one query per kind, and the render lock is taken once.
RENDER_BATCH_SIZE = 20

FONTS_DIR = Path(__file__).resolve().parent / "fonts"
PRINT_FONT_FAMILY = "Print Sans"
PRINT_FONTS = (
    ("PrintSans-Regular.ttf", "normal"),
    ("PrintSans-Bold.ttf", "bold"),
)
PRINT_STYLESHEET_TEMPLATE = "documents/print/print.css"
USER_AGENT_STYLESHEET_TEMPLATE = "documents/print/weasyprint-ua.css"

# The same options for the naive and the fast path, so both give the same PDF.
PDF_OPTIONS: dict[str, Any] = {
    "hinting": False,
    "optimize_images": False,
    "uncompressed_pdf": False,
}

RENDER_LOCK = threading.RLock()

Document = Invoice | Receipt


@dataclass(frozen=True)
class RenderedFile:
    filename: str
    mimetype: str
    content: bytes


# --- Fingerprints -------------------------------------------------------------------------


def _canonical(value: Any) -> Any:
    if isinstance(value, Decimal):
        return str(value.normalize())
    if value is None or isinstance(value, str | int | bool):
        return value
    return str(value)


def _fields(obj: Model, names: Iterable[str]) -> dict[str, Any]:
    return {name: _canonical(getattr(obj, name)) for name in names}


_DOCUMENT_FIELDS = (
    "number",
    "issue_date",
    "currency",
    "total_net",
    "total_gross",
    "order_id",
    "seller_name",
    "seller_address",
    "seller_tax_id",
    "buyer_name",
    "buyer_address",
    "buyer_tax_id",
    "payment_method",
)
_INVOICE_FIELDS = ("sale_date", "payment_due", "source")
_INVOICE_ITEM_FIELDS = (
    "name",
    "quantity",
    "unit",
    "unit_price_net",
    "vat_rate",
    "total_net",
    "total_gross",
)
_RECEIPT_ITEM_FIELDS = ("name", "quantity", "unit_price_gross", "vat_rate", "total_gross")


def print_data(doc: Document) -> dict[str, Any]:
    """Everything that goes into the print of a document, as plain JSON-able data.

    The data, not the words around it: the print's language is left out on purpose, so a
    merchant who changes language does not get a second copy of every document (S10).
    """
    if isinstance(doc, Invoice):
        kind, extra_fields, item_fields = "invoice", _INVOICE_FIELDS, _INVOICE_ITEM_FIELDS
    else:
        kind, extra_fields, item_fields = "receipt", (), _RECEIPT_ITEM_FIELDS
    return {
        "kind": kind,
        "template": PRINT_TEMPLATE_VERSION,
        **_fields(doc, _DOCUMENT_FIELDS),
        **_fields(doc, extra_fields),
        "items": [_fields(item, item_fields) for item in doc.items.all()],
    }


def document_fingerprint(doc: Document) -> str:
    """sha256 (hex) of what the print of ``doc`` shows; changes when the document does (S10).

    Not a hash of PDF bytes. For an invoice sent in through the API: the sha256 of its PDF.
    """
    if is_api_invoice(doc):
        api_pdf = doc.api_pdf  # type: ignore[union-attr]
        return api_pdf.sha256 or hashlib.sha256(bytes(api_pdf.content)).hexdigest()
    data = json.dumps(print_data(doc), sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(data.encode("utf-8")).hexdigest()


# --- Document kinds -----------------------------------------------------------------------


def is_api_invoice(doc: Document) -> bool:
    return isinstance(doc, Invoice) and doc.source == Invoice.Source.API


def refuse_external_invoice(doc: Document) -> None:
    if isinstance(doc, Invoice) and doc.source == Invoice.Source.EXTERNAL:
        raise ValueError(
            f"Invoice {doc.pk} ({doc.number!r}) was issued by an external accounting system: "
            "the platform does not keep it and must not print it (S11)."
        )


def stored_api_pdf(invoice: Invoice) -> RenderedFile:
    """An API invoice is backed up as its sender made it, byte for byte."""
    return RenderedFile(
        document_filename(invoice.number), PDF_MIMETYPE, bytes(invoice.api_pdf.content)
    )


def prefetch_for_print(docs: Sequence[Document]) -> None:
    """Items (and stored API PDFs) of all documents in one query per kind, if not loaded."""
    invoices = [doc for doc in docs if isinstance(doc, Invoice)]
    receipts = [doc for doc in docs if isinstance(doc, Receipt)]
    if invoices:
        prefetch_related_objects([d for d in invoices if not is_api_invoice(d)], "items")
        prefetch_related_objects([d for d in invoices if is_api_invoice(d)], "api_pdf")
    if receipts:
        prefetch_related_objects(receipts, "items")


# --- WeasyPrint ---------------------------------------------------------------------------


class BundledFontsOnlyFetcher(URLFetcher):
    """Prints load nothing but the bundled fonts: no network, no other local file."""

    def __init__(self) -> None:
        super().__init__(allowed_protocols=["file"], fail_on_errors=True)

    def fetch(self, url: str, headers: dict | None = None):  # type: ignore[override]
        # Compared as the real path the URL names, not as text: "fonts/%2e%2e/..." or a
        # symbolic link starts with the fonts folder's URL yet names a file outside it.
        return super().fetch(self.bundled_font_path(url).as_uri(), headers)

    @staticmethod
    def bundled_font_path(url: str) -> Path:
        """The real path of a file: URL inside the fonts folder; ValueError for any other."""
        parts = urlsplit(url)
        if parts.scheme != "file" or parts.netloc not in ("", "localhost") or parts.query:
            raise ValueError(f"Prints may not load {url!r}")
        path = Path(url2pathname(unquote(parts.path))).resolve()
        if not path.is_relative_to(FONTS_DIR.resolve()) or not path.is_file():
            raise ValueError(f"Prints may not load {url!r}")
        return path


def font_face_css() -> str:
    rules = [
        f'@font-face {{ font-family: "{PRINT_FONT_FAMILY}"; font-weight: {weight}; '
        f'src: url("{(FONTS_DIR / filename).as_uri()}") format("truetype"); }}'
        for filename, weight in PRINT_FONTS
    ]
    return "\n".join(rules)


class PrintHTML(HTML):
    """An HTML document styled with only the user-agent rules the print templates need."""

    user_agent_stylesheet: CSS

    # A private hook of WeasyPrint's HTML class; if it ever goes away, WeasyPrint's full
    # user-agent stylesheet applies again: same look, slower layout.
    def _ua_stylesheets(self, forms: bool = False) -> list[CSS]:
        return [self.user_agent_stylesheet]


class PrintResources:
    """What every render of the process shares: font configuration, parsed stylesheets."""

    def __init__(self) -> None:
        self.url_fetcher = BundledFontsOnlyFetcher()
        self.font_config = FontConfiguration()
        self.user_agent_stylesheet = CSS(string=render_to_string(USER_AGENT_STYLESHEET_TEMPLATE))

    @cached_property
    def stylesheets(self) -> list[CSS]:
        css = font_face_css() + "\n" + render_to_string(PRINT_STYLESHEET_TEMPLATE)
        return [
            CSS(
                string=css,
                base_url=FONTS_DIR.as_uri() + "/",
                url_fetcher=self.url_fetcher,
                font_config=self.font_config,
            )
        ]

    def layout(self, html: str):
        document = PrintHTML(
            string=html, base_url=FONTS_DIR.as_uri() + "/", url_fetcher=self.url_fetcher
        )
        document.user_agent_stylesheet = self.user_agent_stylesheet
        return document.render(
            font_config=self.font_config, stylesheets=self.stylesheets, **PDF_OPTIONS
        )


_resources: PrintResources | None = None


def print_resources() -> PrintResources:
    """The process's shared resources; call with ``RENDER_LOCK`` held."""
    global _resources
    if _resources is None:
        _resources = PrintResources()
    return _resources


# --- Renderers ----------------------------------------------------------------------------


def render_pdf_naive(doc: Document) -> RenderedFile:
    """The baseline the fast path is measured against: one ``HTML(...).write_pdf()``.

    What a first implementation writes: the print's HTML with its stylesheet inline and
    WeasyPrint's defaults, so every call builds a new font configuration, parses the
    stylesheet and matches WeasyPrint's whole user-agent stylesheet.
    """
    return _render_alone(doc, _write_with_defaults)


def render_pdf_unbatched(doc: Document) -> RenderedFile:
    """One ``write_pdf()`` per document with the process's shared fonts and stylesheets.

    ``render_pdfs`` one document at a time: the benchmark shows what handing it a batch adds
    (items loaded in one query per kind, the render lock taken once).
    """
    return _render_alone(doc, lambda html: print_resources().layout(html).write_pdf(**PDF_OPTIONS))


def _render_alone(doc: Document, write: Callable[[str], bytes]) -> RenderedFile:
    """One document written on its own by ``write(html)``, under the render lock."""
    refuse_external_invoice(doc)
    if is_api_invoice(doc):
        return stored_api_pdf(doc)  # type: ignore[arg-type]
    html = render_print_html(doc, for_pdf=True)
    with RENDER_LOCK:
        content = write(html)
    return RenderedFile(document_filename(doc.number), PDF_MIMETYPE, content)


def _write_with_defaults(html: str) -> bytes:
    return HTML(
        string=inline_print_stylesheet(html),
        base_url=FONTS_DIR.as_uri() + "/",
        url_fetcher=BundledFontsOnlyFetcher(),
    ).write_pdf(**PDF_OPTIONS)


def inline_print_stylesheet(html: str) -> str:
    style = f"<style>{font_face_css()}\n{render_to_string(PRINT_STYLESHEET_TEMPLATE)}</style>"
    return html.replace("</head>", style + "</head>", 1)


def render_pdf(doc: Document) -> RenderedFile:
    """One document through the fast path (what the PDF download view serves)."""
    return render_pdfs([doc])[0]


def render_pdfs(docs: Iterable[Document]) -> list[RenderedFile]:
    """One PDF per document, in the order given; see the module's docstring.

    Accepts model instances (or a queryset); items are loaded in one query per kind unless
    already prefetched. Raises ``ValueError`` for an externally issued invoice (S11).
    """
    docs = list(docs)
    for doc in docs:
        refuse_external_invoice(doc)
    prefetch_for_print(docs)
    results: list[RenderedFile | None] = [None] * len(docs)
    to_render: list[tuple[int, Document]] = []
    for index, doc in enumerate(docs):
        if is_api_invoice(doc):
            results[index] = stored_api_pdf(doc)  # type: ignore[arg-type]
        else:
            to_render.append((index, doc))
    for chunk in _chunks(to_render, RENDER_BATCH_SIZE):
        files = render_batch([doc for _, doc in chunk])
        for (index, _), rendered in zip(chunk, files, strict=True):
            results[index] = rendered
    return results  # type: ignore[return-value]


def _chunks(items: list, size: int) -> Iterator[list]:
    for start in range(0, len(items), size):
        yield items[start : start + size]


def render_batch(docs: Sequence[Document]) -> list[RenderedFile]:
    """Each document laid out and written on its own, with the process's shared resources."""
    htmls = [render_print_html(doc, for_pdf=True) for doc in docs]
    with RENDER_LOCK:
        resources = print_resources()
        contents = [resources.layout(html).write_pdf(**PDF_OPTIONS) for html in htmls]
    return [
        RenderedFile(document_filename(doc.number), PDF_MIMETYPE, content)
        for doc, content in zip(docs, contents, strict=True)
    ]
