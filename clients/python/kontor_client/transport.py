"""The HTTP behaviour of the SDK, under the generated client: an ``Idempotency-Key`` on every POST (generated once
per call, so every retry of that call sends the same key and the server performs it once), bounded retries of 429
and 503 that honour ``Retry-After``, and typed errors for every non-2xx answer."""

from __future__ import annotations

import time
import uuid
from collections.abc import Callable
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime

import httpx

from kontor_client.errors import ApiError

RETRY_STATUSES = frozenset({429, 503})
IDEMPOTENCY_HEADER = "Idempotency-Key"


def retry_after_seconds(response: httpx.Response, *, attempt: int, now: Callable[[], datetime]) -> float:
    """The wait ``Retry-After`` asks for (seconds or an HTTP date), else exponential: 0.5 s, 1 s, 2 s..."""
    value = response.headers.get("Retry-After", "").strip()
    if value.isdigit():
        return float(value)
    if value:
        try:
            when = parsedate_to_datetime(value)
        except (TypeError, ValueError):
            when = None
        if when is not None:
            if when.tzinfo is None:
                when = when.replace(tzinfo=UTC)
            return max(0.0, (when - now()).total_seconds())
    return 0.5 * 2**attempt


class RetryingTransport(httpx.BaseTransport):
    """Wraps a transport. ``max_retries`` further attempts of a 429/503, each waiting what the server asks but at
    most ``max_wait`` seconds (a server asking for more gets the error at once, as ``RateLimited``/``ServerError``)."""

    def __init__(
        self,
        inner: httpx.BaseTransport | None = None,
        *,
        max_retries: int = 3,
        max_wait: float = 30.0,
        sleep: Callable[[float], None] = time.sleep,
        now: Callable[[], datetime] = lambda: datetime.now(UTC),
    ) -> None:
        self.inner = inner or httpx.HTTPTransport()
        self.max_retries = max_retries
        self.max_wait = max_wait
        self.sleep = sleep
        self.now = now

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        if request.method == "POST" and IDEMPOTENCY_HEADER not in request.headers:
            request.headers[IDEMPOTENCY_HEADER] = str(uuid.uuid4())
        attempt = 0
        while True:
            response = self.inner.handle_request(request)
            if response.status_code not in RETRY_STATUSES or attempt >= self.max_retries:
                return response
            wait = retry_after_seconds(response, attempt=attempt, now=self.now)
            if wait > self.max_wait:
                return response
            response.close()
            self.sleep(wait)
            attempt += 1

    def close(self) -> None:
        self.inner.close()


def raise_for_error(response: httpx.Response) -> None:
    """httpx response hook: a non-2xx answer becomes the typed ``ApiError`` subclass."""
    if response.is_success:
        return
    response.read()
    raise ApiError.from_response(response)
