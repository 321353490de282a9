"""Every rule about which Google failure is worth retrying, and which one ends what.

The rest of the code sees only `DriveError` and asks it what the failure means; nothing else
inspects HTTP statuses or Google's error reasons, and nothing else keeps a list of kinds.

The one retry policy, from the smallest scope to the largest (a 429, say):

1. the request: `retryable` failures (5xx, 408, 429, rate-limit 403s, dropped connections) are
   sent again by the client (`google.client`) after truncated exponential backoff with jitter,
   never sooner than Retry-After, up to BACKUP_DRIVE_MAX_ATTEMPTS; a rate limit also holds
   every worker's writes for that Google account (`google.pacing`);
2. the file: a failure left after those attempts fails only its file when it is
   `worth_another_run` (the next attempt or night sends it), or `permanent` (Drive refuses that
   file: not retried); the engine stops the run after a few such transient failures in a row;
3. the run: `ends_run` failures stop it at once (grant lost, Drive full, daily limit);
   a run whose failures are `worth_another_run` is retried by its task
   (BACKUP_RUN_RETRY_COUNTDOWNS), then caught up by the next night.
"""

from __future__ import annotations

import email.utils
import http.client
import json
import ssl
import time
from enum import StrEnum

import httplib2
from google.auth import exceptions as auth_exceptions
from googleapiclient.errors import HttpError

# Retry-After from Google is honoured, but a run does not sit idle for longer than this.
MAX_RETRY_AFTER_SECONDS = 120.0

RATE_LIMIT_REASONS = frozenset({"userRateLimitExceeded", "rateLimitExceeded"})
QUOTA_REASONS = frozenset({"storageQuotaExceeded", "quotaExceeded"})
# Project-wide daily limits: retrying within the run would only burn requests.
DAILY_LIMIT_REASONS = frozenset({"dailyLimitExceeded", "dailyLimitExceededUnreg"})
ACCESS_REASONS = frozenset({"insufficientPermissions", "authError", "required"})
# Refusals that hold for every create of the account, listed on Google's "Resolve errors"
# page (developers.google.com/drive/api/guides/handle-errors): too many items made by the
# account, or the administrator's policy. Sending the other files would only collect the
# same answer file by file.
ACCOUNT_REFUSAL_REASONS = frozenset({"activeItemCreationLimitExceeded", "domainPolicy"})
ACCESS_LOST_OAUTH_ERRORS = frozenset({"invalid_grant"})
CONFIGURATION_OAUTH_ERRORS = frozenset({"invalid_client", "unauthorized_client"})


class ErrorKind(StrEnum):
    # Worth the same request again after a backoff: 5xx, 408, a dropped connection.
    TRANSIENT = "transient"
    # Google asks us to slow down; retry after a backoff that honours Retry-After.
    RATE_LIMITED = "rate_limited"
    # The grant is gone (revoked, expired) or lacks the scope: only the merchant can fix it.
    ACCESS_LOST = "access_lost"
    # The merchant's Drive is full.
    QUOTA = "quota"
    # Not now, but the next run may succeed (daily project limit).
    UNAVAILABLE = "unavailable"
    NOT_FOUND = "not_found"
    # A create with a reserved id answered 409: an earlier attempt already landed.
    ID_IN_USE = "id_in_use"
    # A create with a reserved id answered 400 about that id: Drive will not take it (an id
    # it did not issue to this account, or one that lapsed). Nothing was created.
    ID_UNUSABLE = "id_unusable"
    # The account may create nothing more (item limit, administrator's policy): the run ends
    # with one message; the next night tries again.
    ACCOUNT_REFUSED = "account_refused"
    # Our request is wrong or the OAuth client is misconfigured; retrying will not help.
    PERMANENT = "permanent"


RETRY_KINDS = frozenset({ErrorKind.TRANSIENT, ErrorKind.RATE_LIMITED})
# After one of these no further request of the run can succeed.
RUN_ENDING_KINDS = frozenset(
    {ErrorKind.ACCESS_LOST, ErrorKind.QUOTA, ErrorKind.UNAVAILABLE, ErrorKind.ACCOUNT_REFUSED}
)
PERMANENT_KINDS = frozenset({ErrorKind.PERMANENT, ErrorKind.ID_UNUSABLE})
# Only the merchant can fix these (reconnect, free space): retrying the run would be a storm.
NOT_RETRIED_KINDS = frozenset({ErrorKind.ACCESS_LOST, ErrorKind.QUOTA, ErrorKind.ACCOUNT_REFUSED})


class DriveError(Exception):
    """A classified failure of a Google request."""

    def __init__(
        self,
        kind: ErrorKind,
        detail: str,
        *,
        status: int | None = None,
        reason: str = "",
        retry_after: float | None = None,
    ) -> None:
        super().__init__(detail)
        self.kind = kind
        self.detail = detail
        self.status = status
        self.reason = reason
        self.retry_after = retry_after

    @property
    def retryable(self) -> bool:
        """Worth the same request again after a backoff (the client does it)."""
        return self.kind in RETRY_KINDS

    @property
    def ends_run(self) -> bool:
        """No further request of the run can succeed (also `misconfigured`)."""
        return self.kind in RUN_ENDING_KINDS or self.misconfigured

    @property
    def access_lost(self) -> bool:
        """The merchant's grant is gone: only a reconnect helps."""
        return self.kind == ErrorKind.ACCESS_LOST

    @property
    def drive_full(self) -> bool:
        """The merchant's Drive has no room left: only the merchant can make some."""
        return self.kind == ErrorKind.QUOTA

    @property
    def account_refused(self) -> bool:
        """The account may create nothing more (item limit, administrator's policy)."""
        return self.kind == ErrorKind.ACCOUNT_REFUSED

    @property
    def misconfigured(self) -> bool:
        """Google refused our OAuth client itself (no HTTP status: the token endpoint)."""
        return self.kind == ErrorKind.PERMANENT and self.status is None

    @property
    def permanent(self) -> bool:
        """Drive refuses this request for good: the same file would fail again."""
        return self.kind in PERMANENT_KINDS

    @property
    def worth_another_run(self) -> bool:
        """A later attempt of the run (or the next night) may succeed where this failed."""
        return not (self.permanent or self.kind in NOT_RETRIED_KINDS)

    def __repr__(self) -> str:
        return f"DriveError({self.kind}, status={self.status}, reason={self.reason!r})"


class ChecksumMismatch(DriveError):
    """Drive stored different bytes than we sent."""

    def __init__(self, expected: str, actual: str | None) -> None:
        super().__init__(
            ErrorKind.TRANSIENT,
            f"md5 of the stored file is {actual or 'missing'}, expected {expected}",
            reason="md5Mismatch",
        )
        self.expected = expected
        self.actual = actual


NETWORK_ERRORS: tuple[type[BaseException], ...] = (
    httplib2.HttpLib2Error,
    http.client.HTTPException,
    ssl.SSLError,
    ConnectionError,
    TimeoutError,
)


def classify(exc: BaseException) -> DriveError | None:
    """The DriveError for a failure of a Google request, or None if it is not one (a bug)."""
    if isinstance(exc, DriveError):
        return exc
    if isinstance(exc, HttpError):
        return classify_http_error(exc)
    if isinstance(exc, auth_exceptions.RefreshError):
        return classify_refresh_error(exc)
    if isinstance(exc, (auth_exceptions.TransportError, *NETWORK_ERRORS)):
        return DriveError(ErrorKind.TRANSIENT, f"network: {type(exc).__name__}: {exc}")
    return None


def classify_http_error(exc: HttpError) -> DriveError:
    status = int(exc.resp.status)
    reason, message, location = _reason_message_location(exc.content)
    retry_after = parse_retry_after(exc.resp.get("retry-after"))
    detail = f"HTTP {status} {reason or ''}: {message}".strip()

    def error(kind: ErrorKind) -> DriveError:
        return DriveError(kind, detail, status=status, reason=reason, retry_after=retry_after)

    if status == 429 or reason in RATE_LIMIT_REASONS:
        return error(ErrorKind.RATE_LIMITED)
    if reason in QUOTA_REASONS:
        return error(ErrorKind.QUOTA)
    if reason in DAILY_LIMIT_REASONS:
        return error(ErrorKind.UNAVAILABLE)
    if status >= 500 or status == 408:
        return error(ErrorKind.TRANSIENT)
    # The HTTP layer already refreshed the token once on a 401: the grant itself is gone.
    if status == 401 or (status == 403 and reason in ACCESS_REASONS):
        return error(ErrorKind.ACCESS_LOST)
    if status == 403 and reason in ACCOUNT_REFUSAL_REASONS:
        return error(ErrorKind.ACCOUNT_REFUSED)
    if status == 404:
        return error(ErrorKind.NOT_FOUND)
    # Google documents a 409 for a create repeating a generated id, but no reason (observed:
    # "fileIdInUse"); our only 409-capable requests are creates under reserved ids, so any
    # 409 sends the caller to look the id up.
    if status == 409:
        return error(ErrorKind.ID_IN_USE)
    if status in (400, 403) and _is_about_the_file_id(reason, message, location):
        return error(ErrorKind.ID_UNUSABLE)
    return error(ErrorKind.PERMANENT)


def classify_refresh_error(exc: auth_exceptions.RefreshError) -> DriveError:
    data = exc.args[1] if len(exc.args) > 1 and isinstance(exc.args[1], dict) else {}
    oauth_error = str(data.get("error", ""))
    description = str(data.get("error_description", "")) or str(exc.args[0] if exc.args else "")
    detail = f"token refresh: {oauth_error or 'error'}: {description}"
    if oauth_error in ACCESS_LOST_OAUTH_ERRORS:
        return DriveError(ErrorKind.ACCESS_LOST, detail, reason=oauth_error)
    if oauth_error in CONFIGURATION_OAUTH_ERRORS:
        return DriveError(ErrorKind.PERMANENT, detail, reason=oauth_error)
    # google-auth's errors always carry `retryable` (GoogleAuthError, since 2.x).
    if exc.retryable or not oauth_error:
        return DriveError(ErrorKind.TRANSIENT, detail, reason=oauth_error)
    return DriveError(ErrorKind.PERMANENT, detail, reason=oauth_error)


def parse_retry_after(value: str | None, *, now: float | None = None) -> float | None:
    """Seconds to wait from a Retry-After header (delta-seconds or an HTTP date)."""
    if not value:
        return None
    value = value.strip()
    try:
        seconds = float(value)
    except ValueError:
        try:
            moment = email.utils.parsedate_to_datetime(value)
        except (TypeError, ValueError):
            return None
        seconds = moment.timestamp() - (time.time() if now is None else now)
    return min(max(seconds, 0.0), MAX_RETRY_AFTER_SECONDS)


def _is_about_the_file_id(reason: str, message: str, location: str) -> bool:
    """A 400 or 403 that refuses the id of a create ("The provided file ID is not usable.",
    "Generated IDs are not supported for ...").

    Google documents neither the reason nor the location of this answer; reports of it quote
    the message, with reason "invalid" or "fileIdNotUsable". Any of them will do. A refusal
    in other words is PERMANENT; the upload then tries once without an id (engine.upload).
    """
    text = message.lower()
    return (
        reason == "fileIdNotUsable"
        or location in ("id", "file.id")
        or "file id" in text
        or "generated id" in text
    )


def _reason_message_location(content: bytes | str | None) -> tuple[str, str, str]:
    if not content:
        return "", "", ""
    try:
        data = json.loads(content)
    except (ValueError, TypeError):
        text = content.decode("utf-8", "replace") if isinstance(content, bytes) else content
        return "", text[:200], ""
    error = data.get("error") if isinstance(data, dict) else None
    if isinstance(error, str):
        return error, str(data.get("error_description", "")), ""
    if not isinstance(error, dict):
        return "", "", ""
    items = error.get("errors") or []
    first = items[0] if items and isinstance(items[0], dict) else {}
    return (
        str(first.get("reason", "")),
        str(error.get("message", "")),
        str(first.get("location", "")),
    )
