"""Compute every integration's next nightly start afresh.

    python manage.py reschedule_backups

Run it after changing BACKUP_NIGHT_START_HOUR, BACKUP_NIGHT_END_HOUR or
BACKUP_NIGHT_SPREAD_MARGIN_SECONDS: the dispatcher finds due integrations by the start moment
stored with each (next_run_at), which was computed under the old window.
"""

from __future__ import annotations

from django.core.management.base import BaseCommand
from django.utils import timezone

from integrations.models import GoogleDriveIntegration
from integrations.schedule import reschedule


class Command(BaseCommand):
    help = "Recompute when each Google Drive backup next starts (after a night-window change)."

    def handle(self, *args, **options) -> None:
        count = reschedule(GoogleDriveIntegration.objects.all(), timezone.now())
        self.stdout.write(f"{count} integration(s) rescheduled.")
