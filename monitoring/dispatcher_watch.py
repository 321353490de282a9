"""After every successful dispatcher pass: record it, and tell ADMINS of nights not finished.

Hooked on Celery's `task_postrun` signal for the dispatcher's task name rather than inside the
dispatcher, so it holds whatever the dispatcher's code becomes as long as beat runs the task of
this name. A pass that raised is no pass: only state SUCCESS counts.
"""

from __future__ import annotations

import logging

from celery import states
from celery.signals import task_postrun

from monitoring.alerts import alert_unfinished_nights
from monitoring.heartbeats import record_dispatcher_pass

logger = logging.getLogger(__name__)

DISPATCHER_TASK = "integrations.tasks.dispatch_due_backups"


@task_postrun.connect(dispatch_uid="monitoring.dispatcher_pass")
def after_dispatcher_pass(sender=None, state: str | None = None, **kwargs: object) -> None:
    if getattr(sender, "name", None) != DISPATCHER_TASK or state != states.SUCCESS:
        return
    try:
        record_dispatcher_pass()
        alert_unfinished_nights()
    except Exception:
        # Monitoring must never break the dispatcher; a missing heartbeat shows in /readyz.
        logger.exception("Could not record the dispatcher pass")
