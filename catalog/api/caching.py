"""Public catalog and price answers, cacheable: ``ETag`` (a hash of the body), ``Cache-Control: public, max-age``
(``KONTOR_CATALOG_CACHE_SECONDS``), ``304`` for a matching ``If-None-Match``, and a server-side copy of the
rendered body in the Django cache (Redis) for the same time, keyed by the catalog generation (``catalog/caching.py``:
a new one after every catalog change; it is read with the copy in one round trip and a copy of another
generation is a miss), the path, the query and the language. 0 seconds turns both caches off and
the answers still carry their ``ETag``. Authentication, permissions and throttles run before: a cached answer is
counted like any other.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from functools import wraps
from typing import Any, TypeVar, cast

from django.conf import settings
from django.core.cache import cache
from django.http import HttpResponse
from django.utils.cache import patch_vary_headers
from django.utils.http import parse_etags
from django.utils.translation import get_language
from rest_framework.renderers import JSONRenderer
from rest_framework.request import Request
from rest_framework.response import Response

from catalog.caching import GENERATION_KEY, catalog_generation

# A handler may shorten the time its answer is kept (the prices in effect: until the next list takes effect).
CACHE_SECONDS_ATTRIBUTE = "kontor_cache_seconds"
Handler = TypeVar("Handler", bound=Callable[..., Response])


def _cache_key(request: Request) -> str:
    query = "&".join(sorted(f"{key}={value}" for key, values in request.query_params.lists() for value in values))
    raw = f"{request.build_absolute_uri(request.path)}?{query}|{get_language()}"  # the links name the host
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
        found = cache.get_many([GENERATION_KEY, key]) if key is not None else {}
        generation = catalog_generation(found.get(GENERATION_KEY)) if key is not None else ""
        stored = found.get(key)
        if stored is not None and stored[0] == generation:
            _generation, body, etag, seconds = stored
            return _answer(request, body, etag, seconds)
        response = handler(view, request, *args, **kwargs)
        if response.status_code != 200:
            return response
        body = JSONRenderer().render(response.data)
        etag = f'"{hashlib.sha256(body).hexdigest()[:32]}"'
        seconds = min(max_age, getattr(response, CACHE_SECONDS_ATTRIBUTE, max_age))
        if key is not None and seconds > 0:
            cache.set(key, (generation, body, etag, seconds), timeout=seconds)
        return _answer(request, body, etag, seconds)

    return cast("Handler", wrapper)
