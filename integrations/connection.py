"""Connecting a merchant's Google account, and disconnecting it (S2, S4, S12).

Views call `start_connect`, `finish_connect` and `disconnect`; every way the callback can go
wrong raises `ConnectError` before anything is stored, so a failed attempt leaves the previous
connection exactly as it was.
"""

from __future__ import annotations

import enum
import logging
import secrets
from collections.abc import Mapping, MutableMapping
from dataclasses import asdict, dataclass
from datetime import datetime, timedelta

from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from accounts.models import Merchant, User
from integrations.connect_errors import (  # noqa: F401 (re-exported for the views)
    ConnectError,
    ConnectFailure,
    already_connected_message,
)
from integrations.google import oauth
from integrations.google.service import GoogleAccount, fetch_account
from integrations.models import GoogleDriveIntegration

logger = logging.getLogger(__name__)

SESSION_KEY = "google_drive_oauth"
PENDING_MAX_AGE = timedelta(minutes=10)
GOOGLE_PERMISSIONS_URL = "https://myaccount.google.com/permissions"


_EXCHANGE_FAILURES = {
    oauth.ExchangeFailure.CODE_REJECTED: ConnectFailure.CODE_REJECTED,
    oauth.ExchangeFailure.UNREACHABLE: ConnectFailure.UNREACHABLE,
    oauth.ExchangeFailure.BAD_RESPONSE: ConnectFailure.BAD_RESPONSE,
    oauth.ExchangeFailure.NO_REFRESH_TOKEN: ConnectFailure.NO_REFRESH_TOKEN,
    oauth.ExchangeFailure.SCOPE_MISSING: ConnectFailure.SCOPE_MISSING,
}


# --- The integration row ------------------------------------------------------------------


def integration_for(merchant: Merchant) -> GoogleDriveIntegration:
    integration, _created = GoogleDriveIntegration.objects.get_or_create(
        merchant=merchant, defaults={"time_zone": merchant.time_zone}
    )
    return integration


# --- Connect ------------------------------------------------------------------------------


@dataclass(frozen=True)
class PendingAuthorization:
    """What the callback needs to trust Google's answer; lives in the session, used once."""

    state: str
    code_verifier: str
    redirect_uri: str
    merchant_id: int
    user_id: int
    created_at: float

    @classmethod
    def from_session(cls, data: object) -> PendingAuthorization | None:
        if not isinstance(data, dict):
            return None
        try:
            return cls(
                state=str(data["state"]),
                code_verifier=str(data["code_verifier"]),
                redirect_uri=str(data["redirect_uri"]),
                merchant_id=int(data["merchant_id"]),
                user_id=int(data["user_id"]),
                created_at=float(data["created_at"]),
            )
        except (KeyError, TypeError, ValueError):
            return None

    def is_expired(self, now: datetime) -> bool:
        return now.timestamp() - self.created_at > PENDING_MAX_AGE.total_seconds()

    def state_matches(self, received: str | None) -> bool:
        return bool(received) and secrets.compare_digest(
            self.state.encode(), str(received).encode()
        )


def start_connect(
    session: MutableMapping,
    *,
    merchant: Merchant,
    user: User,
    redirect_uri: str,
    now: datetime | None = None,
) -> str:
    """Remember a fresh state and PKCE verifier in the session; return Google's consent URL."""
    if not oauth.is_configured():
        raise ConnectError(ConnectFailure.NOT_CONFIGURED)
    request = oauth.build_authorization_request(redirect_uri)
    pending = PendingAuthorization(
        state=request.state,
        code_verifier=request.code_verifier,
        redirect_uri=redirect_uri,
        merchant_id=merchant.pk,
        user_id=user.pk,
        created_at=(now or timezone.now()).timestamp(),
    )
    session[SESSION_KEY] = asdict(pending)
    return request.url


@dataclass(frozen=True)
class ConnectResult:
    integration: GoogleDriveIntegration
    switched_account: bool
    old_grant_revoke: oauth.RevokeOutcome | None


def finish_connect(
    session: MutableMapping,
    *,
    merchant: Merchant,
    user: User,
    params: Mapping[str, str],
    now: datetime | None = None,
) -> ConnectResult:
    """Handle Google's redirect back: check it, exchange the code, store the grant."""
    now = now or timezone.now()
    pending = _pending_answered_here(
        PendingAuthorization.from_session(session.pop(SESSION_KEY, None)),
        merchant,
        user,
        params.get("state"),
        now,
    )
    error = params.get("error")
    if error:
        raise ConnectError(
            ConnectFailure.DENIED if error == "access_denied" else ConnectFailure.GOOGLE_ERROR
        )
    code = params.get("code")
    if not code:
        raise ConnectError(ConnectFailure.BAD_RESPONSE)
    try:
        grant = oauth.exchange_code(
            redirect_uri=pending.redirect_uri,
            state=pending.state,
            code_verifier=pending.code_verifier,
            code=code,
        )
    except oauth.TokenExchangeError as exc:
        raise ConnectError(_EXCHANGE_FAILURES[exc.reason]) from None
    account = _read_account(grant)
    return _store_grant(merchant, grant, account, now)


def _pending_answered_here(
    pending: PendingAuthorization | None,
    merchant: Merchant,
    user: User,
    received_state: str | None,
    now: datetime,
) -> PendingAuthorization:
    """The pending authorization this answer belongs to, or ConnectError."""
    if pending is None:
        raise ConnectError(ConnectFailure.NO_PENDING)
    if not pending.state_matches(received_state):
        raise ConnectError(ConnectFailure.STATE_MISMATCH)
    if pending.merchant_id != merchant.pk or pending.user_id != user.pk:
        raise ConnectError(ConnectFailure.STATE_MISMATCH)
    if pending.is_expired(now):
        raise ConnectError(ConnectFailure.EXPIRED)
    return pending


def _read_account(grant: oauth.Grant) -> GoogleAccount:
    try:
        account = fetch_account(grant.credentials())
    except Exception as exc:
        # Drive errors, transport errors and refresh failures alike: nothing gets stored.
        logger.warning("Reading the Google account after connect failed (%s)", type(exc).__name__)
        raise ConnectError(ConnectFailure.ACCOUNT_UNREADABLE) from None
    if not account.email or not account.permission_id:
        logger.warning("Drive about.get named no account after connect")
        raise ConnectError(ConnectFailure.ACCOUNT_UNREADABLE)
    return account


def _store_grant(
    merchant: Merchant, grant: oauth.Grant, account: GoogleAccount, now: datetime
) -> ConnectResult:
    with transaction.atomic():
        integration, _created = GoogleDriveIntegration.objects.select_for_update().get_or_create(
            merchant=merchant
        )
        old_token = integration.refresh_token
        old_account = integration.same_google_account()
        same_account = _is_same_account(integration, account)
        switched = old_account is not None and not same_account
        if not same_account:
            _forget_previous_account_layout(integration)
        integration.refresh_token = grant.refresh_token
        integration.granted_scopes = " ".join(sorted(grant.scopes))
        integration.google_email = account.email
        integration.google_account_id = account.permission_id
        integration.status = GoogleDriveIntegration.Status.CONNECTED
        integration.connected_at = now
        integration.access_lost_at = None
        integration.last_error = ""
        integration.consecutive_failures = 0
        integration.save()
    revoke = None
    if switched and old_token:
        revoke = _revoke_unless_shared(integration, old_token, old_account)
    logger.info(
        "Google Drive connected for merchant %s (account switched: %s)", merchant.pk, switched
    )
    return ConnectResult(
        integration=integration, switched_account=switched, old_grant_revoke=revoke
    )


def _is_same_account(integration: GoogleDriveIntegration, account: GoogleAccount) -> bool:
    if integration.google_account_id and account.permission_id:
        return integration.google_account_id == account.permission_id
    return bool(integration.google_email) and (
        integration.google_email.lower() == account.email.lower()
    )


def _forget_previous_account_layout(integration: GoogleDriveIntegration) -> None:
    """The root folder and the first-run date belong to the Drive of the previous account.

    Its folder cache (DriveFolder rows, kept per Google account) stays: the tree is still in
    that Drive, and a switch back must find it rather than make a second one.
    """
    integration.root_folder_id = ""
    integration.documents_since = None


def _revoke_unless_shared(
    integration: GoogleDriveIntegration, token: str, account: Q | None
) -> oauth.RevokeOutcome | None:
    """Revoke a grant no longer used here, unless another merchant still relies on it.

    Google revokes a user's whole grant for our client at once, so revoking would also cut
    off every other merchant account connected with the same Google account.
    """
    if account is not None and _grant_used_elsewhere(integration, account):
        logger.info("Not revoking a Google grant still used by another merchant")
        return None
    outcome = oauth.revoke_token(token)
    logger.info("Revoked the previous Google grant of integration %s: %s", integration.pk, outcome)
    return outcome


def _grant_used_elsewhere(integration: GoogleDriveIntegration, account: Q) -> bool:
    return (
        GoogleDriveIntegration.objects.exclude(pk=integration.pk)
        .exclude(refresh_token="")
        .filter(account)
        .exists()
    )


# --- Disconnect ---------------------------------------------------------------------------


class DisconnectOutcome(enum.Enum):
    REVOKED = "revoked"
    REVOKE_FAILED = "revoke_failed"
    KEPT_FOR_OTHER_MERCHANT = "kept_for_other_merchant"
    NOTHING_TO_REVOKE = "nothing_to_revoke"


def disconnect(merchant: Merchant) -> DisconnectOutcome:
    """S4: delete the stored tokens first, then withdraw the grant at Google (best effort).

    The local tokens go first so that backups stop at once, whatever Google answers.
    """
    with transaction.atomic():
        integration = (
            GoogleDriveIntegration.objects.select_for_update().filter(merchant=merchant).first()
        )
        if integration is None:
            return DisconnectOutcome.NOTHING_TO_REVOKE
        token = integration.refresh_token
        account = integration.same_google_account()
        integration.refresh_token = ""
        integration.granted_scopes = ""
        integration.status = GoogleDriveIntegration.Status.NOT_CONNECTED
        integration.connected_at = None
        integration.access_lost_at = None
        integration.consecutive_failures = 0
        integration.last_error = ""
        # The folder cache stays: the files stay in Drive (S4), and a reconnect of the same
        # account must find its tree again rather than make a second one.
        integration.root_folder_id = ""
        integration.save()
    logger.info("Google Drive disconnected for merchant %s", merchant.pk)
    if not token:
        return DisconnectOutcome.NOTHING_TO_REVOKE
    if account is not None and _grant_used_elsewhere(integration, account):
        return DisconnectOutcome.KEPT_FOR_OTHER_MERCHANT
    outcome = oauth.revoke_token(token)
    logger.info("Revoking the Google grant of integration %s: %s", integration.pk, outcome)
    return DisconnectOutcome.REVOKED if outcome.grant_is_gone else DisconnectOutcome.REVOKE_FAILED
