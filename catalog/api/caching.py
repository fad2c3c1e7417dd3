"""Public catalog and price answers, cacheable: ``ETag`` (a hash of the body), ``Cache-Control: public, max-age``
(``KONTOR_CATALOG_CACHE_SECONDS``), ``304`` for a matching ``If-None-Match``, and a server-side copy of the
rendered body in the Django cache (Redis) for the same time, keyed by the catalog generation (``catalog/caching.py``:
a new one after every catalog change; it is read with the copy in one round trip and a copy of another
generation is a miss), the path, the query and the language. 0 seconds turns both caches off and
the answers still carry their ``ETag``. Authentication, permissions and throttles run before: a cached answer is
counted like any other.

Each web process also keeps the last answers it gave in memory (``PublicCopyMiddleware``, near the top of the
middleware): a plain anonymous GET (no cookie, no ``Authorization``, no body, JSON accepted) of an answer held
there is served without the rest of the middleware, DRF or the view, paying one Redis round trip that counts the
hit on the anonymous limit and reads the catalog generation together; the copy is served only while that generation
is the one it was made under and it has not outlived its time, so a catalog change is seen at once by every process.
Anything else, a copy of another generation, or a refused hit (the 429 in the one error shape) goes the full way,
its hit counted once.
"""

from __future__ import annotations

import hashlib
import time
from collections.abc import Callable
from dataclasses import dataclass
from functools import wraps
from typing import Any, TypeVar, cast

from django.conf import settings
from django.core.cache import cache
from django.core.exceptions import DisallowedHost
from django.http import HttpRequest, HttpResponse
from django.urls import ResolverMatch
from django.utils.cache import patch_vary_headers
from django.utils.http import parse_etags
from django.utils.translation import get_language, get_language_from_request
from rest_framework.renderers import JSONRenderer
from rest_framework.request import Request
from rest_framework.response import Response

from catalog.caching import GENERATION_KEY, catalog_generation
from core.http import client_ip
from core.ratelimit import hit_and_read, parse_rate
from portal.api.throttles import PRECOUNTED_ATTRIBUTE, AnonThrottle, rate_limit_headers_apply

# A handler may shorten the time its answer is kept (the prices in effect: until the next list takes effect).
CACHE_SECONDS_ATTRIBUTE = "kontor_cache_seconds"
Handler = TypeVar("Handler", bound=Callable[..., Response])


# The wrapper leaves what it answered on the response, for the process's own copy; the generation read early.
COPY_ATTRIBUTE = "kontor_public_copy"
GENERATION_ATTRIBUTE = "kontor_catalog_generation"
LOCAL_COPIES_MAX = 512
# Headers of the full answer that are the request's own, never replayed from a copy.
_PER_REQUEST_HEADERS = {"content-length", "ratelimit-limit", "ratelimit-remaining", "ratelimit-reset", "retry-after"}
_JSON_RANGES = {"*/*", "application/*", "application/json"}


def _cache_key(request: HttpRequest | Request, language: str | None = None) -> str:
    query = "&".join(sorted(f"{key}={value}" for key, values in request.GET.lists() for value in values))
    raw = f"{request.build_absolute_uri(request.path)}?{query}|{language or get_language()}"  # the links name the host
    return f"kontor:catalog:{hashlib.sha256(raw.encode('utf-8', 'surrogatepass')).hexdigest()}"


def _answer(request: Request, body: bytes, etag: str, max_age: int) -> HttpResponse:
    if etag in parse_etags(request.headers.get("If-None-Match", "")) or request.headers.get("If-None-Match") == "*":
        response = HttpResponse(status=304)
    else:
        response = HttpResponse(body, content_type="application/json")
    response["ETag"] = etag
    response["Cache-Control"] = f"public, max-age={max_age}" if max_age > 0 else "no-cache"
    patch_vary_headers(response, ["Accept", "Accept-Language"])
    return response


def cached_public_read(handler: Handler) -> Handler:
    """Wrap a public read action of a viewset: successful answers become cacheable, errors pass through as they are.
    The wrapper answers a plain ``HttpResponse`` with the rendered body (DRF passes it through unrendered)."""

    @wraps(handler)
    def wrapper(view: Any, request: Request, *args: Any, **kwargs: Any) -> HttpResponse | Response:
        max_age: int = settings.KONTOR_CATALOG_CACHE_SECONDS
        key = _cache_key(request) if max_age > 0 else None
        known: str | None = getattr(request._request, GENERATION_ATTRIBUTE, None)
        reads = [key] if known is not None else [GENERATION_KEY, key]
        found = cache.get_many(reads) if key is not None else {}
        generation = catalog_generation(known or found.get(GENERATION_KEY)) if key is not None else ""
        stored = found.get(key)
        if stored is not None and len(stored) == 5 and stored[0] == generation:
            _generation, body, etag, seconds, _expires_at = stored
            return _copy_kept(_answer(request, body, etag, seconds), stored)
        response = handler(view, request, *args, **kwargs)
        if response.status_code != 200:
            return response
        body = JSONRenderer().render(response.data)
        etag = f'"{hashlib.sha256(body).hexdigest()[:32]}"'
        seconds = min(max_age, getattr(response, CACHE_SECONDS_ATTRIBUTE, max_age))
        answer = _answer(request, body, etag, seconds)
        if key is not None and seconds > 0:
            stored = (generation, body, etag, seconds, time.time() + seconds)
            cache.set(key, stored, timeout=seconds)
            _copy_kept(answer, stored)
        return answer

    return cast("Handler", wrapper)


def _copy_kept(response: HttpResponse, stored: tuple[str, bytes, str, int, float]) -> HttpResponse:
    setattr(response, COPY_ATTRIBUTE, stored)
    return response


@dataclass(frozen=True)
class _LocalCopy:
    generation: str
    body: bytes
    etag: str
    expires_at: float  # time.time() past which it is not served (the server-side copy's own expiry)
    headers: tuple[tuple[str, str], ...]  # the full answer's, less the request's own
    resolver_match: ResolverMatch | None  # for the metrics' route label


# Per process, shared by its threads (single dict operations are atomic); emptied when full.
_local_copies: dict[str, _LocalCopy] = {}


def local_copies_clear() -> None:
    _local_copies.clear()


def _local_key(request: HttpRequest) -> str | None:
    """The copy's key when ``request`` may be answered from a local copy: a plain anonymous GET, else ``None``."""
    meta = request.META
    if (
        request.method != "GET"
        or not request.path.startswith("/api/")
        or meta.get("HTTP_COOKIE")
        or meta.get("HTTP_AUTHORIZATION")
        or meta.get("CONTENT_LENGTH") not in (None, "", "0")
        or settings.KONTOR_CATALOG_CACHE_SECONDS <= 0
    ):
        return None
    accept = meta.get("HTTP_ACCEPT", "*/*")
    if ";" in accept or not any(part.strip() in _JSON_RANGES for part in accept.split(",")):
        return None  # media-type parameters (``indent``) or no JSON: DRF negotiates
    try:
        return _cache_key(request, get_language_from_request(request))
    except DisallowedHost:
        return None


def _from_local_copy(request: HttpRequest, copy: _LocalCopy) -> HttpResponse | None:
    """Count the hit and read the generation in one round trip; the copy's answer if it is still the catalog's."""
    rate: str | None = settings.KONTOR_API_THROTTLE.get(AnonThrottle.setting_key)
    if rate is not None:
        decision, found = hit_and_read(
            AnonThrottle.scope, client_ip(request) or "unknown", parse_rate(rate), [GENERATION_KEY]
        )
        setattr(request, PRECOUNTED_ATTRIBUTE, {AnonThrottle.scope: decision})
    else:
        decision, found = None, cache.get_many([GENERATION_KEY])
    generation = found.get(GENERATION_KEY)
    if generation is not None:
        setattr(request, GENERATION_ATTRIBUTE, generation)
    if (decision is not None and not decision.allowed) or generation != copy.generation:
        return None
    if time.time() >= copy.expires_at:
        return None
    if (
        copy.etag in parse_etags(request.headers.get("If-None-Match", ""))
        or request.headers.get("If-None-Match") == "*"
    ):
        response = HttpResponse(status=304)
        headers = [(name, value) for name, value in copy.headers if name.lower() != "content-type"]
    else:
        response = HttpResponse(copy.body)
        headers = [*copy.headers, ("Content-Length", str(len(copy.body)))]
    for name, value in headers:
        response[name] = value
    if decision is not None:
        rate_limit_headers_apply(response, decision)
    request.resolver_match = copy.resolver_match
    return response


class PublicCopyMiddleware:
    """Answers plain anonymous GETs of public catalog answers from this process's copy (see the module docstring);
    keeps the copy of every such answer the full way gave."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        key = _local_key(request)
        if key is None:
            return self.get_response(request)
        copy = _local_copies.get(key)
        if copy is not None:
            answer = _from_local_copy(request, copy)
            if answer is not None:
                return answer
            _local_copies.pop(key, None)
        response = self.get_response(request)
        stored: tuple[str, bytes, str, int, float] | None = getattr(response, COPY_ATTRIBUTE, None)
        if stored is not None and response.status_code == 200 and not response.cookies:
            generation, body, etag, _seconds, expires_at = stored
            if len(_local_copies) >= LOCAL_COPIES_MAX:
                _local_copies.clear()
            _local_copies[key] = _LocalCopy(
                generation=generation,
                body=body,
                etag=etag,
                expires_at=expires_at,
                headers=tuple(
                    (name, value) for name, value in response.items() if name.lower() not in _PER_REQUEST_HEADERS
                ),
                resolver_match=request.resolver_match,
            )
        return response
