"""What the monitoring keeps between processes: heartbeats and the alerts already sent."""

from __future__ import annotations

from django.db import models


class Heartbeat(models.Model):
    """The last time something periodic happened, e.g. a dispatcher pass (name 'dispatcher').

    In the database rather than in one process's memory, so /readyz and /metrics of any web
    process see what a worker recorded.
    """

    name = models.CharField(max_length=50, primary_key=True)
    at = models.DateTimeField()

    def __str__(self) -> str:
        return f"{self.name} at {self.at.isoformat()}"


class UnfinishedNightAlert(models.Model):
    """An e-mail to ADMINS about a night that did not finish.

    `run_ids` lists the overdue runs it named and `missed_nights` the integrations without a
    run (`<integration id>@<night>`), so each is reported once however many dispatcher passes
    see it.
    """

    sent_at = models.DateTimeField(db_index=True)
    run_ids = models.JSONField(default=list)
    missed_nights = models.JSONField(default=list)

    class Meta:
        ordering = ["-sent_at"]

    def __str__(self) -> str:
        return (
            f"{len(self.run_ids)} unfinished runs, {len(self.missed_nights)} missed nights, "
            f"{self.sent_at.isoformat()}"
        )
