"""The Django cache on Valkey/Redis behind Sentinel (``REDIS_URL=sentinel://...``, see ``portal.sentinel``)."""

from __future__ import annotations

from typing import Any

from redis.sentinel import Sentinel

from core.cache import FailOpenRedisCache, ReusingRedisCacheClient
from portal.sentinel import sentinel_parse


class _SentinelCacheClient(ReusingRedisCacheClient):
    """Django's Redis cache client, its connections taken from the primary that Sentinel names (reads too: a
    replica may lag behind, and the cache holds locks and rate-limit counters)."""

    def __init__(self, servers: list[str], *, master_name: str, **options: Any) -> None:
        super().__init__(servers, **options)
        address = sentinel_parse(";".join(servers))
        self._sentinel = Sentinel(  # type: ignore[no-untyped-call]
            list(address.sentinels),
            sentinel_kwargs={"password": address.password} if address.password else None,
            password=address.password,
            db=address.db,
            socket_connect_timeout=options.get("socket_connect_timeout"),
            socket_timeout=options.get("socket_timeout"),
        )
        self._master_name = master_name

    def _get_connection_pool(self, write: bool) -> Any:
        pools: dict[str, Any] = self._pools  # type: ignore[attr-defined]
        if "primary" not in pools:
            primary = self._sentinel.master_for(self._master_name)  # type: ignore[no-untyped-call]
            pools["primary"] = primary.connection_pool
        return pools["primary"]


class SentinelRedisCache(FailOpenRedisCache):
    """``CACHES`` backend for ``sentinel://`` locations; ``OPTIONS`` needs ``master_name``. Fails open like the
    plain Redis cache (``core.cache``): with no primary to be had, requests are served uncached."""

    def __init__(self, server: str | list[str], params: dict[str, Any]) -> None:
        super().__init__(server, params)
        self._class = _SentinelCacheClient
