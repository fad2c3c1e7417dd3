"""The allocator: which concrete GPU slots an order gets, and whether it fits at all.

Placement rule: an instance of a flavor with ``g`` GPUs takes ``g`` consecutive slots starting at a multiple of
``g`` on one node (bare metal: the whole node). Aligned blocks keep nodes from fragmenting, so a later 4- or 8-GPU
order still finds room. Among nodes with room, the fullest is used first (best fit), for the same reason.

Reads here are only trustworthy inside the pool lock taken by ``pool_lock``; the database's exclusion constraint
backs them up.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

from django.db.models import Q

from catalog.models import AvailabilityZone, Flavor
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
