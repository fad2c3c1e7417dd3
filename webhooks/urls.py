"""Which URLs a webhook may be sent to (SSRF): checked when an endpoint is saved and again before every delivery.

HTTPS only, no credentials in the URL, at most 2,048 characters, and every address the host resolves to must be a
public one — private, loopback, link-local, multicast, reserved and unspecified ranges are refused (the cloud's
metadata service at 169.254.169.254 among them). ``settings.KONTOR_WEBHOOKS_ALLOW_LOOPBACK`` (on with DEBUG, and in
tests that run a receiver on 127.0.0.1) admits loopback addresses, and plain HTTP to them only.
"""

from __future__ import annotations

import ipaddress
import socket
from urllib.parse import urlsplit

from django.conf import settings
from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

MAX_URL_LENGTH = 2048


def _refuse(message: str, code: str) -> ValidationError:
    return ValidationError({"url": [ValidationError(message, code=code)]})


def resolve(host: str, port: int) -> list[ipaddress.IPv4Address | ipaddress.IPv6Address]:
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except (socket.gaierror, UnicodeError) as exc:
        raise _refuse(_("The host of this URL cannot be resolved."), "url_unresolvable") from exc
    return [ipaddress.ip_address(str(info[4][0]).split("%")[0]) for info in infos]


def validate_webhook_url(url: str) -> None:
    """Raise a ``ValidationError`` (field ``url``) unless Kontor may send webhooks to ``url`` now."""
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
    addresses = resolve(parts.hostname, port or (443 if parts.scheme == "https" else 80))
    allow_loopback: bool = settings.KONTOR_WEBHOOKS_ALLOW_LOOPBACK
    all_loopback = all(address.is_loopback for address in addresses)
    if parts.scheme == "http" and not (allow_loopback and all_loopback):
        raise _refuse(_("The URL must start with https://."), "url_not_https")
    for address in addresses:
        if address.is_loopback and allow_loopback:
            continue
        if not address.is_global or address.is_multicast:
            raise _refuse(
                _("The URL resolves to a private, loopback or link-local address, which webhooks cannot reach."),
                "url_private_address",
            )
