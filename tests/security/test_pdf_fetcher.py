"""F5: the print renderer loads nothing but files really inside the bundled fonts folder.

The review found that the fetcher compared URLs as text: `fonts/%2e%2e/.../etc/passwd` starts
with the fonts folder's URL, and `<a rel=attachment>` with it embedded /etc/passwd in a PDF.
"""

from __future__ import annotations

import io
import os

import pytest
from pypdf import PdfReader
from weasyprint import HTML
from weasyprint.urls import FatalURLFetchingError

from documents import pdf

UP = "%2e%2e/" * len(pdf.FONTS_DIR.parts)
ESCAPES = [
    f"{pdf.FONTS_DIR.as_uri()}/{UP}etc/passwd",
    f"{pdf.FONTS_DIR.as_uri()}/%2E%2E/%2E%2E/%2E%2E/%2E%2E/%2E%2E/%2E%2E/%2E%2E/etc/passwd",
    f"{pdf.FONTS_DIR.as_uri()}/../../../../../../../../etc/passwd",
    f"{pdf.FONTS_DIR.as_uri()}/..%2f..%2f..%2f..%2f..%2f..%2f..%2fetc/passwd",
    f"{pdf.FONTS_DIR.as_uri()}/",
    f"file://attacker.example{pdf.FONTS_DIR}/{pdf.PRINT_FONTS[0][0]}",
]


@pytest.mark.parametrize("url", ESCAPES)
def test_a_url_that_leaves_the_fonts_folder_is_refused(url):
    with pytest.raises(ValueError, match="may not load"):
        pdf.BundledFontsOnlyFetcher().fetch(url)


def test_a_link_inside_the_fonts_folder_that_points_outside_is_refused(tmp_path, monkeypatch):
    fonts = tmp_path / "fonts"
    fonts.mkdir()
    (fonts / "Print.ttf").symlink_to("/etc/passwd")
    monkeypatch.setattr(pdf, "FONTS_DIR", fonts)

    with pytest.raises(ValueError):
        pdf.BundledFontsOnlyFetcher().fetch((fonts / "Print.ttf").as_uri())


def test_the_fonts_themselves_still_load():
    for name, _weight in pdf.PRINT_FONTS:
        url = (pdf.FONTS_DIR / name).as_uri()
        assert pdf.BundledFontsOnlyFetcher().fetch(url).read(4) == b"\x00\x01\x00\x00"


def embedded_files(document: bytes) -> list[bytes]:
    """Files a PDF carries: document attachments and file-attachment annotations
    (what WeasyPrint makes of <a rel=attachment>)."""
    reader = PdfReader(io.BytesIO(document))
    found = [data for datas in reader.attachments.values() for data in datas]
    for page in reader.pages:
        for annotation in page.get("/Annots") or []:
            spec = annotation.get_object().get("/FS")
            if spec is not None:
                found.append(spec.get_object()["/EF"]["/F"].get_object().get_data())
    return found


def test_an_attachment_link_embeds_nothing_from_outside():
    html = f'<p>Invoice <a rel="attachment" href="{ESCAPES[0]}">details</a></p>'
    fonts_link = (pdf.FONTS_DIR / pdf.PRINT_FONTS[0][0]).as_uri()
    allowed = f'<p><a rel="attachment" href="{fonts_link}">font</a></p>'

    try:
        document = HTML(string=html, url_fetcher=pdf.BundledFontsOnlyFetcher()).write_pdf()
    except (ValueError, FatalURLFetchingError):
        document = None  # refused outright: nothing embedded either
    control = HTML(string=allowed, url_fetcher=pdf.BundledFontsOnlyFetcher()).write_pdf()

    assert document is None or embedded_files(document) == []
    assert len(embedded_files(control)) == 1, "the check sees an embedded file when there is one"
    assert os.path.exists("/etc/passwd"), "the file the attack reads exists here"
