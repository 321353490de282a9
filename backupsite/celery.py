"""The Celery app. Imported by the package's __init__ so tasks register with Django."""

from __future__ import annotations

import os

from celery import Celery

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "backupsite.settings")

app = Celery("backupsite")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()


def _beat_schedule() -> dict:
    from django.conf import settings

    return {
        "dispatch-due-backups": {
            "task": "integrations.tasks.dispatch_due_backups",
            "schedule": float(settings.BACKUP_DISPATCH_INTERVAL_SECONDS),
            "options": {"expires": float(settings.BACKUP_DISPATCH_INTERVAL_SECONDS)},
        },
        # Each integration's backup is checked once a month; the daily pass finds whose is due.
        "check-due-backups": {
            "task": "integrations.tasks.check_due_backups",
            "schedule": 24 * 3600.0,
            "options": {"expires": 3600.0},
        },
    }


@app.on_after_configure.connect
def _setup_beat(sender: Celery, **kwargs: object) -> None:
    sender.conf.beat_schedule = _beat_schedule()
