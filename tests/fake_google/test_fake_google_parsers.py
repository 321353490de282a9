"""Unit tests of the wire parsers that Google's libraries exercise only one way."""

from __future__ import annotations

import pytest

from fake_google.errors import DriveError
from fake_google.fields import apply_fields, parse_fields
from fake_google.multipart import MultipartError, boundary_from_content_type, parse_related


@pytest.mark.parametrize("newline", [b"\r\n", b"\n"])
def test_multipart_related_with_either_line_end_and_binary_content(newline):
    media = b"\x00\x01\r" + newline + b"--b\r"  # looks like a boundary, ends in a bare CR
    body = newline.join(
        [
            b"--=====b==",
            b"Content-Type: application/json; charset=UTF-8",
            b"",
            b'{"name": "a.pdf"}',
            b"--=====b==",
            b"Content-Type: application/pdf",
            b"Content-Transfer-Encoding: binary",
            b"",
            media,
            b"--=====b==--",
            b"",
        ]
    )
    boundary = boundary_from_content_type('multipart/related; boundary="=====b=="')

    metadata, content = parse_related(body, boundary)

    assert metadata.content_type.startswith("application/json")
    assert metadata.body == b'{"name": "a.pdf"}'
    assert content.content_type == "application/pdf"
    assert content.body == media


def test_multipart_without_closing_delimiter_is_rejected():
    with pytest.raises(MultipartError):
        parse_related(b"--b\nContent-Type: a/b\n\nx", "b")
    with pytest.raises(MultipartError):
        boundary_from_content_type("multipart/mixed; boundary=x")


def test_fields_selection_nests_and_filters_lists():
    resource = {
        "kind": "drive#fileList",
        "nextPageToken": "t",
        "files": [{"id": "1", "name": "a", "owners": [{"emailAddress": "m", "me": True}]}],
    }

    selection = parse_fields("nextPageToken, files(id,owners/emailAddress)")

    assert apply_fields(resource, selection) == {
        "nextPageToken": "t",
        "files": [{"id": "1", "owners": [{"emailAddress": "m"}]}],
    }


@pytest.mark.parametrize("text", ["files(", "files()", "a,,b", "files(id))", "a b(c"])
def test_malformed_fields_are_400(text):
    with pytest.raises(DriveError) as excinfo:
        parse_fields(text)
    assert excinfo.value.code == 400
