from __future__ import annotations

import socket
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from html.parser import HTMLParser
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qsl, urlencode, urlsplit

import pytest
from django.test import Client

from accounts.models import Merchant, User
from integrations.connection import SESSION_KEY
from integrations.models import GoogleDriveIntegration

CONNECT_URL = "/integrations/google-drive/connect/"
CALLBACK_URL = "/integrations/google-drive/callback/"
PAGE_URL = "/integrations/google-drive/"
SETTINGS_URL = "/integrations/google-drive/settings/"
DISCONNECT_URL = "/integrations/google-drive/disconnect/"
MERCHANT_EMAIL = "merchant@example.com"
OTHER_GOOGLE_EMAIL = "other.account@example.com"


@pytest.fixture
def merchant(db) -> Merchant:
    return Merchant.objects.create(name="Loja Azul")


@pytest.fixture
def user(merchant) -> User:
    return User.objects.create_user(
        email="owner@loja-azul.example", password="x", merchant=merchant
    )


@pytest.fixture
def client(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


@pytest.fixture
def other_merchant(db) -> Merchant:
    return Merchant.objects.create(name="Sklep Zielony")


@pytest.fixture
def other_client(other_merchant) -> Client:
    other_user = User.objects.create_user(
        email="owner@sklep-zielony.example", password="x", merchant=other_merchant
    )
    client = Client()
    client.force_login(other_user)
    return client


def start_connect(client: Client) -> str:
    """POST Connect; return the Google authorization URL it redirects to."""
    response = client.post(CONNECT_URL)
    assert response.status_code == 302, response.content[:500]
    return response["Location"]


def as_local(callback_url: str) -> str:
    """The path and query of Google's redirect, for the Django test client."""
    parts = urlsplit(callback_url)
    return f"{parts.path}?{parts.query}"


def changed_query(callback_url: str, **changes: str | None) -> str:
    """`as_local(callback_url)` with query parameters replaced (None drops one)."""
    parts = urlsplit(callback_url)
    query = dict(parse_qsl(parts.query))
    query.update(changes)
    return f"{parts.path}?{urlencode({k: v for k, v in query.items() if v is not None})}"


def connect(client: Client, fake, email: str = MERCHANT_EMAIL, **authorize_kwargs):
    """The whole flow as a browser does it; returns the response of the page it lands on."""
    callback = fake.authorize(start_connect(client), email, **authorize_kwargs)
    return client.get(as_local(callback), follow=True)


def pending(client: Client) -> dict:
    return client.session[SESSION_KEY]


def edit_pending(client: Client, **changes) -> None:
    session = client.session
    session[SESSION_KEY] = {**session[SESSION_KEY], **changes}
    session.save()


def messages_of(response) -> list[str]:
    return [str(m) for m in response.context["messages"]] if response.context else []


def levels_of(response) -> list[str]:
    return [m.level_tag for m in response.context["messages"]] if response.context else []


def integration_of(merchant: Merchant) -> GoogleDriveIntegration:
    return GoogleDriveIntegration.objects.get(merchant=merchant)


def grants(fake, email: str) -> list[dict]:
    return [g for g in fake.state_dump()["grants"] if g["email"] == email]


def issued_refresh_tokens(fake) -> set[str]:
    # The dump shows counts only; the token values live in the fake's store.
    with fake.core.store.lock:
        return set(fake.core.store.refresh_tokens)


class _Fields(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.fields: dict[str, dict[str, str | None]] = {}
        self._select: str | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        attributes = dict(attrs)
        if tag in ("input", "select") and attributes.get("name"):
            self.fields[attributes["name"]] = attributes
            self._select = attributes["name"] if tag == "select" else None
        elif tag == "option" and self._select and "selected" in attributes:
            self.fields[self._select]["selected"] = attributes.get("value")


def form_fields(html: bytes | str) -> dict[str, dict[str, str | None]]:
    """The named inputs and selects of a page: their attributes, plus a select's choice."""
    parser = _Fields()
    parser.feed(html.decode() if isinstance(html, bytes) else html)
    return parser.fields


def closed_port_url(path: str) -> str:
    """A loopback URL nobody listens on: connecting to it is refused."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    return f"http://127.0.0.1:{port}{path}"


@dataclass
class StubEndpoint:
    """A loopback HTTP endpoint answering whatever a test sets, or never answering."""

    url: str = ""
    status: int = 200
    body: bytes = b"{}"
    content_type: str = "application/json"
    hang: bool = False
    requests: list[bytes] = field(default_factory=list)
    release: threading.Event = field(default_factory=threading.Event)

    def answer(self, status: int, body: bytes | str, content_type: str = "application/json"):
        self.status = status
        self.body = body.encode() if isinstance(body, str) else body
        self.content_type = content_type


@pytest.fixture
def stub_endpoint() -> Iterator[StubEndpoint]:
    stub = StubEndpoint()

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            length = int(self.headers.get("Content-Length") or 0)
            stub.requests.append(self.rfile.read(length))
            if stub.hang:
                stub.release.wait(timeout=30)
                return
            self.send_response(stub.status)
            self.send_header("Content-Type", stub.content_type)
            self.send_header("Content-Length", str(len(stub.body)))
            self.end_headers()
            self.wfile.write(stub.body)

        def log_message(self, *args) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    stub.url = f"http://127.0.0.1:{server.server_address[1]}/"
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield stub
    finally:
        stub.release.set()
        server.shutdown()
        server.server_close()
