"""Throttles for anonymous writes (sign-up), counted in the Django cache (Redis in production, shared by every web
process). The limits are settings (``KONTOR_SIGNUP_THROTTLE``), read on every request so they can be changed per
environment; a refusal is a 429 with ``Retry-After`` in the one error shape."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from rest_framework.request import Request
from rest_framework.throttling import SimpleRateThrottle
from rest_framework.views import APIView


class _SettingsRateThrottle(SimpleRateThrottle):
    setting_key = ""

    def __init__(self) -> None:  # DRF reads the rate in __init__: from our setting, not DEFAULT_THROTTLE_RATES
        self.rate = self.get_rate()
        self.num_requests, self.duration = self.parse_rate(self.rate)

    def get_rate(self) -> str | None:
        rate: str | None = settings.KONTOR_SIGNUP_THROTTLE.get(self.setting_key)
        return rate


class SignupIPThrottle(_SettingsRateThrottle):
    """Sign-ups from one client address."""

    scope = "signup_ip"
    setting_key = "per_ip"

    def get_cache_key(self, request: Request, view: APIView) -> str | None:
        return self.cache_format % {"scope": self.scope, "ident": self.get_ident(request)}


class SignupDomainThrottle(_SettingsRateThrottle):
    """Sign-ups naming owners at one e-mail domain, from wherever they come (many addresses, one target)."""

    scope = "signup_domain"
    setting_key = "per_domain"

    def get_cache_key(self, request: Request, view: APIView) -> str | None:
        data: Any = request.data
        email = data.get("email") if isinstance(data, dict) else None
        if not isinstance(email, str) or "@" not in email:
            return None  # the serializer refuses it; nothing to count
        domain = email.rsplit("@", 1)[1].strip().lower()[:253]
        return self.cache_format % {"scope": self.scope, "ident": domain}
