"""Who may read /metrics: a bearer token, allowed networks, or with neither set, loopback only.

METRICS_BEARER_TOKEN: a request with `Authorization: Bearer <token>` may read (Prometheus's
`authorization` / `bearer_token` scrape option). METRICS_ALLOWED_NETWORKS: clients whose
address (REMOTE_ADDR, i.e. the proxy's when one stands in front) is in one of these networks
may read. Either one suffices; with neither configured only 127.0.0.0/8 and ::1 may.
"""

from __future__ import annotations

from functools import cache
from ipaddress import IPv4Network, IPv6Network, ip_address, ip_network

from django.conf import settings
from django.http import HttpRequest
from django.utils.crypto import constant_time_compare

Network = IPv4Network | IPv6Network
LOOPBACK: tuple[Network, ...] = (ip_network("127.0.0.0/8"), ip_network("::1/128"))


@cache
def _parse_networks(values: tuple[str, ...]) -> tuple[Network, ...]:
    return tuple(ip_network(value.strip(), strict=False) for value in values if value.strip())


def allowed_networks() -> tuple[Network, ...]:
    configured = _parse_networks(tuple(settings.METRICS_ALLOWED_NETWORKS))
    if configured:
        return configured
    return () if settings.METRICS_BEARER_TOKEN else LOOPBACK


def bearer_token(request: HttpRequest) -> str:
    scheme, _, token = request.headers.get("Authorization", "").partition(" ")
    return token.strip() if scheme.lower() == "bearer" else ""


def client_in_networks(request: HttpRequest, networks: tuple[Network, ...]) -> bool:
    try:
        address = ip_address(request.META.get("REMOTE_ADDR", ""))
    except ValueError:
        return False
    if address.version == 6 and address.ipv4_mapped is not None:
        address = address.ipv4_mapped
    return any(address in network for network in networks)


def may_read_metrics(request: HttpRequest) -> bool:
    expected = settings.METRICS_BEARER_TOKEN
    if expected and constant_time_compare(bearer_token(request), expected):
        return True
    return client_in_networks(request, allowed_networks())
