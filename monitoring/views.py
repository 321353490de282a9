"""/healthz, /readyz and /metrics: no login, no session, nothing secret."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse, JsonResponse
from prometheus_client import CONTENT_TYPE_LATEST

from monitoring import health
from monitoring.access import may_read_metrics
from monitoring.exposition import metrics_payload

NO_STORE = "no-store"


def healthz(request: HttpRequest) -> HttpResponse:
    """Liveness: the process answers. Checks nothing else, so a dead database never gets a
    healthy web process restarted."""
    response = JsonResponse({"status": "ok"})
    response["Cache-Control"] = NO_STORE
    return response


def readyz(request: HttpRequest) -> HttpResponse:
    """Readiness: 200 when every check passes, else 503 naming the failing ones."""
    checks = health.readiness()
    failing = [check.name for check in checks if not check.ok]
    response = JsonResponse(
        {
            "status": "failing" if failing else "ok",
            "failing": failing,
            "checks": {check.name: check.as_json() for check in checks},
        },
        status=503 if failing else 200,
    )
    response["Cache-Control"] = NO_STORE
    # Each failing check has logged its cause; Django's own "Service Unavailable" line at
    # every probe would only repeat it.
    response._has_been_logged = True
    return response


def metrics(request: HttpRequest) -> HttpResponse:
    if not may_read_metrics(request):
        return HttpResponse("Forbidden\n", status=403, content_type="text/plain")
    response = HttpResponse(metrics_payload(), content_type=CONTENT_TYPE_LATEST)
    response["Cache-Control"] = NO_STORE
    return response
