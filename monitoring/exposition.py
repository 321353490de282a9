"""The /metrics payload: this machine's processes' counters plus the database's gauges.

With PROMETHEUS_MULTIPROC_DIR set (scripts/run.sh and the Procfile's processes share it),
prometheus_client writes every process's values into that directory and MultiProcessCollector
adds them up, so the web process reports the workers' uploads and Drive requests too. The
directory must be emptied when the processes start (scripts/run.sh does), never while they run.
Without it, the counters are this process's only (fine for a single-process development server).
"""

from __future__ import annotations

import os
from datetime import datetime

from prometheus_client import REGISTRY, CollectorRegistry, generate_latest, multiprocess

# Registers the engine's and the Drive client's metrics in this process too, so /metrics
# lists them (at 0) before the first run here.
from integrations import metrics as _engine_metrics  # noqa: F401
from monitoring.collector import DatabaseCollector

MULTIPROC_ENV = "PROMETHEUS_MULTIPROC_DIR"


def process_registry() -> CollectorRegistry:
    if os.environ.get(MULTIPROC_ENV):
        registry = CollectorRegistry()
        multiprocess.MultiProcessCollector(registry)
        return registry
    return REGISTRY


def database_registry(now: datetime | None = None) -> CollectorRegistry:
    registry = CollectorRegistry(auto_describe=False)
    registry.register(DatabaseCollector(now))
    return registry


def metrics_payload(*, with_database: bool = True, now: datetime | None = None) -> bytes:
    # Two registries in one text: the exposition format allows it, no name is in both.
    payload = generate_latest(process_registry())
    if with_database:
        payload += generate_latest(database_registry(now))
    return payload
