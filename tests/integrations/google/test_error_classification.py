"""The one place that decides what a Google failure means: its public functions, by behaviour.

Undocumented answers are pinned here as the engine reads them (a 409 with any reason, a
refused id in other words, account-wide 403s); whole backups under them are the subject of
tests/integrations/engine/test_google_alternatives.py.
"""

from __future__ import annotations

import http.client
import json
import ssl

import httplib2
import pytest
from google.auth import exceptions as auth_exceptions
from googleapiclient.errors import HttpError

from integrations.google.errors import (
    MAX_RETRY_AFTER_SECONDS,
    ChecksumMismatch,
    DriveError,
    ErrorKind,
    classify,
    classify_http_error,
    classify_refresh_error,
    parse_retry_after,
)

# 2015-10-21 07:28:00 UTC.
NOW = 1445412480.0


def http_error(
    status: int,
    reason: str = "",
    message: str = "m",
    *,
    location: str | None = None,
    headers: dict[str, str] | None = None,
) -> HttpError:
    item = {"reason": reason, "message": message}
    if location is not None:
        item["location"] = location
    body = {"error": {"code": status, "message": message, "errors": [item]}}
    return raw_http_error(status, json.dumps(body).encode(), headers)


def raw_http_error(status: int, content: bytes, headers: dict[str, str] | None = None) -> HttpError:
    resp = httplib2.Response({"status": str(status), **(headers or {})})
    return HttpError(resp, content, uri="https://example.invalid/drive/v3/files")


# --- kinds and what they imply ---------------------------------------------------------


@pytest.mark.parametrize(
    ("kind", "retryable", "ends_run"),
    [
        (ErrorKind.TRANSIENT, True, False),
        (ErrorKind.RATE_LIMITED, True, False),
        (ErrorKind.ACCESS_LOST, False, True),
        (ErrorKind.QUOTA, False, True),
        (ErrorKind.UNAVAILABLE, False, True),
        (ErrorKind.NOT_FOUND, False, False),
        (ErrorKind.ID_IN_USE, False, False),
        (ErrorKind.ID_UNUSABLE, False, False),
        (ErrorKind.PERMANENT, False, False),
    ],
)
def test_each_kind_says_whether_to_retry_and_whether_the_run_ends(kind, retryable, ends_run):
    error = DriveError(kind, "what happened", status=400)

    assert (error.retryable, error.ends_run) == (retryable, ends_run)


def test_a_permanent_refusal_without_a_status_is_our_oauth_client_and_ends_the_run():
    """The token endpoint refusing the app itself (no HTTP answer of Drive to blame): every
    further request would fail the same way."""
    error = DriveError(ErrorKind.PERMANENT, "invalid_client")

    assert (error.misconfigured, error.retryable, error.ends_run) == (True, False, True)
    assert not DriveError(ErrorKind.PERMANENT, "bad request", status=400).misconfigured


def test_a_drive_error_keeps_what_it_was_told():
    error = DriveError(
        ErrorKind.RATE_LIMITED, "slow down", status=429, reason="rateLimitExceeded", retry_after=3
    )

    assert (error.kind, error.detail, str(error)) == (
        ErrorKind.RATE_LIMITED,
        "slow down",
        "slow down",
    )
    assert (error.status, error.reason, error.retry_after) == (429, "rateLimitExceeded", 3)
    assert repr(error) == "DriveError(rate_limited, status=429, reason='rateLimitExceeded')"
    bare = DriveError(ErrorKind.PERMANENT, "x")
    assert (bare.status, bare.reason, bare.retry_after) == (None, "", None)


def test_a_checksum_mismatch_is_worth_another_upload_and_says_both_sums():
    error = ChecksumMismatch("a" * 32, "b" * 32)

    assert error.kind == ErrorKind.TRANSIENT and error.retryable
    assert (error.expected, error.actual, error.reason) == ("a" * 32, "b" * 32, "md5Mismatch")
    assert error.detail == f"md5 of the stored file is {'b' * 32}, expected {'a' * 32}"
    missing = ChecksumMismatch("a" * 32, None)
    assert missing.actual is None
    assert missing.detail == f"md5 of the stored file is missing, expected {'a' * 32}"


# --- HTTP answers ----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("status", "reason", "kind"),
    [
        (408, "", ErrorKind.TRANSIENT),
        (500, "", ErrorKind.TRANSIENT),
        (502, "", ErrorKind.TRANSIENT),
        (504, "", ErrorKind.TRANSIENT),
        (429, "", ErrorKind.RATE_LIMITED),
        # A rate-limit reason wins over the status it came with.
        (503, "rateLimitExceeded", ErrorKind.RATE_LIMITED),
        (403, "quotaExceeded", ErrorKind.QUOTA),
        (403, "dailyLimitExceededUnreg", ErrorKind.UNAVAILABLE),
        # The reason decides, even under a 5xx.
        (500, "storageQuotaExceeded", ErrorKind.QUOTA),
        (500, "dailyLimitExceeded", ErrorKind.UNAVAILABLE),
        (401, "", ErrorKind.ACCESS_LOST),
        (401, "anything", ErrorKind.ACCESS_LOST),
        (403, "authError", ErrorKind.ACCESS_LOST),
        (403, "required", ErrorKind.ACCESS_LOST),
        (404, "", ErrorKind.NOT_FOUND),
        (400, "badRequest", ErrorKind.PERMANENT),
        (400, "invalid", ErrorKind.PERMANENT),
        (403, "activeItemCreationLimitExceeded", ErrorKind.ACCOUNT_REFUSED),
        (403, "domainPolicy", ErrorKind.ACCOUNT_REFUSED),
        # An account-wide reason names the account only in a 403.
        (400, "domainPolicy", ErrorKind.PERMANENT),
        (403, "someNewReason", ErrorKind.PERMANENT),
        (410, "gone", ErrorKind.PERMANENT),
    ],
)
def test_statuses_and_reasons_map_to_kinds(status, reason, kind):
    error = classify_http_error(http_error(status, reason))

    assert (error.kind, error.status, error.reason) == (kind, status, reason)


def test_a_reason_of_another_status_is_not_read_as_access_lost():
    # insufficientPermissions means a missing scope only in a 403.
    assert classify_http_error(http_error(400, "insufficientPermissions")).kind == (
        ErrorKind.PERMANENT
    )


def test_the_detail_names_status_reason_and_message():
    error = classify_http_error(
        http_error(403, "storageQuotaExceeded", "The user's Drive storage quota has been exceeded.")
    )

    assert error.detail == (
        "HTTP 403 storageQuotaExceeded: The user's Drive storage quota has been exceeded."
    )
    assert classify_http_error(raw_http_error(502, b"")).detail == "HTTP 502 :"


def test_retry_after_comes_from_the_answer_header():
    assert classify_http_error(http_error(503, headers={"retry-after": "7"})).retry_after == 7.0
    assert classify_http_error(http_error(503)).retry_after is None


@pytest.mark.parametrize(
    ("reason", "message", "location"),
    [
        ("fileIdNotUsable", "", None),
        ("invalid", "The provided file ID is not usable.", None),
        ("invalid", "Invalid value", "id"),
        ("invalid", "Invalid value", "file.id"),
        ("invalid", "A FILE ID that is not usable", None),
        ("insufficientFilePermissions", "Generated IDs are not supported for this type.", None),
    ],
)
@pytest.mark.parametrize("status", [400, 403])
def test_a_400_or_403_about_the_file_id_is_an_unusable_id(status, reason, message, location):
    error = classify_http_error(http_error(status, reason, message, location=location))

    assert error.kind == ErrorKind.ID_UNUSABLE
    assert error.permanent and not error.ends_run


@pytest.mark.parametrize(
    ("status", "reason", "message", "location"),
    [
        (400, "invalid", "Invalid value", "q"),
        (400, "invalid", "Invalid value", "fileId"),
        (400, "badRequest", "The file is not usable.", None),
        (404, "notFound", "File not found: the file ID given.", "fileId"),
        (401, "authError", "The file ID token expired.", "id"),
        (500, "backendError", "Generated IDs are not supported.", None),
        (403, "forbidden", "Generating IDs is not possible.", "ids"),
    ],
)
def test_other_answers_are_not_about_the_reserved_id(status, reason, message, location):
    error = classify_http_error(http_error(status, reason, message, location=location))

    assert error.kind != ErrorKind.ID_UNUSABLE


@pytest.mark.parametrize("reason", ["fileIdInUse", "duplicate", "conflict", ""])
def test_any_409_means_an_earlier_attempt_may_have_landed(reason):
    """Google documents a 409 for a repeated generated id, but not its reason."""
    error = classify_http_error(
        http_error(409, reason, "A file already exists with the provided ID.")
    )

    assert error.kind == ErrorKind.ID_IN_USE and not error.retryable and not error.ends_run
    assert error.worth_another_run and not error.permanent


def test_an_account_wide_refusal_ends_the_run_and_is_not_retried_within_it():
    error = classify_http_error(http_error(403, "activeItemCreationLimitExceeded", "Too many."))

    assert error.account_refused and error.ends_run
    assert not (error.retryable or error.permanent or error.worth_another_run)
    assert not (error.access_lost or error.drive_full or error.misconfigured)
    assert not classify_http_error(http_error(403, "someNewReason")).account_refused


@pytest.mark.parametrize(
    ("content", "reason", "detail"),
    [
        # Not JSON (a proxy's page): the start of the text is kept, no reason.
        (b"<html>Bad Gateway</html>", "", "HTTP 400 : <html>Bad Gateway</html>"),
        (b"x" * 300, "", "HTTP 400 : " + "x" * 200),
        # The OAuth shape, as the token endpoint answers.
        (
            json.dumps({"error": "invalid_request", "error_description": "Bad"}).encode(),
            "invalid_request",
            "HTTP 400 invalid_request: Bad",
        ),
        (json.dumps({"error": ["odd"]}).encode(), "", "HTTP 400 :"),
        (
            json.dumps({"error": {"errors": [{"reason": "badRequest"}]}}).encode(),
            "badRequest",
            "HTTP 400 badRequest:",
        ),
        (json.dumps([1, 2]).encode(), "", "HTTP 400 :"),
        (
            json.dumps({"error": {"message": "no list", "errors": []}}).encode(),
            "",
            "HTTP 400 : no list",
        ),
        (
            json.dumps({"error": {"message": "odd list", "errors": ["x"]}}).encode(),
            "",
            "HTTP 400 : odd list",
        ),
        (b"", "", "HTTP 400 :"),
    ],
)
def test_odd_bodies_are_read_without_failing(content, reason, detail):
    error = classify_http_error(raw_http_error(400, content))

    assert (error.kind, error.reason, error.detail) == (ErrorKind.PERMANENT, reason, detail)


def test_a_non_utf8_body_is_read_with_replacement_characters():
    error = classify_http_error(raw_http_error(500, b"\xff\xfe broken"))

    assert error.kind == ErrorKind.TRANSIENT
    assert error.detail == "HTTP 500 : \ufffd\ufffd broken"


# --- token refresh ---------------------------------------------------------------------


def refresh_error(message: str, data=None, *, retryable: bool = False):
    extra = () if data is None else (data,)
    return auth_exceptions.RefreshError(message, *extra, retryable=retryable)


@pytest.mark.parametrize(
    ("oauth_error", "retryable", "kind"),
    [
        ("invalid_grant", False, ErrorKind.ACCESS_LOST),
        ("invalid_grant", True, ErrorKind.ACCESS_LOST),
        ("invalid_client", False, ErrorKind.PERMANENT),
        ("unauthorized_client", True, ErrorKind.PERMANENT),
        ("invalid_scope", False, ErrorKind.PERMANENT),
        ("internal_failure", True, ErrorKind.TRANSIENT),
    ],
)
def test_refresh_errors_by_their_oauth_error(oauth_error, retryable, kind):
    data = {"error": oauth_error, "error_description": "Explained."}

    error = classify_refresh_error(
        refresh_error(f"{oauth_error}: Explained.", data, retryable=retryable)
    )

    assert (error.kind, error.reason, error.status) == (kind, oauth_error, None)
    assert error.detail == f"token refresh: {oauth_error}: Explained."


def test_a_refresh_error_without_an_oauth_answer_is_transient():
    error = classify_refresh_error(refresh_error("Connection reset during refresh"))

    assert (error.kind, error.reason) == (ErrorKind.TRANSIENT, "")
    assert error.detail == "token refresh: error: Connection reset during refresh"
    odd = classify_refresh_error(refresh_error("Odd answer", "not a dict"))
    assert odd.kind == ErrorKind.TRANSIENT
    assert odd.detail == "token refresh: error: Odd answer"
    assert classify_refresh_error(auth_exceptions.RefreshError()).detail == "token refresh: error: "


def test_a_refresh_error_without_a_description_falls_back_to_its_message():
    error = classify_refresh_error(
        refresh_error("invalid_grant: Bad Request", {"error": "invalid_grant"})
    )

    assert error.detail == "token refresh: invalid_grant: invalid_grant: Bad Request"


# --- classify() ------------------------------------------------------------------------


def test_classify_routes_each_failure_to_its_reader():
    already = DriveError(ErrorKind.QUOTA, "full")
    assert classify(already) is already
    assert classify(http_error(404, "notFound")).kind == ErrorKind.NOT_FOUND
    grant = refresh_error("x", {"error": "invalid_grant"})
    assert classify(grant).kind == ErrorKind.ACCESS_LOST


@pytest.mark.parametrize(
    "failure",
    [
        auth_exceptions.TransportError("token endpoint unreachable"),
        httplib2.HttpLib2Error("broken"),
        httplib2.ServerNotFoundError("no such host"),
        http.client.RemoteDisconnected("Remote end closed connection without response"),
        http.client.IncompleteRead(b"par"),
        ssl.SSLError("bad record mac"),
        ConnectionResetError("reset"),
        BrokenPipeError("pipe"),
        TimeoutError("timed out"),
    ],
)
def test_network_failures_are_transient(failure):
    error = classify(failure)

    assert error.kind == ErrorKind.TRANSIENT
    assert error.detail == f"network: {type(failure).__name__}: {failure}"
    assert error.status is None


@pytest.mark.parametrize("bug", [KeyError("id"), ValueError("x"), TypeError("y"), OSError("disk")])
def test_anything_else_is_a_bug_and_left_unclassified(bug):
    assert classify(bug) is None


# --- Retry-After -----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "seconds"),
    [
        (None, None),
        ("", None),
        ("soon", None),
        ("7", 7.0),
        (" 7 ", 7.0),
        ("0.5", 0.5),
        ("-3", 0.0),
        (str(MAX_RETRY_AFTER_SECONDS), MAX_RETRY_AFTER_SECONDS),
        ("100000", MAX_RETRY_AFTER_SECONDS),
        ("Wed, 21 Oct 2015 07:28:10 GMT", 10.0),
        ("Wed, 21 Oct 2015 07:27:00 GMT", 0.0),
        ("Wed, 21 Oct 2015 09:28:00 GMT", MAX_RETRY_AFTER_SECONDS),
    ],
)
def test_retry_after_in_seconds_or_as_a_date_is_kept_within_bounds(value, seconds):
    assert parse_retry_after(value, now=NOW) == seconds


def test_retry_after_as_a_date_is_measured_from_the_clock_when_no_now_is_given():
    assert MAX_RETRY_AFTER_SECONDS == 120.0
    assert parse_retry_after("Wed, 21 Oct 2015 07:28:10 GMT") == 0.0
    assert parse_retry_after("Fri, 01 Jan 9999 00:00:00 GMT") == MAX_RETRY_AFTER_SECONDS


def test_an_oauth_style_body_without_a_description_leaves_the_message_empty():
    """{"error": "<code>"} is how Google's token endpoint answers; the description is optional."""
    error = classify_http_error(raw_http_error(400, b'{"error": "invalid_request"}'))

    assert (error.reason, error.detail) == ("invalid_request", "HTTP 400 invalid_request:")
