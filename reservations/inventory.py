"""Concrete nodes from the catalog's inventory description (``catalog.ZoneCapacity``)."""

from __future__ import annotations

from collections.abc import Callable

from django.conf import settings
from django.db import transaction

from catalog.models import ZoneCapacity
from reservations.choices import Pool
from reservations.models import CapacityPool, Node


def hostname(zone_slug: str, node_type_slug: str, number: int) -> str:
    return f"{zone_slug}-{node_type_slug}-{number:04d}"


def inventory_ensure(*, progress: Callable[[int], None] | None = None) -> int:
    """Create the pools and nodes the inventory describes; existing ones are kept as they are. Returns how many
    nodes were created. Of each zone's nodes of a type, ``KONTOR_ON_DEMAND_PERCENT`` percent serve on-demand
    demand, the rest reserved windows (see ``reservations.choices.Pool``)."""
    created = 0
    for capacity in ZoneCapacity.objects.select_related("zone", "node_type").order_by("zone__slug", "node_type__slug"):
        on_demand = capacity.node_count * settings.KONTOR_ON_DEMAND_PERCENT // 100
        with transaction.atomic():
            pools = {
                kind: CapacityPool.objects.get_or_create(zone=capacity.zone, node_type=capacity.node_type, pool=kind)[0]
                for kind in Pool
            }
            existing = set(Node.objects.filter(pool__in=pools.values()).values_list("hostname", flat=True))
            new_nodes = [
                Node(
                    hostname=name,
                    pool=pools[Pool.ON_DEMAND if number <= on_demand else Pool.RESERVABLE],
                )
                for number in range(1, capacity.node_count + 1)
                if (name := hostname(capacity.zone.slug, capacity.node_type.slug, number)) not in existing
            ]
            Node.objects.bulk_create(new_nodes, batch_size=500)
        created += len(new_nodes)
        if progress is not None:
            progress(capacity.node_count)
    return created
