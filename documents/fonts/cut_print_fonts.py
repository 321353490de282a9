"""Cut the bundled print fonts (PrintSans-*.ttf) out of Noto Sans.

Run once by hand when the character set changes; the result is committed:

    python documents/fonts/cut_print_fonts.py NotoSans-Regular.ttf NotoSans-Bold.ttf

(Debian: /usr/share/fonts/truetype/noto/ from fonts-noto-core.)

Why a subset: WeasyPrint embeds a subset of every font it uses in every PDF it writes, and
without HarfBuzz-Subset it does so with fontTools, whose time grows with the size of the
source font; a 40 KB Latin font subsets several times faster than the 500 KB original.
Characters outside these ranges (Greek, Cyrillic, ...) still print: the stylesheet names
system fonts after "Print Sans" and Pango falls back to them glyph by glyph.

Noto Sans is under the SIL Open Font License 1.1 (OFL.txt here), which lets a modified
version be redistributed under the same licence; Noto declares no Reserved Font Name, and
the subset is given its own family name anyway, keeping the copyright, trademark and
licence records of the original.
"""

from __future__ import annotations

import sys
from pathlib import Path

from fontTools import subset
from fontTools.ttLib import TTFont

FAMILY = "Print Sans"
UNICODE_RANGES = ",".join(
    [
        "U+0020-007E",  # Basic Latin
        "U+00A0-00FF",  # Latin-1 Supplement
        "U+0100-017F",  # Latin Extended-A (Polish, Czech, Hungarian, ...)
        "U+0218-021B",  # Romanian comma-below letters
        "U+02C6-02C7,U+02C9,U+02D8-02DD",  # spacing accents
        "U+2000-206F",  # General Punctuation
        "U+20A0-20CF",  # Currency Symbols
        "U+2116,U+2122,U+2190-2193,U+2212,U+2215,U+FFFD",
    ]
)
HERE = Path(__file__).resolve().parent


def subset_options() -> subset.Options:
    options = subset.Options()
    options.unicodes = subset.parse_unicodes(UNICODE_RANGES)
    # WeasyPrint drops hinting from what it embeds; the bundled file needs none either.
    options.hinting = False
    options.notdef_outline = True
    options.name_IDs = ["*"]
    options.name_languages = ["*"]
    options.name_legacy = True
    options.drop_tables += ["DSIG"]
    return options


def rename(font: TTFont, style: str) -> None:
    names = font["name"]
    postscript = f"{FAMILY.replace(' ', '')}-{style}"
    for record in list(names.names):
        if record.nameID in (16, 17, 21, 22, 25):
            names.removeNames(nameID=record.nameID)
    names.setName(FAMILY, 1, 3, 1, 0x409)
    names.setName(style, 2, 3, 1, 0x409)
    names.setName(f"{postscript};subset of Noto Sans", 3, 3, 1, 0x409)
    names.setName(f"{FAMILY} {style}", 4, 3, 1, 0x409)
    names.setName(postscript, 6, 3, 1, 0x409)
    names.setName("Latin subset of Noto Sans for printed invoices and receipts.", 10, 3, 1, 0x409)
    names.names = [r for r in names.names if r.platformID == 3]


def cut(source: Path, style: str) -> Path:
    font = TTFont(source)
    options = subset_options()
    subsetter = subset.Subsetter(options)
    subsetter.populate(unicodes=options.unicodes)
    subsetter.subset(font)
    rename(font, style)
    target = HERE / f"PrintSans-{style}.ttf"
    font.save(target)
    return target


def main(argv: list[str]) -> None:
    regular, bold = (Path(path) for path in argv)
    for source, style in ((regular, "Regular"), (bold, "Bold")):
        target = cut(source, style)
        print(f"{source} -> {target} ({target.stat().st_size} bytes)")


if __name__ == "__main__":
    main(sys.argv[1:])
