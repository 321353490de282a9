from __future__ import annotations

import pytest

from documents.filenames import MAX_STEM_BYTES, document_filename, versioned_filename


@pytest.mark.parametrize(
    ("number", "expected"),
    [
        ("FV 12/11/2026", "FV 12_11_2026.pdf"),
        ("PAR/2026/11/0007", "PAR_2026_11_0007.pdf"),
        ("FV 1", "FV 1.pdf"),
        ("Faktura Żółć 3/2026", "Faktura Żółć 3_2026.pdf"),
        ('A\\B:C*D?E"F<G>H|I', "A_B_C_D_E_F_G_H_I.pdf"),
        ("tab\there\nnew\x00null\x7fdel", "tab_here_new_null_del.pdf"),
        ("  FV 3/2026  ", "FV 3_2026.pdf"),
        ("FV 3/2026...", "FV 3_2026.pdf"),
        ("FV 3/2026. . ", "FV 3_2026.pdf"),
        (".hidden", "_hidden.pdf"),
        ("CON", "_CON.pdf"),
        ("con", "_con.pdf"),
        ("NUL.txt", "_NUL.txt.pdf"),
        ("COM1", "_COM1.pdf"),
        ("LPT9 ", "_LPT9.pdf"),
        ("CONSOLE", "CONSOLE.pdf"),
        ("COM10", "COM10.pdf"),
        ("", "document.pdf"),
        ("   ", "document.pdf"),
        ("...", "document.pdf"),
        ("/", "_.pdf"),
    ],
)
def test_document_filename(number, expected):
    assert document_filename(number) == expected


def test_document_filename_normalizes_unicode_to_nfc():
    decomposed = "Z\u0307o\u0301\u0142w"  # Żół written with combining marks
    assert document_filename(decomposed) == "\u017b\u00f3\u0142w.pdf"


def test_long_numbers_are_cut_on_a_character_boundary_and_keep_pdf():
    name = document_filename("Ż" * 500)
    assert name.endswith("Ż.pdf")
    assert len(name[: -len(".pdf")].encode()) <= MAX_STEM_BYTES
    assert len(name.encode()) <= 255


def test_cut_does_not_leave_a_trailing_dot_or_space():
    name = document_filename("A" * (MAX_STEM_BYTES - 1) + ". tail")
    assert name == "A" * (MAX_STEM_BYTES - 1) + ".pdf"


@pytest.mark.parametrize(
    ("filename", "n", "expected"),
    [
        ("FV 12_11_2026.pdf", 1, "FV 12_11_2026.pdf"),
        ("FV 12_11_2026.pdf", 2, "FV 12_11_2026 (2).pdf"),
        ("FV 12_11_2026.pdf", 13, "FV 12_11_2026 (13).pdf"),
        ("orders_2026-11-23_02-00-13.csv", 3, "orders_2026-11-23_02-00-13 (3).csv"),
        ("noext", 2, "noext (2)"),
    ],
)
def test_versioned_filename(filename, n, expected):
    assert versioned_filename(filename, n) == expected


def test_versioned_filename_of_a_long_name_stays_within_the_limit():
    base = document_filename("9" * 400)
    versioned = versioned_filename(base, 12)
    assert versioned.endswith(" (12).pdf")
    assert len(versioned.encode()) <= MAX_STEM_BYTES + len(".pdf")
    assert versioned != base
