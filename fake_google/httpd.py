"""HTTP plumbing: a threaded HTTP/1.1 keep-alive server that hands `Request`s to an app.

Every response carries Content-Length so clients keep their connections. An app may answer
`DROP` instead of a `Response`: the server then closes the socket without writing a byte,
which is how a connection "dropped after the write took effect" looks to a client.
"""

from __future__ import annotations

import contextlib
import json
import socket
import sys
import threading
import traceback
from collections.abc import Callable
from dataclasses import dataclass, field
from email.message import Message
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit


@dataclass
class Request:
    method: str
    path: str
    query: dict[str, list[str]]
    headers: Message
    body: bytes
    base_url: str
    # Filled in by the router: the counter name ("drive.files.create") and path parameters.
    endpoint: str = ""
    params: dict[str, str] = field(default_factory=dict)

    def arg(self, name: str, default: str | None = None) -> str | None:
        """First value of a query parameter."""
        values = self.query.get(name)
        return values[0] if values else default

    def header(self, name: str, default: str | None = None) -> str | None:
        return self.headers.get(name, default)

    def form(self) -> dict[str, list[str]]:
        """The urlencoded body (plus nothing from the query string)."""
        return parse_qs(self.body.decode("utf-8", "replace"), keep_blank_values=True)

    def json(self) -> Any:
        return json.loads(self.body.decode("utf-8")) if self.body.strip() else {}


@dataclass
class Response:
    status: int
    body: bytes = b""
    headers: list[tuple[str, str]] = field(default_factory=list)

    @classmethod
    def json(
        cls,
        payload: Any,
        status: int = 200,
        headers: dict[str, str] | None = None,
        pretty: bool = True,
    ) -> Response:
        text = json.dumps(payload, indent=2 if pretty else None, ensure_ascii=False)
        extra = list((headers or {}).items())
        return cls(
            status,
            text.encode("utf-8"),
            [("Content-Type", "application/json; charset=UTF-8"), *extra],
        )

    @classmethod
    def html(cls, text: str, status: int = 200) -> Response:
        return cls(status, text.encode("utf-8"), [("Content-Type", "text/html; charset=utf-8")])

    @classmethod
    def redirect(cls, location: str) -> Response:
        return cls(302, b"", [("Location", location), ("Content-Type", "text/html; charset=UTF-8")])

    @classmethod
    def empty(cls, status: int = 204, headers: dict[str, str] | None = None) -> Response:
        return cls(status, b"", list((headers or {}).items()))

    @classmethod
    def raw(cls, body: bytes, content_type: str, status: int = 200) -> Response:
        return cls(status, body, [("Content-Type", content_type)])


class Drop:
    def __repr__(self) -> str:
        return "DROP"


DROP = Drop()
App = Callable[[Request], "Response | Drop"]
BodyTimeout = Callable[[], float]
# Told (method, path) when a client promised a body and never sent it.
StalledHook = Callable[[str, str], None]

_REASONS = {308: "Resume Incomplete"}


class FakeHTTPServer(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True
    block_on_close = False
    request_queue_size = 512

    def __init__(
        self,
        address: tuple[str, int],
        app: App,
        body_timeout: BodyTimeout,
        on_stalled_body: StalledHook | None = None,
    ) -> None:
        self.app = app
        self.body_timeout = body_timeout
        self.on_stalled_body = on_stalled_body
        self._connections: set[socket.socket] = set()
        self._connections_lock = threading.Lock()
        super().__init__(address, _Handler)

    def process_request(self, request: Any, client_address: Any) -> None:
        with self._connections_lock:
            self._connections.add(request)
        super().process_request(request, client_address)

    def shutdown_request(self, request: Any) -> None:
        with self._connections_lock:
            self._connections.discard(request)
        super().shutdown_request(request)

    def close_all_connections(self) -> None:
        """Hang up on every client so idle keep-alive threads end with the server."""
        with self._connections_lock:
            connections = list(self._connections)
        for connection in connections:
            with contextlib.suppress(OSError):
                connection.shutdown(socket.SHUT_RDWR)


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server: FakeHTTPServer
    server_version = "ESF"
    sys_version = ""

    def setup(self) -> None:
        super().setup()
        self.connection.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)

    def do_GET(self) -> None:
        self._serve()

    def do_POST(self) -> None:
        self._serve()

    def do_PUT(self) -> None:
        self._serve()

    def do_PATCH(self) -> None:
        self._serve()

    def do_DELETE(self) -> None:
        self._serve()

    def do_HEAD(self) -> None:
        self._serve()

    def log_message(self, format: str, *args: Any) -> None:
        # Quiet by default: tests and benchmarks make thousands of requests.
        pass

    def _serve(self) -> None:
        body = self._read_body()
        if body is None:
            # The promised body never came (e.g. a client re-sent a consumed stream):
            # give up on the request the way a front end times out, without an answer.
            self.close_connection = True
            if self.server.on_stalled_body:
                self.server.on_stalled_body(self.command, urlsplit(self.path).path)
            return
        request = self._build_request(body)
        try:
            outcome = self.server.app(request)
        except Exception:
            traceback.print_exc(file=sys.stderr)
            outcome = Response.json(
                {"error": {"code": 500, "message": "fake_google crashed: see its stderr"}},
                status=500,
            )
        if outcome is DROP:
            self.close_connection = True
            return
        assert isinstance(outcome, Response)
        self._write(outcome)

    def _read_body(self) -> bytes | None:
        """The request body, or None when the client stalls past the body timeout."""
        self.connection.settimeout(self.server.body_timeout())
        try:
            if "chunked" in (self.headers.get("Transfer-Encoding") or "").lower():
                return self._read_chunked()
            length = int(self.headers.get("Content-Length") or 0)
            body = self.rfile.read(length) if length > 0 else b""
            return body if len(body) == length else None
        except (TimeoutError, OSError, ValueError):
            return None
        finally:
            # Idle keep-alive connections wait as long as the client likes.
            with contextlib.suppress(OSError):
                self.connection.settimeout(None)

    def _read_chunked(self) -> bytes:
        chunks: list[bytes] = []
        while True:
            size = int(self.rfile.readline().split(b";")[0].strip() or b"0", 16)
            if size == 0:
                while self.rfile.readline() not in (b"\r\n", b"\n", b""):
                    pass
                return b"".join(chunks)
            chunks.append(self.rfile.read(size))
            self.rfile.readline()

    def _build_request(self, body: bytes) -> Request:
        parts = urlsplit(self.path)
        host = self.headers.get("Host") or "{}:{}".format(*self.server.server_address[:2])
        return Request(
            method=self.command,
            path=parts.path,
            query=parse_qs(parts.query, keep_blank_values=True),
            headers=self.headers,
            body=body,
            base_url=f"http://{host}",
        )

    def _write(self, response: Response) -> None:
        self.send_response(response.status, _REASONS.get(response.status))
        names = set()
        for name, value in response.headers:
            names.add(name.lower())
            self.send_header(name, value)
        self.send_header("Content-Length", str(len(response.body)))
        if "cache-control" not in names:
            self.send_header("Cache-Control", "no-cache, no-store, max-age=0, must-revalidate")
        if self.close_connection:
            self.send_header("Connection", "close")
        # Head and body leave in one write: two small writes meet Nagle's algorithm and the
        # client's delayed ACK and cost ~40 ms per response.
        self._headers_buffer.append(b"\r\n")
        if self.command != "HEAD":
            self._headers_buffer.append(response.body)
        self.wfile.write(b"".join(self._headers_buffer))
        self._headers_buffer = []
