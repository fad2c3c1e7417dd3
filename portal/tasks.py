"""Platform tasks."""

from __future__ import annotations

from celery import shared_task
from django.core.cache import cache
from django.utils import timezone

BEAT_HEARTBEAT_KEY = "kontor:beat:last-heartbeat"


@shared_task(name="portal.tasks.beat_heartbeat")
def beat_heartbeat() -> str:
    """Record that beat scheduled and a worker ran a task; /readyz reports its age. Idempotent: last write wins."""
    now = timezone.now().isoformat()
    cache.set(BEAT_HEARTBEAT_KEY, now, timeout=None)
    return now


WORKER_HEARTBEAT_KEY = "kontor:worker:last-heartbeat:{queue}"


@shared_task(name="portal.tasks.worker_heartbeat")
def worker_heartbeat(queue: str) -> str:
    """Record that a worker of ``queue`` ran a task (beat sends one to each queue); the operator dashboard shows
    each queue's last time. Idempotent: last write wins."""
    now = timezone.now().isoformat()
    cache.set(WORKER_HEARTBEAT_KEY.format(queue=queue), now, timeout=None)
    return now


BENCH_COUNTER_KEY = "kontor:bench:ping"


@shared_task(name="portal.tasks.bench_ping")
def bench_ping() -> None:
    """The no-op baseline of bench/provisioning_throughput.py: one cache increment, so the benchmark can count."""
    cache.incr(BENCH_COUNTER_KEY)
