"""A "Check my backup" (VerifyReport)'s life: requested, run under the integration's lock, kept.

- Requested in one place (`request_check`): by the page's button, the `verify_backup` command
  and the monthly pass (`request_monthly_checks`); one active check per integration is a
  database constraint, and a check nobody finished within STALE_AFTER no longer blocks.
- Run by `execute_check`, holding the same Redis lock as a backup run: a check never sees a
  run's half-written ledger, and a run never starts in the middle of a check. A held lock
  raises CheckBusy, for the task to try again a little later.

What a check compares is integrations.engine.verify's; it changes nothing in Drive.
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta

from django.db import IntegrityError, transaction
from django.utils import timezone

from integrations.engine import run as engine_run
from integrations.engine import verify
from integrations.engine.locking import IntegrationLock
from integrations.engine.outcome import stop_for
from integrations.google.client import DriveClient
from integrations.google.errors import DriveError
from integrations.google.oauth import credentials_from_refresh_token
from integrations.models import BackedUpFile, GoogleDriveIntegration, VerifyReport

logger = logging.getLogger(__name__)

# How often a check runs by itself (`request_monthly_checks`, once a day from beat).
MONTHLY_EVERY = timedelta(days=30)
# A queued or running check older than this lost its worker: it is closed as failed.
STALE_AFTER = timedelta(hours=2)
# Codes kept in VerifyReport.error (worded for the page in the report's template).
ACCESS_LOST = "access_lost"
GOOGLE_UNAVAILABLE = "google_unavailable"
INTERRUPTED = "interrupted"


class CheckRefused(Exception):
    NOT_CONNECTED = "not_connected"
    ALREADY_ACTIVE = "already_active"

    def __init__(self, reason: str, report: VerifyReport | None = None) -> None:
        super().__init__(reason)
        self.reason = reason
        self.report = report


class CheckBusy(Exception):
    """A backup run (or another check) holds the integration's lock right now."""


def active_check(integration_id: int) -> VerifyReport | None:
    return (
        VerifyReport.objects.filter(
            integration_id=integration_id, status__in=VerifyReport.ACTIVE_STATUSES
        )
        .order_by("-id")
        .first()
    )


def latest_check(integration_id: int) -> VerifyReport | None:
    return VerifyReport.objects.filter(integration_id=integration_id).order_by("-id").first()


def request_check(
    integration_id: int, trigger: str, *, now: datetime | None = None
) -> VerifyReport:
    """A new queued check, or CheckRefused (not connected, or one is already under way)."""
    now = now or timezone.now()
    integration = GoogleDriveIntegration.objects.get(pk=integration_id)
    if not integration.is_connected or not integration.refresh_token:
        raise CheckRefused(CheckRefused.NOT_CONNECTED)
    _close_stale_checks(integration_id, now)
    try:
        with transaction.atomic():
            return VerifyReport.objects.create(
                integration=integration,
                google_account_id=integration.google_account_key,
                trigger=trigger,
                requested_at=now,
            )
    except IntegrityError:
        raise CheckRefused(CheckRefused.ALREADY_ACTIVE, active_check(integration_id)) from None


def request_monthly_checks(now: datetime | None = None) -> list[VerifyReport]:
    """A check for every connected integration whose last one is a month old (or none, and
    connected for a month)."""
    now = now or timezone.now()
    since = now - MONTHLY_EVERY
    due = GoogleDriveIntegration.objects.filter(
        status=GoogleDriveIntegration.Status.CONNECTED, connected_at__lte=since
    ).exclude(verify_reports__requested_at__gt=since)
    reports = []
    for integration_id in due.values_list("pk", flat=True).distinct():
        try:
            reports.append(request_check(integration_id, VerifyReport.Trigger.MONTHLY, now=now))
        except CheckRefused:
            continue
    return reports


def execute_check(report_id: int, *, client: DriveClient | None = None) -> VerifyReport:
    """Run a queued check to its end; CheckBusy while the integration's lock is held."""
    report = VerifyReport.objects.select_related("integration").get(pk=report_id)
    if report.status not in VerifyReport.ACTIVE_STATUSES:
        return report
    lock = IntegrationLock(report.integration_id)
    if not lock.acquire():
        raise CheckBusy
    try:
        report.status = VerifyReport.Status.RUNNING
        report.started_at = timezone.now()
        report.save(update_fields=["status", "started_at"])
        client = client or _client_for(report.integration)
        try:
            comparison = check_drive(report.integration, client)
        except DriveError as error:
            return _fail(report, error, client)
        except Exception:
            # Not left "running" for hours: the page offers a new check at once.
            _close(report, INTERRUPTED, client)
            raise
        _keep(report, comparison, client)
        return report
    finally:
        lock.release()


def check_drive(integration: GoogleDriveIntegration, client: DriveClient) -> verify.Comparison:
    """List our files in Drive and compare them with the integration's ledger."""
    account = integration.google_account_key
    client.refresh_access_token()
    listed = verify.list_our_files(client)
    # Read after the listing: any file listed had its ledger row committed before it was sent.
    rows = BackedUpFile.objects.filter(
        integration=integration, google_account_id=account, state=BackedUpFile.State.DONE
    ).only("name", "folder_path", "drive_file_id", "md5", "kind", "document_uuid")
    known = set(
        BackedUpFile.objects.filter(google_account_id=account).values_list(
            "drive_file_id", flat=True
        )
    )
    return verify.compare(rows, listed, integration_id=integration.pk, known_ids=known)


def _client_for(integration: GoogleDriveIntegration) -> DriveClient:
    return DriveClient(
        credentials_from_refresh_token(integration.refresh_token),
        # The engine's sleep between retries (tests replace it).
        sleep=lambda seconds: engine_run.sleep(seconds),
        log_context=f"Check of integration {integration.pk}",
    )


def _keep(report: VerifyReport, comparison: verify.Comparison, client: DriveClient) -> None:
    for name, count in comparison.counts.items():
        setattr(report, name, count)
    report.files = comparison.kept_findings()
    report.status = VerifyReport.Status.DONE
    report.finished_at = timezone.now()
    report.drive_calls = client.calls
    report.save()
    logger.info("Check %s of integration %s: %s", report.pk, report.integration_id, report.counts())


def _fail(report: VerifyReport, error: DriveError, client: DriveClient) -> VerifyReport:
    if error.access_lost:
        # The same consequence as a run meeting a refused grant: the page asks to reconnect.
        stop_for(error, code="verify_failed", integration=report.integration, run_id=0)
    logger.warning("Check %s of integration %s failed: %s", report.pk, report.integration_id, error)
    return _close(report, ACCESS_LOST if error.access_lost else GOOGLE_UNAVAILABLE, client)


def _close(report: VerifyReport, code: str, client: DriveClient) -> VerifyReport:
    report.status = VerifyReport.Status.FAILED
    report.error = code
    report.finished_at = timezone.now()
    report.drive_calls = client.calls
    report.save(update_fields=["status", "finished_at", "error", "drive_calls"])
    return report


def _close_stale_checks(integration_id: int, now: datetime) -> None:
    VerifyReport.objects.filter(
        integration_id=integration_id,
        status__in=VerifyReport.ACTIVE_STATUSES,
        requested_at__lt=now - STALE_AFTER,
    ).update(status=VerifyReport.Status.FAILED, finished_at=now, error=INTERRUPTED)
