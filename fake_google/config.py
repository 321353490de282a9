"""Run-time knobs: faults, limits and lifetimes. All off (or Google's defaults) by default."""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from typing import Any

PROBABILITY_KNOBS = ("p_500", "p_503", "p_429", "p_drop_after_write")

# Choices of the knobs for answers Google does not document (README: "Alternative answers").
ID_REFUSALS = ("fileIdNotUsable", "invalid", "notSupported")
UPLOAD_ID_POLICIES = ("accept", "refuse")
RESUMABLE_ID_CHECKS = ("start", "final")
TRASHED_PARENT_ANSWERS = ("trash", "refuse")
EXPIRED_SESSION_STATUSES = (404, 410)
ACCOUNT_WRITE_REFUSALS = ("activeItemCreationLimitExceeded", "domainPolicy", "userAccessDenied")


@dataclass(frozen=True)
class Config:
    """Everything `FakeGoogle.configure()` and `POST /_fake/config` can change."""

    # Seed of the fault dice; the same seed replays the same faults for the same requests.
    seed: int | None = None
    # Sleep added to every Google endpoint (not to /_fake), in milliseconds.
    latency_ms: float = 0.0
    # Per-user token bucket on Drive writes, answering 403 userRateLimitExceeded.
    write_limit: bool = False
    write_rate: float = 3.0
    write_burst: int = 10
    # Probabilities, drawn per Drive/upload request.
    p_500: float = 0.0
    p_503: float = 0.0
    p_429: float = 0.0
    # The write is applied, then the socket is closed without a status line.
    p_drop_after_write: float = 0.0
    # Seconds sent in Retry-After with 429/503 (Google usually sends none).
    retry_after_s: int | None = None
    # Per-user Drive storage quota in bytes (None = unlimited).
    storage_quota_bytes: int | None = None
    # Google issues access tokens valid for an hour and says expires_in=3599.
    access_token_lifetime: int = 3599
    auth_code_lifetime: int = 600
    # How long the server waits for a promised request body before hanging up.
    body_timeout_s: float = 2.0

    # --- Alternative answers: what Google might answer where it documents nothing. The
    # defaults are what the fake has always answered; README "Alternative answers" gives the
    # evidence for each side.
    # 1. The `reason` of the 409 for a create whose (generated) id is already taken.
    id_in_use_reason: str = "fileIdInUse"
    # 2. How a refused client-chosen id is worded (see errors.file_id_refused), whether
    # uploads (multipart, resumable) take generated ids at all, when a resumable create's id
    # is checked, and how long a generated id stays usable (None: forever).
    id_refusal: str = "fileIdNotUsable"
    upload_ids: str = "accept"
    resumable_id_check: str = "start"
    generated_id_lifetime_s: float | None = None
    # 3. A create inside a trashed folder: lands in the trash with it, or is refused.
    trashed_parent: str = "trash"
    # 4. What an expired or unknown resumable session answers, and how long one lives
    # (Google: a week).
    expired_session_status: int = 404
    upload_session_lifetime_s: float = 7 * 24 * 3600.0
    # 5. An account-wide refusal of every create (403 with this reason), or None.
    account_write_refusal: str | None = None
    # 6. The create answer leaves out md5Checksum even when `fields` asks for it.
    omit_md5_in_create: bool = False
    # 7. A create ignores the client-chosen id and gives the file a new one.
    replace_client_id: bool = False

    def updated(self, **changes: Any) -> Config:
        """A copy with `changes` applied, validated; unknown names raise ValueError."""
        known = {f.name for f in dataclasses.fields(self)}
        unknown = sorted(set(changes) - known)
        if unknown:
            raise ValueError(f"unknown config keys: {', '.join(unknown)}")
        new = dataclasses.replace(self, **{k: _coerce(k, v) for k, v in changes.items()})
        new.validate()
        return new

    def validate(self) -> None:
        for name in PROBABILITY_KNOBS:
            value = getattr(self, name)
            if not 0.0 <= value <= 1.0:
                raise ValueError(f"{name} must be between 0 and 1, got {value}")
        if self.p_500 + self.p_503 + self.p_429 > 1.0:
            raise ValueError("p_500 + p_503 + p_429 must not exceed 1")
        if self.write_rate <= 0 or self.write_burst < 1:
            raise ValueError("write_rate must be > 0 and write_burst >= 1")
        if self.latency_ms < 0 or self.body_timeout_s <= 0:
            raise ValueError("latency_ms must be >= 0 and body_timeout_s > 0")
        if self.access_token_lifetime < 1 or self.auth_code_lifetime < 1:
            raise ValueError("lifetimes must be at least one second")
        self._validate_alternatives()

    def _validate_alternatives(self) -> None:
        for name, choices in (
            ("id_refusal", ID_REFUSALS),
            ("upload_ids", UPLOAD_ID_POLICIES),
            ("resumable_id_check", RESUMABLE_ID_CHECKS),
            ("trashed_parent", TRASHED_PARENT_ANSWERS),
            ("expired_session_status", EXPIRED_SESSION_STATUSES),
        ):
            if getattr(self, name) not in choices:
                raise ValueError(f"{name} must be one of {', '.join(map(str, choices))}")
        refusal = self.account_write_refusal
        if refusal is not None and refusal not in ACCOUNT_WRITE_REFUSALS:
            raise ValueError(
                f"account_write_refusal must be null or one of {', '.join(ACCOUNT_WRITE_REFUSALS)}"
            )
        if not self.id_in_use_reason:
            raise ValueError("id_in_use_reason must not be empty")
        if self.generated_id_lifetime_s is not None and self.generated_id_lifetime_s < 0:
            raise ValueError("generated_id_lifetime_s must be >= 0")
        if self.upload_session_lifetime_s < 0:
            raise ValueError("upload_session_lifetime_s must be >= 0")

    def as_dict(self) -> dict[str, Any]:
        return dataclasses.asdict(self)


def _coerce(name: str, value: Any) -> Any:
    """Accept JSON/CLI spellings: "0.5" for floats, "true" for booleans, null for None."""
    if value is None:
        return None
    annotation = {f.name: f.type for f in dataclasses.fields(Config)}[name]
    if "bool" in annotation:
        if isinstance(value, str):
            return value.strip().lower() in ("1", "true", "yes", "on")
        return bool(value)
    if "float" in annotation:
        return float(value)
    if "int" in annotation:
        return int(value)
    return value
