"""A small `multipart/related` parser for `uploadType=multipart` (metadata part, media part).

Binary-safe, and tolerant of LF-only line ends: googleapiclient serialises with the email
package, which separates parts with bare ``\\n``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass


class MultipartError(ValueError):
    pass


@dataclass
class Part:
    headers: dict[str, str]
    body: bytes

    @property
    def content_type(self) -> str:
        return self.headers.get("content-type", "application/octet-stream")


def boundary_from_content_type(content_type: str) -> str:
    media_type, _, params = content_type.partition(";")
    if media_type.strip().lower() != "multipart/related":
        raise MultipartError(f"expected multipart/related, got {media_type.strip()!r}")
    match = re.search(r'boundary=(?:"([^"]+)"|([^;\s]+))', params)
    if not match:
        raise MultipartError("multipart/related without a boundary")
    return match.group(1) or match.group(2)


def parse_related(body: bytes, boundary: str) -> list[Part]:
    """Split `body` into its parts; the line break before each delimiter belongs to it."""
    delimiter = b"--" + boundary.encode("latin-1")
    start = body.find(delimiter)
    if start < 0:
        raise MultipartError("boundary not found in body")
    parts: list[Part] = []
    pos = start + len(delimiter)
    # The sender's line-end style, taken from the first delimiter line, is used throughout
    # so that content ending in a bare CR is not mistaken for part of a CRLF.
    line_end = b"\r\n" if body[pos : pos + 2] == b"\r\n" else b"\n"
    while True:
        if body[pos : pos + 2] == b"--":
            return parts
        pos = _skip_line_end(body, pos)
        index = body.find(line_end + delimiter, pos)
        if index < 0:
            raise MultipartError("missing closing delimiter")
        parts.append(_parse_part(body[pos:index]))
        pos = index + len(line_end) + len(delimiter)


def _skip_line_end(body: bytes, pos: int) -> int:
    # Transport padding (spaces) may follow a delimiter before its line break.
    while body[pos : pos + 1] in (b" ", b"\t"):
        pos += 1
    if body[pos : pos + 2] == b"\r\n":
        return pos + 2
    if body[pos : pos + 1] == b"\n":
        return pos + 1
    raise MultipartError("malformed delimiter line")


def _parse_part(raw: bytes) -> Part:
    # A part may have no headers at all: it then starts with the blank line.
    if raw.startswith(b"\r\n"):
        return Part({}, raw[2:])
    if raw.startswith(b"\n"):
        return Part({}, raw[1:])
    crlf, lf = raw.find(b"\r\n\r\n"), raw.find(b"\n\n")
    if crlf < 0 and lf < 0:
        raise MultipartError("part without a header block")
    if crlf >= 0 and (lf < 0 or crlf < lf):
        head, body = raw[:crlf], raw[crlf + 4 :]
    else:
        head, body = raw[:lf], raw[lf + 2 :]
    headers: dict[str, str] = {}
    for line in head.decode("latin-1").splitlines():
        name, colon, value = line.partition(":")
        if not colon:
            raise MultipartError(f"malformed part header {line!r}")
        headers[name.strip().lower()] = value.strip()
    return Part(headers, body)
