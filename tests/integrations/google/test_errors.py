from __future__ import annotations

import json

import httplib2
import pytest
from google.auth import exceptions as auth_exceptions
from googleapiclient.errors import HttpError

from integrations.google.errors import ErrorKind, classify, parse_retry_after


def http_error(status: int, reason: str = "", headers: dict | None = None) -> HttpError:
    resp = httplib2.Response({"status": str(status), **(headers or {})})
    body = {"error": {"code": status, "message": "m", "errors": [{"reason": reason}]}}
    return HttpError(resp, json.dumps(body).encode(), uri="https://example.invalid/drive")


@pytest.mark.parametrize(
    ("status", "reason", "kind"),
    [
        (500, "backendError", ErrorKind.TRANSIENT),
        (503, "backendError", ErrorKind.TRANSIENT),
        (429, "rateLimitExceeded", ErrorKind.RATE_LIMITED),
        (403, "userRateLimitExceeded", ErrorKind.RATE_LIMITED),
        (403, "rateLimitExceeded", ErrorKind.RATE_LIMITED),
        (403, "storageQuotaExceeded", ErrorKind.QUOTA),
        (403, "dailyLimitExceeded", ErrorKind.UNAVAILABLE),
        (403, "insufficientPermissions", ErrorKind.ACCESS_LOST),
        (401, "authError", ErrorKind.ACCESS_LOST),
        (404, "notFound", ErrorKind.NOT_FOUND),
        (409, "fileIdInUse", ErrorKind.ID_IN_USE),
        (400, "invalid", ErrorKind.PERMANENT),
        (403, "appNotAuthorizedToFile", ErrorKind.PERMANENT),
    ],
)
def test_http_errors_are_classified(status, reason, kind):
    error = classify(http_error(status, reason))
    assert (error.kind, error.status, error.reason) == (kind, status, reason)


@pytest.mark.parametrize(
    "error",
    [
        # fake_google's answer (and one report of Google's).
        {"reason": "fileIdNotUsable", "message": "The provided file ID is not usable."},
        # What Google was seen answering for an id it would not take.
        {"reason": "invalid", "message": "The provided file ID is not usable."},
        {"reason": "invalid", "message": "Invalid value", "location": "file.id"},
    ],
)
def test_a_400_about_the_file_id_means_the_reserved_id_is_unusable(error):
    resp = httplib2.Response({"status": "400"})
    body = {"error": {"code": 400, "message": error["message"], "errors": [error]}}
    refused = classify(HttpError(resp, json.dumps(body).encode(), uri="https://x.invalid/"))
    assert refused.kind == ErrorKind.ID_UNUSABLE
    assert not refused.retryable and not refused.ends_run


def test_only_transient_and_rate_limited_are_retried():
    assert classify(http_error(503)).retryable
    assert classify(http_error(429)).retryable
    assert not classify(http_error(403, "storageQuotaExceeded")).retryable
    assert classify(http_error(403, "storageQuotaExceeded")).ends_run
    assert not classify(http_error(400, "invalid")).ends_run


def test_retry_after_is_read_in_seconds_or_as_a_date():
    error = classify(http_error(429, "rateLimitExceeded", {"retry-after": "7"}))
    assert error.retry_after == 7.0
    assert parse_retry_after("Wed, 21 Oct 2015 07:28:10 GMT", now=1445412480.0) == 10.0
    assert parse_retry_after("100000") == 120.0
    assert parse_retry_after("soon") is None


def test_revoked_grant_means_access_lost():
    data = {"error": "invalid_grant", "error_description": "Token has been expired or revoked."}
    error = classify(auth_exceptions.RefreshError("invalid_grant: ...", data))
    assert error.kind == ErrorKind.ACCESS_LOST
    assert "Token has been expired" in error.detail


def test_a_misconfigured_client_is_permanent_and_an_unreachable_token_endpoint_transient():
    bad_client = auth_exceptions.RefreshError("x", {"error": "invalid_client"})
    assert classify(bad_client).kind == ErrorKind.PERMANENT
    assert classify(auth_exceptions.TransportError("down")).kind == ErrorKind.TRANSIENT


def test_network_failures_are_transient_and_bugs_are_not_classified():
    assert classify(ConnectionResetError()).kind == ErrorKind.TRANSIENT
    assert classify(TimeoutError()).kind == ErrorKind.TRANSIENT
    assert classify(httplib2.ServerNotFoundError("x")).kind == ErrorKind.TRANSIENT
    assert classify(KeyError("id")) is None
