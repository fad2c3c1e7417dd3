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


# --- PostgreSQL: a pool's busy stretches kept in memory, brought up to date from the change log --------------------
#
# Reading a busy pool's future is tens of thousands of rows (a pool of 400 nodes holds 50,000 week-long bookings);
# answering fits / earliest start / alternatives from it is a few thousand bisections. So each process keeps, per
# pool, its available nodes and every live allocation on them, merged into busy stretches per aligned block, and
# before each answer asks the change log (migration 0010: one row per statement that wrote a pool's allocations,
# nodes or pool row) whether anything the read saw has changed since: a few index rows instead of the pool. When the
# only changes are to allocations (bookings, releases, deletes: migration 0012 logs their ids), one more statement
# fetches just those rows as they are now and they are applied to a copy of the read (``PoolBusy.updated``); any
# other change (a node, the pool row, a TRUNCATE, more than ``INCREMENTAL_MAX`` allocations) reads the pool again.
# Either way the answers are the same as from a fresh read — see ``_BusyCache.current`` for why.

#: Open ends ("until released") as a moment after every real one.
FOREVER = 2**62

#: More changed allocations than this since a pool's read, and the pool is read again rather than patched.
INCREMENTAL_MAX = 5000

#: The statement's snapshot as text, with the statement's own transaction id (if it has one, below the snapshot's
#: xmax: from xmax on every id counts as in progress anyway) among the ones in progress: PostgreSQL leaves a
#: transaction's own id out of its snapshots, yet a read kept under this snapshot must count that transaction's
#: later writes, once committed, as changes it has not seen.
_SNAPSHOT = """(
    SELECT pg_snapshot_xmin(s)::text || ':' || pg_snapshot_xmax(s)::text || ':' || COALESCE((
        SELECT string_agg(x::text, ',' ORDER BY x)
        FROM (SELECT pg_snapshot_xip(s) UNION SELECT pg_current_xact_id_if_assigned()) AS xs(x)
        WHERE x < pg_snapshot_xmax(s)
    ), '')
    FROM pg_current_snapshot() AS s
)"""

#: Whether the statement's own transaction has written rows of the pool (``{pool}``): then a read sees them and may
#: not be shared, as they may yet be rolled back.
_OWN_CHANGES = """EXISTS (
    SELECT 1 FROM reservations_pool_change own
    WHERE own.pool_id IN ({pool}, 0) AND own.xid = pg_current_xact_id_if_assigned()
)"""

_LOAD_SQL = f"""
SELECT 0, NULL::bigint, NULL::bigint, NULL::int, NULL::int, NULL::bigint, NULL::bigint,
       {_SNAPSHOT}, NOT {_OWN_CHANGES.format(pool="%(pool)s")}
UNION ALL
SELECT 1, NULL, n.id, (row_number() OVER (ORDER BY n.hostname))::int, NULL, NULL, NULL, NULL, NULL
FROM reservations_node n WHERE n.pool_id = %(pool)s AND n.state = %(available)s
UNION ALL
SELECT 2, a.id, a.node_id, a.gpu_first, a.gpu_count,
       (EXTRACT(EPOCH FROM a.starts_at) * 1000000)::bigint, (EXTRACT(EPOCH FROM a.ends_at) * 1000000)::bigint,
       NULL, NULL
FROM reservations_allocation a JOIN reservations_node n ON n.id = a.node_id
WHERE n.pool_id = %(pool)s AND n.state = %(available)s AND a.released_at IS NULL
"""  # noqa: S608 (constant fragments; every value is a bound parameter)

#: Of the cached pools (each with the snapshot its read was taken under), those a change has since been committed to,
#: each with whether it can be patched (only allocation writes, at most ``INCREMENTAL_MAX`` of them).
_CHANGED_SQL = """
SELECT s.pool, bool_and(c.allocations IS NOT NULL) AND sum(cardinality(c.allocations)) <= %(limit)s
FROM unnest(%(pools)s::bigint[], %(snapshots)s::text[]) AS s(pool, snapshot)
JOIN reservations_pool_change c
  ON c.pool_id IN (s.pool, 0) AND c.xid >= pg_snapshot_xmin(s.snapshot::pg_snapshot)
 AND NOT pg_visible_in_snapshot(c.xid, s.snapshot::pg_snapshot)
GROUP BY s.pool
"""

#: For changed pools (each with its read's snapshot), in one statement: this statement's snapshot (row 0); the pools
#: to read again, changed otherwise than by allocation writes or by too many of them (rows 1); for every other pool
#: each allocation written since as this statement sees it (rows 2: the node and slots and window when it is live on
#: an available node of that pool, NULLs when it is not — released, deleted or moved away); and the pools among
#: them that this statement's own transaction has written (rows 3: the patched read may not be shared).
_DELTA_SQL = f"""
WITH cached AS (
    SELECT s.pool, s.snapshot::pg_snapshot AS snapshot
    FROM unnest(%(pools)s::bigint[], %(snapshots)s::text[]) AS s(pool, snapshot)
), changes AS (
    SELECT cached.pool, c.allocations, c.xid
    FROM cached JOIN reservations_pool_change c
      ON c.pool_id IN (cached.pool, 0) AND c.xid >= pg_snapshot_xmin(cached.snapshot)
     AND NOT pg_visible_in_snapshot(c.xid, cached.snapshot)
), ids AS (
    SELECT DISTINCT changes.pool, changed.id FROM changes CROSS JOIN unnest(changes.allocations) AS changed(id)
), whole AS (
    SELECT pool FROM changes WHERE allocations IS NULL
    UNION
    SELECT pool FROM ids GROUP BY pool HAVING count(*) > %(limit)s
)
SELECT 0, NULL::bigint, NULL::bigint, NULL::bigint, NULL::int, NULL::int, NULL::bigint, NULL::bigint, {_SNAPSHOT}
UNION ALL
SELECT 1, whole.pool, NULL, NULL, NULL, NULL, NULL, NULL, NULL FROM whole
UNION ALL
SELECT 2, ids.pool, ids.id, a.node_id, a.gpu_first, a.gpu_count,
       (EXTRACT(EPOCH FROM a.starts_at) * 1000000)::bigint, (EXTRACT(EPOCH FROM a.ends_at) * 1000000)::bigint, NULL
FROM ids
LEFT JOIN reservations_allocation a
  ON a.id = ids.id AND a.released_at IS NULL
 AND EXISTS (
     SELECT 1 FROM reservations_node n WHERE n.id = a.node_id AND n.pool_id = ids.pool AND n.state = %(available)s
 )
WHERE ids.pool NOT IN (SELECT pool FROM whole)
UNION ALL
SELECT 3, changes.pool, NULL, NULL, NULL, NULL, NULL, NULL, NULL
FROM changes WHERE changes.xid = pg_current_xact_id_if_assigned() GROUP BY changes.pool
"""  # noqa: S608 (constant fragments; every value is a bound parameter)


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


#: A live allocation as ``PoolBusy`` keeps it: node, first slot, slots, start and end (microseconds; FOREVER: open).
Placed = tuple[int, int, int, int, int]
#: A block's merged busy stretches (starts, ends): the key under which blocks booked alike are counted together.
BlockKey = tuple[tuple[int, ...], tuple[int, ...]]


@dataclass
class _BlockGroups:
    """The aligned blocks of one size: each block's (``(node, first slot)``) busy stretches, and how many blocks
    have each."""

    keys: dict[tuple[int, int], BlockKey]
    alike: dict[BlockKey, int]
    listed: list[tuple[tuple[int, ...], tuple[int, ...], int]] | None = None


class PoolBusy:
    """One pool's available nodes (by hostname) and their live allocations, as busy stretches per aligned block of
    each size asked about. Immutable once built; shared by the answers of one process while it is current.
    ``updated`` builds the next one from a few changed allocations, sharing what they do not touch."""

    def __init__(self, per_node: int, nodes: list[int], allocations: dict[int, Placed]) -> None:
        on_slot: dict[tuple[int, int], dict[int, tuple[int, int]]] = defaultdict(dict)
        for allocation_id, (node_id, first, count, start, end) in allocations.items():
            for slot in range(first, first + count):
                on_slot[(node_id, slot)][allocation_id] = (start, end)
        self.per_node = per_node
        self.nodes = nodes
        self._allocations = allocations
        self._on_slot = dict(on_slot)
        self._slots = {key: _merged(list(held.values())) for key, held in self._on_slot.items()}
        self._blocks: dict[int, _BlockGroups] = {}

    @classmethod
    def read(cls, pool: CapacityPool) -> tuple[PoolBusy, str, bool]:
        """The pool as one statement sees it, that statement's snapshot (``_SNAPSHOT``), and whether the read may be
        shared (not when the reading transaction has written rows of the pool: they may yet be rolled back)."""
        with connection.cursor() as cursor:
            cursor.execute(_LOAD_SQL, {"pool": pool.pk, "available": NodeState.AVAILABLE})
            rows = cursor.fetchall()
        snapshot, shareable = "", False
        ranked: list[tuple[int, int]] = []
        allocations: dict[int, Placed] = {}
        for kind, allocation_id, node_id, first, count, start, end, meta_snapshot, meta_shareable in rows:
            if kind == 0:
                snapshot, shareable = meta_snapshot, meta_shareable
            elif kind == 1:
                ranked.append((first, node_id))
            else:
                allocations[allocation_id] = (node_id, first, count, start, FOREVER if end is None else end)
        nodes = [node_id for _rank, node_id in sorted(ranked)]
        return cls(pool.node_type.gpus_per_node, nodes, allocations), snapshot, shareable

    def updated(self, changes: dict[int, Placed | None]) -> PoolBusy | None:
        """This pool after the given allocations changed (each as it is now; None: no longer live here), without
        touching this one: the same busy stretches and block groups a read would build, recomputed only for the
        slots and blocks the changes touch. None if a change names a node this read does not hold (then the pool
        must be read again)."""
        available = set(self.nodes)
        if any(place is not None and place[0] not in available for place in changes.values()):
            return None
        allocations = dict(self._allocations)
        on_slot = dict(self._on_slot)
        copied: set[tuple[int, int]] = set()

        def held(key: tuple[int, int]) -> dict[int, tuple[int, int]]:
            if key not in copied:
                on_slot[key] = dict(on_slot.get(key, {}))
                copied.add(key)
            return on_slot[key]

        for allocation_id, place in changes.items():
            old = allocations.pop(allocation_id, None)
            if old is not None:
                node_id, first, count, _start, _end = old
                for slot in range(first, first + count):
                    held((node_id, slot)).pop(allocation_id, None)
            if place is not None:
                allocations[allocation_id] = place
                node_id, first, count, start, end = place
                for slot in range(first, first + count):
                    held((node_id, slot))[allocation_id] = (start, end)
        slots = dict(self._slots)
        for key in copied:
            if on_slot[key]:
                slots[key] = _merged(list(on_slot[key].values()))
            else:
                del on_slot[key]
                slots.pop(key, None)
        after = PoolBusy.__new__(PoolBusy)
        after.per_node, after.nodes = self.per_node, self.nodes
        after._allocations, after._on_slot, after._slots, after._blocks = allocations, on_slot, slots, {}
        for size, groups in list(self._blocks.items()):  # another thread may add a size meanwhile
            keys, alike = dict(groups.keys), dict(groups.alike)
            for block in {(node_id, slot - slot % size) for node_id, slot in copied}:
                if block not in keys:  # slots past the node's last whole block of this size
                    continue
                before, now = keys[block], after._block_key(block[0], block[1], size)
                if before != now:
                    alike[before] -= 1
                    if not alike[before]:
                        del alike[before]
                    alike[now] = alike.get(now, 0) + 1
                    keys[block] = now
            after._blocks[size] = _BlockGroups(keys, alike)
        return after

    def _block_key(self, node_id: int, first: int, size: int) -> BlockKey:
        busy = [
            stretches
            for slot in range(first, first + size)
            if (stretches := self._slots.get((node_id, slot))) is not None
        ]
        if len(busy) > 1:
            busy = [_merged([pair for starts, ends in busy for pair in zip(starts, ends, strict=True)])]
        starts, ends = busy[0] if busy else ([], [])
        return tuple(starts), tuple(ends)

    def blocks(self, size: int) -> list[tuple[tuple[int, ...], tuple[int, ...], int]]:
        """The aligned blocks of ``size`` slots, grouped by their merged busy stretches: ``(starts, ends, how many
        blocks)`` — blocks booked alike (a bare-metal order, a row of week-long ones) are answered once."""
        groups = self._blocks.get(size)
        if groups is None:
            keys = {
                (node_id, first): self._block_key(node_id, first, size)
                for node_id in self.nodes
                for first in range(0, self.per_node - size + 1, size)
            }
            alike: dict[BlockKey, int] = defaultdict(int)
            for key in keys.values():
                alike[key] += 1
            groups = self._blocks[size] = _BlockGroups(keys, dict(alike))
        if groups.listed is None:
            groups.listed = [(starts, ends, count) for (starts, ends), count in groups.alike.items()]
        return groups.listed

    def fits(self, *, size: int, instances: int, starts_at: datetime, ends_at: datetime | None) -> bool:
        """Whether ``instances`` aligned blocks of ``size`` slots are free for the whole window (an empty window
        overlaps nothing)."""
        if ends_at is not None and ends_at <= starts_at:
            return len(self.nodes) * (self.per_node // size) >= instances
        return self.free_blocks(size=size, starts_at=starts_at, ends_at=ends_at, enough=instances) >= instances

    def free_blocks(
        self, *, size: int, starts_at: datetime, ends_at: datetime | None, enough: int | None = None
    ) -> int:
        """How many aligned blocks of ``size`` slots are free for the whole window (``allocation.FREE_BLOCKS``'s
        count for this pool); counting stops once ``enough`` are found."""
        start = to_micros(starts_at)
        end = FOREVER if ends_at is None else to_micros(ends_at)
        free = 0
        for starts, ends, count in self.blocks(size):
            index = bisect_right(ends, start)  # the first stretch ending after the window's start
            if index == len(ends) or starts[index] >= end:
                free += count
                if enough is not None and free >= enough:
                    break
        return free

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


#: A process keeps a pool's read at most this long after the snapshot it is current for (then reads it again), so
#: the change log need only keep what is younger than ``POOL_CHANGE_KEEP``: a change committed after a kept read's
#: snapshot was written less than ``BUSY_READ_MAX_AGE`` plus its transaction's remaining time ago (a pool-writing
#: transaction commits in seconds). A read brought up to date counts from the statement that did it.
BUSY_READ_MAX_AGE = timedelta(minutes=10)
POOL_CHANGE_KEEP = timedelta(hours=1)


class _BusyCache:
    """Per process: each pool's last shareable read (or patch) with the snapshot it is current for and when that
    snapshot was taken (monotonic clock). ``current`` brings the kept reads up to date for one answer. A read is
    shareable unless its transaction has written rows of the pool; one taken inside a transaction that has written
    other rows is kept with that transaction among the snapshot's ones in progress (``_SNAPSHOT``)."""

    def __init__(self) -> None:
        self._reads: dict[int, tuple[PoolBusy, str]] = {}
        self._read_at: dict[int, float] = {}

    def current(self, pools: list[int] | None = None) -> dict[int, PoolBusy]:
        """Every kept pool (of ``pools``, when given) as a read now would see it, or left out (then ``get`` reads
        it): no statement when none is kept, one when nothing changed, two when only allocations did.

        Why a kept read ``R`` (snapshot ``S``) patched with the delta equals a read under the delta statement's
        snapshot ``S'``: a row looks different under ``S'`` than under ``S`` only if a transaction visible to ``S'``
        but not to ``S`` wrote it, and each such statement logged the pool with its transaction id — committed (or
        rolled back) together with the write, so the log rows ``S'`` sees and ``S`` did not are exactly those
        transactions' (as ``_CHANGED_SQL`` asks). When all of them are allocation writes with their ids, the nodes
        and the pool row are as ``S`` saw them, every other allocation too, and the listed ones are fetched under
        ``S'`` itself: released, deleted or moved off the pool's available nodes ones drop out, the rest are
        placed where they are now. Reads older than ``BUSY_READ_MAX_AGE`` are dropped first."""
        expired = time.monotonic() - BUSY_READ_MAX_AGE.total_seconds()
        for pool_id in [pool_id for pool_id, read_at in self._read_at.items() if read_at < expired]:
            self._forget(pool_id)
        reads = dict(self._reads)
        if pools is not None:
            reads = {pool_id: reads[pool_id] for pool_id in pools if pool_id in reads}
        if not reads:
            return {}
        with connection.cursor() as cursor:
            cursor.execute(
                _CHANGED_SQL,
                {
                    "pools": list(reads),
                    "snapshots": [snapshot for _busy, snapshot in reads.values()],
                    "limit": INCREMENTAL_MAX,
                },
            )
            changed = dict(cursor.fetchall())
        now = {pool_id: busy for pool_id, (busy, _snapshot) in reads.items() if pool_id not in changed}
        for pool_id in [pool_id for pool_id, patchable in changed.items() if not patchable]:
            self._forget(pool_id)
        patchable = {pool_id: reads[pool_id] for pool_id, patchable in changed.items() if patchable}
        if patchable:
            now.update(self._brought_up_to_date(patchable))
        return now

    def _brought_up_to_date(self, reads: dict[int, tuple[PoolBusy, str]]) -> dict[int, PoolBusy]:
        """The changed pools that a delta can bring up to date, each patched; kept when the delta's snapshot may be
        shared, forgotten when the pool must be read again."""
        read_at = time.monotonic()
        with connection.cursor() as cursor:
            cursor.execute(
                _DELTA_SQL,
                {
                    "pools": list(reads),
                    "snapshots": [snapshot for _busy, snapshot in reads.values()],
                    "limit": INCREMENTAL_MAX,
                    "available": NodeState.AVAILABLE,
                },
            )
            rows = cursor.fetchall()
        snapshot = ""
        whole: set[int] = set()
        own: set[int] = set()
        changes: dict[int, dict[int, Placed | None]] = defaultdict(dict)
        for kind, pool_id, allocation_id, node_id, first, count, start, end, meta_snapshot in rows:
            if kind == 0:
                snapshot = meta_snapshot
            elif kind == 1:
                whole.add(pool_id)
            elif kind == 3:
                own.add(pool_id)
            elif node_id is None:
                changes[pool_id][allocation_id] = None
            else:
                changes[pool_id][allocation_id] = (node_id, first, count, start, FOREVER if end is None else end)
        patched: dict[int, PoolBusy] = {}
        for pool_id, (busy, _snapshot) in reads.items():
            # A pool without any change under the later snapshot cannot be: the log only grows within its keep.
            after = None if pool_id in whole or pool_id not in changes else busy.updated(changes[pool_id])
            if after is None:
                self._forget(pool_id)
                continue
            patched[pool_id] = after
            if pool_id not in own:
                self._reads[pool_id] = (after, snapshot)
                self._read_at[pool_id] = read_at
        return patched

    def get(self, pool: CapacityPool, current: dict[int, PoolBusy]) -> PoolBusy:
        """The pool as it is now: from ``current`` (this answer's ``current()``) when there, else read (and kept
        when the read may be shared)."""
        busy = current.get(pool.pk)
        if busy is not None and busy.per_node == pool.node_type.gpus_per_node:
            return busy
        read_at = time.monotonic()
        busy, snapshot, shareable = PoolBusy.read(pool)
        if shareable:
            self._reads[pool.pk] = (busy, snapshot)
            self._read_at[pool.pk] = read_at
        else:
            self._forget(pool.pk)
        return busy

    def _forget(self, pool_id: int) -> None:
        self._reads.pop(pool_id, None)
        self._read_at.pop(pool_id, None)

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
