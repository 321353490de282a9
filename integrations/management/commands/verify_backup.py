"""Check one merchant's backup against its Drive now, and optionally re-send what is lost.

    python manage.py verify_backup --merchant EMAIL [--json] [--repair]

Prints the report: how many of the ledger's copies are present, changed, trashed, missing
(deleted for good) or moved, how many files of ours Drive holds that the ledger does not know,
and the affected files. `--json` prints one JSON object with those counts as `present`,
`changed`, `trashed`, `missing`, `moved`, `unknown` (and `files`, `report`). `--repair` then
runs "Re-send missing copies" in this process if anything is missing or trashed, checks
again, and prints that second report (with the repair run under `repair`).
"""

from __future__ import annotations

import json

from django.core.management.base import BaseCommand, CommandError

from integrations import verify
from integrations.engine.run import execute_run
from integrations.management.commands.backup_now import (
    REFUSALS,
    connected_integrations,
    describe_run,
)
from integrations.models import BackupRun, GoogleDriveIntegration, VerifyReport
from integrations.runs import BackupNowRefused, start_repair_run
from integrations.tasks import after_final_outcome


class Command(BaseCommand):
    help = "Compare a merchant's Google Drive with the backup's ledger (and re-send lost copies)."

    def add_arguments(self, parser) -> None:
        parser.add_argument(
            "--merchant",
            metavar="EMAIL",
            required=True,
            help="A user's e-mail of the merchant, or the connected Google account's e-mail.",
        )
        parser.add_argument(
            "--json", action="store_true", dest="as_json", help="Print one JSON object."
        )
        parser.add_argument(
            "--repair",
            action="store_true",
            help="Re-send the documents whose copy is deleted or in the trash, then check again.",
        )

    def handle(self, *args, merchant: str, as_json: bool, repair: bool, **options) -> None:
        integrations = connected_integrations(merchant)
        if len(integrations) != 1:
            raise CommandError(
                f"No connected Google Drive integration for {merchant}."
                if not integrations
                else f"{merchant} matches {len(integrations)} integrations; use a user's e-mail."
            )
        integration = integrations[0]
        report = self._check(integration)
        repair_run = None
        if repair and report.lost:
            repair_run = self._repair(integration, quiet=as_json)
            report = self._check(integration)
        if as_json:
            self.stdout.write(_json_dump(report_as_json(report, repair_run)))
        else:
            self.stdout.write(describe_report(integration, report))
        if report.status == VerifyReport.Status.FAILED:
            raise CommandError(f"The check failed: {report.error}.")

    def _check(self, integration: GoogleDriveIntegration) -> VerifyReport:
        try:
            report = verify.request_check(integration.pk, VerifyReport.Trigger.COMMAND)
        except verify.CheckRefused as refused:
            raise CommandError(f"No check started: {refused.reason.replace('_', ' ')}.") from None
        try:
            return verify.execute_check(report.pk)
        except verify.CheckBusy:
            VerifyReport.objects.filter(pk=report.pk).delete()
            raise CommandError(
                "A backup of this merchant is running right now; check again once it ends."
            ) from None

    def _repair(self, integration: GoogleDriveIntegration, *, quiet: bool) -> BackupRun:
        try:
            run = start_repair_run(integration.pk, enqueue=None)
        except BackupNowRefused as refused:
            why = REFUSALS.get(refused.reason, refused.reason.replace("_", " "))
            raise CommandError(f"Nothing re-sent: {why}.") from None
        outcome = execute_run(run.pk)
        if not outcome.skipped:
            after_final_outcome(run.pk, outcome)
        run.refresh_from_db()
        if not quiet:
            self.stdout.write(f"Repair run {run.pk}:")
            self.stdout.write(describe_run(run, outcome.status, outcome.message))
        return run


def report_as_json(report: VerifyReport, repair_run: BackupRun | None) -> dict:
    data: dict = report.counts()
    data["files"] = report.files
    data["report"] = {
        "id": report.pk,
        "status": report.status,
        "error": report.error,
        "drive_requests": report.drive_calls,
    }
    if repair_run is not None:
        data["repair"] = {
            "run": repair_run.pk,
            "status": repair_run.status,
            "files_uploaded": repair_run.files_uploaded,
        }
    return data


def _json_dump(data: dict) -> str:
    return json.dumps(data, ensure_ascii=False, sort_keys=True)


def describe_report(integration: GoogleDriveIntegration, report: VerifyReport) -> str:
    lines = [
        f"{integration.merchant} → {integration.google_email}: check {report.pk} "
        f"({report.get_status_display()}, {report.drive_calls} Drive requests)"
    ]
    lines += [f"  {name}: {count}" for name, count in report.counts().items()]
    for file in report.files:
        where = f" (now in {file['now_in']})" if file.get("now_in") else ""
        lines.append(f"  [{file['category']}] {file.get('folder', '')}/{file['name']}{where}")
    return "\n".join(lines)
