"""API-key authentication for partner integrations: ``Authorization: Bearer ktr_<prefix>_<secret>``."""

from __future__ import annotations

import hmac
from datetime import timedelta
from typing import Any

from django.db import connections
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from rest_framework import authentication, exceptions
from rest_framework.request import Request

from portal.api.throttles import api_key_admit, api_key_failure_record
from tenants.keys import KEY_PREFIX, hash_secret
from tenants.models import ApiKey, Organization

#: ``ApiKey.last_used_at`` is kept to this precision.
LAST_USED_PRECISION = timedelta(minutes=1)


class _KeyLookup:
    """The key with its organization by prefix: ``ApiKey.objects.select_related("organization").filter(prefix=...)``
    ``[:1]``, compiled by the ORM once per process and database instead of on every request (compiling it was a
    third of a key-authenticated read's CPU). The same SQL, each value through the converters the ORM applies, the
    same two model instances, the organization cached on the key as ``select_related`` caches it (a test keeps both
    equal, field for field)."""

    def __init__(self) -> None:
        self._prepared: dict[str, tuple[str, list[Any], Any, Any, dict[int, Any]]] = {}

    def _prepare(self, alias: str) -> tuple[str, list[Any], Any, Any, dict[int, Any]]:
        queryset = ApiKey.objects.unscoped().select_related("organization").filter(prefix=_PREFIX_PLACEHOLDER)[:1]
        compiler = queryset.query.get_compiler(using=alias)
        sql, params = compiler.as_sql()
        if list(params) != [_PREFIX_PLACEHOLDER]:  # the prefix must be the query's one parameter
            raise RuntimeError(f"Unexpected parameters of the API key lookup: {params!r}")
        select = [expression for expression, _sql, _alias in compiler.select]
        key_info = compiler.klass_info
        (organization_info,) = key_info["related_klass_infos"]
        key_columns = (key_info["select_fields"], [select[i].target.attname for i in key_info["select_fields"]])
        organization_columns = (
            organization_info["select_fields"],
            [select[i].target.attname for i in organization_info["select_fields"]],
        )
        prepared = (sql, list(params), key_columns, organization_columns, compiler.get_converters(select))
        self._prepared[alias] = prepared
        return prepared

    def __call__(self, prefix: str, *, alias: str = "default") -> ApiKey | None:
        sql, _params, key_columns, organization_columns, converters = self._prepared.get(alias) or self._prepare(alias)
        connection = connections[alias]
        with connection.cursor() as cursor:
            cursor.execute(sql, [prefix])
            found = cursor.fetchone()
        if found is None:
            return None
        row = list(found)
        for position, (functions, expression) in converters.items():
            for function in functions:
                row[position] = function(row[position], expression, connection)
        api_key = ApiKey.from_db(alias, key_columns[1], [row[i] for i in key_columns[0]])
        organization = Organization.from_db(alias, organization_columns[1], [row[i] for i in organization_columns[0]])
        ApiKey._meta.get_field("organization").set_cached_value(api_key, organization)
        return api_key


_PREFIX_PLACEHOLDER = "prefix"
api_key_with_organization = _KeyLookup()


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
