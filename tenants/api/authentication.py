"""API-key authentication for partner integrations: ``Authorization: Bearer ktr_<prefix>_<secret>``."""

from __future__ import annotations

import hmac
from datetime import timedelta
from typing import Any

from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from rest_framework import authentication, exceptions
from rest_framework.request import Request

from core.prepared import PreparedQuery
from portal.api.throttles import api_key_admit, api_key_failure_record
from tenants.keys import KEY_PREFIX, hash_secret
from tenants.models import ApiKey

#: ``ApiKey.last_used_at`` is kept to this precision.
LAST_USED_PRECISION = timedelta(minutes=1)


#: The key with its organization by prefix, compiled once per process (compiling it was a third of a
#: key-authenticated read's CPU); a test keeps it equal to the queryset's answer, field for field.
_KEY_BY_PREFIX: PreparedQuery[ApiKey] = PreparedQuery(
    lambda prefix: ApiKey.objects.unscoped().select_related("organization").filter(prefix=prefix)[:1], prefix=str
)


def api_key_with_organization(prefix: str) -> ApiKey | None:
    """``ApiKey.objects.unscoped().select_related("organization").filter(prefix=prefix).first()``."""
    return _KEY_BY_PREFIX.first(prefix=prefix)


class ApiKeyPrincipal:
    """The ``request.user`` of a key-authenticated request: authenticated, never staff, acting as the key."""

    is_authenticated = True
    is_anonymous = False
    is_active = True
    is_staff = False
    is_superuser = False
    pk = None

    def __init__(self, api_key: ApiKey) -> None:
        self.api_key = api_key

    def __str__(self) -> str:
        return f"api-key:{self.api_key.prefix}"


class ApiKeyAuthentication(authentication.BaseAuthentication):
    keyword = "Bearer"

    def authenticate(self, request: Request) -> tuple[Any, ApiKey] | None:
        header = authentication.get_authorization_header(request).decode("latin-1")
        scheme, _sep, token = header.partition(" ")
        token = token.strip()
        # RFC 7235: the scheme is case-insensitive ("bearer" works as well as "Bearer").
        if scheme.lower() != self.keyword.lower() or not token.startswith(KEY_PREFIX):
            return None
        prefix, _sep, secret = token[len(KEY_PREFIX) :].partition("_")
        api_key = api_key_with_organization(prefix)
        # Guessing keys: past the failure limit, an address is refused (429) every key attempt until the window
        # ends, a wrong one (counted) and a right one alike. The right one's check shares its round trip to the
        # cache with the key's throttle.
        if api_key is None or not secret or not hmac.compare_digest(api_key.secret_hash, hash_secret(secret)):
            api_key_failure_record(request)
            raise exceptions.AuthenticationFailed(_("Invalid API key."))
        api_key_admit(request, api_key)
        if not api_key.is_usable():
            raise exceptions.AuthenticationFailed(_("This API key has been revoked or has expired."))
        now = timezone.now()
        if api_key.last_used_at is None or now - api_key.last_used_at >= LAST_USED_PRECISION:
            # At most one write per key and minute: a busy key's every request updating one row made concurrent
            # requests of that key queue on its row lock. The condition keeps racing requests from all writing.
            ApiKey.objects.unscoped().filter(pk=api_key.pk).filter(
                Q(last_used_at__isnull=True) | Q(last_used_at__lte=now - LAST_USED_PRECISION)
            ).update(last_used_at=now)
        return ApiKeyPrincipal(api_key), api_key

    def authenticate_header(self, request: Request) -> str:
        return self.keyword
