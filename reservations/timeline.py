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

import time
from bisect import bisect_right
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
        return self.gaps(size).earliest_start(instances=instances, duration=duration)


EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


def _from_micros(micros: int) -> datetime:
    return EPOCH + timedelta(microseconds=micros)


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


# --- PostgreSQL: a pool's busy stretches kept in memory, checked against the change log -----------------------------
#
# Reading a busy pool's future is tens of thousands of rows (a pool of 400 nodes holds 50,000 week-long bookings);
# answering fits / earliest start / alternatives from it is a few thousand bisections. So each process keeps, per
# pool, its available nodes and every live allocation on them, merged into busy stretches per aligned block, and
# before each answer asks the change log (migration 0010: one row per statement that wrote a pool's allocations,
# nodes or pool row) whether anything the read saw has changed since: a few index rows instead of the pool. The
# answers are the same as from a fresh read — the read's snapshot saw exactly the committed changes there are now.

#: Open ends ("until released") as a moment after every real one.
FOREVER = 2**62

_LOAD_SQL = """
SELECT 0, NULL::bigint, NULL::int, NULL::int, NULL::bigint, NULL::bigint,
       pg_current_snapshot()::text, pg_current_xact_id_if_assigned() IS NULL
UNION ALL
SELECT 1, n.id, (row_number() OVER (ORDER BY n.hostname))::int, NULL, NULL, NULL, NULL, NULL
FROM reservations_node n WHERE n.pool_id = %(pool)s AND n.state = %(available)s
UNION ALL
SELECT 2, a.node_id, a.gpu_first, a.gpu_count,
       (EXTRACT(EPOCH FROM a.starts_at) * 1000000)::bigint, (EXTRACT(EPOCH FROM a.ends_at) * 1000000)::bigint,
       NULL, NULL
FROM reservations_allocation a JOIN reservations_node n ON n.id = a.node_id
WHERE n.pool_id = %(pool)s AND n.state = %(available)s AND a.released_at IS NULL
"""

#: Of the cached pools (each with the snapshot its read was taken under), those a change has since been committed to.
_CHANGED_SQL = """
SELECT s.pool FROM unnest(%(pools)s::bigint[], %(snapshots)s::text[]) AS s(pool, snapshot)
WHERE EXISTS (
    SELECT 1 FROM reservations_pool_change c
    WHERE c.pool_id IN (s.pool, 0) AND c.xid >= pg_snapshot_xmin(s.snapshot::pg_snapshot)
      AND NOT pg_visible_in_snapshot(c.xid, s.snapshot::pg_snapshot)
)
"""


def to_micros(moment: datetime) -> int:
    return (moment - EPOCH) // timedelta(microseconds=1)


def _merged(intervals: list[tuple[int, int]]) -> tuple[list[int], list[int]]:
    """Sorted, disjoint busy stretches (touching ones joined) as parallel lists of starts and ends."""
    starts: list[int] = []
    ends: list[int] = []
    for start, end in sorted(intervals):
        if ends and start <= ends[-1]:
            if end > ends[-1]:
                ends[-1] = end
        else:
            starts.append(start)
            ends.append(end)
    return starts, ends


class PoolBusy:
    """One pool's available nodes (by hostname) and their live allocations, as busy stretches per aligned block of
    each size asked about. Immutable once read; shared by the answers of one process while the pool is unchanged."""

    def __init__(self, per_node: int, nodes: list[int], slots: dict[tuple[int, int], list[tuple[int, int]]]) -> None:
        self.per_node = per_node
        self.nodes = nodes
        self._slots = {key: _merged(intervals) for key, intervals in slots.items()}
        self._blocks: dict[int, list[tuple[tuple[int, ...], tuple[int, ...], int]]] = {}

    @classmethod
    def read(cls, pool: CapacityPool) -> tuple[PoolBusy, str, bool]:
        """The pool as one statement sees it, that statement's snapshot, and whether the read may be shared (not
        when the reading transaction has written something: its own changes may yet be rolled back)."""
        with connection.cursor() as cursor:
            cursor.execute(_LOAD_SQL, {"pool": pool.pk, "available": NodeState.AVAILABLE})
            rows = cursor.fetchall()
        snapshot, shareable = "", False
        ranked: list[tuple[int, int]] = []
        slots: dict[tuple[int, int], list[tuple[int, int]]] = defaultdict(list)
        for kind, node_id, first, count, start, end, meta_snapshot, meta_shareable in rows:
            if kind == 0:
                snapshot, shareable = meta_snapshot, meta_shareable
            elif kind == 1:
                ranked.append((first, node_id))
            else:
                stretch = (start, FOREVER if end is None else end)
                for slot in range(first, first + count):
                    slots[(node_id, slot)].append(stretch)
        nodes = [node_id for _rank, node_id in sorted(ranked)]
        return cls(pool.node_type.gpus_per_node, nodes, slots), snapshot, shareable

    def blocks(self, size: int) -> list[tuple[tuple[int, ...], tuple[int, ...], int]]:
        """The aligned blocks of ``size`` slots, grouped by their merged busy stretches: ``(starts, ends, how many
        blocks)`` — blocks booked alike (a bare-metal order, a row of week-long ones) are answered once."""
        if size not in self._blocks:
            alike: dict[tuple[tuple[int, ...], tuple[int, ...]], int] = defaultdict(int)
            for node_id in self.nodes:
                for first in range(0, self.per_node - size + 1, size):
                    busy = [
                        stretches
                        for slot in range(first, first + size)
                        if (stretches := self._slots.get((node_id, slot))) is not None
                    ]
                    if len(busy) > 1:
                        busy = [_merged([pair for starts, ends in busy for pair in zip(starts, ends, strict=True)])]
                    starts, ends = busy[0] if busy else ([], [])
                    alike[(tuple(starts), tuple(ends))] += 1
            self._blocks[size] = [(starts, ends, count) for (starts, ends), count in alike.items()]
        return self._blocks[size]

    def fits(self, *, size: int, instances: int, starts_at: datetime, ends_at: datetime | None) -> bool:
        """Whether ``instances`` aligned blocks of ``size`` slots are free for the whole window (an empty window
        overlaps nothing)."""
        start = to_micros(starts_at)
        end = FOREVER if ends_at is None else to_micros(ends_at)
        if end <= start:
            return len(self.nodes) * (self.per_node // size) >= instances
        free = 0
        for starts, ends, count in self.blocks(size):
            index = bisect_right(ends, start)  # the first stretch ending after the window's start
            if index == len(ends) or starts[index] >= end:
                free += count
                if free >= instances:
                    return True
        return False

    def earliest_start(
        self, *, size: int, instances: int, since: datetime, duration: timedelta | None
    ) -> datetime | None:
        """The earliest start not before ``since`` at which ``instances`` blocks are free for ``duration`` (None:
        for good) — a sweep over each block's free stretches, as ``_Gaps.earliest_start`` (alike blocks counted
        together)."""
        start = to_micros(since)
        length = None if duration is None else duration // timedelta(microseconds=1)
        events: list[tuple[int, int]] = []
        for starts, ends, count in self.blocks(size):
            free_from = start
            for index in range(bisect_right(ends, start), len(ends)):
                begin = starts[index]
                if length is not None and begin > free_from and begin - free_from >= length:
                    events.append((free_from, count))
                    events.append((begin - length, -count))  # the last start that still fits is included
                free_from = max(free_from, ends[index])
            if free_from < FOREVER:
                events.append((free_from, count))
        events.sort(key=lambda event: (event[0], -event[1]))  # at one moment: count the opening ranges first
        running = 0
        for moment, delta in events:
            running += delta
            if delta > 0 and running >= instances:
                return _from_micros(moment)
        return None


#: A process keeps a pool's read at most this long (then reads it again), so the change log need only keep what
#: is younger than ``POOL_CHANGE_KEEP``: a change committed after a kept read was written less than
#: ``BUSY_READ_MAX_AGE`` plus its transaction's remaining time ago (a pool-writing transaction commits in seconds).
BUSY_READ_MAX_AGE = timedelta(minutes=10)
POOL_CHANGE_KEEP = timedelta(hours=1)


class _BusyCache:
    """Per process: each pool's last shareable read with its snapshot and when it was read (monotonic clock).
    ``current`` drops the pools changed since, and reads older than ``BUSY_READ_MAX_AGE``."""

    def __init__(self) -> None:
        self._reads: dict[int, tuple[PoolBusy, str]] = {}
        self._read_at: dict[int, float] = {}

    def current(self) -> None:
        expired = time.monotonic() - BUSY_READ_MAX_AGE.total_seconds()
        for pool_id in [pool_id for pool_id, read_at in self._read_at.items() if read_at < expired]:
            self._reads.pop(pool_id, None)
            self._read_at.pop(pool_id, None)
        reads = dict(self._reads)
        if not reads:
            return
        with connection.cursor() as cursor:
            cursor.execute(
                _CHANGED_SQL, {"pools": list(reads), "snapshots": [snapshot for _busy, snapshot in reads.values()]}
            )
            for (pool_id,) in cursor.fetchall():
                self._reads.pop(pool_id, None)
                self._read_at.pop(pool_id, None)

    def get(self, pool: CapacityPool) -> PoolBusy:
        cached = self._reads.get(pool.pk)
        if cached is not None and cached[0].per_node == pool.node_type.gpus_per_node:
            return cached[0]
        read_at = time.monotonic()
        busy, snapshot, shareable = PoolBusy.read(pool)
        if shareable:
            self._reads[pool.pk] = (busy, snapshot)
            self._read_at[pool.pk] = read_at
        else:
            self._reads.pop(pool.pk, None)
            self._read_at.pop(pool.pk, None)
        return busy

    def clear(self) -> None:
        self._reads.clear()
        self._read_at.clear()


BUSY_CACHE = _BusyCache()


def pool_changes_prune(*, now: datetime) -> int:
    """Delete the change-log rows written more than ``POOL_CHANGE_KEEP`` before ``now``: no process keeps a read
    old enough to need them (``BUSY_READ_MAX_AGE``). Returns the rows deleted; nothing to do off PostgreSQL."""
    if connection.vendor != "postgresql":
        return 0
    with connection.cursor() as cursor:
        cursor.execute("DELETE FROM reservations_pool_change WHERE written_at < %s", [now - POOL_CHANGE_KEEP])
        return cursor.rowcount
