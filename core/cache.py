"""The Django cache backend for Redis that fails open.

Kontor's cache holds only what can be lost: rate-limit counters (allauth's login limits, the API throttles), cached
public catalog responses, the beat heartbeat. When Redis is down, a request must still be served -- a login must
still log in, a booking must still book -- so every read answers "nothing cached" and every write is skipped, each
logged as ``cache.unavailable``. Limits are therefore not enforced while Redis is away (fail open, by design: an
outage of the cache must not become an outage of sign-in). ``ping`` is the one strict call, for the readiness probe.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable
from typing import Any, TypeVar

from django.core.cache.backends.base import DEFAULT_TIMEOUT
from django.core.cache.backends.redis import RedisCache, RedisCacheClient
from redis.exceptions import RedisError

logger = logging.getLogger(__name__)

T = TypeVar("T")


class ReusingRedisCacheClient(RedisCacheClient):
    """Django's Redis cache client, keeping one ``redis.Redis`` per connection pool. Django builds a new one on every
    cache call, which in redis-py 8 costs about as much Python as the round trip itself (a cached catalog answer
    made three); a client is thread-safe and takes its connections from the pool, so one per pool is enough."""

    def __init__(self, servers: list[str], **options: Any) -> None:
        super().__init__(servers, **options)
        self._clients: dict[Any, Any] = {}

    def get_client(self, key: Any = None, *, write: bool = False) -> Any:
        pool = self._get_connection_pool(write)  # type: ignore[attr-defined]  # Django's, untyped
        client = self._clients.get(pool)
        if client is None:  # two threads may both build one; either is fine
            client = self._clients.setdefault(pool, self._client(connection_pool=pool))  # type: ignore[attr-defined]
        return client


class FailOpenRedisCache(RedisCache):
    def __init__(self, server: str | list[str], params: dict[str, Any]) -> None:
        super().__init__(server, params)
        self._class: type[RedisCacheClient] = ReusingRedisCacheClient

    def _fail_open(self, operation: str, call: Callable[[], T], fallback: T) -> T:
        try:
            return call()
        except RedisError as exc:
            logger.warning("cache.unavailable: %s skipped (%s: %s)", operation, type(exc).__name__, exc)
            return fallback

    def ping(self) -> None:
        """Raise unless Redis answers (the readiness probe's cache check)."""
        self._cache.get_client(None, write=False).ping()

    def get(self, key: Any, default: Any = None, version: int | None = None) -> Any:
        return self._fail_open("get", lambda: super(FailOpenRedisCache, self).get(key, default, version), default)

    def get_many(self, keys: Iterable[Any], version: int | None = None) -> dict[Any, Any]:
        keys = list(keys)
        return self._fail_open("get_many", lambda: super(FailOpenRedisCache, self).get_many(keys, version), {})

    def has_key(self, key: Any, version: int | None = None) -> bool:
        return self._fail_open("has_key", lambda: super(FailOpenRedisCache, self).has_key(key, version), False)

    def set(self, key: Any, value: Any, timeout: float | None = DEFAULT_TIMEOUT, version: int | None = None) -> None:
        self._fail_open("set", lambda: super(FailOpenRedisCache, self).set(key, value, timeout, version), None)

    def add(self, key: Any, value: Any, timeout: float | None = DEFAULT_TIMEOUT, version: int | None = None) -> bool:
        # True: a lock that cannot be taken is granted (allauth's rate-limit lock), so the caller goes on.
        return self._fail_open("add", lambda: super(FailOpenRedisCache, self).add(key, value, timeout, version), True)

    def set_many(
        self, data: dict[Any, Any], timeout: float | None = DEFAULT_TIMEOUT, version: int | None = None
    ) -> list[Any]:
        return self._fail_open(
            "set_many", lambda: super(FailOpenRedisCache, self).set_many(data, timeout, version), list(data)
        )

    def touch(self, key: Any, timeout: float | None = DEFAULT_TIMEOUT, version: int | None = None) -> bool:
        return self._fail_open("touch", lambda: super(FailOpenRedisCache, self).touch(key, timeout, version), False)

    def delete(self, key: Any, version: int | None = None) -> bool:
        return self._fail_open("delete", lambda: super(FailOpenRedisCache, self).delete(key, version), False)

    def delete_many(self, keys: Iterable[Any], version: int | None = None) -> None:
        keys = list(keys)
        self._fail_open("delete_many", lambda: super(FailOpenRedisCache, self).delete_many(keys, version), None)
