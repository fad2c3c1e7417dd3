"""Fetching and checking an OpenID Connect discovery document (OpenID Connect Discovery 1.0, section 3)."""

from __future__ import annotations

import ipaddress
from typing import Any
from urllib.parse import urlsplit

import requests
from django.conf import settings
from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

REQUIRED_FIELDS = (
    "issuer",
    "authorization_endpoint",
    "token_endpoint",
    "jwks_uri",
    "response_types_supported",
    "subject_types_supported",
    "id_token_signing_alg_values_supported",
)


def _is_loopback(host: str | None) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host or "").is_loopback
    except ValueError:
        return False


def check_url(url: str, *, field: str) -> None:
    """HTTPS only; plain HTTP to a loopback address where development allows it."""
    parts = urlsplit(url)
    if parts.scheme == "https" and parts.hostname:
        return
    if parts.scheme == "http" and _is_loopback(parts.hostname) and settings.KONTOR_IDENTITY_ALLOW_LOOPBACK_HTTP:
        return
    raise ValidationError({field: [_("The address must use HTTPS.")]}, code="insecure_url")


def fetch_discovery(issuer: str) -> dict[str, Any]:
    """The provider's discovery document, checked: it names ``issuer`` and every endpoint sign-in needs."""
    issuer = issuer.rstrip("/")
    check_url(issuer, field="issuer")
    url = f"{issuer}/.well-known/openid-configuration"
    try:
        response = requests.get(url, timeout=settings.KONTOR_IDENTITY_HTTP_TIMEOUT_SECONDS)
        response.raise_for_status()
        document = response.json()
    except (requests.RequestException, ValueError) as exc:
        raise ValidationError(
            {"issuer": [_("The discovery document at %(url)s could not be read.") % {"url": url}]},
            code="discovery_unreachable",
        ) from exc
    if not isinstance(document, dict):
        raise ValidationError({"issuer": [_("The discovery document is not a JSON object.")]}, code="discovery_invalid")
    missing = [name for name in REQUIRED_FIELDS if not document.get(name)]
    if missing:
        raise ValidationError(
            {"issuer": [_("The discovery document lacks %(fields)s.") % {"fields": ", ".join(missing)}]},
            code="discovery_incomplete",
        )
    if str(document["issuer"]).rstrip("/") != issuer:
        raise ValidationError(
            {"issuer": [_("The discovery document names another issuer: %(other)s.") % {"other": document["issuer"]}]},
            code="discovery_issuer_mismatch",
        )
    for name in ("authorization_endpoint", "token_endpoint", "jwks_uri"):
        check_url(str(document[name]), field="issuer")
    if "code" not in document["response_types_supported"]:
        raise ValidationError(
            {"issuer": [_("The provider does not support the authorization-code flow.")]}, code="discovery_no_code"
        )
    return document
