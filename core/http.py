"""The client's address, the one way Kontor reads it: audit rows, consents, rate limits and allauth all call
``client_ip``.

Behind ``KONTOR_TRUSTED_PROXY_COUNT`` reverse proxies (the load balancer, the ingress) each proxy appends the address
it saw to ``X-Forwarded-For``, so the client is the entry that many places from the right; everything to its left
was written by the client and proves nothing. With 0 (the default) the header is ignored and the TCP peer
(``REMOTE_ADDR``) is the client. A header shorter than the proxy count or holding something that is not an address
means the request did not come through the configured chain: the peer's address is used, never a forged one.
"""

from __future__ import annotations

import ipaddress
import logging

from django.conf import settings
from django.http import HttpRequest

logger = logging.getLogger(__name__)


def _address(value: str | None) -> str | None:
    """``value`` as a normalized IP address, or ``None`` when it is none (``[v6]:port`` and ``v4:port`` allowed)."""
    if not value:
        return None
    candidate = value.strip()
    if candidate.startswith("[") and "]" in candidate:  # "[2001:db8::1]:443"
        candidate = candidate[1 : candidate.index("]")]
    elif candidate.count(":") == 1:  # "203.0.113.7:51234"
        candidate = candidate.partition(":")[0]
    try:
        return str(ipaddress.ip_address(candidate))
    except ValueError:
        return None


def client_ip(request: HttpRequest) -> str | None:
    """The address of the client that sent ``request`` (see the module docstring), or ``None`` if unknown."""
    peer = _address(request.META.get("REMOTE_ADDR"))
    proxies: int = settings.KONTOR_TRUSTED_PROXY_COUNT
    if proxies <= 0:
        return peer
    forwarded = request.META.get("HTTP_X_FORWARDED_FOR", "")
    hops = [hop for hop in (part.strip() for part in forwarded.split(",")) if hop]
    if len(hops) < proxies:
        if forwarded:
            logger.warning("X-Forwarded-For has %d hops, %d trusted proxies expected", len(hops), proxies)
        return peer
    address = _address(hops[-proxies])
    if address is None:
        logger.warning("X-Forwarded-For entry is not an IP address; using the peer address")
        return peer
    return address
