"""The fake's brain without HTTP: state, configuration, clock, faults and operator actions."""

from __future__ import annotations

import threading
from dataclasses import dataclass, field

from .clock import Clock
from .config import Config
from .faults import FaultInjector
from .state import FOLDER_MIME, Client, DriveFile, Store

DEFAULT_CLIENT_ID = "fake-client-id.apps.googleusercontent.com"
DEFAULT_CLIENT_SECRET = "fake-client-secret"
DEFAULT_REDIRECT_URI = "http://127.0.0.1:8000/integrations/google-drive/callback/"
DEFAULT_USERS = (
    ("merchant@example.com", "Demo Merchant"),
    ("other.account@example.com", "Other Account"),
)


@dataclass
class Baseline:
    """What `reset()` returns to: the clients, users and config the fake was started with."""

    config: Config
    clients: list[Client] = field(default_factory=list)
    users: list[tuple[str, str]] = field(default_factory=list)


class Core:
    def __init__(self, baseline: Baseline) -> None:
        self.baseline = baseline
        self.clock = Clock()
        self.store = Store()
        self.faults = FaultInjector(self.clock)
        self.config = baseline.config
        self._config_lock = threading.Lock()
        self.in_flight = 0
        self.peak_concurrency = 0
        self._flight_lock = threading.Lock()
        self.reset()

    # --- lifecycle and knobs ------------------------------------------------------------

    def reset(self) -> None:
        """Forget every file, grant and counter; back to the baseline clients, users, config."""
        with self.store.lock:
            self.store.clear(id_seed=self.baseline.config.seed)
            self.config = self.baseline.config
            self.clock.reset()
            self.faults.reset(self.config.seed)
            for client in self.baseline.clients:
                self.store.clients[client.client_id] = Client(
                    client.client_id, client.client_secret, list(client.redirect_uris), client.name
                )
            for email, name in self.baseline.users:
                self.store.add_user(email, name, self.clock.time())
        with self._flight_lock:
            self.peak_concurrency = self.in_flight

    def configure(self, **knobs: object) -> Config:
        with self._config_lock:
            new = self.config.updated(**knobs)
            if "seed" in knobs:
                self.faults.reseed(new.seed)
            self.config = new
            return new

    def request_started(self) -> None:
        with self._flight_lock:
            self.in_flight += 1
            self.peak_concurrency = max(self.peak_concurrency, self.in_flight)

    def request_finished(self) -> None:
        with self._flight_lock:
            self.in_flight -= 1

    # --- operator actions ---------------------------------------------------------------

    def register_client(
        self, client_id: str, client_secret: str, redirect_uris: list[str], name: str | None = None
    ) -> Client:
        client = Client(client_id, client_secret, list(redirect_uris), name or "Drive Backup")
        with self.store.lock:
            existing = self.store.clients.get(client_id)
            if existing:
                existing.client_secret = client_secret
                existing.redirect_uris = list(dict.fromkeys(existing.redirect_uris + redirect_uris))
                return existing
            self.store.clients[client_id] = client
        return client

    def add_user(self, email: str, name: str | None = None) -> None:
        self.store.add_user(email, name or email.split("@")[0], self.clock.time())

    def user_revokes_app(self, email: str, client_id: str | None = None) -> int:
        """The user removes the app under "Third-party apps with account access".

        Every grant of that user (for `client_id`, or for every client) ends; returns how many.
        """
        now = self.clock.time()
        count = 0
        with self.store.lock:
            for grant in self.store.grants.values():
                if grant.email != email or not grant.active:
                    continue
                if client_id and grant.client_id != client_id:
                    continue
                revoke_grant(self.store, grant.id, now, by="user")
                count += 1
        return count

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
        """A file the user made in Drive's own UI (invisible to drive.file tokens); its id."""
        now = self.clock.time()
        with self.store.lock:
            if email not in self.store.users:
                self.add_user(email)
            user = self.store.users[email]
            file = DriveFile(
                id=self.store.new_file_id(),
                owner=email,
                name=name,
                mime_type=mime_type,
                parents=[parent_id or user.root_id],
                created_time=now,
                modified_time=now,
                seq=self.store.next_seq(),
                created_by_client=created_by_client,
            )
            if mime_type != FOLDER_MIME:
                file.set_content(content or b"")
            if app_properties:
                file.app_properties[created_by_client or ""] = dict(app_properties)
            self.store.insert_file(file)
            return file.id


def revoke_grant(store: Store, grant_id: str, now: float, by: str) -> None:
    """End a grant: its refresh tokens, access tokens and unused codes all stop working."""
    with store.lock:
        grant = store.grants[grant_id]
        if grant.active:
            grant.revoked_at = now
            grant.revoked_by = by
        for token in [t for t, v in store.access_tokens.items() if v.grant_id == grant_id]:
            del store.access_tokens[token]
        for token in [t for t, v in store.refresh_tokens.items() if v.grant_id == grant_id]:
            del store.refresh_tokens[token]
        for code in store.codes.values():
            if code.grant_id == grant_id:
                code.used = True
