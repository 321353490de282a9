"""The naive render of the first print: ``render_pdf_naive`` as written at commit a2ab3eb.

One ``HTML(string).write_pdf()`` per document with the stylesheet inline and WeasyPrint's
defaults: every call builds a new font configuration, parses the stylesheet and matches
WeasyPrint's whole user-agent stylesheet. The fonts are the project's bundled ones.
"""

from __future__ import annotations

from typing import Any

from weasyprint import HTML

from bench.first_print.printing import Document, render_print_html, stylesheet
from documents.filenames import document_filename
from documents.pdf import (
    FONTS_DIR,
    PDF_MIMETYPE,
    RENDER_LOCK,
    BundledFontsOnlyFetcher,
    RenderedFile,
    is_api_invoice,
    refuse_external_invoice,
    stored_api_pdf,
)

PRINT_FONT_FAMILY = "Print Sans"
PRINT_FONTS = (
    ("PrintSans-Regular.ttf", "normal"),
    ("PrintSans-Bold.ttf", "bold"),
)
PDF_OPTIONS: dict[str, Any] = {
    "hinting": False,
    "optimize_images": False,
    "uncompressed_pdf": False,
}


def font_face_css() -> str:
    rules = [
        f'@font-face {{ font-family: "{PRINT_FONT_FAMILY}"; font-weight: {weight}; '
        f'src: url("{(FONTS_DIR / filename).as_uri()}") format("truetype"); }}'
        for filename, weight in PRINT_FONTS
    ]
    return "\n".join(rules)


def inline_print_stylesheet(html: str) -> str:
    style = f"<style>{font_face_css()}\n{stylesheet()}</style>"
    return html.replace("</head>", style + "</head>", 1)


def write_with_defaults(html: str) -> bytes:
    return HTML(
        string=inline_print_stylesheet(html),
        base_url=FONTS_DIR.as_uri() + "/",
        url_fetcher=BundledFontsOnlyFetcher(),
    ).write_pdf(**PDF_OPTIONS)


def render_pdf_first(doc: Document) -> RenderedFile:
    """One document the way the first implementation printed it."""
    refuse_external_invoice(doc)
    if is_api_invoice(doc):
        return stored_api_pdf(doc)  # type: ignore[arg-type]
    html = render_print_html(doc)
    with RENDER_LOCK:
        content = write_with_defaults(html)
    return RenderedFile(document_filename(doc.number), PDF_MIMETYPE, content)
