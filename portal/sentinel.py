"""Redis/Valkey behind Sentinel: ``sentinel://`` URLs for the Celery broker, RedBeat and the Django cache.

One URL format everywhere, kombu's: the sentinels separated by ``;``, the database number in the path, a password
(the data nodes', also sent to the sentinels) in the first URL, e.g.
``sentinel://:secret@kontor-valkey-0.kontor-valkey-headless:26379/1;sentinel://kontor-valkey-1...:26379/1``.
The name of the monitored primary is ``KONTOR_SENTINEL_MASTER``. Pure: the settings import it; the cache
backend is ``portal.cache``. Clients ask a sentinel for the current primary
and ask again after a failover, so nothing has to be repointed by hand.
"""

from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import unquote, urlsplit

SCHEME = "sentinel://"


@dataclass(frozen=True)
class SentinelAddress:
    sentinels: tuple[tuple[str, int], ...]
    db: int
    password: str | None


def is_sentinel(url: str) -> bool:
    return url.startswith(SCHEME)


def sentinel_parse(url: str) -> SentinelAddress:
    """The sentinels, database and password of a ``sentinel://`` URL (list); ValueError on anything else."""
    sentinels: list[tuple[str, int]] = []
    db, password = 0, None
    for position, part in enumerate(part for part in url.split(";") if part.strip()):
        parts = urlsplit(part.strip())
        if parts.scheme != "sentinel" or not parts.hostname:
            raise ValueError(f"not a sentinel:// URL: {part!r}")
        sentinels.append((parts.hostname, parts.port or 26379))
        if position == 0:
            path = parts.path.strip("/")
            db = int(path) if path else 0
            password = unquote(parts.password) if parts.password else None
    if not sentinels:
        raise ValueError("no sentinel in the URL")
    return SentinelAddress(sentinels=tuple(sentinels), db=db, password=password)
