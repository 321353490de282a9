from __future__ import annotations

from django.apps import AppConfig


class IntegrationsConfig(AppConfig):
    name = "integrations"

    def ready(self) -> None:
        from accounts.signals import merchant_time_zone_changed
        from integrations import tasks  # noqa: F401  (registers the tasks runs.py queues by name)
        from integrations.schedule import follow_merchant_time_zone

        merchant_time_zone_changed.connect(
            follow_merchant_time_zone, dispatch_uid="integrations.follow_merchant_time_zone"
        )
