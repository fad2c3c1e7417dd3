"""A kept pool read brought up to date from the change log (``timeline._BusyCache.current``) equals a fresh read:
random sequences of allocation inserts, releases, un-releases, moves and deletes, node state changes and pool row
writes, in other transactions that commit, roll back (whole or to a savepoint) or stay open across the check, and
in the checking transaction itself. PostgreSQL only: the change log and the cache are PostgreSQL's."""

from __future__ import annotations

import random
from datetime import timedelta

import psycopg
import pytest
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext

from catalog.models import Flavor
from core.statements import statement_text
from reservations.availability import availability_check, refusal_advice
from reservations.choices import NodeState, Pool, ReservationKind, ReservationState
from reservations.models import Allocation, CapacityPool, Node, Reservation
from reservations.services import NoCapacityError, reservation_create
from reservations.timeline import BUSY_CACHE, PoolBusy
from tenants.audit import Actor
from tests.reservations.conftest import hour

pytestmark = [
    pytest.mark.skipif(connection.vendor != "postgresql", reason="the change log and the cache are PostgreSQL's"),
    pytest.mark.django_db(transaction=True),
]

SIZES = (1, 2, 4, 8)
WRITERS = 3  # other connections, each with its own two nodes (so that no two open transactions wait for each other)


def _state(busy: PoolBusy) -> tuple[object, ...]:
    """Everything an answer is computed from: nodes, allocations, merged stretches per slot, block groups."""
    return (
        busy.nodes,
        busy._allocations,
        busy._slots,
        {size: sorted(busy.blocks(size)) for size in SIZES},
    )


#: The GPU model of the node named by the one parameter, for the raw inserts below (an allocation names its node's).
GPU_MODEL_OF_NODE = (
    "(SELECT t.gpu_model_id FROM reservations_node n JOIN reservations_capacitypool p ON p.id = n.pool_id"
    " JOIN catalog_nodetype t ON t.id = p.node_type_id WHERE n.id = %s)"
)


def _connect() -> psycopg.Connection:
    settings = connection.settings_dict
    writer = psycopg.connect(
        dbname=settings["NAME"],
        user=settings["USER"],
        password=settings["PASSWORD"] or None,
        host=settings["HOST"] or None,
        port=settings["PORT"] or None,
    )
    writer.execute("SET lock_timeout = '5s'")  # a wait here would be a bug of the test: fail instead of hanging
    writer.commit()
    return writer


class _Writer:
    """One other connection writing allocations on its own nodes, in transactions left open between steps."""

    def __init__(self, nodes: list[int], reservation: Reservation, counter: list[int]) -> None:
        self.db = _connect()
        self.nodes = nodes
        self.reservation = reservation
        self.counter = counter
        self.open = False

    def _ids(self, live: bool | None = None) -> list[int]:
        condition = {None: "", True: "AND released_at IS NULL", False: "AND released_at IS NOT NULL"}[live]
        rows = self.db.execute(
            f"SELECT id FROM reservations_allocation WHERE node_id = ANY(%s) {condition} ORDER BY id",
            [self.nodes],
        ).fetchall()
        return [row[0] for row in rows]

    def _window(self, rng: random.Random) -> tuple[object, object]:
        start = hour(rng.randrange(0, 48))
        end = None if rng.random() < 0.15 else start + timedelta(hours=rng.randrange(1, 24))
        return start, end

    def write(self, rng: random.Random) -> None:
        """One random write in this connection's open transaction, in a savepoint: a conflict with the exclusion
        constraint (or a random choice) rolls back just that write, its log row with it."""
        self.open = True
        self.db.execute("SELECT 1")  # the transaction is open from here on; the block below is a savepoint in it
        operation = rng.choices(
            ["insert", "release", "delete", "unrelease", "move", "node"], weights=[6, 4, 2, 1, 2, 0.5]
        )[0]
        try:
            with self.db.transaction():
                self._write(operation, rng)
                if rng.random() < 0.1:
                    raise _RolledBack
        except (psycopg.errors.ExclusionViolation, psycopg.errors.UniqueViolation, _RolledBack):
            pass

    def _write(self, operation: str, rng: random.Random) -> None:
        if operation == "insert":
            rows = []
            for _ in range(rng.choice([1, 1, 2, 3])):
                size = rng.choice(SIZES)
                start, end = self._window(rng)
                self.counter[0] += 1
                node = rng.choice(self.nodes)
                rows.append(
                    (
                        self.reservation.organization_id,
                        self.reservation.pk,
                        self.counter[0],
                        node,
                        node,
                        rng.randrange(0, 8, size),
                        size,
                        start,
                        end,
                    )
                )
            values = ", ".join([f"(%s, %s, %s, %s, {GPU_MODEL_OF_NODE}, %s, %s, %s, %s)"] * len(rows))
            self.db.execute(
                "INSERT INTO reservations_allocation (organization_id, reservation_id, instance_index, node_id,"
                f" gpu_model_id, gpu_first, gpu_count, starts_at, ends_at) VALUES {values}",
                [value for row in rows for value in row],
            )
        elif operation in ("release", "delete", "unrelease", "move"):
            ids = self._ids(live=operation != "unrelease" if operation != "delete" else None)
            if not ids:
                return
            chosen = rng.sample(ids, min(len(ids), rng.choice([1, 1, 2, 4])))
            if operation == "release":
                self.db.execute("UPDATE reservations_allocation SET released_at = now() WHERE id = ANY(%s)", [chosen])
            elif operation == "unrelease":
                self.db.execute("UPDATE reservations_allocation SET released_at = NULL WHERE id = ANY(%s)", [chosen])
            elif operation == "delete":
                self.db.execute("DELETE FROM reservations_allocation WHERE id = ANY(%s)", [chosen])
            else:  # to another of this writer's nodes, and another window
                start, end = self._window(rng)
                self.db.execute(
                    "UPDATE reservations_allocation SET node_id = %s, starts_at = %s, ends_at = %s WHERE id = ANY(%s)",
                    [rng.choice(self.nodes), start, end, chosen[:1]],
                )
        else:
            state = rng.choice([NodeState.AVAILABLE, NodeState.AVAILABLE, NodeState.MAINTENANCE])
            self.db.execute("UPDATE reservations_node SET state = %s WHERE id = %s", [state, rng.choice(self.nodes)])

    def end(self, *, commit: bool) -> None:
        if commit:
            self.db.commit()
        else:
            self.db.rollback()
        self.open = False


class _RolledBack(Exception):
    pass


def test_a_kept_read_brought_up_to_date_equals_a_fresh_read(small_inventory, make_quote, monkeypatch):
    quote = make_quote(flavor="b200-x1")
    pool = CapacityPool.objects.select_related("node_type", "zone").filter(pool=Pool.RESERVABLE).first()
    for number in range(2 * WRITERS + 1 - Node.objects.filter(pool=pool).count()):
        Node.objects.create(hostname=f"{pool.zone.slug}-extra-{number}", pool=pool)
    nodes = list(Node.objects.filter(pool=pool).order_by("hostname").values_list("pk", flat=True))
    reservation = Reservation.objects.create(
        organization=quote.organization,
        kind=ReservationKind.RESERVED,
        state=ReservationState.SCHEDULED,
        quote=quote,
        item_version=quote.item_version,
        flavor=quote.flavor,
        instance_count=1,
        zone=pool.zone,
        starts_at=hour(0),
        ends_at=hour(72),
        created_by_label="test",
    )
    counter = [0]
    writers = [_Writer(nodes[2 * index : 2 * index + 2], reservation, counter) for index in range(WRITERS)]
    own_node = nodes[-1]  # the checking connection writes here only
    patched, read = [0], [0]
    updated, load = PoolBusy.updated, PoolBusy.read

    def counting_updated(self, changes):  # type: ignore[no-untyped-def]
        patched[0] += 1
        return updated(self, changes)

    def counting_read(cls, pool):  # type: ignore[no-untyped-def]
        read[0] += 1
        return load.__func__(cls, pool)  # type: ignore[attr-defined]

    monkeypatch.setattr(PoolBusy, "updated", counting_updated)
    monkeypatch.setattr(PoolBusy, "read", classmethod(counting_read))

    def check(rng: random.Random) -> None:
        current = BUSY_CACHE.current()
        busy = BUSY_CACHE.get(pool, current)
        fresh = load.__func__(PoolBusy, pool)[0]  # type: ignore[attr-defined]
        for size in rng.sample(SIZES, rng.randrange(0, len(SIZES) + 1)):  # block groups kept for some sizes only
            busy.blocks(size)
        assert _state(busy) == _state(fresh)
        for _ in range(3):
            size = rng.choice(SIZES)
            start = hour(rng.randrange(0, 60))
            end = None if rng.random() < 0.2 else start + timedelta(hours=rng.randrange(1, 30))
            instances = rng.randrange(1, 8)
            fits = [kept.fits(size=size, instances=instances, starts_at=start, ends_at=end) for kept in (busy, fresh)]
            assert fits[0] == fits[1]
            duration = None if end is None else end - start
            earliest = [
                kept.earliest_start(size=size, instances=instances, since=start, duration=duration)
                for kept in (busy, fresh)
            ]
            assert earliest[0] == earliest[1]

    try:
        for case in range(40):
            rng = random.Random(case)
            BUSY_CACHE.clear()
            with connection.cursor() as cursor:
                cursor.execute("DELETE FROM reservations_allocation")
                cursor.execute("UPDATE reservations_node SET state = %s", [NodeState.AVAILABLE])
            for _step in range(30):
                writer = rng.choice(writers)
                action = rng.random()
                if action < 0.45:
                    writer.write(rng)
                elif action < 0.72:
                    if writer.open:
                        writer.end(commit=action < 0.65)
                elif action < 0.75:  # the pool row itself: read again
                    with connection.cursor() as cursor:
                        cursor.execute("UPDATE reservations_capacitypool SET pool = pool WHERE id = %s", [pool.pk])
                elif action < 0.8:  # the checking transaction writes too: its answer sees its own rows, kept or not
                    with transaction.atomic():
                        if rng.random() < 0.5:  # a transaction id first, without a row of the pool: reads are kept
                            Reservation.objects.unscoped().filter(pk=reservation.pk).update(created_by_label="own")
                            if rng.random() < 0.7:  # a later transaction commits: this one's id is below xmax now
                                writer.write(rng)
                                writer.end(commit=True)
                            check(rng)
                        start = hour(rng.randrange(0, 48))
                        counter[0] += 1
                        with connection.cursor() as cursor:
                            cursor.execute(
                                "INSERT INTO reservations_allocation (organization_id, reservation_id, instance_index,"
                                " node_id, gpu_model_id, gpu_first, gpu_count, starts_at, ends_at)"
                                f" VALUES (%s, %s, %s, %s, {GPU_MODEL_OF_NODE}, %s, 1, %s, %s) ON CONFLICT DO NOTHING",
                                [quote.organization_id, reservation.pk, counter[0], own_node, own_node, 0, start, None],
                            )
                        check(rng)
                        transaction.set_rollback(rng.random() < 0.5)
                check(rng)
            for writer in writers:
                if writer.open:
                    writer.end(commit=rng.random() < 0.5)
            check(rng)
    finally:
        for writer in writers:
            writer.db.close()
    assert patched[0] > 100  # checks after a committed change patched the kept read (142 with these seeds) ...
    assert read[0] > 50  # ... and beyond each case's first read some read it again: node or pool row changes (82)


def _booked(node: Node, reservation: Reservation, start, end) -> None:  # type: ignore[no-untyped-def]
    """A whole-node allocation on ``node``, committed in a connection of its own."""
    writer = _connect()
    with writer:
        writer.execute(
            "INSERT INTO reservations_allocation (organization_id, reservation_id, instance_index, node_id,"
            " gpu_model_id, gpu_first, gpu_count, starts_at, ends_at)"
            f" VALUES (%s, %s, %s, %s, {GPU_MODEL_OF_NODE}, 0, 8, %s, %s)",
            [reservation.organization_id, reservation.pk, node.pk, node.pk, node.pk, start, end],
        )
        writer.commit()


def test_refusal_advice_after_a_booking_fetches_only_what_changed(small_inventory, make_quote, monkeypatch):
    """After a booking into a kept pool the next answer reads the change log and the booked allocations — two
    statements — not the pool; a refusal's advice after it is the same as from fresh reads."""
    quote = make_quote(flavor="b200-x8-metal", count=2)
    pool = CapacityPool.objects.select_related("node_type", "zone").filter(pool=Pool.RESERVABLE).first()
    reservation = Reservation.objects.create(
        organization=quote.organization,
        kind=ReservationKind.RESERVED,
        state=ReservationState.SCHEDULED,
        quote=quote,
        item_version=quote.item_version,
        flavor=quote.flavor,
        instance_count=1,
        zone=pool.zone,
        starts_at=hour(0),
        ends_at=hour(24 * 30),
        created_by_label="test",
    )
    metal = Flavor.objects.select_related("node_type").get(slug="b200-x8-metal")
    window = {"kind": ReservationKind.RESERVED, "starts_at": hour(0), "ends_at": hour(24 * 30)}
    BUSY_CACHE.clear()
    assert availability_check(flavor=metal, instances=2, zone=pool.zone, **window).fits is True  # read and kept
    _booked(Node.objects.filter(pool=pool).order_by("hostname").first(), reservation, hour(0), hour(24 * 30))
    read = []
    load = PoolBusy.read

    def recording_read(cls, pool):  # type: ignore[no-untyped-def]
        read.append(pool.pk)
        return load.__func__(cls, pool)  # type: ignore[attr-defined]

    monkeypatch.setattr(PoolBusy, "read", classmethod(recording_read))
    with CaptureQueriesContext(connection) as queries:
        offered, earliest = refusal_advice(quote=quote, zone=pool.zone, **window)
    statements = [query["sql"] for query in queries.captured_queries]
    full_reads = [sql for sql in statements if "row_number() OVER (ORDER BY n.hostname)" in sql]
    kept_pools = [sql for sql in statements if "reservations_pool_change" in sql and sql not in full_reads]
    assert len(kept_pools) == 2  # the log, then the changed allocations
    assert "unnest(changes.allocations)" in kept_pools[1]
    assert len(full_reads) == len(read) == 1  # the other zone's pool, never asked about before ...
    assert read != [pool.pk]  # ... not the booked one
    BUSY_CACHE.clear()
    assert refusal_advice(quote=quote, zone=pool.zone, **window) == (offered, earliest)
    assert earliest == hour(24 * 30)


def test_a_read_is_kept_inside_a_transaction_until_it_writes_the_pool(small_inventory, make_quote):
    """A read or patch taken inside a transaction that has written, but nothing of the pool, is kept (the
    transaction counts as in progress for its snapshot, so its later writes are changes once committed); after it
    writes the pool, its answers see its rows and are not kept."""
    quote = make_quote(flavor="b200-x8-metal")
    pool = CapacityPool.objects.select_related("node_type", "zone").filter(pool=Pool.RESERVABLE).first()
    reservation = Reservation.objects.create(
        organization=quote.organization,
        kind=ReservationKind.RESERVED,
        state=ReservationState.SCHEDULED,
        quote=quote,
        item_version=quote.item_version,
        flavor=quote.flavor,
        instance_count=1,
        zone=pool.zone,
        starts_at=hour(0),
        ends_at=hour(48),
        created_by_label="test",
    )
    first, second = Node.objects.filter(pool=pool).order_by("hostname")
    BUSY_CACHE.clear()
    kept = BUSY_CACHE.get(pool, BUSY_CACHE.current())
    with transaction.atomic():
        Reservation.objects.unscoped().update(created_by_label="written")  # this transaction has an id now
        _booked(first, reservation, hour(0), hour(24))  # a later transaction commits meanwhile
        inside = BUSY_CACHE.get(pool, BUSY_CACHE.current())
        assert inside is not kept
        assert [place[0] for place in inside._allocations.values()] == [first.pk]
        assert BUSY_CACHE._reads[pool.pk][0] is inside  # kept: nothing of the pool written here
        Allocation.objects.create(
            organization=quote.organization,
            reservation=reservation,
            instance_index=second.pk,
            node=second,
            gpu_model_id=pool.node_type.gpu_model_id,
            gpu_first=0,
            gpu_count=8,
            starts_at=hour(0),
            ends_at=hour(24),
        )
        own = BUSY_CACHE.get(pool, BUSY_CACHE.current())
        assert sorted(place[0] for place in own._allocations.values()) == [first.pk, second.pk]
        assert BUSY_CACHE._reads[pool.pk][0] is inside  # its own row may be rolled back: not kept
    after = BUSY_CACHE.get(pool, BUSY_CACHE.current())  # committed: a change to the kept read
    assert _state(after) == _state(PoolBusy.read(pool)[0]) == _state(own)
    assert BUSY_CACHE._reads[pool.pk][0] is after
    assert BUSY_CACHE.get(pool, BUSY_CACHE.current()) is after  # unchanged since: the same object


def test_a_pool_full_since_the_kept_read_is_refused_without_its_lock_and_advised_from_the_patched_read(
    small_inventory, make_quote
):
    """Both kept pools filled by another connection since: the booking counts the free blocks in SQL with its read
    of the zones (not from the kept reads, which bookings change all the time) and is refused without a pool lock;
    the refusal's advice comes from the kept reads brought up to date, the same as from fresh reads."""
    quote = make_quote(flavor="b200-x1")
    holder = make_quote(flavor="b200-x8-metal")
    metal = Flavor.objects.select_related("node_type").get(slug="b200-x8-metal")
    pools = list(CapacityPool.objects.select_related("node_type", "zone").filter(pool=Pool.RESERVABLE))
    reservation = Reservation.objects.create(
        organization=holder.organization,
        kind=ReservationKind.RESERVED,
        state=ReservationState.SCHEDULED,
        quote=holder,
        item_version=holder.item_version,
        flavor=holder.flavor,
        instance_count=1,
        zone=pools[0].zone,
        starts_at=hour(0),
        ends_at=hour(24 * 30),
        created_by_label="test",
    )
    BUSY_CACHE.clear()
    window = {"kind": ReservationKind.RESERVED, "starts_at": hour(0), "ends_at": hour(24 * 30)}
    for pool in pools:  # both pools read and kept
        assert availability_check(flavor=metal, instances=2, zone=pool.zone, **window).fits is True
    for node in Node.objects.filter(pool__in=pools):
        _booked(node, reservation, hour(0), hour(24 * 30))

    with CaptureQueriesContext(connection) as queries, pytest.raises(NoCapacityError) as refusal:
        reservation_create(actor=Actor.system("test"), organization=quote.organization, quote=quote)
    statements = [statement_text(query["sql"]) for query in queries.captured_queries]
    assert not [sql for sql in statements if "reservations_capacitypool" in sql and "FOR UPDATE" in sql]
    assert len([sql for sql in statements if "bit_or" in sql]) == 1  # the free blocks, with the zones
    assert not [sql for sql in statements if "unnest(changes.allocations)" in sql]  # the kept reads: not asked
    with CaptureQueriesContext(connection) as advised:
        advice = (refusal.value.alternatives, refusal.value.earliest_start)
    advice_statements = [query["sql"] for query in advised.captured_queries]
    assert len([sql for sql in advice_statements if "unnest(changes.allocations)" in sql]) == 1  # brought up to date
    assert not [sql for sql in advice_statements if "row_number() OVER (ORDER BY n.hostname)" in sql]  # not re-read
    BUSY_CACHE.clear()
    assert advice == refusal_advice(quote=quote, zone=None, **window)
    assert refusal.value.earliest_start == hour(24 * 30)
