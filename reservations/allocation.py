"""The allocator: which concrete GPU slots an order gets, and whether it fits at all.

Placement rule: an instance of a flavor with ``g`` GPUs takes ``g`` consecutive slots starting at a multiple of
``g`` on one node (bare metal: the whole node). Aligned blocks keep nodes from fragmenting, so a later 4- or 8-GPU
order still finds room. Among nodes with room, the fullest is used first (best fit), for the same reason.

Reads here are only trustworthy inside the pool lock taken by ``pool_lock``; the database's exclusion constraint
backs them up.
"""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.db import connection
from django.db.models import Q

from catalog.models import AvailabilityZone, Flavor
from core.statements import PreparedSQL, Statement, statements_execute
from reservations.choices import NodeState, Pool, ReservationKind
from reservations.models import Allocation, CapacityPool, Node


@dataclass(frozen=True)
class Placement:
    node: Node
    gpu_first: int


def pool_for(kind: str) -> Pool:
    return Pool.ON_DEMAND if kind == ReservationKind.ON_DEMAND else Pool.RESERVABLE


def pool_lock(*, zone: AvailabilityZone, flavor: Flavor, kind: str) -> CapacityPool | None:
    """Lock the capacity pool an order draws from (until the transaction ends). None: no such pool here."""
    return (
        CapacityPool.objects.select_for_update()
        .filter(zone=zone, node_type=flavor.node_type, pool=pool_for(kind))
        .first()
    )


def pool_lock_by_id(pool_id: int) -> CapacityPool:
    return CapacityPool.objects.select_for_update().select_related("node_type").get(pk=pool_id)


def overlapping(starts_at: datetime, ends_at: datetime | None) -> Q:
    """Live allocations overlapping ``[starts_at, ends_at)``; an open end overlaps everything after its start."""
    condition = Q(released_at__isnull=True) & (Q(ends_at__isnull=True) | Q(ends_at__gt=starts_at))
    if ends_at is not None:
        condition &= Q(starts_at__lt=ends_at)
    return condition


def busy_slots(
    nodes: Iterable[Node], starts_at: datetime, ends_at: datetime | None, *, ignore: Iterable[int] = ()
) -> dict[int, set[int]]:
    """For each node, the GPU slots some live allocation holds at some moment of the window."""
    busy: dict[int, set[int]] = defaultdict(set)
    rows = (
        Allocation.objects.unscoped()
        .filter(overlapping(starts_at, ends_at), node__in=[node.pk for node in nodes])
        .exclude(pk__in=list(ignore))
        .values_list("node_id", "gpu_first", "gpu_count")
    )
    for node_id, first, count in rows:
        busy[node_id].update(range(first, first + count))
    return busy


def place(
    *,
    pool: CapacityPool,
    flavor: Flavor,
    instances: int,
    starts_at: datetime,
    ends_at: datetime | None,
    ignore: Iterable[int] = (),
    avoid_nodes: Iterable[int] = (),
) -> list[Placement] | None:
    """Slots for ``instances`` instances of ``flavor`` in ``pool`` for the window, or None if they do not fit."""
    size = flavor.gpu_count
    per_node = flavor.node_type.gpus_per_node
    nodes = list(
        Node.objects.filter(pool=pool, state=NodeState.AVAILABLE).exclude(pk__in=list(avoid_nodes)).order_by("hostname")
    )
    busy = busy_slots(nodes, starts_at, ends_at, ignore=ignore)
    nodes.sort(key=lambda node: -len(busy.get(node.pk, ())))  # best fit: fullest first (stable by hostname)
    placements: list[Placement] = []
    for node in nodes:
        taken = busy.get(node.pk, set())
        for first in range(0, per_node - size + 1, size):
            block = set(range(first, first + size))
            if block & taken:
                continue
            placements.append(Placement(node=node, gpu_first=first))
            taken = taken | block
            if len(placements) == instances:
                return placements
    return None


def free_gpus(*, pool: CapacityPool, starts_at: datetime, ends_at: datetime | None) -> int:
    """GPUs of available nodes in the pool that no allocation holds at any moment of the window."""
    nodes = list(Node.objects.filter(pool=pool, state=NodeState.AVAILABLE))
    busy = busy_slots(nodes, starts_at, ends_at)
    per_node = pool.node_type.gpus_per_node
    return sum(per_node - len(busy.get(node.pk, ())) for node in nodes)


# --- Booking in SQL (PostgreSQL) -------------------------------------------------------------------------------------
#
# The same placement rule as ``place`` — aligned blocks, fullest node first, then hostname, then slot — answered by
# PostgreSQL over the exclusion constraint's own GiST index (node, time range of live allocations), so a booking
# neither loads the pool's nodes nor its allocations. A node's busy slots in the window are one bit mask
# (``bit_or`` of each overlapping allocation's slots); a block is free when its bits are clear.

_BUSY_OF = """
busy AS (
    SELECT a.node_id, n.pool_id, bit_or(((1::bigint << a.gpu_count) - 1) << a.gpu_first) AS mask
    FROM reservations_allocation a
    JOIN reservations_node n ON n.id = a.node_id
    WHERE n.pool_id {in_pools} AND n.state = %(available)s AND a.released_at IS NULL
      AND tstzrange(a.starts_at, COALESCE(a.ends_at, 'infinity'::timestamptz))
          && tstzrange(%(starts)s::timestamptz, COALESCE(%(ends)s::timestamptz, 'infinity'::timestamptz))
    GROUP BY a.node_id, n.pool_id
)
"""
_BUSY = _BUSY_OF.format(in_pools="= ANY(%(pools)s)")
#: Per pool of one node type and pool kind (of one zone, or of every zone: ``pools``, found by the statement
#: itself, so that it needs no earlier read of their ids), how many free aligned blocks of ``size`` slots the window
#: has, with the pool's zone: ``(zone_id, pool_id, free)``; pools without one are left out. Every block of each
#: available node no allocation touches in the window (a hashed ``NOT IN`` over ``busy``), plus the free blocks of
#: each busy node, tested against its mask. No join of the pool's nodes with ``busy``: a window the statistics have
#: not seen yet (every newly booked future week) is estimated at one busy row, and a nested loop of every node with
#: every busy node cost 130 ms at 1,000 nodes and 330 busy ones instead of 1 ms. Its parameters are prefixed
#: ``free_``: a booking sends it with its read of the zones (``availability.booking_candidates``).
FREE_BLOCKS_SQL = re.sub(
    r"%\((\w+)\)s",
    lambda match: f"%(free_{match.group(1)})s",
    """
WITH pools AS (
    SELECT id, zone_id FROM reservations_capacitypool
    WHERE node_type_id = %(node_type)s AND pool = %(kind)s AND (%(zone)s::bigint IS NULL OR zone_id = %(zone)s::bigint)
), """  # noqa: S608 (constant fragments; every value is a bound parameter)
    + _BUSY_OF.format(in_pools="= ANY((SELECT array_agg(id) FROM pools)::bigint[])")
    + """
SELECT (SELECT zone_id FROM pools WHERE pools.id = per_pool.pool_id), pool_id, free FROM (
    SELECT pool_id, sum(free)::int AS free FROM (
        SELECT n.pool_id, (SELECT count(*) FROM generate_series(0, %(per_node)s - %(size)s, %(size)s)) AS free
        FROM reservations_node n
        WHERE n.pool_id = ANY((SELECT array_agg(id) FROM pools)::bigint[]) AND n.state = %(available)s
          AND n.id NOT IN (SELECT node_id FROM busy)
        UNION ALL
        SELECT busy.pool_id, (
            SELECT count(*) FROM generate_series(0, %(per_node)s - %(size)s, %(size)s) AS b(first)
            WHERE busy.mask & (((1::bigint << %(size)s) - 1) << b.first) = 0
        ) AS free
        FROM busy
    ) AS per_node
    GROUP BY pool_id
) AS per_pool
WHERE free > 0
""",
)

#: Insert the allocations of one reservation into the first ``instances`` free blocks of one pool (``pools`` holds
#: just that one; each row names the pool's GPU model), or nothing at all when fewer are free. Run under the pool
#: lock: the search is then exact (a fresh snapshot after the lock was granted), and the exclusion constraint still
#: has the last word.
#:
#: The same order as ``place`` (fullest node first, then hostname, then slot) without crossing every node of the pool
#: with its blocks: a node that some allocation touches in the window (``busy``, found over the GiST index) always
#: comes before an empty one, so the candidates are the partly busy nodes' free blocks followed by the first
#: ``instances`` empty nodes by hostname (each has at least one block), and no more.
INSERT_ALLOCATIONS_SQL = f"""
WITH {_BUSY}, partial AS (
    SELECT busy.node_id, n.hostname, b.first, bit_count(busy.mask::bit(64)) AS busy_slots
    FROM busy
    JOIN reservations_node n ON n.id = busy.node_id
    CROSS JOIN generate_series(0, %(per_node)s - %(size)s, %(size)s) AS b(first)
    WHERE busy.mask & (((1::bigint << %(size)s) - 1) << b.first) = 0
), empty AS (
    SELECT e.id AS node_id, e.hostname, b.first, 0 AS busy_slots
    FROM (
        SELECT n.id, n.hostname FROM reservations_node n
        WHERE n.pool_id = ANY(%(pools)s) AND n.state = %(available)s
          AND n.id NOT IN (SELECT node_id FROM busy)
        ORDER BY n.hostname LIMIT %(instances)s
    ) AS e
    CROSS JOIN generate_series(0, %(per_node)s - %(size)s, %(size)s) AS b(first)
), chosen AS (
    SELECT node_id, first, row_number() OVER (ORDER BY busy_slots DESC, hostname, first) - 1 AS instance_index
    FROM (
        SELECT * FROM (SELECT * FROM partial UNION ALL SELECT * FROM empty) AS free
        ORDER BY busy_slots DESC, hostname, first LIMIT %(instances)s
    ) AS best
)
INSERT INTO reservations_allocation
    (organization_id, reservation_id, instance_index, node_id, gpu_model_id, gpu_first, gpu_count, starts_at, ends_at)
SELECT %(organization)s, %(reservation)s, instance_index, node_id, (
    SELECT t.gpu_model_id FROM reservations_capacitypool p JOIN catalog_nodetype t ON t.id = p.node_type_id
    WHERE p.id = (%(pools)s)[1]
), first, %(size)s, %(starts)s, %(ends)s
FROM chosen
WHERE (SELECT count(*) FROM chosen) = %(instances)s
RETURNING id, instance_index, node_id, gpu_first
"""  # noqa: S608 (constant fragments; every value is a bound parameter)


_WINDOW_TYPES = {
    "pools": "bigint[]",
    "available": "text",
    "per_node": "int",
    "size": "int",
    "starts": "timestamptz",
    "ends": "timestamptz",
}
#: Both statements parsed and planned once per session (``core.statements.PreparedSQL``): planning them was about
#: half of their server time. Their one generic plan was measured against the custom ones at 100,000 reservations:
#: the same plan shape (the GiST index scan of the window), the planning saved.
FREE_BLOCKS = PreparedSQL(
    FREE_BLOCKS_SQL,
    types={
        "free_node_type": "bigint",
        "free_kind": "text",
        "free_zone": "bigint",
        **{f"free_{name}": kind for name, kind in _WINDOW_TYPES.items() if name != "pools"},
    },
    generic_plan=True,
)
INSERT_ALLOCATIONS = PreparedSQL(
    INSERT_ALLOCATIONS_SQL,
    types={**_WINDOW_TYPES, "instances": "int", "organization": "bigint", "reservation": "bigint"},
    generic_plan=True,
)


def _window_params(
    *, pools: list[int], per_node: int, size: int, starts_at: datetime, ends_at: datetime | None
) -> dict[str, Any]:
    return {
        "pools": pools,
        "available": NodeState.AVAILABLE,
        "per_node": per_node,
        "size": size,
        "starts": starts_at,
        "ends": ends_at,
    }


def pool_lock_id(pool_id: int) -> None:
    """Lock one capacity pool row by its id (one statement, nothing loaded)."""
    list(CapacityPool.objects.select_for_update().filter(pk=pool_id).values_list("pk", flat=True))


#: ``pool_lock_id`` as the first statement of ``allocations_insert(lock=True)``'s round trip.
LOCK_POOL_SQL = "SELECT id FROM reservations_capacitypool WHERE id = %(pools_lock)s FOR UPDATE"
#: ``LOCK_POOL_SQL`` parsed and planned once per session (a lookup by key: every booking runs it).
LOCK_POOL = PreparedSQL(LOCK_POOL_SQL, types=None)


def allocations_insert(
    *,
    pool_id: int,
    reservation_id: int,
    organization_id: int,
    per_node: int,
    size: int,
    instances: int,
    starts_at: datetime,
    ends_at: datetime | None,
    lock: bool = False,
    then: Statement | None = None,
) -> list[tuple[int, int, int, int]] | None:
    """Insert ``instances`` allocations of ``size`` slots into the pool's best free blocks in one statement:
    ``(id, instance_index, node_id, gpu_first)`` per row, or None (and nothing written) when they do not fit.
    Call it under the pool lock, or with ``lock=True``, which takes it first in the same round trip; an
    ``IntegrityError`` of the exclusion constraint means a writer that did not take the lock got there first.

    On PostgreSQL ``lock`` and ``then`` (one more statement, which sees the new rows; its parameter names must not
    clash with the insert's) travel with the insert as one multi-statement execute (``statements_execute``: Django's
    psycopg backend binds client-side, so the server gets one simple query; a booking sends its own rows first,
    ``allocations_insert_statements``).
    Each statement there takes its own snapshot under READ COMMITTED: the search starts once the lock was granted
    and so sees every booking its previous holder committed (a CTE of one statement could not: its snapshot would
    predate the lock)."""
    if connection.vendor != "postgresql":  # the embedded SQLite default: the same rule, in Python
        if lock:
            pool_lock_id(pool_id)
        rows = _allocations_insert_in_python(
            pool_id=pool_id,
            reservation_id=reservation_id,
            organization_id=organization_id,
            size=size,
            instances=instances,
            starts_at=starts_at,
            ends_at=ends_at,
        )
        if rows is not None and then is not None:
            statements_execute([then])
        return rows
    statements = [
        *allocations_insert_statements(
            pool_id=pool_id,
            reservation_id=reservation_id,
            organization_id=organization_id,
            per_node=per_node,
            size=size,
            instances=instances,
            starts_at=starts_at,
            ends_at=ends_at,
            lock=lock,
        ),
    ]
    inserted = len(statements) - 1
    if then is not None:
        statements.append(then)
    return allocation_rows(statements_execute(statements)[inserted])


def allocations_insert_statements(
    *,
    pool_id: int,
    reservation_id: int,
    organization_id: int,
    per_node: int,
    size: int,
    instances: int,
    starts_at: datetime,
    ends_at: datetime | None,
    lock: bool,
) -> list[Statement]:
    """``allocations_insert``'s statements on PostgreSQL (the pool lock if ``lock``, then the insert), for a caller
    that sends them with its own (``core.statements.statements_execute``); the insert's rows go to
    ``allocation_rows``."""
    params = _window_params(pools=[pool_id], per_node=per_node, size=size, starts_at=starts_at, ends_at=ends_at)
    params.update({"instances": instances, "organization": organization_id, "reservation": reservation_id})
    insert: Statement = (INSERT_ALLOCATIONS, params)
    return [(LOCK_POOL, {"pools_lock": pool_id}), insert] if lock else [insert]


def allocation_rows(found: list[tuple[Any, ...]]) -> list[tuple[int, int, int, int]] | None:
    """The allocation insert's rows as ``allocations_insert`` answers: by instance, or None when nothing fit."""
    rows = [(row[0], row[1], row[2], row[3]) for row in found]
    return sorted(rows, key=lambda row: row[1]) if rows else None


def _allocations_insert_in_python(
    *,
    pool_id: int,
    reservation_id: int,
    organization_id: int,
    size: int,
    instances: int,
    starts_at: datetime,
    ends_at: datetime | None,
) -> list[tuple[int, int, int, int]] | None:
    """``allocations_insert`` where PostgreSQL is not: ``place``'s rule over the pool's nodes, then one insert."""
    pool = CapacityPool.objects.select_related("node_type").get(pk=pool_id)
    nodes = list(Node.objects.filter(pool=pool, state=NodeState.AVAILABLE).order_by("hostname"))
    busy = busy_slots(nodes, starts_at, ends_at)
    nodes.sort(key=lambda node: -len(busy.get(node.pk, ())))
    chosen: list[tuple[int, int]] = []
    for node in nodes:
        taken = busy.get(node.pk, set())
        for first in range(0, pool.node_type.gpus_per_node - size + 1, size):
            if len(chosen) < instances and taken.isdisjoint(range(first, first + size)):
                chosen.append((node.pk, first))
    if len(chosen) < instances:
        return None
    created = Allocation.objects.bulk_create(
        Allocation(
            organization_id=organization_id,
            reservation_id=reservation_id,
            instance_index=index,
            node_id=node_id,
            gpu_model_id=pool.node_type.gpu_model_id,
            gpu_first=first,
            gpu_count=size,
            starts_at=starts_at,
            ends_at=ends_at,
        )
        for index, (node_id, first) in enumerate(chosen)
    )
    return [(row.pk, row.instance_index, row.node_id, row.gpu_first) for row in created]
