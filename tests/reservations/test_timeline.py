"""The pool timeline answers exactly what the allocator would: the same fits, and as earliest start the first moment
at which ``place`` succeeds — checked against a brute force over every candidate start, on random pools."""

from __future__ import annotations

import random
from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from catalog.models import AvailabilityZone, Flavor
from reservations.allocation import place
from reservations.availability import availability_check
from reservations.choices import NodeState, Pool, ReservationKind, ReservationState
from reservations.models import Allocation, CapacityPool, Node, Reservation
from reservations.timeline import PoolTimeline
from tests.reservations.conftest import hour

pytestmark = pytest.mark.django_db

SIZES = {"b200-x1": 1, "b200-x2": 2, "b200-x4": 4, "b200-x8-metal": 8}


def _book(pool, flavor, count, start, end, make_quote, quote_cache):
    placements = place(pool=pool, flavor=flavor, instances=count, starts_at=start, ends_at=end)
    if placements is None:
        return False
    quote = quote_cache.setdefault(flavor.slug, make_quote(flavor=flavor.slug))
    reservation = Reservation.objects.create(
        organization=quote.organization,
        kind=ReservationKind.RESERVED if end is not None else ReservationKind.ON_DEMAND,
        state=ReservationState.SCHEDULED,
        quote=quote,
        item_version=quote.item_version,
        flavor=flavor,
        instance_count=count,
        zone=pool.zone,
        starts_at=start,
        ends_at=end,
        created_by_label="test",
    )
    Allocation.objects.bulk_create(
        Allocation(
            organization=quote.organization,
            reservation=reservation,
            instance_index=index,
            node=placement.node,
            gpu_first=placement.gpu_first,
            gpu_count=flavor.gpu_count,
            starts_at=start,
            ends_at=end,
        )
        for index, placement in enumerate(placements)
    )
    return True


def _brute_earliest(pool, flavor, count, start, end):
    duration = (end - start) if end is not None else None
    ends = Allocation.objects.unscoped().filter(node__pool=pool, released_at__isnull=True, ends_at__gt=start)
    candidates = sorted({start, *ends.values_list("ends_at", flat=True)})
    for candidate in candidates:
        if place(
            pool=pool,
            flavor=flavor,
            instances=count,
            starts_at=candidate,
            ends_at=candidate + duration if duration is not None else None,
        ):
            return candidate
    return None


@pytest.mark.parametrize("seed", [1, 2])
def test_the_timeline_agrees_with_the_allocator_on_random_pools(seed, small_inventory, make_quote):
    rng = random.Random(seed)
    pool = CapacityPool.objects.select_related("node_type", "zone").filter(pool=Pool.RESERVABLE).first()
    Node.objects.create(hostname=f"extra-{seed}", pool=pool)
    Node.objects.create(hostname=f"down-{seed}", pool=pool, state=NodeState.MAINTENANCE)
    flavors = {slug: Flavor.objects.select_related("node_type").get(slug=slug) for slug in SIZES}
    quotes: dict = {}
    # On a 12-hour grid, so windows often end exactly where another begins (the boundary cases).
    for _ in range(60):  # a fragmented pool: windows of every size, some open-ended
        flavor = flavors[rng.choice(list(SIZES))]
        start = hour(12 * rng.randrange(0, 30))
        end = None if rng.random() < 0.04 else start + timedelta(hours=12 * rng.randrange(1, 8))
        _book(pool, flavor, rng.randint(1, 2), start, end, make_quote, quotes)
    assert Allocation.objects.unscoped().count() >= 30
    outcomes = set()
    for _ in range(60):
        flavor = flavors[rng.choice(list(SIZES))]
        count = rng.randint(1, 3)
        start = hour(12 * rng.randrange(0, 34))
        end = None if rng.random() < 0.15 else start + timedelta(hours=12 * rng.randrange(1, 6))
        timeline = PoolTimeline.load(pool, start)
        fits = place(pool=pool, flavor=flavor, instances=count, starts_at=start, ends_at=end) is not None
        assert timeline.fits(size=flavor.gpu_count, instances=count, starts_at=start, ends_at=end) is fits
        duration = (end - start) if end is not None else None
        expected = _brute_earliest(pool, flavor, count, start, end)
        assert timeline.earliest_start(size=flavor.gpu_count, instances=count, duration=duration) == expected
        in_python = timeline.gaps(flavor.gpu_count)  # the path SQLite takes, where PostgreSQL computes the gaps
        assert in_python.earliest_start(instances=count, duration=duration) == expected
        outcomes.add("fits" if fits else "later" if expected else "never")
    assert {"fits", "later"} <= outcomes  # both kinds of answer were checked


def test_an_availability_answer_reads_each_pool_at_most_twice(small_inventory, make_quote):
    """Fits nowhere: the earliest start in two zones and the alternatives over every flavor read each pool twice —
    its allocations in the window (does it fit, for every flavor) and its future (from when) — not per candidate."""
    flavors = {slug: Flavor.objects.select_related("node_type").get(slug=slug) for slug in SIZES}
    quotes: dict = {}
    for pool in CapacityPool.objects.select_related("node_type", "zone").filter(pool=Pool.RESERVABLE):
        assert _book(pool, flavors["b200-x8-metal"], 2, hour(0), hour(24 * 30), make_quote, quotes)
    with CaptureQueriesContext(connection) as queries:
        answer = availability_check(
            flavor=flavors["b200-x4"],
            instances=2,
            kind=ReservationKind.RESERVED,
            starts_at=hour(24),
            ends_at=hour(48),
        )
    assert (answer.fits, answer.earliest_start, answer.alternatives) == (False, hour(24 * 30), [])
    pools_read = [query for query in queries.captured_queries if "reservations_allocation" in query["sql"]]
    assert len(pools_read) == 2 * AvailabilityZone.objects.count()
    assert len(queries.captured_queries) <= 12
