"""Errors in the JSON shapes Google's servers answer with.

Drive (and every googleapis.com JSON API) wraps errors as
``{"error": {"code", "message", "errors": [{"domain", "reason", "message", ...}], "status"}}``;
googleapiclient reads ``errors[0].reason`` to decide whether to retry. The OAuth endpoints use
the RFC 6749 shape ``{"error": "invalid_grant", "error_description": "..."}``.
"""

from __future__ import annotations

from typing import Any

# google.rpc.Code names Google puts in "status". Which name a given Drive error carries is
# partly an assumption (see README).
_RPC_STATUS = {
    400: "INVALID_ARGUMENT",
    401: "UNAUTHENTICATED",
    403: "PERMISSION_DENIED",
    404: "NOT_FOUND",
    409: "ALREADY_EXISTS",
    416: "OUT_OF_RANGE",
    429: "RESOURCE_EXHAUSTED",
    500: "INTERNAL",
    501: "UNIMPLEMENTED",
    503: "UNAVAILABLE",
}


class DriveError(Exception):
    """An error a Drive endpoint answers with."""

    def __init__(
        self,
        code: int,
        reason: str,
        message: str,
        *,
        domain: str = "global",
        location: str | None = None,
        location_type: str | None = None,
        headers: dict[str, str] | None = None,
        details: list[dict[str, Any]] | None = None,
        plain: bool = False,
    ) -> None:
        super().__init__(f"{code} {reason}: {message}")
        self.code = code
        self.reason = reason
        self.message = message
        self.domain = domain
        self.location = location
        self.location_type = location_type
        self.headers = headers or {}
        self.details = details
        # Google's upload server answers some errors with the message as text/plain, not JSON.
        self.plain = plain

    def body(self) -> dict[str, Any]:
        item: dict[str, Any] = {
            "message": self.message,
            "domain": self.domain,
            "reason": self.reason,
        }
        if self.location:
            item["location"] = self.location
            item["locationType"] = self.location_type or "parameter"
        error: dict[str, Any] = {
            "code": self.code,
            "message": self.message,
            "errors": [item],
            "status": _RPC_STATUS.get(self.code, "UNKNOWN"),
        }
        if self.details:
            error["details"] = self.details
        return {"error": error}


class OAuthError(Exception):
    """An error the token or revoke endpoint answers with (RFC 6749 §5.2 shape)."""

    def __init__(self, status: int, error: str, description: str) -> None:
        super().__init__(f"{status} {error}: {description}")
        self.status = status
        self.error = error
        self.description = description

    def body(self) -> dict[str, str]:
        return {"error": self.error, "error_description": self.description}


class AuthorizePageError(Exception):
    """An error the consent endpoint shows as a page (never a redirect)."""

    def __init__(self, status: int, error: str, description: str) -> None:
        super().__init__(f"{status} {error}: {description}")
        self.status = status
        self.error = error
        self.description = description


# --- Drive errors used in more than one place -------------------------------------------


def login_required() -> DriveError:
    return DriveError(
        401,
        "required",
        "Request is missing required authentication credential. Expected OAuth 2 access "
        "token, login cookie or other valid authentication credential. See "
        "https://developers.google.com/identity/sign-in/web/devconsole-project.",
        location="Authorization",
        location_type="header",
        headers={"WWW-Authenticate": 'Bearer realm="https://accounts.google.com/"'},
        details=[_error_info("CREDENTIALS_MISSING")],
    )


def invalid_credentials() -> DriveError:
    return DriveError(
        401,
        "authError",
        "Request had invalid authentication credentials. Expected OAuth 2 access token, "
        "login cookie or other valid authentication credential. See "
        "https://developers.google.com/identity/sign-in/web/devconsole-project.",
        location="Authorization",
        location_type="header",
        headers={
            "WWW-Authenticate": 'Bearer realm="https://accounts.google.com/", error="invalid_token"'
        },
        details=[_error_info("ACCESS_TOKEN_EXPIRED")],
    )


def insufficient_scopes() -> DriveError:
    return DriveError(
        403,
        "insufficientPermissions",
        "Request had insufficient authentication scopes.",
        details=[_error_info("ACCESS_TOKEN_SCOPE_INSUFFICIENT")],
    )


def file_not_found(file_id: str, location: str = "fileId") -> DriveError:
    return DriveError(
        404, "notFound", f"File not found: {file_id}.", location=location, location_type="parameter"
    )


def invalid_value(location: str, message: str = "Invalid Value") -> DriveError:
    return DriveError(400, "invalid", message, location=location, location_type="parameter")


def invalid_parameter(location: str, message: str) -> DriveError:
    return DriveError(
        400, "invalidParameter", message, location=location, location_type="parameter"
    )


def bad_request(message: str, reason: str = "badRequest") -> DriveError:
    return DriveError(400, reason, message)


def user_rate_limit_exceeded() -> DriveError:
    return DriveError(
        403,
        "userRateLimitExceeded",
        "User Rate Limit Exceeded. Rate of requests for user exceed configured project quota.",
        domain="usageLimits",
    )


def rate_limit_exceeded(retry_after: int | None) -> DriveError:
    return DriveError(
        429,
        "rateLimitExceeded",
        "Rate Limit Exceeded",
        domain="usageLimits",
        headers=_retry_after(retry_after),
    )


def backend_error(code: int, retry_after: int | None = None) -> DriveError:
    message = "Backend Error" if code == 500 else "The service is currently unavailable."
    return DriveError(
        code, "backendError", message, headers=_retry_after(retry_after) if code == 503 else None
    )


def storage_quota_exceeded() -> DriveError:
    return DriveError(
        403,
        "storageQuotaExceeded",
        "The user's Drive storage quota has been exceeded.",
        domain="usageLimits",
    )


def file_id_in_use(reason: str = "fileIdInUse") -> DriveError:
    return DriveError(409, reason, "A file already exists with the provided ID.")


def file_id_refused(style: str = "fileIdNotUsable") -> DriveError:
    """A client-chosen id Drive will not take, in one of the wordings seen for it.

    "fileIdNotUsable": our default guess at reason and location, with Google's message.
    "invalid": the same message under reason "invalid" and no location (as other
    simulators of Drive answer). "notSupported": a 403 in the words Drive uses to refuse
    generated ids for Docs Editors formats, which names no "file ID" at all.
    """
    message = "The provided file ID is not usable."
    if style == "invalid":
        return DriveError(400, "invalid", message)
    if style == "notSupported":
        return DriveError(
            403,
            "insufficientFilePermissions",
            "Generated IDs are not supported for this upload type.",
        )
    return DriveError(400, "fileIdNotUsable", message, location="file.id", location_type="other")


# Google's "Resolve errors" page words these account-wide refusals so.
_ACCOUNT_REFUSALS = {
    "activeItemCreationLimitExceeded": (
        "usageLimits",
        "The limit for this user's number of created items has been exceeded. To create more "
        "items, permanently delete some items.",
    ),
    "domainPolicy": ("global", "The domain administrators have disabled Drive apps."),
}


def account_write_refused(reason: str) -> DriveError:
    domain, message = _ACCOUNT_REFUSALS[reason]
    return DriveError(403, reason, message, domain=domain)


def parent_trashed(parent_id: str) -> DriveError:
    """A create inside a trashed folder, refused (reason and wording are our guess)."""
    return DriveError(400, "parentTrashed", f"The parent folder {parent_id} is in the trash.")


def upload_session_gone(status: int = 404) -> DriveError:
    if status == 410:
        return DriveError(410, "gone", "The upload session has expired.")
    return DriveError(404, "notFound", "Upload session not found or expired.")


def upload_offset_ahead(offset: int, received: int) -> DriveError:
    """A chunk that starts past what the session holds: Google answers 503, in plain text."""
    return DriveError(
        503,
        "backendError",
        f"Invalid request.  According to the Content-Range header, the upload offset is "
        f"{offset} byte(s), which exceeds already uploaded size of {received} byte(s).",
        plain=True,
    )


def not_implemented(method: str) -> DriveError:
    return DriveError(501, "notImplemented", f"fake_google does not emulate {method}.")


def _retry_after(seconds: int | None) -> dict[str, str] | None:
    return {"Retry-After": str(seconds)} if seconds is not None else None


def _error_info(reason: str) -> dict[str, Any]:
    return {
        "@type": "type.googleapis.com/google.rpc.ErrorInfo",
        "reason": reason,
        "domain": "googleapis.com",
        "metadata": {"service": "drive.googleapis.com", "method": "google.apps.drive.v3"},
    }
