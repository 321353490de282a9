"""Columns of figures set as ONE line of text, for the PDF prints.

WeasyPrint's cost grows with the number of boxes it lays out and draws, and a table cell with
text is the most expensive kind: measured on the invoice's item table, a row of nine cells
cost four times a row of one cell holding the same words. So the PDF print sets the figures of
a row (quantity, unit, prices, rate, amounts) as one text, each figure moved to where its own
cell would have put it by spaces of known widths: the bundled Print Sans has the fixed-width
spaces of Unicode's General Punctuation block (U+2002-U+200A), and its digits are tabular.

``aligned_line`` returns that text, or ``None`` when it cannot promise the look of the cells
(a character the bundled font lacks, a figure wider than its column); the template then falls
back to one cell per figure for that row. Widths are the glyphs' advance widths plus the
font's pair kerning (its only positioning feature for Latin text), as HarfBuzz lays a run
out; the cell holding the line must turn ligatures off (``font-variant-ligatures: none``).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Any, Literal

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


@dataclass(eq=False)
class FontMetrics:
    units_per_em: int
    advances: dict[str, int]
    glyphs: dict[str, str]
    kerning: tuple[Any, ...]  # the GPOS pair-adjustment subtables of the "kern" feature
    _pairs: dict[tuple[str, str], int] = field(default_factory=dict)

    def text_units(self, text: str) -> int | None:
        """The width of ``text`` in font units, kerned; ``None`` if a character is missing."""
        total = 0
        previous = None
        for character in text:
            advance = self.advances.get(character)
            if advance is None:
                return None
            total += advance
            if previous is not None:
                total += self.kern(previous, character)
            previous = character
        return total

    def printable_units(self, text: str) -> int | None:
        """``text_units`` of a text a print can show: ``None`` for a control character too."""
        return self.text_units(text) if text.isprintable() else None

    def units_per_mm(self, font_size_pt: float) -> float:
        """Font units in a millimetre of text set at ``font_size_pt``."""
        return self.units_per_em / (font_size_pt * MM_PER_PT)

    def kern(self, first: str, second: str) -> int:
        pair = (first, second)
        if pair not in self._pairs:
            glyphs = self.glyphs[first], self.glyphs[second]
            self._pairs[pair] = _pair_adjustment(self.kerning, *glyphs)
        return self._pairs[pair]


def _pair_adjustment(subtables: tuple[Any, ...], first: str, second: str) -> int:
    """What OpenType's pair adjustment (GPOS type 2) adds to ``first``'s advance before
    ``second``: the first subtable that covers the pair decides, as in HarfBuzz."""
    for subtable in subtables:
        covered = subtable.Coverage.glyphs
        if first not in covered:
            continue
        if subtable.Format == 1:
            pairs = subtable.PairSet[covered.index(first)].PairValueRecord
            for record in pairs:
                if record.SecondGlyph == second:
                    return getattr(record.Value1, "XAdvance", 0) or 0
            continue
        first_class = subtable.ClassDef1.classDefs.get(first, 0)
        second_class = subtable.ClassDef2.classDefs.get(second, 0)
        record = subtable.Class1Record[first_class].Class2Record[second_class]
        return getattr(record.Value1, "XAdvance", 0) or 0
    return 0


def _kerning_subtables(font: TTFont) -> tuple[Any, ...]:
    if "GPOS" not in font:
        return ()
    table = font["GPOS"].table
    indices = [
        index
        for record in table.FeatureList.FeatureRecord
        if record.FeatureTag == "kern"
        for index in record.Feature.LookupListIndex
    ]
    subtables = []
    for index in sorted(set(indices)):
        lookup = table.LookupList.Lookup[index]
        for subtable in lookup.SubTable:
            if lookup.LookupType == 9:  # extension: the real subtable is inside
                subtable = subtable.ExtSubTable
            if getattr(subtable, "LookupType", lookup.LookupType) == 2:
                subtables.append(subtable)
    return tuple(subtables)


@cache
def print_font_metrics(bold: bool = False) -> FontMetrics:
    font = TTFont(FONTS_DIR / FONT_FILES[bold])
    metrics = font["hmtx"].metrics
    cmap = font.getBestCmap()
    advances = {chr(code): metrics[glyph][0] for code, glyph in cmap.items()}
    glyphs = {chr(code): glyph for code, glyph in cmap.items()}
    return FontMetrics(font["head"].unitsPerEm, advances, glyphs, _kerning_subtables(font))


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
    units_per_mm = metrics.units_per_mm(font_size_pt)
    line = ""
    position = 0
    for value, column in zip(values, columns, strict=True):
        width = metrics.printable_units(value)
        if width is None or width > column.width_mm * units_per_mm:
            return None
        edge = column.edge_mm * units_per_mm
        start = edge - width if column.align == "right" else edge
        if start < position:
            return None
        line += spacer(start - position, metrics) + value
        position = metrics.text_units(line)  # type: ignore[assignment]
    return line


def wrapped_words(text: str, width_units: float, metrics: FontMetrics) -> list[str] | None:
    """``text`` broken at spaces into lines no wider than ``width_units``, first fit, as a
    browser breaks it; ``None`` if one word alone is wider or a character is missing."""
    lines: list[str] = []
    current = ""
    for word in text.split(" "):
        word_width = metrics.text_units(word)
        if word_width is None or word_width > width_units:
            return None
        candidate = f"{current} {word}" if current else word
        if metrics.text_units(candidate) <= width_units:  # type: ignore[operator]
            current = candidate
        else:
            lines.append(current)
            current = word
    lines.append(current)
    return lines


def aligned_heading(
    labels: Sequence[str],
    columns: Sequence[Column],
    font_size_pt: float,
    *,
    bold: bool = False,
    max_lines: int = 2,
) -> str | None:
    """Column headings as lines of one text, each wrapped within its column and set on the
    last lines (as in cells aligned to the bottom); ``None`` when that is not possible."""
    metrics = print_font_metrics(bold)
    units_per_mm = metrics.units_per_mm(font_size_pt)
    wrapped = []
    for label, column in zip(labels, columns, strict=True):
        lines = wrapped_words(label, column.width_mm * units_per_mm, metrics)
        if lines is None or len(lines) > max_lines:
            return None
        wrapped.append(lines)
    depth = max(len(lines) for lines in wrapped)
    text_lines = []
    for row in range(depth):
        values, row_columns = [], []
        for lines, column in zip(wrapped, columns, strict=True):
            first_row = depth - len(lines)
            if row >= first_row:
                values.append(lines[row - first_row])
                row_columns.append(column)
        line = aligned_line(values, row_columns, font_size_pt, bold=bold)
        if line is None:
            return None
        text_lines.append(line)
    return "\n".join(text_lines)


def aligned_row(
    values: Sequence[str], wrap: int, columns: Sequence[Column], font_size_pt: float
) -> str | None:
    """A table row as lines of one text: ``values[wrap]`` (a name) broken within its column,
    the others on the first line at their columns' edges; ``None`` as for ``aligned_line``."""
    metrics = print_font_metrics()
    units_per_mm = metrics.units_per_mm(font_size_pt)
    wrapped = wrapped_words(values[wrap], columns[wrap].width_mm * units_per_mm, metrics)
    if wrapped is None:
        return None
    first = aligned_line([*values[:wrap], wrapped[0], *values[wrap + 1 :]], columns, font_size_pt)
    if first is None:
        return None
    more = [aligned_line([line], [columns[wrap]], font_size_pt) for line in wrapped[1:]]
    return "\n".join([first, *more])  # type: ignore[list-item]
