"""Health of the moving parts behind the console: the broker, the workers of each queue and beat.

The page must never wait on a broker that is down: the probe connects once with a short timeout
(``KONTOR_OPS_HEALTH_TIMEOUT_SECONDS``, connect and socket), pings the workers only when the broker answered, and its
result is cached for ``KONTOR_OPS_HEALTH_CACHE_SECONDS`` so that a dashboard reloaded by many operators costs one probe.
Heartbeats are cache reads: beat's (``portal.tasks.beat_heartbeat``, run by a default worker) and one per queue
(``portal.tasks.worker_heartbeat``, which beat sends to each queue every minute).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.core.cache import cache
from django.utils import timezone

from portal.celery import app as celery_app
from portal.tasks import BEAT_HEARTBEAT_KEY, WORKER_HEARTBEAT_KEY

PROBE_CACHE_KEY = "kontor:ops:broker-probe"
# Heartbeats run every minute: three missed in a row is late.
LATE_AFTER = timedelta(minutes=3)


@dataclass(frozen=True)
class Heartbeat:
    name: str
    last: datetime | None
    late: bool  # never seen, or older than LATE_AFTER


@dataclass(frozen=True)
class PlatformHealth:
    checked_at: datetime  # when the broker was probed (cached)
    broker_error: str | None  # None: the broker answered
    workers: list[str]  # the workers that answered the ping, by name
    beat: Heartbeat
    queues: list[Heartbeat]

    @property
    def healthy(self) -> bool:
        return self.broker_error is None and not self.beat.late and not any(queue.late for queue in self.queues)


def _probe() -> dict[str, Any]:
    timeout = settings.KONTOR_OPS_HEALTH_TIMEOUT_SECONDS
    error: str | None = None
    workers: list[str] = []
    try:
        with celery_app.connection_for_write(
            connect_timeout=timeout,
            transport_options={"socket_connect_timeout": timeout, "socket_timeout": timeout},
        ) as connection:
            connection.ensure_connection(max_retries=0, timeout=timeout)
            replies = celery_app.control.ping(timeout=timeout, connection=connection) or []
            workers = sorted(name for reply in replies for name in reply)
    except Exception as exc:  # any failure is the answer: show which
        error = f"{type(exc).__name__}: {exc}"
    return {"checked_at": timezone.now(), "error": error, "workers": workers}


def _heartbeat(name: str, key: str, now: datetime) -> Heartbeat:
    value = cache.get(key)
    last = datetime.fromisoformat(value) if value else None
    return Heartbeat(name=name, last=last, late=last is None or now - last > LATE_AFTER)


def platform_health(*, now: datetime) -> PlatformHealth:
    probe = cache.get(PROBE_CACHE_KEY)
    if probe is None:
        probe = _probe()
        cache.set(PROBE_CACHE_KEY, probe, timeout=settings.KONTOR_OPS_HEALTH_CACHE_SECONDS)
    return PlatformHealth(
        checked_at=probe["checked_at"],
        broker_error=probe["error"],
        workers=probe["workers"],
        beat=_heartbeat("beat", BEAT_HEARTBEAT_KEY, now),
        queues=[
            _heartbeat(queue, WORKER_HEARTBEAT_KEY.format(queue=queue), now)
            for queue in sorted(settings.KONTOR_QUEUE_TIME_LIMITS)
        ],
    )
