"""The dispatcher's heartbeat: when beat's last dispatcher pass finished."""

from __future__ import annotations

from datetime import datetime

from django.utils import timezone

from monitoring.models import Heartbeat

DISPATCHER = "dispatcher"


def record_dispatcher_pass(now: datetime | None = None) -> None:
    Heartbeat.objects.update_or_create(name=DISPATCHER, defaults={"at": now or timezone.now()})


def last_dispatcher_pass() -> datetime | None:
    return Heartbeat.objects.filter(name=DISPATCHER).values_list("at", flat=True).first()
