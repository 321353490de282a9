from __future__ import annotations

from django.apps import AppConfig


class MonitoringConfig(AppConfig):
    name = "monitoring"
    verbose_name = "Monitoring"

    def ready(self) -> None:
        # Connects the Celery signal that records each dispatcher pass (every process that
        # loads the app, so the worker that runs the dispatcher too).
        from monitoring import dispatcher_watch  # noqa: F401
