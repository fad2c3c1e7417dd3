"""Capacity per zone and GPU model, now and day by day ahead: the operator dashboard's read of the inventory.

Every GPU of a node in service or in maintenance falls into exactly one category at an instant:

- ``used``: held by a reserved window that has started (provisioning, active, ending);
- ``reserved``: held by a reserved window booked but not started yet (requested, scheduled);
- ``on_demand``: held by an on-demand reservation (open-ended: it counts on every future day until released);
- ``maintenance``: a GPU of a node in maintenance (it holds no allocations: ``node_set_state`` moves them first);
- ``free``: the rest. Retired nodes are not capacity.

A day's figure is the instant of the day (Berlin) when the most GPUs are held, with the categories at that instant,
so a day's bar never adds up to more than there is. Two queries whatever the number of pools: the nodes grouped by
zone, GPU model and state, and the live allocations grouped by zone, GPU model, category and window (the instances
of one reservation share their window, so a reservation is one row); the per-day peaks are a sweep over those rows.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from django.db.models import Case, CharField, Count, F, IntegerField, Q, Sum, Value, When

from reservations.allocation import overlapping
from reservations.choices import NodeState, ReservationKind, ReservationState
from reservations.models import Allocation, Node

BERLIN = ZoneInfo("Europe/Berlin")
CATEGORIES = ("used", "reserved", "on_demand")
RUNNING_STATES = (ReservationState.PROVISIONING, ReservationState.ACTIVE, ReservationState.ENDING)


@dataclass(frozen=True)
class CapacityFigures:
    """GPUs of one zone and GPU model at one instant, by category."""

    total: int
    used: int = 0
    reserved: int = 0
    on_demand: int = 0
    maintenance: int = 0

    @property
    def free(self) -> int:
        return self.total - self.used - self.reserved - self.on_demand - self.maintenance


@dataclass(frozen=True)
class CapacityDay:
    day: date  # the Berlin calendar day
    peak_at: datetime  # the instant of the day with the most GPUs held (the first such instant)
    figures: CapacityFigures


@dataclass(frozen=True)
class ZoneModelCapacity:
    zone_id: int
    zone_slug: str
    zone_name: str
    gpu_model_id: int
    gpu_model_slug: str
    gpu_model_name: str
    nodes: int  # in service or in maintenance
    nodes_in_maintenance: int
    now: CapacityFigures
    days: list[CapacityDay]


def _berlin_midnight(day: date) -> datetime:
    return datetime(day.year, day.month, day.day, tzinfo=BERLIN)


def capacity_buckets(*, now: datetime, days: int) -> list[tuple[date, datetime, datetime]]:
    """``days`` Berlin days from today: today from ``now`` to midnight, then whole days (DST-aware)."""
    today = now.astimezone(BERLIN).date()
    buckets = []
    for offset in range(days):
        day = today + timedelta(days=offset)
        start = now if offset == 0 else _berlin_midnight(day)
        buckets.append((day, start, _berlin_midnight(day + timedelta(days=1))))
    return buckets


def _sweep(
    rows: list[tuple[str, datetime, datetime | None, int]],
    buckets: list[tuple[date, datetime, datetime]],
    total: int,
    maintenance: int,
) -> tuple[CapacityFigures, list[CapacityDay]]:
    """The figures at the first bucket's start (now) and at each bucket's peak, from ``(category, start, end, gpus)``
    rows (end None: until released)."""
    now = buckets[0][1]
    events: list[tuple[datetime, int, str]] = []
    for category, start, end, gpus in rows:
        events.append((max(start, now), gpus, category))
        if end is not None:
            events.append((end, -gpus, category))
    events.sort(key=lambda event: event[0])
    held: dict[str, int] = dict.fromkeys(CATEGORIES, 0)

    def figures() -> CapacityFigures:
        return CapacityFigures(total=total, maintenance=maintenance, **held)

    index = 0
    current: CapacityFigures | None = None
    days: list[CapacityDay] = []
    for day, start, end in buckets:
        while index < len(events) and events[index][0] <= start:
            _moment, delta, category = events[index]
            held[category] += delta
            index += 1
        best, best_at = figures(), start
        if current is None:
            current = best
        while index < len(events) and events[index][0] < end:
            moment = events[index][0]
            while index < len(events) and events[index][0] == moment:  # everything at one instant, then look
                held[events[index][2]] += events[index][1]
                index += 1
            candidate = figures()
            if sum(held.values()) > best.used + best.reserved + best.on_demand:
                best, best_at = candidate, moment
        days.append(CapacityDay(day=day, peak_at=best_at, figures=best))
    assert current is not None
    return current, days


def capacity_outlook(*, now: datetime, days: int = 14) -> list[ZoneModelCapacity]:
    """Per zone and GPU model (zone slug, then GPU model slug): the figures now and each day's peak for ``days``
    Berlin days from today. Two queries."""
    buckets = capacity_buckets(now=now, days=days)
    horizon = buckets[-1][2]
    gpus = F("pool__node_type__gpus_per_node")
    groups = list(
        Node.objects.exclude(state=NodeState.RETIRED)
        .values(
            "pool__zone_id",
            "pool__zone__slug",
            "pool__zone__name",
            "pool__node_type__gpu_model_id",
            "pool__node_type__gpu_model__slug",
            "pool__node_type__gpu_model__name",
        )
        .annotate(
            total=Sum(gpus),
            maintenance=Sum(
                Case(When(state=NodeState.MAINTENANCE, then=gpus), default=Value(0), output_field=IntegerField())
            ),
            nodes=Count("id"),
            nodes_in_maintenance=Count("id", filter=Q(state=NodeState.MAINTENANCE)),
        )
        .order_by("pool__zone__slug", "pool__node_type__gpu_model__slug")
    )
    category = Case(
        When(reservation__kind=ReservationKind.ON_DEMAND, then=Value("on_demand")),
        When(reservation__state__in=RUNNING_STATES, then=Value("used")),
        default=Value("reserved"),
        output_field=CharField(),
    )
    allocations = (
        Allocation.objects.unscoped()
        .filter(overlapping(now, horizon), node__state=NodeState.AVAILABLE)
        .annotate(zone=F("node__pool__zone_id"), category=category)
        .values("zone", "gpu_model_id", "category", "starts_at", "ends_at")
        .annotate(gpus=Sum("gpu_count"))
        .order_by()
    )
    rows: dict[tuple[int, int], list[tuple[str, datetime, datetime | None, int]]] = defaultdict(list)
    for row in allocations:
        rows[(row["zone"], row["gpu_model_id"])].append(
            (row["category"], row["starts_at"], row["ends_at"], int(row["gpus"]))
        )
    outlook = []
    for group in groups:
        key = (group["pool__zone_id"], group["pool__node_type__gpu_model_id"])
        current, per_day = _sweep(rows.get(key, []), buckets, int(group["total"]), int(group["maintenance"]))
        outlook.append(
            ZoneModelCapacity(
                zone_id=key[0],
                zone_slug=group["pool__zone__slug"],
                zone_name=group["pool__zone__name"],
                gpu_model_id=key[1],
                gpu_model_slug=group["pool__node_type__gpu_model__slug"],
                gpu_model_name=group["pool__node_type__gpu_model__name"],
                nodes=group["nodes"],
                nodes_in_maintenance=group["nodes_in_maintenance"],
                now=current,
                days=per_day,
            )
        )
    return outlook
