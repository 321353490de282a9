"""`FakeGoogle`: the in-process API for tests and benchmarks.

fake = FakeGoogle()
fake.start()                      # fake.url == "http://127.0.0.1:54321"
fake.configure(p_503=0.1, seed=7)
...
fake.stop()
"""

from __future__ import annotations

import html
import re
import threading
from html.parser import HTMLParser
from typing import Any
from urllib.parse import urljoin

from .app import App
from .clock import Clock
from .config import Config
from .core import (
    DEFAULT_CLIENT_ID,
    DEFAULT_CLIENT_SECRET,
    DEFAULT_REDIRECT_URI,
    DEFAULT_USERS,
    Baseline,
    Core,
)
from .dump import state_dump
from .httpd import FakeHTTPServer
from .state import FOLDER_MIME, Client


class FakeGoogle:
    """A local Google (OAuth + Drive v3) on a free port, with knobs for faults and limits."""

    def __init__(
        self,
        *,
        client_id: str = DEFAULT_CLIENT_ID,
        client_secret: str = DEFAULT_CLIENT_SECRET,
        redirect_uris: list[str] | None = None,
        users: list[tuple[str, str]] | None = None,
        **config: Any,
    ) -> None:
        baseline = Baseline(
            config=Config().updated(**config),
            clients=[
                Client(client_id, client_secret, list(redirect_uris or [DEFAULT_REDIRECT_URI]))
            ],
            users=list(DEFAULT_USERS if users is None else users),
        )
        self.core = Core(baseline)
        self.app = App(self.core)
        self.url = ""
        self._httpd: FakeHTTPServer | None = None
        self._thread: threading.Thread | None = None

    # --- lifecycle ----------------------------------------------------------------------

    def start(self, host: str = "127.0.0.1", port: int = 0) -> FakeGoogle:
        self._httpd = FakeHTTPServer(
            (host, port),
            self.app,
            body_timeout=lambda: self.core.config.body_timeout_s,
            on_stalled_body=self.app.stalled_body,
        )
        bound_host, bound_port = self._httpd.server_address[:2]
        self.url = f"http://{bound_host}:{bound_port}"
        self._thread = threading.Thread(
            target=self._httpd.serve_forever, args=(0.05,), name="fake_google", daemon=True
        )
        self._thread.start()
        return self

    def stop(self) -> None:
        if self._httpd is None:
            return
        self._httpd.shutdown()
        self._httpd.close_all_connections()
        self._httpd.server_close()
        if self._thread:
            self._thread.join(timeout=5)
        self._httpd = None

    def __enter__(self) -> FakeGoogle:
        return self.start() if self._httpd is None else self

    def __exit__(self, *exc: object) -> None:
        self.stop()

    # --- URLs the app is configured with ------------------------------------------------

    @property
    def auth_uri(self) -> str:
        return f"{self.url}/o/oauth2/auth"

    @property
    def token_uri(self) -> str:
        return f"{self.url}/token"

    @property
    def revoke_uri(self) -> str:
        return f"{self.url}/revoke"

    @property
    def api_root(self) -> str:
        return f"{self.url}/"

    def settings(self) -> dict[str, str]:
        """The four settings that point the app at this fake."""
        return {
            "GOOGLE_OAUTH_AUTH_URI": self.auth_uri,
            "GOOGLE_OAUTH_TOKEN_URI": self.token_uri,
            "GOOGLE_OAUTH_REVOKE_URI": self.revoke_uri,
            "GOOGLE_API_ROOT": self.api_root,
        }

    # --- knobs and operator actions -----------------------------------------------------

    @property
    def clock(self) -> Clock:
        return self.core.clock

    @property
    def config(self) -> Config:
        return self.core.config

    def reset(self) -> None:
        """Back to how it started: no files, grants or counters; baseline clients, users, config."""
        self.core.reset()

    def configure(self, **knobs: Any) -> Config:
        """Change faults/limits/lifetimes at run time (same names as POST /_fake/config)."""
        return self.core.configure(**knobs)

    def inject_fault(
        self, kind: str, count: int = 1, endpoint: str | None = None, method: str | None = None
    ) -> None:
        """The next `count` matching Drive requests meet `kind` (see faults.FAULT_KINDS)."""
        self.core.faults.inject(kind, count=count, endpoint=endpoint, method=method)

    def register_client(
        self, client_id: str, client_secret: str, redirect_uris: list[str], name: str | None = None
    ) -> None:
        self.core.register_client(client_id, client_secret, redirect_uris, name)

    def add_user(self, email: str, name: str | None = None) -> None:
        self.core.add_user(email, name)

    def user_revokes_app(self, email: str, client_id: str | None = None) -> int:
        return self.core.user_revokes_app(email, client_id)

    def seed_user_file(
        self,
        email: str,
        name: str,
        *,
        mime_type: str = FOLDER_MIME,
        parent_id: str | None = None,
        content: bytes | None = None,
        app_properties: dict[str, str] | None = None,
        created_by_client: str | None = None,
    ) -> str:
        """A file made outside our OAuth client (by the user in Drive's UI); returns its id."""
        return self.core.seed_user_file(
            email,
            name,
            mime_type=mime_type,
            parent_id=parent_id,
            content=content,
            app_properties=app_properties,
            created_by_client=created_by_client,
        )

    def state_dump(self) -> dict[str, Any]:
        return state_dump(self.core)

    def files(self, email: str | None = None) -> list[dict[str, Any]]:
        """Shortcut: the files of the dump (optionally one account's)."""
        return [f for f in self.state_dump()["files"] if email is None or f["owner"] == email]

    # --- the browser's part of the consent flow -----------------------------------------

    def authorize(
        self,
        auth_url: str,
        email: str = DEFAULT_USERS[0][0],
        allow: bool = True,
        scopes: list[str] | None = None,
    ) -> str:
        """Do what a person's browser does on the consent page; return where Google redirects.

        GETs `auth_url`, picks `email` (typing it in when it is not listed), ticks `scopes`
        (default: every scope checkbox) and presses Allow or Deny. Returns the callback URL
        with `code` and `state` (or `error=access_denied`). Raises `AuthorizeError` when
        Google shows an error page instead of the consent screen.
        """
        # The only third-party import of the package, here so that the server itself runs on
        # the standard library alone (`python -S -m fake_google`).
        import requests

        with requests.Session() as browser:
            page = browser.get(auth_url, allow_redirects=False, timeout=30)
            if page.status_code in (301, 302, 303):
                return page.headers["Location"]
            form = _parse_consent_form(page.text)
            if page.status_code != 200 or form is None:
                raise AuthorizeError(page.status_code, _error_text(page.text))
            data: list[tuple[str, str]] = [("consent_id", form.hidden["consent_id"])]
            if email in form.accounts:
                data.append(("account", email))
            else:
                data.append(("other_email", email))
            for scope in form.scopes if scopes is None else scopes:
                data.append(("scope", scope))
            data.append(("action", "allow" if allow else "deny"))
            answer = browser.post(
                urljoin(page.url, form.action), data=data, allow_redirects=False, timeout=30
            )
            if answer.status_code != 302:
                raise AuthorizeError(answer.status_code, _error_text(answer.text))
            return answer.headers["Location"]


class AuthorizeError(Exception):
    """Google showed an error page (bad client, redirect URI, scope...) instead of consent."""

    def __init__(self, status: int, text: str) -> None:
        super().__init__(f"{status}: {text}")
        self.status = status
        self.text = text


class _ConsentForm(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.action = ""
        self.hidden: dict[str, str] = {}
        self.accounts: list[str] = []
        self.scopes: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        attributes = {k: v or "" for k, v in attrs}
        if tag == "form":
            self.action = attributes.get("action", "")
        elif tag == "input":
            kind, name, value = (
                attributes.get("type"),
                attributes.get("name"),
                attributes.get("value", ""),
            )
            if kind == "hidden" and name:
                self.hidden[name] = value
            elif kind == "radio" and name == "account":
                self.accounts.append(value)
            elif kind == "checkbox" and name == "scope":
                self.scopes.append(value)


def _parse_consent_form(page: str) -> _ConsentForm | None:
    parser = _ConsentForm()
    parser.feed(page)
    return parser if "consent_id" in parser.hidden else None


def _error_text(page: str) -> str:
    match = re.search(r"Error: ([^<]+)</strong>", page)
    description = re.search(r"</h1><p>([^<]*)</p>", page)
    parts = [m.group(1) for m in (match, description) if m]
    return html.unescape(" - ".join(parts)) if parts else page[:200]
