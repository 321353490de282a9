"""Serve this machine's worker metrics to Prometheus, for a machine that runs no web process.

The workers write their counters (runs finished, uploads, Drive requests, waits, backoff) into
PROMETHEUS_MULTIPROC_DIR; on a machine with a web process its /metrics already adds them up.
On a workers-only machine run this next to them, with the same PROMETHEUS_MULTIPROC_DIR:

    PROMETHEUS_MULTIPROC_DIR=/run/drivebackup-metrics manage.py metrics_exporter --port 9808

It leaves out the database-derived gauges (the web's /metrics has them; repeated on every
target they would be counted once per machine). Requests must carry METRICS_BEARER_TOKEN when
it is set; bind to loopback or a private address, as for /metrics.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterable
from wsgiref.simple_server import WSGIRequestHandler, make_server

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.utils.crypto import constant_time_compare
from prometheus_client import make_wsgi_app

from monitoring.exposition import MULTIPROC_ENV, process_registry

StartResponse = Callable[..., object]


def protected(app: Callable, token: str) -> Callable:
    """`app` answering 403 to a request without `Authorization: Bearer <token>` (if a token)."""

    def guarded(environ: dict, start_response: StartResponse) -> Iterable[bytes]:
        scheme, _, given = environ.get("HTTP_AUTHORIZATION", "").partition(" ")
        if token and not (scheme.lower() == "bearer" and constant_time_compare(given, token)):
            start_response("403 Forbidden", [("Content-Type", "text/plain")])
            return [b"Forbidden\n"]
        return app(environ, start_response)

    return guarded


class QuietHandler(WSGIRequestHandler):
    def log_message(self, format: str, *args: object) -> None:
        # One line per scrape every few seconds says nothing.
        pass


class Command(BaseCommand):
    help = "Serve the Prometheus metrics of this machine's worker processes."

    def add_arguments(self, parser) -> None:
        parser.add_argument("--bind", default="127.0.0.1", help="address to listen on")
        parser.add_argument("--port", type=int, default=9808, help="port to listen on")

    def handle(self, *args, bind: str, port: int, **options) -> None:
        if not os.environ.get(MULTIPROC_ENV):
            raise CommandError(
                f"{MULTIPROC_ENV} is not set: the workers' metrics are in the directory it "
                "names (set the same value for the workers and this command)."
            )
        app = protected(make_wsgi_app(process_registry()), settings.METRICS_BEARER_TOKEN)
        server = make_server(bind, port, app, handler_class=QuietHandler)
        self.stdout.write(f"Serving worker metrics at http://{bind}:{port}/metrics")
        server.serve_forever()
