"""E-mails to a merchant about its backups: one per problem, not one per night.

- access lost: once per loss (a new loss after a reconnect mails again);
- Drive full: once until a backup succeeds again;
- Google refuses every new file of the account (item limit, administrator's policy): once
  until a backup succeeds again;
- failed twice in a row: once per streak of failures.

Each send first claims its mark on the integration with a conditional UPDATE, so two workers
finishing at the same time cannot both send; a send that fails gives the mark back.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import datetime

from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.db.models import F, Q
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext_lazy as _

from integrations.models import BackupRun, GoogleDriveIntegration

logger = logging.getLogger(__name__)

FAILURE_STREAK_LENGTH = 2


def recipients(integration: GoogleDriveIntegration) -> list[str]:
    """The e-mail addresses of the merchant's active users."""
    return sorted(
        integration.merchant.users.filter(is_active=True)
        .exclude(email="")
        .values_list("email", flat=True)
    )


def google_drive_page_url() -> str:
    return settings.SITE_URL.rstrip("/") + reverse("integrations:google_drive")


def notify_access_lost(integration_id: int, *, now: datetime | None = None) -> bool:
    """Tell the merchant to reconnect, once per loss of access; True if an e-mail went out."""
    claim = Q(access_lost_notified_at__isnull=True) | Q(
        access_lost_at__isnull=False, access_lost_notified_at__lt=F("access_lost_at")
    )
    return _send_once(
        integration_id,
        "access_lost_notified_at",
        claim & Q(status=GoogleDriveIntegration.Status.ACCESS_LOST),
        now,
        lambda integration: _message(
            integration,
            subject=_("Google Drive backup stopped: please reconnect your Google account"),
            template="emails/backup_access_lost",
        ),
    )


def notify_storage_full(integration_id: int, *, now: datetime | None = None) -> bool:
    """Tell the merchant their Drive is full, once until a backup succeeds again."""
    return _send_until_a_success(
        integration_id,
        "quota_notified_at",
        now,
        subject=_("Google Drive backup stopped: your Google Drive is full"),
        template="emails/backup_storage_full",
    )


def notify_account_refused(integration_id: int, *, now: datetime | None = None) -> bool:
    """Tell the merchant Google refuses new files in their Drive, once until a backup succeeds."""
    return _send_until_a_success(
        integration_id,
        "account_refused_notified_at",
        now,
        subject=_("Google Drive backup stopped: Google refuses new files in your Drive"),
        template="emails/backup_account_refused",
        last_run=True,
    )


def _send_until_a_success(
    integration_id: int,
    mark: str,
    now: datetime | None,
    *,
    subject: object,
    template: str,
    last_run: bool = False,
) -> bool:
    """One e-mail about a problem; `mark` is cleared when a backup succeeds again."""
    return _send_once(
        integration_id,
        mark,
        Q(**{f"{mark}__isnull": True}),
        now,
        lambda integration: _message(
            integration,
            subject=subject,
            template=template,
            extra={"last_run": _last_finished_run(integration)} if last_run else None,
        ),
    )


def notify_failure_streak(integration_id: int, *, now: datetime | None = None) -> bool:
    """After two failed backups in a row, tell the merchant, once per streak."""
    return _send_once(
        integration_id,
        "failure_streak_notified_at",
        Q(
            failure_streak_notified_at__isnull=True,
            consecutive_failures__gte=FAILURE_STREAK_LENGTH,
        ),
        now,
        lambda integration: _message(
            integration,
            subject=_("Google Drive backup failed twice in a row"),
            template="emails/backup_failed_twice",
            extra={"last_run": _last_finished_run(integration)},
        ),
    )


def forget_resolved_problems(integration_id: int) -> None:
    """A backup succeeded: a later full Drive or failure streak is news again."""
    GoogleDriveIntegration.objects.filter(pk=integration_id).update(
        quota_notified_at=None, account_refused_notified_at=None, failure_streak_notified_at=None
    )


def forget_ended_streak(integration_id: int) -> None:
    """The failure count went back below a streak (e.g. after a reconnect): re-arm its e-mail."""
    GoogleDriveIntegration.objects.filter(
        pk=integration_id, consecutive_failures__lt=FAILURE_STREAK_LENGTH
    ).update(failure_streak_notified_at=None)


def _send_once(
    integration_id: int,
    mark: str,
    condition: Q,
    now: datetime | None,
    build: Callable[[GoogleDriveIntegration], EmailMultiAlternatives | None],
) -> bool:
    now = now or timezone.now()
    claimed = (
        GoogleDriveIntegration.objects.filter(condition, pk=integration_id).update(**{mark: now})
        == 1
    )
    if not claimed:
        return False
    integration = GoogleDriveIntegration.objects.select_related("merchant").get(pk=integration_id)
    try:
        message = build(integration)
        if message is not None:
            message.send()
    except Exception:
        _release(integration_id, mark, now)
        raise
    if message is None:
        _release(integration_id, mark, now)
        return False
    logger.info("Sent %s e-mail for integration %s", mark.removesuffix("_at"), integration_id)
    return True


def _release(integration_id: int, mark: str, claimed_at: datetime) -> None:
    GoogleDriveIntegration.objects.filter(pk=integration_id, **{mark: claimed_at}).update(
        **{mark: None}
    )


def _message(
    integration: GoogleDriveIntegration,
    *,
    subject: object,
    template: str,
    extra: dict | None = None,
) -> EmailMultiAlternatives | None:
    to = recipients(integration)
    if not to:
        logger.warning("Integration %s: no one to e-mail", integration.pk)
        return None
    with translation.override(integration.merchant.language):
        context = {
            "integration": integration,
            "merchant": integration.merchant,
            "page_url": google_drive_page_url(),
            "root_folder_name": settings.BACKUP_ROOT_FOLDER_NAME,
            **(extra or {}),
        }
        message = EmailMultiAlternatives(
            subject=str(subject),
            body=render_to_string(f"{template}.txt", context),
            to=to,
        )
        message.attach_alternative(render_to_string(f"{template}.html", context), "text/html")
    return message


def _last_finished_run(integration: GoogleDriveIntegration) -> BackupRun | None:
    return (
        integration.runs.filter(finished_at__isnull=False).order_by("-finished_at", "-id").first()
    )
