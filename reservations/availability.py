"""Availability answers for customers: does an order fit, and if not, when and where would it."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from django.db import connection
from django.db.models import Q

from catalog.compatibility import is_compatible
from catalog.models import AvailabilityZone, CatalogItemVersion, Flavor, GpuModel, Quote
from core.prepared import PreparedQuery
from core.statements import Statement, statements_execute
from reservations.allocation import FREE_BLOCKS, pool_for
from reservations.choices import NodeState, ReservationKind
from reservations.models import Allocation, CapacityPool, Node
from reservations.timeline import BUSY_CACHE, PoolBusy, Timelines

# The reference rows every availability answer and every booking reads, compiled once per process (compiling each
# cost more CPU than running it; a refusal read four of them).
_ZONES: PreparedQuery[AvailabilityZone] = PreparedQuery(lambda: AvailabilityZone.objects.order_by("slug"))
_POOLS: PreparedQuery[CapacityPool] = PreparedQuery(
    lambda kind: CapacityPool.objects.filter(pool=kind).select_related("node_type"), kind=str
)
_POOL_IDS: PreparedQuery[tuple[int, int]] = PreparedQuery(
    lambda node_type, kind: CapacityPool.objects.filter(node_type_id=node_type, pool=kind).values_list("zone_id", "pk"),
    node_type=int,
    kind=str,
)
_VERSION: PreparedQuery[CatalogItemVersion] = PreparedQuery(
    lambda version: CatalogItemVersion.objects.select_related("item").filter(pk=version), version=int
)
_OTHER_FLAVORS: PreparedQuery[Flavor] = PreparedQuery(
    lambda flavor: (
        Flavor.objects.filter(is_active=True)
        .exclude(pk=flavor)
        .select_related("node_type__gpu_model")
        .order_by("node_type__slug", "-gpu_count")
    ),
    flavor=int,
)
_ZONE: PreparedQuery[AvailabilityZone] = PreparedQuery(
    lambda slug: AvailabilityZone.objects.filter(slug=slug), slug=str
)


def zone_get(slug: str) -> AvailabilityZone | None:
    """The availability zone named by ``slug``, or None."""
    return _ZONE.first(slug=slug)


@dataclass(frozen=True)
class Alternative:
    zone: str
    flavor: str
    instance_count: int
    starts_at: datetime


@dataclass(frozen=True)
class Availability:
    fits: bool
    zone: str | None
    earliest_start: datetime | None
    alternatives: list[Alternative]


class _Pools:
    """The capacity pools of one answer, each read once and looked up without a query per flavor. On PostgreSQL a
    pool's read is the process's cached one, brought up to date from the change log (``timeline.BUSY_CACHE``: one
    small query per answer, a second one fetching the allocations written since when there are any); elsewhere
    ``Timelines`` reads each pool once per answer."""

    def __init__(self, kind: str) -> None:
        self.pool_kind = pool_for(kind)
        self.timelines = Timelines()
        self._pools: dict[tuple[int, int], CapacityPool] | None = None
        self._busy: dict[int, PoolBusy] = {}
        self._current: dict[int, PoolBusy] | None = None
        self._zones: list[AvailabilityZone] | None = None

    def zones(self) -> list[AvailabilityZone]:
        """Every zone, by slug: read once per answer."""
        if self._zones is None:
            self._zones = _ZONES()
        return self._zones

    def pool(self, zone: AvailabilityZone, flavor: Flavor) -> CapacityPool | None:
        if self._pools is None:
            pools = _POOLS(kind=str(self.pool_kind))
            self._pools = {(pool.zone_id, pool.node_type_id): pool for pool in pools}
        return self._pools.get((zone.pk, flavor.node_type_id))

    def busy(self, pool: CapacityPool) -> PoolBusy:
        if pool.pk not in self._busy:
            if self._current is None:
                self._current = BUSY_CACHE.current()
            self._busy[pool.pk] = BUSY_CACHE.get(pool, self._current)
        return self._busy[pool.pk]

    def fits(
        self, zone: AvailabilityZone, flavor: Flavor, instances: int, starts_at: datetime, ends_at: datetime | None
    ) -> bool:
        pool = self.pool(zone, flavor)
        if pool is None:
            return False
        if connection.vendor == "postgresql":
            return self.busy(pool).fits(
                size=flavor.gpu_count, instances=instances, starts_at=starts_at, ends_at=ends_at
            )
        return self.timelines.get(pool, starts_at).fits(
            size=flavor.gpu_count, instances=instances, starts_at=starts_at, ends_at=ends_at
        )

    def earliest_start(
        self, zone: AvailabilityZone, flavor: Flavor, instances: int, starts_at: datetime, ends_at: datetime | None
    ) -> datetime | None:
        pool = self.pool(zone, flavor)
        if pool is None:
            return None
        duration = (ends_at - starts_at) if ends_at is not None else None
        if connection.vendor == "postgresql":
            return self.busy(pool).earliest_start(
                size=flavor.gpu_count, instances=instances, since=starts_at, duration=duration
            )
        return self.timelines.get(pool, starts_at).earliest_start(
            size=flavor.gpu_count, instances=instances, duration=duration
        )


def booking_candidates(
    *,
    zone: AvailabilityZone | None,
    flavor: Flavor,
    instances: int,
    kind: str,
    starts_at: datetime,
    ends_at: datetime | None,
) -> list[tuple[AvailabilityZone, int]]:
    """The zones, in order (``zone``, or every zone by slug), where the order fits on a read without locks, each
    with its pool's id: the candidates a booking locks and tries. A zone left out was full a moment ago; one kept in
    may be full by the time it is locked. On PostgreSQL the zones and the free blocks of their pools are read in one
    round trip (the zones' compiled query and ``allocation.FREE_BLOCKS``, which finds the flavor's pools of the kind
    itself and answers with their zones), not from this process's kept pool reads (``timeline.BUSY_CACHE``):
    under bookings those change with every one, and bringing them up to date costs a round trip or two more.
    Elsewhere each pool is read once (``Timelines``). Either way no pool is locked."""
    if connection.vendor == "postgresql":
        free: Statement = (
            FREE_BLOCKS,
            {
                "free_node_type": flavor.node_type_id,
                "free_kind": str(pool_for(kind)),
                "free_zone": zone.pk if zone is not None else None,
                "free_available": NodeState.AVAILABLE,
                "free_per_node": flavor.node_type.gpus_per_node,
                "free_size": flavor.gpu_count,
                "free_starts": starts_at,
                "free_ends": ends_at,
            },
        )
        if zone is None:
            zone_rows, free_rows = statements_execute([_ZONES.statement(prefix="zones"), free])
            zones = _ZONES.answer(zone_rows)
        else:
            (free_rows,) = statements_execute([free])
            zones = [zone]
        with_room = {zone_id: pool_id for zone_id, pool_id, count in free_rows if count >= instances}
        return [(zone, with_room[zone.pk]) for zone in zones if zone.pk in with_room]
    zones = [zone] if zone is not None else _ZONES()
    pairs = _POOL_IDS(node_type=flavor.node_type_id, kind=str(pool_for(kind)))
    wanted = {zone.pk for zone in zones}
    pools = {zone_id: pool_id for zone_id, pool_id in pairs if zone_id in wanted}
    fitting = _Pools(kind)
    return [(zone, pools[zone.pk]) for zone in zones if fitting.fits(zone, flavor, instances, starts_at, ends_at)]


def _earliest_start_in(
    pools: _Pools,
    zones: list[AvailabilityZone],
    flavor: Flavor,
    instances: int,
    starts_at: datetime,
    ends_at: datetime | None,
) -> datetime | None:
    starts = [
        start
        for zone in zones
        if (start := pools.earliest_start(zone, flavor, instances, starts_at, ends_at)) is not None
    ]
    return min(starts) if starts else None


def _alternatives(
    pools: _Pools,
    *,
    item_version_id: int | None,
    flavor: Flavor,
    instances: int,
    starts_at: datetime,
    ends_at: datetime | None,
    exclude_zone: AvailabilityZone | None,
    limit: int,
) -> list[Alternative]:
    found: list[Alternative] = []
    zones = pools.zones()
    for zone in zones:
        if zone != exclude_zone and pools.fits(zone, flavor, instances, starts_at, ends_at):
            found.append(Alternative(zone.slug, flavor.slug, instances, starts_at))
    gpus = instances * flavor.gpu_count
    item = None
    if item_version_id is not None:
        version = _VERSION.first(version=item_version_id)
        if version is None:
            raise CatalogItemVersion.DoesNotExist(f"There is no catalog item version {item_version_id}.")
        item = version.item
    for other in _OTHER_FLAVORS(flavor=flavor.pk):
        if gpus % other.gpu_count or (item is not None and not is_compatible(item, other)):
            continue
        count = gpus // other.gpu_count
        for zone in zones:
            if len(found) >= limit:
                return found
            if pools.fits(zone, other, count, starts_at, ends_at):
                found.append(Alternative(zone.slug, other.slug, count, starts_at))
    return found[:limit]


def availability_check(
    *,
    flavor: Flavor,
    instances: int,
    kind: str,
    starts_at: datetime,
    ends_at: datetime | None,
    zone: AvailabilityZone | None = None,
    item_version_id: int | None = None,
) -> Availability:
    """Fits, earliest start and alternatives from one read of each pool involved."""
    pools = _Pools(kind)
    zones = [zone] if zone is not None else pools.zones()
    for candidate in zones:
        if pools.fits(candidate, flavor, instances, starts_at, ends_at):
            return Availability(True, candidate.slug, starts_at, [])
    return Availability(
        fits=False,
        zone=None,
        earliest_start=_earliest_start_in(pools, zones, flavor, instances, starts_at, ends_at),
        alternatives=_alternatives(
            pools,
            item_version_id=item_version_id,
            flavor=flavor,
            instances=instances,
            starts_at=starts_at,
            ends_at=ends_at,
            exclude_zone=zone,
            limit=5,
        ),
    )


def refusal_advice(
    *, quote: Quote, kind: str, zone: AvailabilityZone | None, starts_at: datetime, ends_at: datetime | None
) -> tuple[list[Alternative], datetime | None]:
    """What a "no capacity" answer offers for a quote — the alternatives and the earliest start — from one set of
    pool reads."""
    pools = _Pools(kind)
    zones = [zone] if zone is not None else pools.zones()
    found = _alternatives(
        pools,
        item_version_id=quote.item_version_id,
        flavor=quote.flavor,
        instances=quote.instance_count,
        starts_at=starts_at,
        ends_at=ends_at,
        exclude_zone=zone,
        limit=5,
    )
    return found, _earliest_start_in(pools, zones, quote.flavor, quote.instance_count, starts_at, ends_at)


@dataclass(frozen=True)
class CalendarRow:
    starts_at: datetime
    total_gpus: int
    free_gpus: int


def capacity_calendar(
    *,
    zone: AvailabilityZone,
    gpu_model: GpuModel,
    starts_at: datetime,
    ends_at: datetime,
    step: timedelta,
    kind: str = ReservationKind.RESERVED,
) -> list[CalendarRow]:
    """Free GPUs of a model in a zone per step (an hour or a day): the fewest free at any moment of the step.

    One query for the nodes, one for the allocations, then a sweep over start/end events: cost grows with the
    number of bookings plus steps, not their product.
    """
    node_filter = Q(pool__zone=zone, pool__node_type__gpu_model=gpu_model, pool__pool=pool_for(kind))
    nodes = Node.objects.filter(node_filter, state=NodeState.AVAILABLE).select_related("pool__node_type")
    total = sum(node.pool.node_type.gpus_per_node for node in nodes)
    rows = (
        Allocation.objects.unscoped()
        .filter(released_at__isnull=True, starts_at__lt=ends_at, node__in=nodes)
        .filter(Q(ends_at__isnull=True) | Q(ends_at__gt=starts_at))
        .values_list("starts_at", "ends_at", "gpu_count")
    )
    events: list[tuple[datetime, int]] = []
    for begin, end, count in rows:
        events.append((max(begin, starts_at), count))
        if end is not None and end < ends_at:
            events.append((end, -count))
    events.sort(key=lambda event: (event[0], event[1]))  # frees before takes at the same instant
    calendar: list[CalendarRow] = []
    used = 0
    index = 0
    bucket = starts_at
    while bucket < ends_at:
        bucket_end = min(bucket + step, ends_at)
        while index < len(events) and events[index][0] <= bucket:
            used += events[index][1]
            index += 1
        peak = used
        probe = index
        running = used
        while probe < len(events) and events[probe][0] < bucket_end:
            running += events[probe][1]
            peak = max(peak, running)
            probe += 1
        calendar.append(CalendarRow(bucket, total, total - peak))
        bucket = bucket_end
    return calendar
