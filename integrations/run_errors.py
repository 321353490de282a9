"""The errors a backup run records, in words a merchant understands.

A run stores each error as a dict: `code` (one of MESSAGES), `kind` (orders / invoice /
receipt / run), `number` (the document number, if any), `message` (the English text at the
time of the run) and `detail` (technical, for support; never a token). Pages show
`describe(entry)`, which translates the message into the viewer's language.
"""

from __future__ import annotations

from django.utils import translation
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext_lazy

# Beyond this many entries a run keeps only a count: the history page stays readable.
MAX_ERRORS_PER_RUN = 50

MESSAGES = {
    "render_failed": _(
        "The PDF of this document could not be created. It will be tried again in the next backup."
    ),
    "csv_failed": _(
        "The orders export could not be created. It will be tried again in the next backup."
    ),
    "upload_failed": _(
        "Google Drive did not accept this file after several attempts. It will be uploaded in "
        "the next backup."
    ),
    "rejected": _(
        "Google Drive refused this file. It will be tried again in the next backup; if this "
        "keeps happening, please contact support."
    ),
    "checksum_mismatch": _(
        "Google Drive stored a damaged copy of this file. A new copy will be uploaded in the "
        "next backup."
    ),
    "folder_failed": _(
        "A backup folder could not be created in Google Drive. The backup will try again later."
    ),
    "access_lost": _(
        "Access to your Google account was withdrawn or has expired. Reconnect Google Drive "
        "to resume the backups."
    ),
    "quota": _(
        "Your Google Drive is full, so the backup stopped. Free up space or get more storage "
        "from Google; the next backup will upload everything that is missing."
    ),
    "disconnected": _(
        "Google Drive was disconnected during the backup, so the remaining files were not uploaded."
    ),
    "google_unavailable": _(
        "Google Drive could not be reached, so the backup stopped. The remaining files will "
        "be uploaded in the next backup."
    ),
    "account_refused": _(
        "Google Drive refuses to create any more files in your Google account (for example, "
        "it holds too many items, or your organisation's administrator does not allow this "
        "app), so the backup stopped. Once that is resolved, the next backup will upload "
        "everything that is missing."
    ),
    "misconfigured": _(
        "The connection to Google is not set up correctly on our side. Please contact support."
    ),
    "more_errors": ngettext_lazy(
        "%(count)s more file had a problem; it will be tried again.",
        "%(count)s more files had problems; they will be tried again.",
        "count",
    ),
    "files_failed": ngettext_lazy(
        "%(count)s file could not be backed up; it will be tried again in the next backup.",
        "%(count)s files could not be backed up; they will be tried again in the next backup.",
        "count",
    ),
    "interrupted": _(
        "The backup was interrupted on our side and could not be resumed. The next backup "
        "will upload every file that is missing."
    ),
    "crashed": _(
        "The backup stopped because of an error on our side. The next backup will upload "
        "every file that is missing."
    ),
}


def english_message(code: str, **params: object) -> str:
    with translation.override("en"):
        return message_text(MESSAGES[code], params)


def describe(entry: dict) -> str:
    """The entry's message in the active language (falls back to the stored text)."""
    message = MESSAGES.get(entry.get("code", ""))
    if message is None:
        return str(entry.get("message", ""))
    return message_text(message, entry.get("params") or {})


def message_text(message, params: dict) -> str:
    # Formatted before str(): a message with a plural picks its form from the params.
    return str(message % params) if params else str(message)


def error_entry(
    code: str,
    *,
    kind: str = "run",
    number: str = "",
    detail: str = "",
    **params: object,
) -> dict:
    entry = {
        "code": code,
        "kind": kind,
        "number": number,
        "message": english_message(code, **params),
        "detail": detail[:500],
    }
    if params:
        entry["params"] = params
    return entry
