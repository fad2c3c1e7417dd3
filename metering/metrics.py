"""Metering lag for /metrics: how far behind now the most recent metering run reached."""

from __future__ import annotations

from collections.abc import Iterator

from django.db.models import Max
from django.utils import timezone
from prometheus_client.core import GaugeMetricFamily, Metric

from metering.models import MeteringCursor


def collect() -> Iterator[Metric]:
    latest = MeteringCursor.objects.unscoped().aggregate(latest=Max("metered_until"))["latest"]
    family = GaugeMetricFamily("kontor_metering_lag_seconds", "Seconds between now and the latest metered moment.")
    if latest is not None:
        family.add_metric([], (timezone.now() - latest).total_seconds())
    yield family
