"""The operator dashboard's capacity read: per zone and GPU model, now and each day's peak, in two queries."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from django.utils import timezone

from catalog.models import AvailabilityZone, NodeType
from reservations.capacity import CapacityFigures, capacity_outlook
from reservations.choices import NodeState, Pool
from reservations.models import CapacityPool, Node
from tests.factories import AllocationFactory, ReservationFactory

pytestmark = pytest.mark.django_db

BERLIN = ZoneInfo("Europe/Berlin")
NOW = datetime(2026, 12, 1, 10, 30, tzinfo=BERLIN)


def node(hostname: str) -> Node:
    return Node.objects.get(hostname=hostname)


@pytest.fixture
def booked(small_inventory, customer, make_quote):
    """Munich 1a: a running reserved window (2 x 4 GPUs), a booked one (8 GPUs) from the day after tomorrow, an
    on-demand reservation (4 GPUs), a node in maintenance, a retired node and a released allocation."""
    zone = AvailabilityZone.objects.get(slug="de-muc-1a")
    reservable = CapacityPool.objects.get(zone=zone, pool=Pool.RESERVABLE)
    Node.objects.create(hostname="de-muc-1a-reservable-9", pool=reservable, state=NodeState.MAINTENANCE)
    Node.objects.create(hostname="de-muc-1a-reservable-10", pool=reservable, state=NodeState.RETIRED)
    running = ReservationFactory.create(
        quote=make_quote(flavor="b200-x4", count=2),
        zone=zone,
        instance_count=2,
        state="active",
        starts_at=NOW - timedelta(days=1),
        ends_at=NOW + timedelta(days=3),
    )
    for index in range(2):
        AllocationFactory.create(
            reservation=running, instance_index=index, node=node("de-muc-1a-reservable-0"), gpu_first=4 * index
        )
    booked = ReservationFactory.create(
        quote=make_quote(flavor="b200-x8-metal"),
        zone=zone,
        state="scheduled",
        starts_at=NOW + timedelta(days=2),
        ends_at=NOW + timedelta(days=5),
    )
    AllocationFactory.create(reservation=booked, node=node("de-muc-1a-reservable-1"))
    on_demand = ReservationFactory.create(
        quote=make_quote(flavor="b200-x4", commitment="on_demand"),
        zone=zone,
        kind="on_demand",
        state="active",
        starts_at=NOW - timedelta(hours=2),
    )
    AllocationFactory.create(reservation=on_demand, node=node("de-muc-1a-on_demand-0"))
    released = ReservationFactory.create(
        quote=make_quote(flavor="b200-x4", commitment="on_demand"), zone=zone, kind="on_demand", state="ended"
    )
    AllocationFactory.create(
        reservation=released,
        node=node("de-muc-1a-on_demand-0"),
        gpu_first=4,
        starts_at=NOW - timedelta(days=1),
        released_at=NOW - timedelta(hours=5),
    )


def test_capacity_now_and_each_days_peak_per_zone_and_gpu_model(booked, django_assert_num_queries):
    with django_assert_num_queries(2):
        outlook = capacity_outlook(now=NOW, days=14)

    assert [(row.zone_slug, row.gpu_model_slug, row.nodes, row.nodes_in_maintenance) for row in outlook] == [
        ("de-muc-1a", "b200", 4, 1),
        ("de-muc-1b", "b200", 3, 0),
    ]
    munich_a, munich_b = outlook
    assert munich_a.now == CapacityFigures(total=32, used=8, reserved=0, on_demand=4, maintenance=8)
    assert munich_a.now.free == 12
    day = {row.day: (row.peak_at, row.figures) for row in munich_a.days}
    assert list(day) == [date(2026, 12, 1) + timedelta(days=offset) for offset in range(14)]

    def at(d: int, hour: int = 0, minute: int = 0) -> datetime:
        return datetime(2026, 12, d, hour, minute, tzinfo=BERLIN)

    def figures(used: int = 0, reserved: int = 0) -> CapacityFigures:
        return CapacityFigures(total=32, used=used, reserved=reserved, on_demand=4, maintenance=8)

    assert day[date(2026, 12, 1)] == (NOW, figures(used=8))
    assert day[date(2026, 12, 2)] == (at(2), figures(used=8))
    assert day[date(2026, 12, 3)] == (at(3, 10, 30), figures(used=8, reserved=8))  # the booked window starts
    assert day[date(2026, 12, 4)] == (at(4), figures(used=8, reserved=8))  # the running one ends at 10:30
    assert day[date(2026, 12, 5)] == (at(5), figures(reserved=8))
    assert day[date(2026, 12, 6)] == (at(6), figures(reserved=8))  # until 10:30
    assert {day[date(2026, 12, d)] for d in range(7, 15)} == {(at(d), figures()) for d in range(7, 15)}
    assert munich_b.now == CapacityFigures(total=24)
    assert {row.figures for row in munich_b.days} == {CapacityFigures(total=24)}


def test_the_number_of_queries_does_not_grow_with_the_pools(booked, django_assert_num_queries):
    node_type = NodeType.objects.get(slug="rtx-pro-server")
    for zone in AvailabilityZone.objects.all():
        for kind in Pool:
            pool = CapacityPool.objects.create(zone=zone, node_type=node_type, pool=kind)
            Node.objects.create(hostname=f"{zone.slug}-rtx-{kind}", pool=pool)

    with django_assert_num_queries(2):
        outlook = capacity_outlook(now=timezone.now(), days=14)

    assert [(row.zone_slug, row.gpu_model_slug, row.now.total) for row in outlook] == [
        ("de-muc-1a", "b200", 32),
        ("de-muc-1a", "rtx-pro-6000", 16),
        ("de-muc-1b", "b200", 24),
        ("de-muc-1b", "rtx-pro-6000", 16),
    ]
