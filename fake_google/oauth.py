"""Google's OAuth 2.0 web-server flow: consent page, token endpoint, revocation.

Validation follows Google's "Using OAuth 2.0 for Web Server Applications" guide: a bad client
or redirect URI is shown as an error page and never redirected to; code exchange checks the
client, the exact redirect URI, single use, lifetime and the PKCE verifier.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import json
import re
from urllib.parse import unquote, urlencode, urlsplit, urlunsplit

from . import pages
from .core import Core, revoke_grant
from .errors import AuthorizePageError, OAuthError
from .httpd import Request, Response
from .state import AccessToken, AuthCode, Client, Grant, PendingConsent, RefreshToken, Store

DRIVE_SCOPES = {
    "https://www.googleapis.com/auth/drive",
    "https://www.googleapis.com/auth/drive.file",
    "https://www.googleapis.com/auth/drive.readonly",
    "https://www.googleapis.com/auth/drive.metadata.readonly",
    "https://www.googleapis.com/auth/drive.appdata",
}
# Sign-in scopes: granted without a checkbox (granular consent only covers the others).
BASIC_SCOPES = {
    "openid",
    "email",
    "profile",
    "https://www.googleapis.com/auth/userinfo.email",
    "https://www.googleapis.com/auth/userinfo.profile",
}
KNOWN_SCOPES = DRIVE_SCOPES | BASIC_SCOPES
SCOPE_ALIASES = {
    "email": "https://www.googleapis.com/auth/userinfo.email",
    "profile": "https://www.googleapis.com/auth/userinfo.profile",
}
# Google keeps at most this many live refresh tokens per account and client.
MAX_REFRESH_TOKENS_PER_GRANT = 100
_PKCE_VERIFIER = re.compile(r"^[A-Za-z0-9\-._~]{43,128}$")
_NO_STORE = {
    "Cache-Control": "no-cache, no-store, max-age=0, must-revalidate",
    "Pragma": "no-cache",
}


# --- /o/oauth2/auth ---------------------------------------------------------------------


def authorize(core: Core, request: Request) -> Response:
    """GET: validate the authorization request, then show the consent page."""
    try:
        consent = _validate_authorization_request(core, request)
    except AuthorizePageError as exc:
        return Response.html(pages.oauth_error_page(exc.error, exc.description), exc.status)
    if "none" in consent.prompt:
        return _answer_prompt_none(core, consent)
    with core.store.lock:
        core.store.consents[consent.id] = consent
        client = core.store.clients[consent.client_id]
        users = list(core.store.users.values())
    return Response.html(pages.consent_page(consent, client, users))


def consent(core: Core, request: Request) -> Response:
    """POST from the consent page: Allow or Deny, for the chosen account and scopes."""
    form = request.form()
    consent_id = _first(form, "consent_id")
    with core.store.lock:
        pending = core.store.consents.pop(consent_id or "", None)
    if pending is None:
        return Response.html(
            pages.oauth_error_page(
                "invalid_request", "This consent request is unknown or was used."
            ),
            400,
        )
    if _first(form, "action") != "allow":
        return Response.redirect(_callback_url(pending, {"error": "access_denied"}))
    email = (_first(form, "other_email") or _first(form, "account") or "").strip().lower()
    if "@" not in email:
        return Response.html(pages.oauth_error_page("invalid_request", "Choose an account."), 400)
    if email not in core.store.users:
        core.add_user(email)
    ticked = set(form.get("scope", []))
    granted = [s for s in pending.scopes if s in BASIC_SCOPES or s in ticked]
    code = _issue_code(core, pending, email, granted)
    return Response.redirect(_callback_url(pending, {"code": code, "scope": " ".join(granted)}))


def _validate_authorization_request(core: Core, request: Request) -> PendingConsent:
    client_id = request.arg("client_id")
    if not client_id:
        raise AuthorizePageError(400, "invalid_request", "Missing required parameter: client_id")
    client = core.store.clients.get(client_id)
    if client is None:
        raise AuthorizePageError(401, "invalid_client", "The OAuth client was not found.")
    redirect_uri = request.arg("redirect_uri")
    if not redirect_uri:
        raise AuthorizePageError(400, "invalid_request", "Missing required parameter: redirect_uri")
    if redirect_uri not in client.redirect_uris:
        raise AuthorizePageError(
            400,
            "redirect_uri_mismatch",
            "You can't sign in to this app because it doesn't comply with Google's OAuth 2.0 "
            f"policy. If you're the app developer, register the redirect URI {redirect_uri} "
            "in the Google Cloud Console.",
        )
    response_type = request.arg("response_type")
    if not response_type:
        raise AuthorizePageError(
            400, "invalid_request", "Required parameter is missing: response_type"
        )
    if response_type != "code":
        raise AuthorizePageError(
            400, "unsupported_response_type", f"Invalid response_type: {response_type}"
        )
    scopes = _requested_scopes(request.arg("scope"))
    challenge, method = _pkce_challenge(request)
    access_type = request.arg("access_type") or "online"
    if access_type not in ("online", "offline"):
        raise AuthorizePageError(400, "invalid_request", f"Invalid access_type: {access_type}")
    prompt = set((request.arg("prompt") or "").split())
    if not prompt <= {"none", "consent", "select_account"} or (
        "none" in prompt and len(prompt) > 1
    ):
        raise AuthorizePageError(400, "invalid_request", f"Invalid prompt: {request.arg('prompt')}")
    return PendingConsent(
        id=Store.new_secret("consent-", 24),
        client_id=client_id,
        redirect_uri=redirect_uri,
        scopes=scopes,
        state=request.arg("state"),
        code_challenge=challenge,
        code_challenge_method=method,
        access_type=access_type,
        prompt=prompt,
        include_granted_scopes=(request.arg("include_granted_scopes") or "").lower() == "true",
        login_hint=request.arg("login_hint"),
        created_at=core.clock.time(),
    )


def _requested_scopes(raw: str | None) -> list[str]:
    if not raw or not raw.split():
        raise AuthorizePageError(400, "invalid_request", "Missing required parameter: scope")
    scopes = list(dict.fromkeys(SCOPE_ALIASES.get(s, s) for s in raw.split()))
    invalid = [s for s in scopes if s not in KNOWN_SCOPES]
    if invalid:
        raise AuthorizePageError(
            400, "invalid_scope", f"Some requested scopes were invalid. {{invalid={invalid}}}"
        )
    return scopes


def _pkce_challenge(request: Request) -> tuple[str | None, str | None]:
    challenge = request.arg("code_challenge")
    method = request.arg("code_challenge_method")
    if challenge is None:
        if method:
            raise AuthorizePageError(
                400, "invalid_request", "Missing code_challenge for code_challenge_method."
            )
        return None, None
    method = method or "plain"
    if method not in ("S256", "plain"):
        raise AuthorizePageError(400, "invalid_request", f"Invalid code_challenge_method: {method}")
    if not _PKCE_VERIFIER.match(challenge):
        raise AuthorizePageError(400, "invalid_request", "Invalid code_challenge.")
    return challenge, method


def _answer_prompt_none(core: Core, pending: PendingConsent) -> Response:
    """prompt=none: succeed silently only for a hinted account that already granted it all."""
    email = (pending.login_hint or "").lower()
    with core.store.lock:
        grant = _active_grant(core.store, email, pending.client_id)
    if email not in core.store.users:
        return Response.redirect(_callback_url(pending, {"error": "login_required"}))
    if grant is None or not set(pending.scopes) <= grant.scopes:
        return Response.redirect(_callback_url(pending, {"error": "consent_required"}))
    code = _issue_code(core, pending, email, pending.scopes)
    return Response.redirect(
        _callback_url(pending, {"code": code, "scope": " ".join(pending.scopes)})
    )


def _issue_code(core: Core, pending: PendingConsent, email: str, granted: list[str]) -> str:
    """Record the grant (new or widened) and mint a single-use authorization code."""
    now = core.clock.time()
    store = core.store
    with store.lock:
        grant = _active_grant(store, email, pending.client_id)
        first_consent = grant is None or not grant.refresh_tokens
        if grant is None:
            grant = Grant(
                id=Store.new_secret("grant-", 16),
                email=email,
                client_id=pending.client_id,
                scopes=set(),
                created_at=now,
            )
            store.grants[grant.id] = grant
        grant.scopes |= set(granted)
        token_scopes = grant.scopes if pending.include_granted_scopes else set(granted)
        # Google returns a refresh token on the first offline consent, and again only when
        # prompt=consent forces the consent screen (see README).
        issue_refresh = pending.access_type == "offline" and (
            first_consent or "consent" in pending.prompt
        )
        code = AuthCode(
            code="4/0" + Store.new_secret("", 60),
            grant_id=grant.id,
            client_id=pending.client_id,
            redirect_uri=pending.redirect_uri,
            scopes=frozenset(token_scopes),
            code_challenge=pending.code_challenge,
            code_challenge_method=pending.code_challenge_method,
            issue_refresh_token=issue_refresh,
            expires_at=now + core.config.auth_code_lifetime,
        )
        store.codes[code.code] = code
        return code.code


def _active_grant(store: Store, email: str, client_id: str) -> Grant | None:
    for grant in store.grants.values():
        if grant.email == email and grant.client_id == client_id and grant.active:
            return grant
    return None


# Google's discovery document says authorization_response_iss_parameter_supported: true
# (https://developers.google.com/identity/openid-connect/reference), so every redirect back
# carries `iss` as RFC 9207 §2 asks, for codes and errors alike.
GOOGLE_ISSUER = "https://accounts.google.com"


def _callback_url(pending: PendingConsent, params: dict[str, str]) -> str:
    params = {**params, "iss": GOOGLE_ISSUER}
    if pending.state is not None:
        params = {"state": pending.state, **params}
    parts = urlsplit(pending.redirect_uri)
    query = parts.query + ("&" if parts.query else "") + urlencode(params)
    return urlunsplit((parts.scheme, parts.netloc, parts.path, query, parts.fragment))


def _first(form: dict[str, list[str]], name: str) -> str | None:
    values = form.get(name)
    return values[0] if values else None


# --- /token -----------------------------------------------------------------------------


def token(core: Core, request: Request) -> Response:
    try:
        form = _token_form(request)
        client = _authenticate_client(core, request, form)
        grant_type = _first(form, "grant_type")
        if grant_type == "authorization_code":
            payload = _exchange_code(core, client, form, request.base_url)
        elif grant_type == "refresh_token":
            payload = _refresh(core, client, form, request.base_url)
        else:
            raise OAuthError(
                400, "unsupported_grant_type", f"Invalid grant_type: {grant_type or ''}"
            )
    except OAuthError as exc:
        return Response.json(exc.body(), exc.status, headers=_NO_STORE)
    return Response.json(payload, headers=_NO_STORE)


def _token_form(request: Request) -> dict[str, list[str]]:
    content_type = (request.header("Content-Type") or "").split(";")[0].strip().lower()
    if content_type and content_type != "application/x-www-form-urlencoded":
        if content_type == "application/json":
            try:
                data = json.loads(request.body or b"{}")
            except ValueError as exc:
                raise OAuthError(400, "invalid_request", "Invalid JSON payload.") from exc
            return {k: [str(v)] for k, v in data.items()}
        raise OAuthError(400, "invalid_request", f"Unsupported content type: {content_type}")
    return request.form()


def _authenticate_client(core: Core, request: Request, form: dict[str, list[str]]) -> Client:
    """Client credentials from HTTP Basic (RFC 6749 §2.3.1) or from the body."""
    client_id, secret = _basic_credentials(request.header("Authorization"))
    if client_id is None:
        client_id, secret = _first(form, "client_id"), _first(form, "client_secret")
    if not client_id:
        raise OAuthError(400, "invalid_request", "Could not determine client ID from request.")
    client = core.store.clients.get(client_id)
    if client is None:
        raise OAuthError(401, "invalid_client", "The OAuth client was not found.")
    if secret != client.client_secret:
        raise OAuthError(401, "invalid_client", "Unauthorized")
    return client


def _basic_credentials(header: str | None) -> tuple[str | None, str | None]:
    if not header or not header.lower().startswith("basic "):
        return None, None
    try:
        decoded = base64.b64decode(header[6:].strip()).decode("utf-8")
    except (binascii.Error, UnicodeDecodeError) as exc:
        raise OAuthError(400, "invalid_request", "Malformed Authorization header.") from exc
    client_id, _, secret = decoded.partition(":")
    return unquote(client_id), unquote(secret)


def _exchange_code(
    core: Core, client: Client, form: dict[str, list[str]], issuer: str
) -> dict[str, object]:
    raw_code = _first(form, "code")
    if not raw_code:
        raise OAuthError(400, "invalid_request", "Missing required parameter: code")
    redirect_uri = _first(form, "redirect_uri")
    if not redirect_uri:
        raise OAuthError(400, "invalid_request", "Missing parameter: redirect_uri")
    now = core.clock.time()
    store = core.store
    with store.lock:
        code = store.codes.get(raw_code)
        if code is None:
            raise OAuthError(400, "invalid_grant", "Malformed auth code.")
        if code.used or code.expires_at <= now or not store.grants[code.grant_id].active:
            raise OAuthError(400, "invalid_grant", "Bad Request")
        if code.client_id != client.client_id:
            raise OAuthError(400, "invalid_grant", "Unauthorized")
        if redirect_uri != code.redirect_uri:
            raise OAuthError(400, "redirect_uri_mismatch", "Bad Request")
        _check_pkce(code, _first(form, "code_verifier"))
        code.used = True
        grant = store.grants[code.grant_id]
        payload = _mint_access_token(core, grant, code.scopes, issuer)
        if code.issue_refresh_token:
            payload["refresh_token"] = _mint_refresh_token(store, grant, code.scopes, now)
        return payload


def _check_pkce(code: AuthCode, verifier: str | None) -> None:
    if code.code_challenge is None:
        return
    if not verifier:
        raise OAuthError(400, "invalid_grant", "Missing code verifier.")
    if code.code_challenge_method == "S256":
        digest = hashlib.sha256(verifier.encode("ascii", "replace")).digest()
        expected = base64.urlsafe_b64encode(digest).decode().rstrip("=")
    else:
        expected = verifier
    if expected != code.code_challenge:
        raise OAuthError(400, "invalid_grant", "Invalid code verifier.")


def _refresh(
    core: Core, client: Client, form: dict[str, list[str]], issuer: str
) -> dict[str, object]:
    raw = _first(form, "refresh_token")
    if not raw:
        raise OAuthError(400, "invalid_request", "Missing required parameter: refresh_token")
    store = core.store
    with store.lock:
        refresh = store.refresh_tokens.get(raw)
        if refresh is None or not store.grants[refresh.grant_id].active:
            raise OAuthError(400, "invalid_grant", "Token has been expired or revoked.")
        grant = store.grants[refresh.grant_id]
        if grant.client_id != client.client_id:
            raise OAuthError(401, "unauthorized_client", "Unauthorized")
        scopes = refresh.scopes
        asked = _first(form, "scope")
        if asked:
            wanted = frozenset(SCOPE_ALIASES.get(s, s) for s in asked.split())
            if not wanted <= grant.scopes:
                raise OAuthError(400, "invalid_scope", "Bad Request")
            scopes = wanted
        return _mint_access_token(core, grant, scopes, issuer)


def _mint_access_token(
    core: Core, grant: Grant, scopes: frozenset[str], issuer: str
) -> dict[str, object]:
    now = core.clock.time()
    lifetime = core.config.access_token_lifetime
    access = AccessToken(
        token="ya29." + Store.new_secret("", 80),
        grant_id=grant.id,
        scopes=scopes,
        expires_at=now + lifetime,
    )
    core.store.access_tokens[access.token] = access
    payload: dict[str, object] = {
        "access_token": access.token,
        "expires_in": lifetime,
        "scope": " ".join(sorted(scopes)),
        "token_type": "Bearer",
    }
    if "openid" in scopes:
        payload["id_token"] = _id_token(core, grant, scopes, issuer, now, lifetime)
    return payload


def _mint_refresh_token(store: Store, grant: Grant, scopes: frozenset[str], now: float) -> str:
    refresh = RefreshToken("1//0" + Store.new_secret("", 96), grant.id, scopes, now)
    store.refresh_tokens[refresh.token] = refresh
    grant.refresh_tokens.append(refresh.token)
    # Past the per-client limit Google silently invalidates the oldest refresh token.
    while len(grant.refresh_tokens) > MAX_REFRESH_TOKENS_PER_GRANT:
        store.refresh_tokens.pop(grant.refresh_tokens.pop(0), None)
    return refresh.token


def _id_token(
    core: Core, grant: Grant, scopes: frozenset[str], issuer: str, now: float, lifetime: int
) -> str:
    """A JWT-shaped ID token with Google's claims. Its signature is NOT valid (see README)."""
    user = core.store.users[grant.email]
    claims: dict[str, object] = {
        "iss": issuer,
        "azp": grant.client_id,
        "aud": grant.client_id,
        "sub": user.sub,
        "iat": int(now),
        "exp": int(now) + lifetime,
    }
    if SCOPE_ALIASES["email"] in scopes:
        claims.update(email=user.email, email_verified=True)
    if SCOPE_ALIASES["profile"] in scopes:
        claims["name"] = user.name
    header = {"alg": "RS256", "kid": "fake-google", "typ": "JWT"}
    return (
        ".".join(_b64url(json.dumps(part).encode()) for part in (header, claims))
        + "."
        + _b64url(b"fake-google-signature")
    )


def _b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).decode().rstrip("=")


# --- /revoke ----------------------------------------------------------------------------


def revoke(core: Core, request: Request) -> Response:
    """Revoke the whole grant behind an access or refresh token."""
    form = request.form() if request.body else {}
    raw = _first(form, "token") or request.arg("token")
    if not raw:
        return Response.json(
            {"error": "invalid_request", "error_description": "Bad Request"}, 400, _NO_STORE
        )
    now = core.clock.time()
    store = core.store
    with store.lock:
        grant_id = _grant_of_token(store, raw, now)
        if grant_id is None:
            return Response.json(
                {"error": "invalid_token", "error_description": "Token expired or revoked"},
                400,
                _NO_STORE,
            )
        revoke_grant(store, grant_id, now, by="app")
    return Response.json({}, headers=_NO_STORE)


def _grant_of_token(store: Store, raw: str, now: float) -> str | None:
    refresh = store.refresh_tokens.get(raw)
    if refresh is not None:
        return refresh.grant_id
    access = store.access_tokens.get(raw)
    if access is not None and access.expires_at > now:
        return access.grant_id
    return None
