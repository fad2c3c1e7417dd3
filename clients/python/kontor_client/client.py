"""``connect()``: the generated client with the SDK's behaviour (API-key authentication, idempotency keys, retries
of 429/503, typed errors), for the generated operation functions under ``kontor_client.generated.api``."""

from __future__ import annotations

import time
from collections.abc import Callable

import httpx

from kontor_client.generated.client import AuthenticatedClient
from kontor_client.transport import RetryingTransport, raise_for_error

USER_AGENT = "kontor-client-python/1"


def connect(
    api_key: str,
    *,
    base_url: str,
    timeout: float = 30.0,
    max_retries: int = 3,
    max_retry_wait: float = 30.0,
    transport: httpx.BaseTransport | None = None,
    sleep: Callable[[float], None] | None = None,
) -> AuthenticatedClient:
    """A client authenticated with an organization's API key (``ktr_...``, sent as ``Authorization: Bearer``).

    Pass it as ``client=`` to any operation in ``kontor_client.generated.api``; every non-2xx answer raises an
    ``ApiError`` subclass, every POST carries an ``Idempotency-Key`` that its retries reuse, and 429/503 answers
    are retried up to ``max_retries`` times, waiting what ``Retry-After`` asks (at most ``max_retry_wait`` s).
    Use it as a context manager (``with connect(...) as client:``) to close its connections at the end."""
    if not api_key:
        raise ValueError("an API key is required")
    retrying = RetryingTransport(transport, max_retries=max_retries, max_wait=max_retry_wait, sleep=sleep or time.sleep)
    return AuthenticatedClient(
        base_url=base_url.rstrip("/"),
        token=api_key,
        timeout=httpx.Timeout(timeout),
        headers={"User-Agent": USER_AGENT},
        httpx_args={"transport": retrying, "event_hooks": {"response": [raise_for_error]}},
    )
