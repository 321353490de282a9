"""Columns of figures set as ONE line of text, for the PDF prints.

WeasyPrint's cost grows with the number of boxes it lays out and draws, and a table cell with
text is the most expensive kind: measured on the invoice's item table, a row of nine cells
cost four times a row of one cell holding the same words. So the PDF print sets the figures of
a row (quantity, unit, prices, rate, amounts) as one text, each figure moved to where its own
cell would have put it by spaces of known widths: the bundled Print Sans has the fixed-width
spaces of Unicode's General Punctuation block (U+2002-U+200A), and its digits are tabular.

``aligned_line`` returns that text, or ``None`` when it cannot promise the look of the cells
(a character the bundled font lacks, a figure wider than its column); the template then falls
back to one cell per figure for that row. The cell holding the line must turn kerning and
ligatures off (``font-kerning: none; font-variant-ligatures: none``): the widths here are the
sums of the glyphs' advance widths, as HarfBuzz lays them out without those features.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Literal

from fontTools.ttLib import TTFont

FONTS_DIR = Path(__file__).resolve().parent / "fonts"
FONT_FILES = {False: "PrintSans-Regular.ttf", True: "PrintSans-Bold.ttf"}
MM_PER_PT = 25.4 / 72

# Spaces that never collapse in CSS (only U+0020, tabs and line feeds do), by code point.
SPACE_CHARACTERS = "\u2002\u2003\u2004\u2005\u2006\u2007\u2008\u2009\u200a"
# The longest run of em spaces a gap may start with before the small ones fill the rest.
_FILL_LIMIT = 2000


@dataclass(frozen=True)
class Column:
    """Where one figure goes: its column's right edge (for ``right``) or left edge, in mm
    from the start of the line, and the widest text it may hold (its cell's content box)."""

    edge_mm: float
    width_mm: float
    align: Literal["left", "right"] = "right"


@dataclass(frozen=True)
class FontMetrics:
    units_per_em: int
    advances: dict[str, int]

    def text_units(self, text: str) -> int | None:
        """The advance width of ``text`` in font units; ``None`` if a character is missing."""
        total = 0
        for character in text:
            advance = self.advances.get(character)
            if advance is None:
                return None
            total += advance
        return total


@cache
def print_font_metrics(bold: bool = False) -> FontMetrics:
    font = TTFont(FONTS_DIR / FONT_FILES[bold], lazy=True)
    metrics = font["hmtx"].metrics
    advances = {chr(code): metrics[glyph][0] for code, glyph in font.getBestCmap().items()}
    return FontMetrics(font["head"].unitsPerEm, advances)


@cache
def _spacer_table(units_per_em: int, advances: tuple[tuple[str, int], ...]) -> list[str]:
    """For every gap of 0..limit font units, the shortest run of spaces nearest to it.

    Filled from below (a classic coin-change table) so that every entry's error is at most
    the distance to the nearest reachable sum; with advances of 100, 166 and 167 units among
    the spaces, every width from 266 units on is reachable to within a unit or two.
    """
    limit = _FILL_LIMIT + max(width for _, width in advances)
    best: list[str | None] = [None] * (limit + 1)
    best[0] = ""
    for total in range(1, limit + 1):
        for character, width in advances:
            previous = best[total - width] if total >= width else None
            if previous is not None and (
                best[total] is None or len(previous) + 1 < len(best[total])  # type: ignore[arg-type]
            ):
                best[total] = previous + character
    reachable = [index for index, run in enumerate(best) if run is not None]
    table = []
    for gap in range(_FILL_LIMIT + 1):
        nearest = min(reachable, key=lambda total: (abs(total - gap), total))
        table.append(best[nearest])  # type: ignore[arg-type]
    return table


def spacer(gap_units: float, metrics: FontMetrics) -> str:
    """Spaces whose advance widths add up to ``gap_units`` (font units), to a unit or two."""
    advances = tuple(
        (character, metrics.advances[character])
        for character in SPACE_CHARACTERS
        if character in metrics.advances
    )
    em = "\u2003"
    units = max(0, round(gap_units))
    run = ""
    em_width = metrics.advances.get(em)
    if em_width:
        while units > _FILL_LIMIT:
            run += em
            units -= em_width
    return run + _spacer_table(metrics.units_per_em, advances)[units]


def aligned_line(
    values: Sequence[str],
    columns: Sequence[Column],
    font_size_pt: float,
    *,
    bold: bool = False,
) -> str | None:
    """``values`` as one line, each at its column's edge; ``None`` if that would not look
    like one cell per value (see the module's docstring)."""
    metrics = print_font_metrics(bold)
    units_per_mm = metrics.units_per_em / (font_size_pt * MM_PER_PT)
    line = []
    position = 0.0
    for value, column in zip(values, columns, strict=True):
        width = metrics.text_units(value) if value.isprintable() else None
        if width is None or width > column.width_mm * units_per_mm:
            return None
        edge = column.edge_mm * units_per_mm
        start = edge - width if column.align == "right" else edge
        if start < position:
            return None
        gap = spacer(start - position, metrics)
        line.append(gap + value)
        position += (metrics.text_units(gap) or 0) + width
    return "".join(line)
