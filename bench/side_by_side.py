"""``python -m bench.side_by_side``: the first print and the current one, page 1 side by side.

Renders an invoice and a receipt in each print language with the first implementation
(``bench.first_print``, left) and with ``render_pdfs`` (right), draws page 1 of each with
``pdftoppm`` at 100 dpi and writes one PNG per pair into ``docs/prints/``: what a merchant
sees, to be looked at whenever the print's markup changes. Runs alone, on a SQLite file of its
own under ``var/bench`` (deleted at the end).
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import tempfile
from pathlib import Path

from bench import harness

OUT_DIR = harness.BASE_DIR / "docs" / "prints"
DATABASE_NAME = "side_by_side"
LANGUAGES = ("en", "pt-br", "pl")
DPI = 100
GUTTER_PX = 12


def first_page_png(content: bytes, workdir: Path, name: str) -> Path:
    source = workdir / f"{name}.pdf"
    source.write_bytes(content)
    command = ["pdftoppm", "-png", "-r", str(DPI), "-f", "1", "-l", "1", "-singlefile"]
    subprocess.run([*command, source, workdir / name], check=True)
    return workdir / f"{name}.png"


def side_by_side(left: Path, right: Path, out: Path) -> None:
    """Both pages on one grey sheet, the old one left; a 64-colour palette keeps it small."""
    from PIL import Image

    old, new = Image.open(left).convert("RGB"), Image.open(right).convert("RGB")
    width = old.width + GUTTER_PX + new.width
    sheet = Image.new("RGB", (width, max(old.height, new.height)), (160, 160, 160))
    sheet.paste(old, (0, 0))
    sheet.paste(new, (old.width + GUTTER_PX, 0))
    sheet.quantize(colors=64).save(out, optimize=True)


def sample_documents():
    """An invoice and a receipt with the rendering tests' Polish seller and Portuguese buyer."""
    from tests.rendering import factories

    merchant = factories.make_merchant("Żółta Łódź")
    return {
        "invoice": factories.make_invoice(merchant, "FV 12/11/2026", items=4),
        "receipt": factories.make_receipt(merchant, "PAR 7/11/2026", items=3),
    }


def write_pairs(out_dir: Path) -> list[Path]:
    from django.utils import translation

    from bench import dataset
    from bench.first_print.pdf import render_pdf_first
    from documents import pdf

    dataset.migrate()
    documents = sample_documents()
    out_dir.mkdir(parents=True, exist_ok=True)
    written = []
    with tempfile.TemporaryDirectory() as scratch:
        workdir = Path(scratch)
        for language in LANGUAGES:
            with translation.override(language):
                for kind, doc in documents.items():
                    name = f"{kind}-{language}"
                    old = first_page_png(render_pdf_first(doc).content, workdir, f"{name}-old")
                    new = first_page_png(pdf.render_pdfs([doc])[0].content, workdir, f"{name}-new")
                    out = out_dir / f"{name}.png"
                    side_by_side(old, new, out)
                    written.append(out)
    return written


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.side_by_side", description=__doc__)
    parser.add_argument("--out", type=Path, default=OUT_DIR)
    args = parser.parse_args(argv)
    database_url = harness.recreate_sqlite_database(DATABASE_NAME)
    harness.prepare_environment(database_url, "http://127.0.0.1:9")
    import django

    django.setup()
    try:
        for path in write_pairs(args.out):
            print(
                path.relative_to(harness.BASE_DIR)
                if path.is_relative_to(harness.BASE_DIR)
                else path
            )
    finally:
        for suffix in ("", "-wal", "-shm"):
            Path(f"{harness.VAR_DIR / DATABASE_NAME}.sqlite3{suffix}").unlink(missing_ok=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
