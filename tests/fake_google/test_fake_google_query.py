"""The `q` search language of files.list, through googleapiclient."""

from __future__ import annotations

import pytest
from googleapiclient.errors import HttpError

from tests.fake_google.helpers import FOLDER, error_reason, make_folder, upload


@pytest.fixture
def tree(drive) -> dict[str, str]:
    """A small drive: names chosen to exercise escaping and prefix matching."""
    orders = make_folder(drive, "Orders")
    ids = {
        "Orders": orders,
        "orders_2026-11.csv": upload(
            drive,
            "orders_2026-11.csv",
            b"id;total",
            orders,
            "text/csv",
            appProperties={"doc": "a1"},
        )["id"],
        "FV 12_11_2026.pdf": upload(
            drive,
            "FV 12_11_2026.pdf",
            b"%PDF-1.7",
            orders,
            "application/pdf",
            appProperties={"doc": "b2", "sha": "x"},
        )["id"],
        "Valentine's Day.txt": upload(drive, "Valentine's Day.txt", b"hello world")["id"],
        "back\\slash.txt": upload(drive, "back\\slash.txt", b"-")["id"],
        "Trash me": make_folder(drive, "Trash me", trashed=True),
    }
    return ids


def _names(drive, q: str) -> list[str]:
    answer = drive.files().list(q=q, fields="files(name)", orderBy="name").execute()
    return sorted(f["name"] for f in answer["files"])


@pytest.mark.parametrize(
    ("q", "expected"),
    [
        ("name = 'Orders'", ["Orders"]),
        ("name != 'Orders' and trashed = false and mimeType = '" + FOLDER + "'", []),
        ("name = 'Valentine\\'s Day.txt'", ["Valentine's Day.txt"]),
        ("name = 'back\\\\slash.txt'", ["back\\slash.txt"]),
        ("name contains 'orders'", ["Orders", "orders_2026-11.csv"]),
        ("name contains '2026'", ["FV 12_11_2026.pdf", "orders_2026-11.csv"]),
        ("name contains 'rders'", []),
        (f"mimeType = '{FOLDER}'", ["Orders", "Trash me"]),
        (f"mimeType = '{FOLDER}' and trashed = false", ["Orders"]),
        ("mimeType contains 'pdf'", ["FV 12_11_2026.pdf"]),
        ("appProperties has { key='doc' and value='b2' }", ["FV 12_11_2026.pdf"]),
        (
            "appProperties has {key='doc' and value='a1'} or name = 'Orders'",
            ["Orders", "orders_2026-11.csv"],
        ),
        ("appProperties has { key='doc' and value='zz' }", []),
        ("properties has { key='doc' and value='b2' }", []),
        ("(name = 'Orders' or name = 'Trash me') and trashed = true", ["Trash me"]),
        (
            "not name contains 'orders' and trashed = false and mimeType != '" + FOLDER + "'",
            ["FV 12_11_2026.pdf", "Valentine's Day.txt", "back\\slash.txt"],
        ),
        ("fullText contains 'world'", ["Valentine's Day.txt"]),
        ("'me' in owners and starred = false and trashed = false and name = 'Orders'", ["Orders"]),
        ("modifiedTime > '2000-01-01T00:00:00' and name = 'Orders'", ["Orders"]),
        ("createdTime < '2000-01-01T00:00:00Z'", []),
        ("name = 'Orders' AND trashed = false", ["Orders"]),
    ],
)
def test_search_terms(drive, tree, q, expected):
    assert _names(drive, q) == expected


def test_in_parents(drive, tree):
    q = f"'{tree['Orders']}' in parents and trashed = false"

    assert _names(drive, q) == ["FV 12_11_2026.pdf", "orders_2026-11.csv"]


def test_app_properties_are_private_to_the_client(fake_google, drive, tree):
    fake_google.seed_user_file(
        "merchant@example.com",
        "other app's",
        mime_type="text/plain",
        app_properties={"doc": "b2"},
        created_by_client="another-app.apps.googleusercontent.com",
    )

    assert _names(drive, "appProperties has { key='doc' and value='b2' }") == ["FV 12_11_2026.pdf"]


@pytest.mark.parametrize(
    "q",
    [
        "name = Orders",
        "name = 'unterminated",
        "name ~ 'x'",
        "colour = 'red'",
        "name = 'bad\\escape'",
        'name = "double quoted"',
        "trashed = maybe",
        "trashed contains 'x'",
        "appProperties has { key='doc' }",
        "name contains",
        "name = 'a' and",
        "('a' in parents",
        "name > 'a'",
    ],
)
def test_malformed_queries_are_400_invalid_value_on_q(drive, q):
    with pytest.raises(HttpError) as excinfo:
        drive.files().list(q=q).execute()

    assert excinfo.value.status_code == 400
    assert error_reason(excinfo.value) == "invalid"
    assert "q" in excinfo.value.content.decode()
