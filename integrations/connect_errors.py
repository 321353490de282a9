"""How connecting a Google account can fail, in words a merchant understands (S2).

`integrations.connection` raises `ConnectError`; the callback view shows its message, or, for
a repeated answer to a connection that already succeeded, `already_connected_message`.
"""

from __future__ import annotations

import enum

from django.utils.translation import gettext_lazy as _

from accounts.models import Merchant
from integrations.models import GoogleDriveIntegration


class ConnectFailure(enum.Enum):
    NOT_CONFIGURED = "not_configured"
    NO_PENDING = "no_pending"
    STATE_MISMATCH = "state_mismatch"
    EXPIRED = "expired"
    DENIED = "denied"
    GOOGLE_ERROR = "google_error"
    CODE_REJECTED = "code_rejected"
    UNREACHABLE = "unreachable"
    BAD_RESPONSE = "bad_response"
    NO_REFRESH_TOKEN = "no_refresh_token"
    SCOPE_MISSING = "scope_missing"
    ACCOUNT_UNREADABLE = "account_unreadable"

    @property
    def message(self) -> str:
        return str(_FAILURE_MESSAGES[self])


_FAILURE_MESSAGES = {
    ConnectFailure.NOT_CONFIGURED: _(
        "Google Drive is not set up on this server yet. Please contact support."
    ),
    ConnectFailure.NO_PENDING: _(
        "This answer from Google does not match a connection started in this browser, or it "
        "was already used. Nothing was changed. Please start the connection again."
    ),
    ConnectFailure.STATE_MISMATCH: _(
        "This answer from Google does not belong to the connection started in this browser, "
        "so it was ignored. Nothing was changed. Please start the connection again."
    ),
    ConnectFailure.EXPIRED: _(
        "The connection took too long and expired. Nothing was changed. "
        "Please start the connection again."
    ),
    ConnectFailure.DENIED: _("You did not allow access to Google Drive, so nothing was connected."),
    ConnectFailure.GOOGLE_ERROR: _(
        "Google could not complete the authorization. Nothing was changed. Please try again."
    ),
    ConnectFailure.CODE_REJECTED: _(
        "Google did not accept the authorization, probably because it expired or was already "
        "used. Nothing was changed. Please start the connection again."
    ),
    ConnectFailure.UNREACHABLE: _(
        "Google could not be reached to complete the connection. Nothing was changed. "
        "Please try again in a few minutes."
    ),
    ConnectFailure.BAD_RESPONSE: _(
        "Google answered in an unexpected way. Nothing was changed. Please try again."
    ),
    ConnectFailure.NO_REFRESH_TOKEN: _(
        "Google did not grant lasting access, which the nightly backups need. Nothing was "
        "changed. Please start the connection again."
    ),
    ConnectFailure.SCOPE_MISSING: _(
        "Access to Google Drive was not granted. Nothing was changed. Please connect again "
        "and leave the Google Drive permission ticked on Google's page."
    ),
    ConnectFailure.ACCOUNT_UNREADABLE: _(
        "Google Drive did not tell which Google account granted access. Nothing was changed. "
        "Please try again."
    ),
}


# What a second answer to a connection that already succeeded runs into: the callback page
# reloaded, or Google's consent page reached again with Back and allowed once more. Its state
# was used up by the first answer.
REPEATED_ANSWER_FAILURES = frozenset(
    {
        ConnectFailure.NO_PENDING,
        ConnectFailure.STATE_MISMATCH,
        ConnectFailure.EXPIRED,
        ConnectFailure.CODE_REJECTED,
    }
)


def already_connected_message(merchant: Merchant, failure: ConnectFailure) -> str | None:
    """For a repeated answer while the merchant is connected: say so, not "try again".

    Nothing was changed either way; telling a connected merchant to press a button that is
    not on the page (the connected page has none) only worries them.
    """
    if failure not in REPEATED_ANSWER_FAILURES:
        return None
    integration = GoogleDriveIntegration.objects.filter(
        merchant=merchant, status=GoogleDriveIntegration.Status.CONNECTED
    ).first()
    if integration is None:
        return None
    return str(
        _("Google Drive is already connected as %(email)s. Nothing was changed.")
        % {"email": integration.google_email}
    )


class ConnectError(Exception):
    def __init__(self, failure: ConnectFailure):
        super().__init__(failure.value)
        self.failure = failure

    @property
    def message(self) -> str:
        return self.failure.message
