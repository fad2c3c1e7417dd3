"""The task messages waiting in a queue of the real broker (Redis), read without consuming them: what a test that
counts published messages looks at."""

from __future__ import annotations

import json

import redis

from portal.celery import app


def _client() -> redis.Redis:
    return redis.Redis.from_url(app.conf.broker_url)


def _keys(client: redis.Redis, queue: str) -> list[bytes]:
    # kombu's Redis transport keeps one list per priority step: "<queue>" and "<queue>\x06\x16<step>".
    return sorted(
        key
        for key in client.scan_iter(f"{queue}*")
        if key == queue.encode() or key.startswith(f"{queue}\x06\x16".encode())
    )


def queued(queue: str = "email") -> list[str]:
    """The task names of the messages waiting in ``queue``, oldest first."""
    client = _client()
    names: list[str] = []
    for key in _keys(client, queue):
        # LPUSH puts the newest first.
        names.extend(json.loads(raw)["headers"]["task"] for raw in reversed(client.lrange(key, 0, -1)))
    return names


def queued_eta(queue: str = "email") -> list[tuple[str, str | None]]:
    """``queued`` with each message's ETA (ISO 8601; None: to run at once), oldest first."""
    client = _client()
    found: list[tuple[str, str | None]] = []
    for key in _keys(client, queue):
        for raw in reversed(client.lrange(key, 0, -1)):
            headers = json.loads(raw)["headers"]
            found.append((headers["task"], headers.get("eta")))
    return found


def purge(queue: str = "email") -> None:
    client = _client()
    keys = _keys(client, queue)
    if keys:
        client.delete(*keys)
