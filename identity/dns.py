"""DNS TXT look-ups for domain verification, through dnspython with a configurable resolver.

``settings.KONTOR_DNS_RESOLVERS`` lists ``host`` or ``host:port`` entries; empty means the system's resolvers
(``/etc/resolv.conf``). Tests point it at a DNS server on loopback.
"""

from __future__ import annotations

import dns.exception
import dns.resolver
from django.conf import settings


class DnsLookupError(Exception):
    """The look-up could not be answered (timeout, server failure): try again later."""


def _resolver() -> dns.resolver.Resolver:
    configured: list[str] = list(settings.KONTOR_DNS_RESOLVERS)
    resolver = dns.resolver.Resolver(configure=not configured)
    if configured:
        hosts, ports = [], set()
        for entry in configured:
            host, _, port = entry.rpartition(":") if entry.count(":") == 1 else (entry, "", "53")
            hosts.append(host)
            ports.add(int(port or 53))
        resolver.nameservers = hosts
        resolver.port = ports.pop() if len(ports) == 1 else 53
    resolver.lifetime = settings.KONTOR_DNS_TIMEOUT_SECONDS
    resolver.timeout = settings.KONTOR_DNS_TIMEOUT_SECONDS
    return resolver


def txt_values(name: str) -> list[str]:
    """Every TXT string at ``name`` (the strings of one record joined, as RFC 7208 does); [] when there is none."""
    try:
        answer = _resolver().resolve(name, "TXT")
    except (dns.resolver.NXDOMAIN, dns.resolver.NoAnswer):
        return []
    except (dns.exception.Timeout, dns.resolver.NoNameservers, dns.resolver.LifetimeTimeout) as exc:
        raise DnsLookupError(str(exc)) from exc
    return [b"".join(record.strings).decode("utf-8", "replace") for record in answer]
