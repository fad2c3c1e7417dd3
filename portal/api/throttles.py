"""The API's throttles, counted in the cache by ``core.ratelimit`` (fixed windows, one atomic increment per hit).

Default for every view (``REST_FRAMEWORK["DEFAULT_THROTTLE_CLASSES"]``): per API key, per signed-in user and per
anonymous client address (``KONTOR_API_THROTTLE``); sign-up adds per address and per owner e-mail domain
(``KONTOR_SIGNUP_THROTTLE``). Failed API-key authentications are counted per address and, past
``KONTOR_API_THROTTLE["auth_failures"]``, every key attempt from that address is refused until the window ends, so
keys cannot be guessed at speed. Limits are read on every request, so they can be changed per environment; ``None``
turns one off. A refusal is a 429 with ``Retry-After`` in the one error shape; every throttled view's answer carries
``RateLimit-Limit``, ``RateLimit-Remaining`` and ``RateLimit-Reset`` (the tightest of its limits; set by
``portal.middleware.RateLimitHeadersMiddleware`` from ``request.kontor_rate_limit``).
"""

from __future__ import annotations

import time
from typing import TYPE_CHECKING, Any

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from rest_framework.exceptions import Throttled
from rest_framework.request import Request
from rest_framework.throttling import BaseThrottle

from core.http import client_ip
from core.ratelimit import Rate, RateDecision, counter_key, hit, hit_and_read, parse_rate, peek
from tenants.models import ApiKey, User

if TYPE_CHECKING:
    from rest_framework.views import APIView

RATE_LIMIT_ATTRIBUTE = "kontor_rate_limit"
# Hits already counted for this request before DRF ran (scope -> decision): a throttle of that scope uses the
# decision instead of counting the request twice (catalog/api/caching.py counts a cached answer's hit early).
PRECOUNTED_ATTRIBUTE = "kontor_precounted"


def remember_decision(request: HttpRequest | Request, decision: RateDecision) -> None:
    """Keep the tightest decision of this request on the Django request, for the ``RateLimit-*`` headers."""
    django_request = request._request if isinstance(request, Request) else request
    current: RateDecision | None = getattr(django_request, RATE_LIMIT_ATTRIBUTE, None)
    if current is None or (not decision.allowed, -decision.remaining) > (not current.allowed, -current.remaining):
        setattr(django_request, RATE_LIMIT_ATTRIBUTE, decision)


def rate_limit_headers_apply(response: HttpResponse, decision: RateDecision) -> None:
    """``RateLimit-Limit``, ``RateLimit-Remaining``, ``RateLimit-Reset`` (and ``Retry-After`` on a refusal)."""
    response["RateLimit-Limit"] = str(decision.limit)
    response["RateLimit-Remaining"] = str(decision.remaining)
    response["RateLimit-Reset"] = str(decision.reset)
    if not decision.allowed and response.status_code == 429 and not response.has_header("Retry-After"):
        response["Retry-After"] = str(decision.reset)


class SettingsRateThrottle(BaseThrottle):
    """A throttle whose rate is ``getattr(settings, setting)[setting_key]`` and whose identity ``ident`` names."""

    scope = ""
    setting = "KONTOR_API_THROTTLE"
    setting_key = ""

    def __init__(self) -> None:
        self._decision: RateDecision | None = None

    def rate(self) -> str | None:
        rate: str | None = getattr(settings, self.setting).get(self.setting_key)
        return rate

    def ident(self, request: Request, view: APIView) -> str | None:
        """Whom to count, or ``None`` when this throttle does not apply to the request."""
        raise NotImplementedError

    def allow_request(self, request: Request, view: APIView) -> bool:
        rate = self.rate()
        ident = self.ident(request, view) if rate else None
        if rate is None or ident is None:
            return True
        precounted: dict[str, RateDecision] = getattr(request._request, PRECOUNTED_ATTRIBUTE, {})
        self._decision = precounted.get(self.scope) or hit(self.scope, ident, parse_rate(rate))
        remember_decision(request, self._decision)
        return self._decision.allowed

    def wait(self) -> float | None:
        return float(self._decision.reset) if self._decision is not None else None


class ApiKeyThrottle(SettingsRateThrottle):
    """Requests made with one API key."""

    scope = "api_key"
    setting_key = "api_key"

    def ident(self, request: Request, view: APIView) -> str | None:
        return f"{request.auth.pk}" if isinstance(request.auth, ApiKey) else None


class UserThrottle(SettingsRateThrottle):
    """Requests of one signed-in user (the portal's session)."""

    scope = "user"
    setting_key = "user"

    def ident(self, request: Request, view: APIView) -> str | None:
        return f"{request.user.pk}" if isinstance(request.user, User) else None


class AnonThrottle(SettingsRateThrottle):
    """Anonymous requests from one client address."""

    scope = "anon"
    setting_key = "anon"

    def ident(self, request: Request, view: APIView) -> str | None:
        if request.user is not None and request.user.is_authenticated:
            return None
        return client_ip(request) or "unknown"


class SignupIPThrottle(SettingsRateThrottle):
    """Sign-ups from one client address."""

    scope = "signup_ip"
    setting = "KONTOR_SIGNUP_THROTTLE"
    setting_key = "per_ip"

    def ident(self, request: Request, view: APIView) -> str | None:
        return client_ip(request) or "unknown"


def email_domain(email: object) -> str | None:
    """The lower-cased domain of an e-mail address, or ``None`` for anything that is not one."""
    if not isinstance(email, str) or "@" not in email:
        return None
    return email.rsplit("@", 1)[1].strip().lower()[:253] or None


class SignupDomainThrottle(SettingsRateThrottle):
    """Sign-ups naming owners at one e-mail domain, from wherever they come (many addresses, one target)."""

    scope = "signup_domain"
    setting = "KONTOR_SIGNUP_THROTTLE"
    setting_key = "per_domain"

    def ident(self, request: Request, view: APIView) -> str | None:
        data: Any = request.data
        return email_domain(data.get("email") if isinstance(data, dict) else None)  # None: the serializer refuses


AUTH_FAILURES_SCOPE = "api_key_failures"


def _failures_rate() -> Rate | None:
    rate = settings.KONTOR_API_THROTTLE.get("auth_failures")
    return parse_rate(rate) if rate is not None else None


def api_key_admit(request: Request, api_key: ApiKey) -> None:
    """A request whose key checked out: refused (429) when its address failed API-key authentication too often in
    the current window, as every key attempt from there is until the window ends; and, when the view throttles per
    key, the key's hit counted for ``ApiKeyThrottle`` (which then uses the decision, ``PRECOUNTED_ATTRIBUTE``).
    Both in one round trip to the cache: the failure count is read in the pipeline that counts the key's hit."""
    failures_rate = _failures_rate()
    key_rate = ApiKeyThrottle().rate()
    view = (request.parser_context or {}).get("view")
    counts_key = key_rate is not None and any(
        issubclass(throttle, ApiKeyThrottle) for throttle in getattr(view, "throttle_classes", ())
    )
    now = time.time()
    ip = client_ip(request) or "unknown"
    failures_key = counter_key(AUTH_FAILURES_SCOPE, ip, failures_rate, now) if failures_rate is not None else None
    failures: int | None = None  # read with the key's hit, or else by peek
    if key_rate is not None and counts_key:
        decision, found = hit_and_read(
            ApiKeyThrottle.scope, f"{api_key.pk}", parse_rate(key_rate), [failures_key] if failures_key else [], now=now
        )
        precounted = getattr(request._request, PRECOUNTED_ATTRIBUTE, {})
        setattr(request._request, PRECOUNTED_ATTRIBUTE, {**precounted, ApiKeyThrottle.scope: decision})
        failures = int(found.get(failures_key, 0)) if failures_key else 0
    if failures_rate is None:
        return
    refusal = peek(AUTH_FAILURES_SCOPE, ip, failures_rate, now=now, count=failures)
    if not refusal.allowed:
        remember_decision(request, refusal)
        raise Throttled(wait=refusal.reset)


def api_key_failure_record(request: Request) -> None:
    """Count a failed API-key authentication of this address; past the limit the answer is 429, not 401."""
    failures_rate = _failures_rate()
    if failures_rate is None:
        return
    decision = hit(AUTH_FAILURES_SCOPE, client_ip(request) or "unknown", failures_rate)
    remember_decision(request, decision)
    if not decision.allowed:
        raise Throttled(wait=decision.reset)
