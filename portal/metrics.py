"""Prometheus metrics at ``/metrics``, behind a bearer token (``KONTOR_METRICS_TOKEN``; empty: the page is a 404).

Everything is computed when Prometheus scrapes, from the shared state (PostgreSQL, the broker), so every web pod
answers the same and no per-process counter is lost on a restart: the apps' business signals (each app declares
its collector in ``settings.KONTOR_METRICS_COLLECTORS``, so this foundation module imports no app), the depth of
each Celery queue and the age of beat's heartbeat. Added to them: what the processes observed (HTTP requests,
database queries, Celery task durations and outcomes, ``portal.process_metrics``).
"""

from __future__ import annotations

import hmac
from collections.abc import Callable, Iterable, Iterator
from datetime import datetime

from django.conf import settings
from django.core.cache import cache
from django.http import Http404, HttpRequest, HttpResponse
from django.utils import timezone
from django.utils.module_loading import import_string
from django.views.decorators.cache import never_cache
from prometheus_client import CollectorRegistry, generate_latest
from prometheus_client.core import GaugeMetricFamily, Metric
from prometheus_client.registry import Collector

from portal.celery import app as celery_app
from portal.process_metrics import register_process_metrics
from portal.tasks import BEAT_HEARTBEAT_KEY
from tenants.web.access import public_page


def _platform() -> Iterator[Metric]:
    depth = GaugeMetricFamily("kontor_celery_queue_depth", "Messages waiting in each Celery queue.", labels=["queue"])
    with celery_app.connection_for_read() as connection:
        client = connection.default_channel.client  # type: ignore[attr-defined]
        for queue in sorted(settings.KONTOR_QUEUE_TIME_LIMITS):
            depth.add_metric([queue], client.llen(queue))
    yield depth
    beat = GaugeMetricFamily("kontor_beat_heartbeat_age_seconds", "Seconds since beat's last heartbeat ran.")
    last = cache.get(BEAT_HEARTBEAT_KEY)
    if last:
        beat.add_metric([], (timezone.now() - datetime.fromisoformat(last)).total_seconds())
    yield beat


class _KontorCollector(Collector):
    def collect(self) -> Iterable[Metric]:
        yield from _platform()
        for path in settings.KONTOR_METRICS_COLLECTORS:
            collect: Callable[[], Iterable[Metric]] = import_string(path)
            yield from collect()


def registry() -> CollectorRegistry:
    scraped = CollectorRegistry(auto_describe=False)
    scraped.register(_KontorCollector())
    register_process_metrics(scraped)  # HTTP, database and Celery tasks, of every process sharing the directory
    return scraped


@public_page  # no session or organization: the bearer token below is the access control
@never_cache
def metrics(request: HttpRequest) -> HttpResponse:
    token = settings.KONTOR_METRICS_TOKEN
    if not token:
        raise Http404
    offered = request.headers.get("Authorization", "")
    if not hmac.compare_digest(offered.encode(), f"Bearer {token}".encode()):
        return HttpResponse(
            "bearer token required\n", status=401, content_type="text/plain", headers={"WWW-Authenticate": "Bearer"}
        )
    return HttpResponse(generate_latest(registry()), content_type="text/plain; version=0.0.4; charset=utf-8")
