"""HTML pages: the consent screen, OAuth error pages, and the operator's Drive browser."""

from __future__ import annotations

from html import escape
from typing import Any
from urllib.parse import quote

from .state import Client, PendingConsent, User

SCOPE_DESCRIPTIONS = {
    "https://www.googleapis.com/auth/drive.file": (
        "See, edit, create and delete only the specific Google Drive files you use with this app"
    ),
    "https://www.googleapis.com/auth/drive": (
        "See, edit, create and delete all of your Google Drive files"
    ),
    "https://www.googleapis.com/auth/drive.readonly": (
        "See and download all your Google Drive files"
    ),
    "https://www.googleapis.com/auth/drive.metadata.readonly": (
        "See information about your Google Drive files"
    ),
    "https://www.googleapis.com/auth/drive.appdata": (
        "See, create and delete its own configuration data in your Google Drive"
    ),
}
BASIC_SCOPE_TEXT = "Associate you with your personal info on Google"

_STYLE = """
body{font-family:Roboto,Arial,sans-serif;background:#f1f3f4;margin:0;color:#202124}
main{max-width:720px;margin:40px auto;background:#fff;border:1px solid #dadce0;
border-radius:8px;padding:32px}
h1{font-weight:400;font-size:24px} .muted{color:#5f6368;font-size:14px}
fieldset{border:1px solid #dadce0;border-radius:8px;margin:16px 0;padding:12px 16px}
label{display:block;margin:8px 0} button{font-size:14px;padding:8px 24px;border-radius:4px;
margin-right:8px;cursor:pointer} .allow{background:#1a73e8;color:#fff;border:0}
.deny{background:#fff;border:1px solid #dadce0;color:#1a73e8}
.banner{background:#fef7e0;padding:8px 12px;border-radius:4px;font-size:13px}
ul.tree{list-style:none;padding-left:20px} ul.tree li{margin:3px 0}
.invisible{color:#9aa0a6} .trashed{text-decoration:line-through;color:#b3261e}
code{font-size:12px;color:#5f6368} table{border-collapse:collapse}
td,th{border-bottom:1px solid #eee;padding:4px 8px;text-align:left;font-size:14px}
"""


def _page(title: str, body: str) -> str:
    return (
        "<!doctype html><html lang=en><head><meta charset=utf-8>"
        f"<title>{escape(title)}</title><style>{_STYLE}</style></head>"
        f"<body><main><p class=banner>fake_google — a local stand-in for Google. "
        f"No real account is involved.</p>{body}</main></body></html>"
    )


def consent_page(consent: PendingConsent, client: Client, users: list[User]) -> str:
    """Account chooser, one checkbox per Drive scope (granular consent), Allow / Deny."""
    hint = (consent.login_hint or "").lower()
    accounts = "".join(
        f'<label><input type=radio name=account value="{escape(u.email)}"'
        f"{' checked' if (u.email == hint or (not hint and i == 0)) else ''}> "
        f"{escape(u.name)} &lt;{escape(u.email)}&gt;</label>"
        for i, u in enumerate(users)
    )
    scopes = "".join(_scope_row(scope) for scope in consent.scopes)
    return _page(
        "Sign in - Google Accounts",
        f"<h1>{escape(client.name)} wants to access your Google Account</h1>"
        f"<p class=muted>Client {escape(client.client_id)}</p>"
        f'<form method=post action="/o/oauth2/consent">'
        f'<input type=hidden name=consent_id value="{escape(consent.id)}">'
        f"<fieldset><legend>Choose an account</legend>{accounts}"
        f"<label>Use another account: <input type=email name=other_email "
        f'placeholder="someone@example.com"></label></fieldset>'
        f"<fieldset><legend>Select what {escape(client.name)} can access</legend>{scopes}"
        f"</fieldset>"
        f"<button class=deny type=submit name=action value=deny>Cancel</button>"
        f"<button class=allow type=submit name=action value=allow>Continue</button>"
        f"</form>",
    )


def _scope_row(scope: str) -> str:
    text = SCOPE_DESCRIPTIONS.get(scope)
    if text is None:
        return f"<label class=muted>{escape(BASIC_SCOPE_TEXT)} <code>{escape(scope)}</code></label>"
    return (
        f'<label><input type=checkbox name=scope value="{escape(scope)}" checked> '
        f"{escape(text)} <code>{escape(scope)}</code></label>"
    )


def oauth_error_page(error: str, description: str) -> str:
    return _page(
        f"Error 400: {error}",
        f"<h1>Access blocked: Authorization Error</h1><p>{escape(description)}</p>"
        f"<p><strong>Error: {escape(error)}</strong></p>",
    )


def index_page(state: dict[str, Any]) -> str:
    users = "".join(
        f'<tr><td><a href="/_fake/drive/{quote(u["email"])}">{escape(u["email"])}</a></td>'
        f"<td>{escape(u['name'])}</td><td>{u['files']}</td><td>{u['usage_bytes']}</td></tr>"
        for u in state["users"]
    )
    grants = "".join(
        f"<tr><td>{escape(g['email'])}</td><td>{escape(g['client_id'])}</td>"
        f"<td>{escape(' '.join(g['scopes']))}</td>"
        f"<td>{_grant_status(g)}</td></tr>"
        for g in state["grants"]
    )
    counters = "".join(
        f"<tr><td>{escape(endpoint)}</td><td>{escape(_statuses(statuses))}</td></tr>"
        for endpoint, statuses in sorted(state["counters"].items())
    )
    return _page(
        "fake_google",
        "<h1>fake_google</h1>"
        '<p><a href="/_fake/state">state (JSON)</a> · <a href="/_fake/config">config (JSON)</a></p>'
        "<h2>Drives</h2><table><tr><th>Account</th><th>Name</th><th>Files</th><th>Bytes</th></tr>"
        f"{users}</table>"
        "<h2>Grants</h2><table><tr><th>Account</th><th>Client</th><th>Scopes</th><th></th></tr>"
        f"{grants}</table>"
        f"<h2>Requests</h2><table>{counters}</table>"
        f"<p class=muted>Deletes: {len(state['deletes'])} · Peak concurrency: "
        f"{state['peak_concurrency']}</p>",
    )


def _statuses(statuses: dict[str, int]) -> str:
    return ", ".join(f"{status}: {count}" for status, count in sorted(statuses.items()))


def _grant_status(grant: dict[str, Any]) -> str:
    return f"revoked by {escape(grant['revoked_by'] or '')}" if grant["revoked"] else "active"


def drive_tree_page(email: str, files: list[dict[str, Any]], root_id: str) -> str:
    """The account's My Drive as a tree; files our client cannot see are greyed out."""
    children: dict[str, list[dict[str, Any]]] = {}
    for file in files:
        for parent in file["parents"] or [""]:
            children.setdefault(parent, []).append(file)
    tree = _tree(children, root_id)
    return _page(
        f"Drive of {email}",
        f"<h1>My Drive — {escape(email)}</h1>"
        '<p class=muted><a href="/_fake/">all accounts</a> · grey = made by the user or another '
        "app (invisible to drive.file tokens of other clients) · struck through = in the trash</p>"
        f"{tree or '<p>(empty)</p>'}",
    )


def _tree(children: dict[str, list[dict[str, Any]]], parent: str, depth: int = 0) -> str:
    items = sorted(children.get(parent, []), key=lambda f: (not f["folder"], f["name"].lower()))
    if not items or depth > 50:
        return ""
    rows = []
    for file in items:
        classes = " ".join(
            c
            for c, on in (
                ("invisible", not file["created_by_client"]),
                ("trashed", file["trashed"]),
            )
            if on
        )
        label = escape(file["name"])
        if not file["folder"]:
            label = (
                f'<a href="/_fake/files/{quote(file["id"])}/content">{label}</a> '
                f"<code>{file['size']} B · md5 {escape(file['md5Checksum'] or '')}</code>"
            )
        else:
            label = f"<strong>{label}/</strong>"
        if not file["created_by_client"]:
            label += " <code>(made by the user, not through an app)</code>"
        props = file["appProperties"]
        if props:
            label += " <code>" + escape(", ".join(f"{k}={v}" for k, v in props.items())) + "</code>"
        rows.append(f'<li class="{classes}">{label}{_tree(children, file["id"], depth + 1)}</li>')
    return f"<ul class=tree>{''.join(rows)}</ul>"
