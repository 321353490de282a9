"""The names of document files in Drive and in downloads (S8, S10): the number, made safe for
every system a Drive syncs to."""

from __future__ import annotations

import re
import unicodedata

FALLBACK_STEM = "document"
# Far below the 255 bytes a file name may take on Windows, macOS and Linux, leaving room for
# the " (n)" of a later copy and for the folder path of a Drive synced to a computer.
MAX_STEM_BYTES = 150
_UNSAFE_CHARACTERS = re.compile(r'[\\/:*?"<>|\x00-\x1f\x7f-\x9f]')
_WINDOWS_RESERVED_NAMES = frozenset(
    {"CON", "PRN", "AUX", "NUL"}
    | {f"{device}{n}" for device in ("COM", "LPT") for n in [*"123456789", "¹", "²", "³"]}
)


def _truncate_utf8(text: str, max_bytes: int) -> str:
    return text.encode("utf-8")[:max_bytes].decode("utf-8", errors="ignore")


def safe_file_stem(name: str, max_bytes: int = MAX_STEM_BYTES) -> str:
    """A file name without extension that every OS a Drive syncs to accepts as it is."""
    stem = _UNSAFE_CHARACTERS.sub("_", unicodedata.normalize("NFC", name))
    stem = _truncate_utf8(stem.strip(), max_bytes).rstrip(". ")
    # A leading dot hides the file on macOS and Linux.
    if stem.startswith("."):
        stem = "_" + stem[1:]
    if not stem:
        return FALLBACK_STEM
    # Windows reserves these device names even with an extension ("CON.pdf").
    if stem.split(".")[0].rstrip(" ").upper() in _WINDOWS_RESERVED_NAMES:
        stem = "_" + stem
    return stem


def document_filename(number: str) -> str:
    """S8: the number, ``/`` as ``_``, plus ``.pdf``: ``FV 12/11/2026`` → ``FV 12_11_2026.pdf``.

    Characters Windows or macOS refuse become ``_`` as well, trailing dots and spaces go,
    Windows device names get a ``_`` in front and very long numbers are cut.
    """
    return f"{safe_file_stem(number)}.pdf"


def versioned_filename(filename: str, n: int) -> str:
    """The name of the n-th copy of a changed document: ``FV 12_11_2026 (2).pdf`` (S10)."""
    if n <= 1:
        return filename
    stem, dot, extension = filename.rpartition(".")
    if not dot or not stem:
        stem, extension = filename, ""
    suffix = f" ({n})"
    stem = safe_file_stem(stem, MAX_STEM_BYTES - len(suffix))
    return f"{stem}{suffix}.{extension}" if extension else f"{stem}{suffix}"
