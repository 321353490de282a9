"""Back up one merchant (or every connected one) now, in this process, and say what happened.

    python manage.py backup_now [--merchant EMAIL] [--since YYYY-MM-DD]

`--since` moves the backup's start date back first (a backfill): the run then uploads every
document issued from that day on that Drive does not hold yet, into its issue month's folder.
EMAIL is the e-mail of one of the merchant's users or of the connected Google account. A run
that is already queued or running for the integration is continued rather than duplicated.
The outcome has the worker's consequences too: a lost grant, a full Drive or a second failure
in a row queues the merchant's e-mail, and a success clears what earlier problems marked.
"""

from __future__ import annotations

import argparse
from datetime import date

from django.core.management.base import BaseCommand, CommandError
from django.db.models import Q
from django.utils import timezone

from accounts.time_zones import zone_named
from integrations.dispatcher import stalled_run_seconds
from integrations.engine.run import HEARTBEAT_INTERVAL_SECONDS, execute_run
from integrations.models import BackupRun, GoogleDriveIntegration
from integrations.runs import BackupNowRefused, start_manual_run
from integrations.selection import SinceRefused, move_documents_since_back
from integrations.tasks import after_final_outcome

# Why "Back up now" (and so this command) would not start a run, for an operator.
REFUSALS = {
    BackupNowRefused.NOT_CONNECTED: "Google Drive is not connected",
    BackupNowRefused.ACCESS_LOST: "access to Google Drive was lost; the merchant must reconnect",
    BackupNowRefused.NOTHING_SELECTED: "no box is ticked whose documents can be backed up",
}


class Command(BaseCommand):
    help = "Run a Google Drive backup synchronously for one merchant or all connected ones."

    def add_arguments(self, parser) -> None:
        parser.add_argument(
            "--merchant",
            metavar="EMAIL",
            help="A user's e-mail of the merchant, or the connected Google account's e-mail.",
        )
        parser.add_argument(
            "--since",
            metavar="YYYY-MM-DD",
            type=parse_since,
            help="Back up documents issued from this day on (moves the start date back first).",
        )

    def handle(
        self, *args, merchant: str | None = None, since: date | None = None, **options
    ) -> None:
        integrations = connected_integrations(merchant)
        if not integrations:
            raise CommandError(
                f"No connected Google Drive integration for {merchant}."
                if merchant
                else "No connected Google Drive integration."
            )
        if since is not None:
            for integration in integrations:
                self._move_start_back(integration, since)
        failed = 0
        for integration in integrations:
            try:
                run = run_for(integration)
            except BackupNowRefused as refused:
                why = REFUSALS.get(refused.reason, refused.reason)
                self.stdout.write(f"{integration.merchant}: nothing backed up, {why}")
                continue
            self.stdout.write(
                f"{integration.merchant} → {integration.google_email}: run {run.pk} "
                f"({run.get_trigger_display()})"
            )
            outcome = execute_run(run.pk)
            if not outcome.skipped:
                after_final_outcome(run.pk, outcome)
            run.refresh_from_db()
            self.stdout.write(describe_run(run, outcome.status, outcome.message))
            if outcome.skipped:
                self.stdout.write(describe_holder(run))
            failed += outcome.status in (BackupRun.Status.FAILED, BackupRun.Status.PARTIAL)
        if failed:
            raise CommandError(f"{failed} backup(s) did not fully succeed.")

    def _move_start_back(self, integration: GoogleDriveIntegration, since: date) -> None:
        today = timezone.now().astimezone(zone_named(integration.time_zone)).date()
        try:
            before = move_documents_since_back(integration, since, today)
        except SinceRefused as refused:
            raise CommandError(f"{integration.merchant}: --since {since}: {refused}.") from None
        was = before.isoformat() if before else "not set yet"
        self.stdout.write(f"{integration.merchant}: documents from {since} on (was {was})")


def parse_since(value: str) -> date:
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{value!r} is not a date like 2025-10-01") from None


def connected_integrations(email: str | None) -> list[GoogleDriveIntegration]:
    integrations = GoogleDriveIntegration.objects.filter(
        status=GoogleDriveIntegration.Status.CONNECTED
    ).select_related("merchant")
    if email:
        integrations = integrations.filter(
            Q(merchant__users__email__iexact=email) | Q(google_email__iexact=email)
        ).distinct()
    return list(integrations.order_by("pk"))


def run_for(integration: GoogleDriveIntegration) -> BackupRun:
    """A new manual run, made as "Back up now" makes one; or the active run, to continue it.

    Not queued: this process runs it. Refusals other than an active run are raised.
    """
    try:
        return start_manual_run(integration.pk, enqueue=None)
    except BackupNowRefused as refused:
        if refused.reason == BackupNowRefused.ALREADY_ACTIVE and refused.run is not None:
            return refused.run
        raise


def describe_holder(run: BackupRun) -> str:
    """What an operator needs when another worker holds the run: is that worker alive?"""
    if run.heartbeat_at is None:
        return "  the run has no heartbeat yet; it is waiting for a worker"
    age = (timezone.now() - run.heartbeat_at).total_seconds()
    if age <= HEARTBEAT_INTERVAL_SECONDS * 3:
        return (
            f"  its worker is alive (heartbeat {age:.0f} s ago); follow it on the merchant's page"
        )
    return (
        f"  its worker has not been heard of for {age:.0f} s and may be dead; the dispatcher "
        f"takes the run over once its lock expires (about {stalled_run_seconds()} s after the "
        "last heartbeat)"
    )


def describe_run(run: BackupRun, status: str, message: str) -> str:
    duration = run.duration.total_seconds() if run.duration else 0.0
    per_file = run.drive_calls / run.files_uploaded if run.files_uploaded else 0.0
    lines = [
        f"  status: {status} — {message}",
        f"  files: {run.files_uploaded} (invoices {run.invoices_uploaded}, receipts "
        f"{run.receipts_uploaded}, orders CSV with {run.orders_exported} orders)",
        f"  bytes: {run.bytes_uploaded}",
        f"  Drive requests: {run.drive_calls} ({per_file:.2f} per file)",
        f"  duration: {duration:.1f} s",
    ]
    for error in run.errors:
        number = f" {error['number']}" if error.get("number") else ""
        lines.append(f"  error [{error.get('kind')}{number}]: {error.get('message')}")
        if error.get("detail"):
            lines.append(f"      {error['detail']}")
    return "\n".join(lines)
