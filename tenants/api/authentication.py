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

from portal.api.throttles import api_key_failure_record, api_key_failures_blocked
from tenants.keys import KEY_PREFIX, hash_secret
from tenants.models import ApiKey

#: ``ApiKey.last_used_at`` is kept to this precision.
LAST_USED_PRECISION = timedelta(minutes=1)


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
        # Guessing keys: past the failure limit, an address is refused every key attempt until the window ends.
        blocked = api_key_failures_blocked(request)
        if blocked is not None:
            raise exceptions.Throttled(wait=blocked.reset)
        prefix, _sep, secret = token[len(KEY_PREFIX) :].partition("_")
        # ``prefix`` is unique: a slice, not ``first()``, whose ORDER BY the ORM would compile on every request.
        found = ApiKey.objects.unscoped().select_related("organization").filter(prefix=prefix)[:1]
        api_key = next(iter(found), None)
        if api_key is None or not secret or not hmac.compare_digest(api_key.secret_hash, hash_secret(secret)):
            api_key_failure_record(request)
            raise exceptions.AuthenticationFailed(_("Invalid API key."))
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
