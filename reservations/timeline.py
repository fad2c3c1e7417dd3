"""A capacity pool's future, read once: the busy intervals of its GPU slots, answered as free aligned blocks.

Availability asks many questions of the same pools — does the order fit, from when would it, does it fit in the other
zone or on another flavor. Each question used to re-read the pool's nodes and allocations (once per candidate start,
up to 200 times). Here one query per pool loads every live allocation that ends after the earliest moment asked
about; each question is then answered in memory.

The model is the allocator's (``reservations.allocation``): an instance of a flavor with ``g`` GPUs takes an aligned
block of ``g`` slots on one available node. Aligned blocks of one size never overlap, so an order of ``k`` instances
fits a window exactly when ``k`` blocks are free for the whole window — which is what ``place`` finds too. A block's
*gaps* are the stretches no allocation touches; a window fits a block when it lies inside one gap.

Answers are advice: the booking re-checks under the pool lock, and the database's exclusion constraint has the last
word.
"""

from __future__ import annotations

import bisect
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from django.db.models import Q

from reservations.choices import NodeState
from reservations.models import Allocation, CapacityPool, Node

Interval = tuple[datetime, datetime | None]


@dataclass
class _Gaps:
    """The free stretches of every block of one size, from ``since`` on: per block, sorted ``(start, end)`` pairs
    (``end`` None = free for good)."""

    since: datetime
    per_block: list[list[tuple[datetime, datetime | None]]]
    starts: list[list[datetime]] = field(init=False)

    def __post_init__(self) -> None:
        self.starts = [[start for start, _end in gaps] for gaps in self.per_block]

    def free_blocks(self, starts_at: datetime, ends_at: datetime | None) -> int:
        """How many blocks are free for the whole window (``starts_at`` not before ``since``)."""
        count = 0
        for gaps, starts in zip(self.per_block, self.starts, strict=True):
            index = bisect.bisect_right(starts, starts_at) - 1  # the last gap beginning at or before the start
            if index < 0:
                continue
            end = gaps[index][1]
            if end is None or (ends_at is not None and ends_at <= end and starts_at < end):
                count += 1
        return count

    def earliest_start(self, *, instances: int, duration: timedelta | None) -> datetime | None:
        """The earliest start (not before ``since``) at which ``instances`` blocks are free for ``duration`` (None:
        until released, so only blocks free for good count). A sweep over the moments windows may start."""
        events: list[tuple[datetime, int]] = []
        for gaps in self.per_block:
            for start, end in gaps:
                if end is None:
                    events.append((start, 1))
                elif duration is not None and end - start >= duration:
                    events.append((start, 1))
                    events.append((end - duration, -1))  # the last start that still fits is included
        events.sort(key=lambda event: (event[0], -event[1]))  # at one moment: count the opening ranges first
        running = 0
        for moment, delta in events:
            running += delta
            if delta > 0 and running >= instances:
                return moment
        return None


@dataclass
class PoolTimeline:
    """One pool's available nodes and the live allocations that end after ``since``, loaded by one query each."""

    pool: CapacityPool
    since: datetime
    nodes: list[int] = field(default_factory=list)
    busy: dict[int, list[tuple[int, int, datetime, datetime | None]]] = field(default_factory=dict)
    _gaps: dict[int, _Gaps] = field(default_factory=dict)

    @classmethod
    def load(cls, pool: CapacityPool, since: datetime) -> PoolTimeline:
        nodes = list(
            Node.objects.filter(pool=pool, state=NodeState.AVAILABLE).order_by("hostname").values_list("pk", flat=True)
        )
        rows = (
            Allocation.objects.unscoped()
            .filter(node__pool=pool, node__state=NodeState.AVAILABLE, released_at__isnull=True)
            .filter(Q(ends_at__isnull=True) | Q(ends_at__gt=since))
            .values_list("node_id", "gpu_first", "gpu_count", "starts_at", "ends_at")
        )
        busy: dict[int, list[tuple[int, int, datetime, datetime | None]]] = defaultdict(list)
        for node_id, first, count, start, end in rows:
            busy[node_id].append((first, count, start, end))
        return cls(pool=pool, since=since, nodes=nodes, busy=dict(busy))

    def gaps(self, size: int) -> _Gaps:
        """The gaps of every aligned block of ``size`` slots, computed once per size."""
        if size not in self._gaps:
            per_node = self.pool.node_type.gpus_per_node
            per_block: list[list[tuple[datetime, datetime | None]]] = []
            for node_id in self.nodes:
                touching: dict[int, list[Interval]] = defaultdict(list)
                for first, count, start, end in self.busy.get(node_id, ()):
                    for block in range((first // size) * size, first + count, size):
                        touching[block].append((start, end))
                for block in range(0, per_node - size + 1, size):
                    per_block.append(_free_stretches(touching.get(block, []), self.since))
            self._gaps[size] = _Gaps(since=self.since, per_block=per_block)
        return self._gaps[size]

    def fits(self, *, size: int, instances: int, starts_at: datetime, ends_at: datetime | None) -> bool:
        return self.gaps(size).free_blocks(max(starts_at, self.since), ends_at) >= instances

    def earliest_start(self, *, size: int, instances: int, duration: timedelta | None) -> datetime | None:
        return self.gaps(size).earliest_start(instances=instances, duration=duration)


def _free_stretches(intervals: list[Interval], since: datetime) -> list[tuple[datetime, datetime | None]]:
    """The complement of ``intervals`` from ``since`` on, as sorted ``(start, end)`` pairs; end None = for good."""
    stretches: list[tuple[datetime, datetime | None]] = []
    free_from: datetime | None = since
    for start, end in sorted(intervals, key=lambda interval: interval[0]):
        if free_from is None:
            break
        if start > free_from:
            stretches.append((free_from, start))
        if end is None:
            free_from = None
        elif end > free_from:
            free_from = end
    if free_from is not None:
        stretches.append((free_from, None))
    return stretches


class Timelines:
    """The timelines one availability answer needs, each pool read once (keyed by pool and earliest moment)."""

    def __init__(self) -> None:
        self._loaded: dict[tuple[int, datetime], PoolTimeline] = {}

    def get(self, pool: CapacityPool, since: datetime) -> PoolTimeline:
        key = (pool.pk, since)
        if key not in self._loaded:
            self._loaded[key] = PoolTimeline.load(pool, since)
        return self._loaded[key]
