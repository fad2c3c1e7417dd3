"""Which URLs a webhook may be sent to (SSRF): checked when an endpoint is saved and again before every delivery.

HTTPS only, no credentials in the URL, at most 2,048 characters, and every address the host resolves to must be a
public one — private, loopback, link-local, multicast, reserved and unspecified ranges are refused (the cloud's
metadata service at 169.254.169.254 among them). ``settings.KONTOR_WEBHOOKS_ALLOW_LOOPBACK`` (on with DEBUG, and in
tests that run a receiver on 127.0.0.1) admits loopback addresses, and plain HTTP to them only.

``webhook_target`` resolves once and returns the checked address with the URL's parts: delivery connects to exactly
that address (``webhooks.transport``), so a second DNS answer — DNS rebinding — cannot send the request elsewhere.
Names are resolved by the system (``getaddrinfo``), or, when ``settings.KONTOR_WEBHOOKS_DNS_RESOLVERS`` lists
servers (``host`` or ``host:port``), by asking those servers for A and AAAA records (dnspython).
"""

from __future__ import annotations

import ipaddress
import socket
from dataclasses import dataclass
from urllib.parse import urlsplit

import dns.exception
import dns.resolver
from django.conf import settings
from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

MAX_URL_LENGTH = 2048


def _refuse(message: str, code: str) -> ValidationError:
    return ValidationError({"url": [ValidationError(message, code=code)]})


Address = ipaddress.IPv4Address | ipaddress.IPv6Address


@dataclass(frozen=True)
class WebhookTarget:
    """A URL checked now: ``address`` is the one allowed address to connect to; ``host`` names it for the
    ``Host`` header and, over HTTPS, for SNI and the certificate check."""

    scheme: str
    host: str
    port: int
    address: Address
    path: str

    @property
    def host_header(self) -> str:
        default = 443 if self.scheme == "https" else 80
        name = f"[{self.host}]" if ":" in self.host else self.host
        return name if self.port == default else f"{name}:{self.port}"


def _unresolvable() -> ValidationError:
    return _refuse(_("The host of this URL cannot be resolved."), "url_unresolvable")


def _configured_resolver(servers: list[str]) -> dns.resolver.Resolver:
    resolver = dns.resolver.Resolver(configure=False)
    hosts, ports = [], set()
    for entry in servers:
        host, _sep, port = entry.rpartition(":") if entry.count(":") == 1 else (entry, "", "53")
        hosts.append(host)
        ports.add(int(port or 53))
    resolver.nameservers = hosts
    resolver.port = ports.pop() if len(ports) == 1 else 53
    resolver.lifetime = resolver.timeout = settings.KONTOR_DNS_TIMEOUT_SECONDS
    return resolver


def resolve(host: str, port: int) -> list[Address]:
    try:
        return [ipaddress.ip_address(host)]
    except ValueError:
        pass
    servers: list[str] = list(settings.KONTOR_WEBHOOKS_DNS_RESOLVERS)
    if servers:
        resolver = _configured_resolver(servers)
        addresses: list[Address] = []
        for record_type in ("A", "AAAA"):
            try:
                answer = resolver.resolve(host, record_type)
            except (dns.resolver.NXDOMAIN, dns.resolver.NoAnswer):
                continue
            except (dns.exception.DNSException, UnicodeError) as exc:
                raise _unresolvable() from exc
            addresses += [ipaddress.ip_address(record.address) for record in answer]
        if not addresses:
            raise _unresolvable()
        return addresses
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except (socket.gaierror, UnicodeError) as exc:
        raise _unresolvable() from exc
    return [ipaddress.ip_address(str(info[4][0]).split("%")[0]) for info in infos]


def validate_webhook_url(url: str) -> None:
    """Raise a ``ValidationError`` (field ``url``) unless Kontor may send webhooks to ``url`` now."""
    webhook_target(url)


def webhook_target(url: str) -> WebhookTarget:
    """Check ``url`` (see the module) with one resolution, and return the address to connect to; a
    ``ValidationError`` (field ``url``) when Kontor may not send webhooks there now."""
    if len(url) > MAX_URL_LENGTH:
        raise _refuse(_("The URL may have at most 2,048 characters."), "url_too_long")
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError as exc:
        raise _refuse(_("This is not a valid URL."), "url_invalid") from exc
    if parts.scheme not in ("https", "http") or not parts.hostname:
        raise _refuse(_("The URL must start with https:// and name a host."), "url_not_https")
    if parts.username is not None or parts.password is not None:
        raise _refuse(_("The URL must not contain a user name or password."), "url_credentials")
    port = port or (443 if parts.scheme == "https" else 80)
    addresses = resolve(parts.hostname, port)
    allow_loopback: bool = settings.KONTOR_WEBHOOKS_ALLOW_LOOPBACK
    all_loopback = all(address.is_loopback for address in addresses)
    for address in addresses:
        if address.is_loopback and allow_loopback:
            continue
        if not address.is_global or address.is_multicast:
            raise _refuse(
                _("The URL resolves to a private, loopback or link-local address, which webhooks cannot reach."),
                "url_private_address",
            )
    if parts.scheme == "http" and not (allow_loopback and all_loopback):
        raise _refuse(_("The URL must start with https://."), "url_not_https")
    path = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
    return WebhookTarget(scheme=parts.scheme, host=parts.hostname, port=port, address=addresses[0], path=path)
