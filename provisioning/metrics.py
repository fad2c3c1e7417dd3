"""Provisioning signals for /metrics: time from provisioning to active, and reservations stuck provisioning."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta

from django.db.models import Avg, DurationField, ExpressionWrapper, F, Max
from django.utils import timezone
from prometheus_client.core import GaugeMetricFamily, Metric

from provisioning.models import Instance
from reservations.choices import ReservationState
from reservations.models import Reservation

STUCK_AFTER = timedelta(minutes=30)


def collect() -> Iterator[Metric]:
    now = timezone.now()
    stuck = Reservation.objects.unscoped().filter(state=ReservationState.PROVISIONING, updated_at__lt=now - STUCK_AFTER)
    yield GaugeMetricFamily(
        "kontor_provisioning_stuck", "Reservations provisioning for more than 30 minutes.", value=stuck.count()
    )
    started = Instance.objects.unscoped().filter(started_at__gte=now - timedelta(hours=1))
    boot = started.aggregate(
        average=Avg(ExpressionWrapper(F("started_at") - F("created_at"), output_field=DurationField())),
        longest=Max(ExpressionWrapper(F("started_at") - F("created_at"), output_field=DurationField())),
    )
    family = GaugeMetricFamily(
        "kontor_provisioning_seconds_to_active",
        "Seconds from an instance's creation to its server running, over the instances started in the last hour.",
        labels=["stat"],
    )
    for stat in ("average", "longest"):
        family.add_metric([stat], boot[stat].total_seconds() if boot[stat] else 0.0)
    yield family
