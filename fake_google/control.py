"""`/_fake/...`: the runtime control API for other processes and the operator's pages."""

from __future__ import annotations

from typing import Any
from urllib.parse import unquote

from . import pages
from .core import Core
from .dump import file_summary, state_dump
from .httpd import Request, Response
from .state import FOLDER_MIME


def index(core: Core, request: Request) -> Response:
    return Response.html(pages.index_page(state_dump(core)))


def state(core: Core, request: Request) -> Response:
    return Response.json(state_dump(core))


def get_config(core: Core, request: Request) -> Response:
    return Response.json(core.config.as_dict())


def post_config(core: Core, request: Request) -> Response:
    knobs = _json_object(request)
    if isinstance(knobs, Response):
        return knobs
    try:
        config = core.configure(**knobs)
    except (TypeError, ValueError) as exc:
        return _bad(str(exc))
    return Response.json(config.as_dict())


def reset(core: Core, request: Request) -> Response:
    core.reset()
    return Response.json({"reset": True})


def post_client(core: Core, request: Request) -> Response:
    data = _json_object(request)
    if isinstance(data, Response):
        return data
    try:
        client = core.register_client(
            data["client_id"], data["client_secret"], list(data.get("redirect_uris") or [])
        )
    except KeyError as exc:
        return _bad(f"missing {exc}")
    return Response.json({"client_id": client.client_id, "redirect_uris": client.redirect_uris})


def post_user(core: Core, request: Request) -> Response:
    data = _json_object(request)
    if isinstance(data, Response):
        return data
    if "@" not in str(data.get("email", "")):
        return _bad("email is required")
    core.add_user(data["email"], data.get("name"))
    return Response.json({"email": data["email"]})


def user_revoke(core: Core, request: Request) -> Response:
    email = unquote(request.params["email"])
    data = _json_object(request) if request.body else {}
    if isinstance(data, Response):
        return data
    revoked = core.user_revokes_app(email, data.get("client_id"))
    return Response.json({"email": email, "revoked_grants": revoked})


def user_files(core: Core, request: Request) -> Response:
    """Pre-seed a file the user made in Drive's UI (not through any OAuth client)."""
    email = unquote(request.params["email"])
    data = _json_object(request)
    if isinstance(data, Response):
        return data
    if not data.get("name"):
        return _bad("name is required")
    file_id = core.seed_user_file(
        email,
        data["name"],
        mime_type=data.get("mimeType") or FOLDER_MIME,
        parent_id=data.get("parent"),
        content=str(data.get("content", "")).encode() if "content" in data else None,
        app_properties=data.get("appProperties"),
        created_by_client=data.get("created_by_client"),
    )
    return Response.json({"id": file_id})


def inject_fault(core: Core, request: Request) -> Response:
    data = _json_object(request)
    if isinstance(data, Response):
        return data
    try:
        core.faults.inject(
            str(data.get("kind")),
            count=int(data.get("count", 1)),
            endpoint=data.get("endpoint"),
            method=data.get("method"),
        )
    except ValueError as exc:
        return _bad(str(exc))
    return Response.json({"pending": core.faults.pending()})


def advance_clock(core: Core, request: Request) -> Response:
    data = _json_object(request)
    if isinstance(data, Response):
        return data
    try:
        core.clock.advance(float(data.get("seconds", 0)))
    except ValueError as exc:
        return _bad(str(exc))
    return Response.json({"offset_s": core.clock.offset})


def drive_tree(core: Core, request: Request) -> Response:
    email = unquote(request.params["email"])
    store = core.store
    with store.lock:
        user = store.users.get(email)
        if user is None:
            return Response.html(pages.oauth_error_page("not_found", f"No account {email}"), 404)
        files = [
            file_summary(store, f)
            for f in sorted(store.files.values(), key=lambda f: f.seq)
            if f.owner == email and not f.is_root
        ]
    return Response.html(pages.drive_tree_page(email, files, user.root_id))


def file_content(core: Core, request: Request) -> Response:
    file = core.store.files.get(request.params["fileId"])
    if file is None or file.content is None:
        return Response.json({"error": "no such file content"}, 404)
    return Response.raw(file.content, file.mime_type)


def _json_object(request: Request) -> dict[str, Any] | Response:
    try:
        data = request.json()
    except ValueError as exc:
        return _bad(f"invalid JSON: {exc}")
    if not isinstance(data, dict):
        return _bad("expected a JSON object")
    return data


def _bad(message: str) -> Response:
    return Response.json({"error": message}, 400)
