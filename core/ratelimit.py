"""Fixed-window rate limits counted in the Django cache (Redis in production, shared by every web process).

A rate is DRF's syntax, ``"<count>/<period>"`` with a period of ``s``/``sec``, ``m``/``min``, ``h``/``hour`` or
``d``/``day`` (an optional multiplier: ``"5/10m"``). Windows are aligned to the epoch, so every process agrees on
when one ends; each hit is one atomic ``INCR`` (no lost updates between processes, unlike DRF's read-modify-write
history). The state of the decision (limit, remaining, seconds to reset) is what the API answers in its
``RateLimit-*`` headers. When the cache is unreachable the limit is not enforced (fail open, logged).
"""

from __future__ import annotations

import hashlib
import logging
import math
import re
import time
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from django.core.cache import cache
from redis.exceptions import RedisError

logger = logging.getLogger(__name__)

_PERIODS = {
    **dict.fromkeys(("s", "sec", "second"), 1),
    **dict.fromkeys(("m", "min", "minute"), 60),
    **dict.fromkeys(("h", "hour"), 3600),
    **dict.fromkeys(("d", "day"), 86400),
}
_RATE = re.compile(r"^\s*(\d+)\s*/\s*(\d*)\s*([a-z]+)\s*$")


@dataclass(frozen=True)
class Rate:
    limit: int
    seconds: int


@dataclass(frozen=True)
class RateDecision:
    """One counted hit: allowed or not, and the figures of the ``RateLimit-*`` headers."""

    allowed: bool
    limit: int
    remaining: int
    reset: int  # seconds until the window ends (and ``Retry-After`` when refused)


def parse_rate(rate: str) -> Rate:
    match = _RATE.match(rate.lower())
    if match is None or match.group(3) not in _PERIODS:
        raise ValueError(f"Not a rate: {rate!r} (expected e.g. '120/min' or '5/10m').")
    count, multiplier, unit = match.groups()
    return Rate(limit=int(count), seconds=int(multiplier or 1) * _PERIODS[unit])


def _window(rate: Rate, now: float) -> tuple[int, int]:
    index = int(now // rate.seconds)
    reset = max(1, math.ceil((index + 1) * rate.seconds - now))
    return index, reset


def counter_key(scope: str, ident: str, rate: Rate, now: float) -> str:
    digest = hashlib.sha256(ident.encode("utf-8", "surrogatepass")).hexdigest()[:32]
    index, _reset = _window(rate, now)
    return f"kontor:rl:{scope}:{rate.limit}/{rate.seconds}:{digest}:{index}"


def _increment_and_read(key: str, timeout: int, reads: Sequence[str]) -> tuple[int, dict[str, Any]]:
    client_of = getattr(getattr(cache, "_cache", None), "get_client", None)
    if client_of is not None:  # Redis: INCR, EXPIRE and the reads in one round trip
        pipeline = client_of(None, write=True).pipeline(transaction=False)
        pipeline.incr(cache.make_and_validate_key(key))
        pipeline.expire(cache.make_and_validate_key(key), timeout, nx=True)
        if reads:
            pipeline.mget([cache.make_and_validate_key(read) for read in reads])
        count, _expiry_set, *found = pipeline.execute()
        loads = cache._cache._serializer.loads  # type: ignore[attr-defined]  # Django's RedisCacheClient
        values = {read: loads(raw) for read, raw in zip(reads, found[0] if found else [], strict=False) if raw}
        return int(count), values
    values = cache.get_many(reads) if reads else {}
    cache.add(key, 0, timeout=timeout)
    try:
        return int(cache.incr(key)), values
    except ValueError:  # expired between add and incr: this hit opens the window
        cache.add(key, 1, timeout=timeout)
        return 1, values


def hit(scope: str, ident: str, rate: Rate, *, now: float | None = None) -> RateDecision:
    """Count one hit for ``ident`` and say whether it is within ``rate``."""
    decision, _values = hit_and_read(scope, ident, rate, (), now=now)
    return decision


def hit_and_read(
    scope: str, ident: str, rate: Rate, reads: Sequence[str], *, now: float | None = None
) -> tuple[RateDecision, dict[str, Any]]:
    """``hit``, and the cache values under the keys ``reads`` fetched in the same round trip (those found; none
    when the cache is unreachable): a cached answer that must be counted pays one round trip, not two."""
    now = time.time() if now is None else now
    key = counter_key(scope, ident, rate, now)
    _index, reset = _window(rate, now)
    try:
        count, values = _increment_and_read(key, reset + 1, reads)
    except RedisError as exc:
        logger.warning("ratelimit.unavailable: %s not counted (%s: %s)", scope, type(exc).__name__, exc)
        return RateDecision(allowed=True, limit=rate.limit, remaining=rate.limit, reset=reset), {}
    decision = RateDecision(
        allowed=count <= rate.limit, limit=rate.limit, remaining=max(0, rate.limit - count), reset=reset
    )
    return decision, values


def peek(scope: str, ident: str, rate: Rate, *, now: float | None = None, count: int | None = None) -> RateDecision:
    """The state for ``ident`` without counting a hit (refused once the window's count reached the limit); ``count``
    is the window's count when the caller read it already (``hit_and_read``)."""
    now = time.time() if now is None else now
    _index, reset = _window(rate, now)
    if count is None:
        count = int(cache.get(counter_key(scope, ident, rate, now)) or 0)  # the fail-open cache answers 0 when down
    return RateDecision(allowed=count < rate.limit, limit=rate.limit, remaining=max(0, rate.limit - count), reset=reset)
