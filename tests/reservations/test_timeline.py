"""The pool timeline answers exactly what the allocator would: the same fits, and as earliest start the first moment
at which ``place`` succeeds — checked against a brute force over every candidate start, on random pools; both the
per-answer read (``PoolTimeline``, the SQLite path) and the cached busy stretches (``PoolBusy``, PostgreSQL's)."""

from __future__ import annotations

import random
from datetime import timedelta

import pytest
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext

from catalog.models import AvailabilityZone, Flavor
from reservations import timeline
from reservations.allocation import place
from reservations.availability import availability_check
from reservations.choices import NodeState, Pool, ReservationKind, ReservationState
from reservations.models import Allocation, CapacityPool, Node, Reservation
from reservations.tasks import prune_pool_changes_task
from reservations.timeline import BUSY_CACHE, PoolBusy, PoolTimeline
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
            gpu_model_id=flavor.node_type.gpu_model_id,
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
    busy = None  # the pool does not change while it is asked: one read answers every question
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
        if connection.vendor == "postgresql":
            busy = busy or PoolBusy.read(pool)[0]
            assert busy.fits(size=flavor.gpu_count, instances=count, starts_at=start, ends_at=end) is fits
            found = busy.earliest_start(size=flavor.gpu_count, instances=count, since=start, duration=duration)
            assert found == expected
        outcomes.add("fits" if fits else "later" if expected else "never")
    assert {"fits", "later"} <= outcomes  # both kinds of answer were checked


def test_an_availability_answer_reads_each_pool_once(small_inventory, make_quote):
    """Fits nowhere: the earliest start in two zones and the alternatives over every flavor read each pool once —
    its nodes and live allocations, in one statement — not per flavor, window or candidate start."""
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
    assert len(pools_read) == AvailabilityZone.objects.count()
    assert len(queries.captured_queries) <= 10


@pytest.mark.skipif(connection.vendor != "postgresql", reason="the change log and the cache are PostgreSQL's")
@pytest.mark.django_db(transaction=True)
def test_a_cached_pool_is_read_again_only_after_a_committed_change(small_inventory, make_quote):
    """Committed reads are kept per process: the next answer asks the change log, not the pool. A booking, a
    release or a node leaving service (each committed on its own) makes the next answer read the pool again and
    see it; an answer read inside a transaction that wrote something is not kept (it may be rolled back)."""
    BUSY_CACHE.clear()
    flavor = Flavor.objects.select_related("node_type").get(slug="b200-x8-metal")
    pool = CapacityPool.objects.select_related("node_type", "zone").filter(pool=Pool.RESERVABLE).first()
    zone = pool.zone
    nodes = Node.objects.filter(pool=pool, state=NodeState.AVAILABLE).count()
    window = {"kind": ReservationKind.RESERVED, "starts_at": hour(24), "ends_at": hour(48), "zone": zone}

    def ask(instances):
        with CaptureQueriesContext(connection) as queries:
            answer = availability_check(flavor=flavor, instances=instances, **window)
        return answer, sum("reservations_allocation" in query["sql"] for query in queries.captured_queries)

    assert ask(nodes) == (availability_check(flavor=flavor, instances=nodes, **window), 1)  # read, then cached
    answer, reads = ask(nodes)
    assert (answer.fits, reads) == (True, 0)
    assert _book(pool, flavor, 1, hour(0), hour(30), make_quote, {})  # committed: the pool changed
    answer, reads = ask(nodes)  # read again, and the other zone's pool for the alternatives (its first read)
    assert (answer.fits, answer.earliest_start, reads) == (False, hour(30), 2)
    assert ask(nodes)[1] == 0
    Allocation.objects.unscoped().update(released_at=hour(1))
    assert ask(nodes)[0].fits is True
    node = Node.objects.filter(pool=pool, state=NodeState.AVAILABLE).first()
    Node.objects.filter(pk=node.pk).update(state=NodeState.MAINTENANCE)
    answer, reads = ask(nodes)
    assert (answer.fits, answer.earliest_start, reads) == (False, None, 1)
    assert ask(nodes - 1)[0].fits is True
    with transaction.atomic():  # a read inside a writing transaction answers, but is not kept
        Node.objects.filter(pk=node.pk).update(state=NodeState.AVAILABLE)
        assert ask(nodes) == (ask(nodes)[0], 1)
        assert ask(nodes)[0].fits is True
        transaction.set_rollback(True)
    answer, reads = ask(nodes)
    assert (answer.fits, reads) == (False, 1)


@pytest.mark.skipif(connection.vendor != "postgresql", reason="the change log and the cache are PostgreSQL's")
@pytest.mark.django_db(transaction=True)
def test_a_kept_read_expires_and_the_change_log_keeps_only_what_a_kept_read_could_need(
    small_inventory, make_quote, monkeypatch
):
    """A process keeps a pool's read at most ``BUSY_READ_MAX_AGE``; the hourly prune deletes the change-log rows
    older than ``POOL_CHANGE_KEEP`` and keeps the younger ones, which a kept read may still need."""
    BUSY_CACHE.clear()
    flavor = Flavor.objects.select_related("node_type").get(slug="b200-x8-metal")
    pool = CapacityPool.objects.select_related("node_type", "zone").filter(pool=Pool.RESERVABLE).first()
    window = {"kind": ReservationKind.RESERVED, "starts_at": hour(24), "ends_at": hour(48), "zone": pool.zone}

    def reads():
        with CaptureQueriesContext(connection) as queries:
            availability_check(flavor=flavor, instances=1, **window)
        return sum("reservations_allocation" in query["sql"] for query in queries.captured_queries)

    assert reads() >= 1
    assert reads() == 0  # kept
    clock = timeline.time.monotonic() + timeline.BUSY_READ_MAX_AGE.total_seconds() + 1
    monkeypatch.setattr(timeline.time, "monotonic", lambda: clock)
    assert reads() >= 1  # too old: read again, and kept from then on
    assert reads() == 0

    assert _book(pool, flavor, 1, hour(0), hour(30), make_quote, {})
    with connection.cursor() as cursor:
        cursor.execute("SELECT count(*), min(written_at), max(written_at) FROM reservations_pool_change")
        (logged, oldest, newest) = cursor.fetchone()
    assert logged >= 1
    assert timeline.pool_changes_prune(now=oldest + timeline.POOL_CHANGE_KEEP) == 0  # none older than it keeps
    assert prune_pool_changes_task.apply().get() == 0  # the hourly task: nothing is old yet
    assert timeline.pool_changes_prune(now=newest + timeline.POOL_CHANGE_KEEP + timedelta(seconds=1)) == logged
    with connection.cursor() as cursor:
        cursor.execute("SELECT count(*) FROM reservations_pool_change")
        assert cursor.fetchone() == (0,)
