from __future__ import annotations

import socket

from prometheus_client.parser import text_string_to_metric_families

# The backup engine's fixtures, for metrics after a real run against fake_google.
from tests.integrations.conftest import (  # noqa: F401  # noqa: F401
    backup_redis,
    broker,
    documents_only,
    engine,
    google_clock,
    integration,
    mail_dir,
    merchant,
    slept,
    start_worker,
)
from tests.integrations.ui.test_admin import admin_client  # noqa: F401


def samples(payload: bytes | str) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    """{(sample name, sorted labels): value} of a Prometheus text exposition."""
    text = payload.decode() if isinstance(payload, bytes) else payload
    return {
        (sample.name, tuple(sorted(sample.labels.items()))): sample.value
        for family in text_string_to_metric_families(text)
        for sample in family.samples
    }


def closed_port() -> int:
    """A local port nothing listens on (bound, then released)."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]
