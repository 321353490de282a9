"""Routing, and the pipeline every Google request goes through.

Drive request: latency → Bearer token → fault dice → per-user write bucket → handler → maybe
hang up after the write → count. Every request is counted per endpoint and status.
"""

from __future__ import annotations

import html
import re
import time
from collections.abc import Callable
from dataclasses import dataclass
from email.message import Message

from . import control, drive, errors, oauth, uploads
from .core import Core
from .errors import DriveError
from .faults import Decision
from .httpd import DROP, Drop, Request, Response

Handler = Callable[..., Response]

# Route kinds: "oauth" (accounts.google.com / oauth2.googleapis.com), "drive" and "upload"
# (Bearer-authenticated; faults apply), "chunk" (resumable session URI: no auth, faults
# apply), "control" (/_fake: no latency, no faults, not counted).


@dataclass(frozen=True)
class Route:
    method: str
    pattern: re.Pattern[str]
    endpoint: str
    handler: Handler
    kind: str
    write: bool = False


def _route(
    method: str, path: str, endpoint: str, handler: Handler, kind: str, write: bool = False
) -> Route:
    regex = re.sub(r"\{(\w+)\}", r"(?P<\1>[^/]+)", path)
    return Route(method, re.compile(f"^{regex}$"), endpoint, handler, kind, write)


def _not_emulated(name: str) -> Handler:
    def handler(core: Core, request: Request, caller: drive.Caller) -> Response:
        raise errors.not_implemented(name)

    return handler


def _routes() -> list[Route]:
    files = "/drive/v3/files"
    routes = [
        _route("GET", "/o/oauth2/auth", "oauth.authorize", oauth.authorize, "oauth"),
        _route("GET", "/o/oauth2/v2/auth", "oauth.authorize", oauth.authorize, "oauth"),
        _route("POST", "/o/oauth2/consent", "oauth.consent", oauth.consent, "oauth"),
        _route("POST", "/token", "oauth.token", oauth.token, "oauth"),
        _route("POST", "/o/oauth2/token", "oauth.token", oauth.token, "oauth"),
        _route("POST", "/revoke", "oauth.revoke", oauth.revoke, "oauth"),
        _route("POST", "/o/oauth2/revoke", "oauth.revoke", oauth.revoke, "oauth"),
        _route("GET", "/drive/v3/about", "drive.about.get", drive.about_get, "drive"),
        _route(
            "GET", f"{files}/generateIds", "drive.files.generateIds", drive.generate_ids, "drive"
        ),
        _route("GET", files, "drive.files.list", drive.files_list, "drive"),
        _route("POST", files, "drive.files.create", drive.files_create, "drive", write=True),
        _route(
            "DELETE",
            f"{files}/trash",
            "drive.files.emptyTrash",
            _not_emulated("files.emptyTrash"),
            "drive",
            True,
        ),
        _route("GET", f"{files}/{{fileId}}", "drive.files.get", drive.files_get, "drive"),
        _route(
            "PATCH", f"{files}/{{fileId}}", "drive.files.update", drive.files_update, "drive", True
        ),
        _route(
            "DELETE", f"{files}/{{fileId}}", "drive.files.delete", drive.files_delete, "drive", True
        ),
    ]
    for method, name in (
        ("POST", "copy"),
        ("GET", "export"),
        ("POST", "watch"),
        ("POST", "download"),
    ):
        routes.append(
            _route(
                method,
                f"{files}/{{fileId}}/{name}",
                f"drive.files.{name}",
                _not_emulated(f"files.{name}"),
                "drive",
                method == "POST",
            )
        )
    for prefix in ("/upload", "/resumable/upload"):
        routes += [
            _route(
                "POST", f"{prefix}{files}", "upload.create", uploads.upload_create, "upload", True
            ),
            _route(
                "PATCH",
                f"{prefix}{files}/{{fileId}}",
                "upload.update",
                uploads.upload_update,
                "upload",
                True,
            ),
            _route("PUT", f"{prefix}{files}", "upload.resumable.put", _chunk, "chunk", True),
            _route(
                "PUT", f"{prefix}{files}/{{fileId}}", "upload.resumable.put", _chunk, "chunk", True
            ),
        ]
    routes += [
        _route("GET", "/_fake/", "control.index", control.index, "control"),
        _route("GET", "/_fake", "control.index", control.index, "control"),
        _route("GET", "/_fake/state", "control.state", control.state, "control"),
        _route("GET", "/_fake/config", "control.config", control.get_config, "control"),
        _route("POST", "/_fake/config", "control.config", control.post_config, "control"),
        _route("POST", "/_fake/reset", "control.reset", control.reset, "control"),
        _route("POST", "/_fake/clients", "control.clients", control.post_client, "control"),
        _route("POST", "/_fake/users", "control.users", control.post_user, "control"),
        _route(
            "POST", "/_fake/users/{email}/revoke", "control.revoke", control.user_revoke, "control"
        ),
        _route(
            "POST", "/_fake/users/{email}/files", "control.files", control.user_files, "control"
        ),
        _route("POST", "/_fake/faults", "control.faults", control.inject_fault, "control"),
        _route("POST", "/_fake/clock", "control.clock", control.advance_clock, "control"),
        _route("GET", "/_fake/drive/{email}", "control.drive", control.drive_tree, "control"),
        _route(
            "GET",
            "/_fake/files/{fileId}/content",
            "control.content",
            control.file_content,
            "control",
        ),
    ]
    return routes


def _chunk(core: Core, request: Request, caller: None) -> Response:
    return uploads.resumable_put(core, request)


class App:
    """The WSGI-less application: `app(request) -> Response | DROP`."""

    def __init__(self, core: Core) -> None:
        self.core = core
        self.routes = _routes()

    def __call__(self, request: Request) -> Response | Drop:
        route = self._match(request)
        if route is None:
            return self._not_found(request)
        request.endpoint = self._endpoint_name(route, request)
        if route.kind == "control":
            return route.handler(self.core, request)
        self.core.request_started()
        outcome: Response | Drop = Response.empty(500)
        try:
            outcome = self._google(route, request)
            return outcome
        finally:
            self.core.request_finished()
            status = "dropped" if outcome is DROP else str(getattr(outcome, "status", 500))
            self.core.store.count(request.endpoint, status)

    def stalled_body(self, method: str, path: str) -> None:
        """Count a request abandoned because its promised body never arrived."""
        probe = Request(method, path, {}, Message(), b"", "")
        route = self._match(probe)
        self.core.store.count(route.endpoint if route else "unknown", "body_timeout")

    def _google(self, route: Route, request: Request) -> Response | Drop:
        config = self.core.config
        if config.latency_ms:
            time.sleep(config.latency_ms / 1000.0)
        if route.kind == "oauth":
            return route.handler(self.core, request)
        try:
            caller = (
                drive.authenticate(self.core, request, write=route.write)
                if route.kind != "chunk"
                else None
            )
            decision = self.core.faults.decide(
                config, request.endpoint, request.method, route.write
            )
            if decision.error == "drop":
                return DROP
            if decision.error == "expire_session":
                uploads.expire_session(self.core, request.arg("upload_id") or "")
            elif decision.error:
                raise _fault_error(decision, config.retry_after_s)
            limited = route.write and caller is not None
            if limited and not self.core.faults.allow_write(config, caller.email):
                raise errors.user_rate_limit_exceeded()
            response = route.handler(self.core, request, caller)
        except DriveError as exc:
            return _error_response(exc, request)
        if decision.drop_after_write and response.status < 400:
            # The write happened; the client never hears about it.
            return DROP
        return response

    def _match(self, request: Request) -> Route | None:
        for route in self.routes:
            if route.method != request.method and not (
                request.method == "HEAD" and route.method == "GET"
            ):
                continue
            match = route.pattern.match(request.path)
            if match:
                request.params = match.groupdict()
                return route
        return None

    @staticmethod
    def _endpoint_name(route: Route, request: Request) -> str:
        if route.kind == "upload":
            return f"{route.endpoint}.{uploads.upload_type(request)}"
        return route.endpoint

    def _not_found(self, request: Request) -> Response:
        self.core.store.count("unknown", "404")
        return Response.html(
            f"<!doctype html><title>Error 404 (Not Found)</title><p><b>404.</b> "
            f"The requested URL <code>{html.escape(request.path)}</code> was not found on "
            "this server.",
            404,
        )


def _error_response(exc: DriveError, request: Request) -> Response:
    if exc.plain:
        response = Response.raw(exc.message.encode(), "text/plain; charset=utf-8", exc.code)
        response.headers.extend(exc.headers.items())
        return response
    pretty = (request.arg("prettyPrint") or "true").lower() != "false"
    return Response.json(exc.body(), exc.code, headers=exc.headers, pretty=pretty)


def _fault_error(decision: Decision, retry_after: int | None) -> DriveError:
    kind = decision.error
    if kind == "429":
        return errors.rate_limit_exceeded(retry_after)
    if kind == "rate_limit":
        return errors.user_rate_limit_exceeded()
    if kind == "quota":
        return errors.storage_quota_exceeded()
    return errors.backend_error(int(kind or 500), retry_after)
