"""Business metrics of bookings for /metrics (collected at scrape time, one grouped query)."""

from __future__ import annotations

from collections.abc import Iterator

from django.db.models import Count
from prometheus_client.core import GaugeMetricFamily, Metric

from reservations.choices import ReservationState
from reservations.models import Reservation


def collect() -> Iterator[Metric]:
    by_state = dict(
        Reservation.objects.unscoped().values_list("state").annotate(count=Count("id")).values_list("state", "count")
    )
    family = GaugeMetricFamily("kontor_reservations", "Reservations (bookings) by state.", labels=["state"])
    for state in ReservationState.values:
        family.add_metric([state], by_state.get(state, 0))
    yield family
