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

from collections import defaultdict
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from django.db import connection
from django.db.models import Q, QuerySet

from reservations.allocation import overlapping
from reservations.choices import NodeState
from reservations.models import Allocation, CapacityPool, Node

Interval = tuple[datetime, datetime | None]


@dataclass
class _Gaps:
    """The free stretches of every block of one size, from ``since`` on: per block, sorted ``(start, end)`` pairs
    (``end`` None = free for good)."""

    since: datetime
    per_block: list[list[tuple[datetime, datetime | None]]]

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


class PoolTimeline:
    """One pool's available nodes and live allocations from ``since`` on. Two reads, each made once and only when a
    question needs it: the allocations overlapping a window (does it fit?), and all that end after ``since``
    (from when would it fit?)."""

    def __init__(self, pool: CapacityPool, since: datetime) -> None:
        self.pool = pool
        self.since = since
        self._nodes: list[int] | None = None
        self._windows: dict[datetime | None, dict[int, set[int]]] = {}
        self._future: dict[int, list[tuple[int, int, datetime, datetime | None]]] | None = None
        self._gaps: dict[int, _Gaps] = {}

    @classmethod
    def load(cls, pool: CapacityPool, since: datetime) -> PoolTimeline:
        return cls(pool, since)

    def _allocations(self) -> QuerySet[Allocation]:
        return Allocation.objects.unscoped().filter(
            node__pool=self.pool, node__state=NodeState.AVAILABLE, released_at__isnull=True
        )

    @property
    def nodes(self) -> list[int]:
        if self._nodes is None:
            available = Node.objects.filter(pool=self.pool, state=NodeState.AVAILABLE).order_by("hostname")
            self._nodes = list(available.values_list("pk", flat=True))
        return self._nodes

    def _busy_in(self, ends_at: datetime | None) -> dict[int, set[int]]:
        """Per node, the slots some allocation holds at some moment of ``[since, ends_at)``."""
        if ends_at not in self._windows:
            busy: dict[int, set[int]] = defaultdict(set)
            rows = self._allocations().filter(overlapping(self.since, ends_at))
            for node_id, first, count in rows.values_list("node_id", "gpu_first", "gpu_count"):
                busy[node_id].update(range(first, first + count))
            self._windows[ends_at] = busy
        return self._windows[ends_at]

    def fits(self, *, size: int, instances: int, starts_at: datetime, ends_at: datetime | None) -> bool:
        """Whether ``instances`` aligned blocks of ``size`` slots are free for the window starting at ``since``."""
        assert starts_at == self.since, "a timeline answers windows that start at its own moment"
        busy = self._busy_in(ends_at)
        per_node = self.pool.node_type.gpus_per_node
        free = 0
        for node_id in self.nodes:
            taken = busy.get(node_id)
            if not taken:
                free += per_node // size
            else:
                free += sum(
                    1 for first in range(0, per_node - size + 1, size) if taken.isdisjoint(range(first, first + size))
                )
            if free >= instances:
                return True
        return False

    def _future_rows(self) -> dict[int, list[tuple[int, int, datetime, datetime | None]]]:
        if self._future is None:
            rows = self._allocations().filter(Q(ends_at__isnull=True) | Q(ends_at__gt=self.since))
            future: dict[int, list[tuple[int, int, datetime, datetime | None]]] = defaultdict(list)
            for node_id, first, count, start, end in rows.values_list(
                "node_id", "gpu_first", "gpu_count", "starts_at", "ends_at"
            ):
                future[node_id].append((first, count, start, end))
            self._future = future
        return self._future

    def gaps(self, size: int) -> _Gaps:
        """The gaps of every aligned block of ``size`` slots, computed once per size."""
        if size not in self._gaps:
            per_node = self.pool.node_type.gpus_per_node
            future = self._future_rows()
            per_block: list[list[tuple[datetime, datetime | None]]] = []
            for node_id in self.nodes:
                touching: dict[int, list[Interval]] = defaultdict(list)
                for first, count, start, end in future.get(node_id, ()):
                    for block in range((first // size) * size, first + count, size):
                        touching[block].append((start, end))
                for block in range(0, per_node - size + 1, size):
                    per_block.append(_free_stretches(touching.get(block, []), self.since))
            self._gaps[size] = _Gaps(since=self.since, per_block=per_block)
        return self._gaps[size]

    def earliest_start(self, *, size: int, instances: int, duration: timedelta | None) -> datetime | None:
        gaps = self.gaps_in_database(size, duration) if connection.vendor == "postgresql" else self.gaps(size)
        return gaps.earliest_start(instances=instances, duration=duration)

    def gaps_in_database(self, size: int, duration: timedelta | None) -> _Gaps:
        """The gaps that matter for ``duration`` — long enough, or free for good — computed by PostgreSQL (a window
        over each block's allocations), so only those cross the wire instead of every future allocation."""
        seen: dict[tuple[int, int], list[tuple[datetime, datetime | None]]] = defaultdict(list)
        with connection.cursor() as cursor:
            cursor.execute(
                GAPS_SQL,
                {
                    "pool": self.pool.pk,
                    "size": size,
                    "since": self.since,
                    "available": NodeState.AVAILABLE,
                    "duration": duration.total_seconds() if duration is not None else None,
                },
            )
            for node_id, block, gap_start, gap_end in cursor.fetchall():
                stretches = seen[(node_id, block)]
                if gap_start is not None:  # None: held for good from some point on
                    stretches.append((_from_micros(gap_start), _from_micros(gap_end) if gap_end is not None else None))
        per_node = self.pool.node_type.gpus_per_node
        untouched: list[tuple[datetime, datetime | None]] = [(self.since, None)]
        per_block = [
            sorted(seen[(node_id, block)], key=lambda gap: gap[0]) if (node_id, block) in seen else untouched
            for node_id in self.nodes
            for block in range(0, per_node - size + 1, size)
        ]
        return _Gaps(since=self.since, per_block=per_block)


EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


def _from_micros(micros: int) -> datetime:
    return EPOCH + timedelta(microseconds=micros)


#: Per aligned block of ``size`` slots touched by a live allocation ending after ``since``: each gap before one of its
#: allocations that is at least ``duration`` long, and the final gap from its last end on (NULL start: held for good).
#: Times travel as exact integer microseconds since the epoch (cheap to load, unlike timestamps).
GAPS_SQL = """
WITH touching AS (
    SELECT a.node_id, b.block, a.starts_at, COALESCE(a.ends_at, 'infinity'::timestamptz) AS ends_at
    FROM reservations_allocation a
    JOIN reservations_node n ON n.id = a.node_id
    CROSS JOIN LATERAL generate_series(
        (a.gpu_first / %(size)s) * %(size)s, a.gpu_first + a.gpu_count - 1, %(size)s
    ) AS b(block)
    WHERE n.pool_id = %(pool)s AND n.state = %(available)s AND a.released_at IS NULL
      AND COALESCE(a.ends_at, 'infinity'::timestamptz) > %(since)s
), ordered AS (
    SELECT node_id, block, starts_at, GREATEST(%(since)s, COALESCE(max(ends_at) OVER (
        PARTITION BY node_id, block ORDER BY starts_at ROWS BETWEEN UNBOUNDED PRECEDING AND 1 PRECEDING
    ), %(since)s)) AS free_from
    FROM touching
)
SELECT node_id, block,
       (EXTRACT(EPOCH FROM free_from) * 1000000)::bigint, (EXTRACT(EPOCH FROM starts_at) * 1000000)::bigint
FROM ordered
WHERE isfinite(free_from) AND starts_at >= free_from + make_interval(secs => %(duration)s::float8)
  AND starts_at > free_from
UNION ALL
SELECT node_id, block,
       CASE WHEN isfinite(max(ends_at))
            THEN (EXTRACT(EPOCH FROM GREATEST(max(ends_at), %(since)s)) * 1000000)::bigint END,
       NULL
FROM touching GROUP BY node_id, block
"""


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
