"""Enqueueing tasks the house way: IDs only, and only once the surrounding transaction has committed.

Domain code names a task of a higher app by its registered name (``"provisioning.activate_organization"``), so it
never imports another app's ``tasks.py``; a task object of the app's own ``tasks.py`` works too.

Outboxes drained in batches (notices, e-mails) use the debounced form, ``enqueue_drain_on_commit``: however many
rows many transactions commit, one drain message is in flight at a time (a flag in the shared cache), and the drain
takes every pending row. It costs a writer one cache round trip instead of a broker publish.
"""

from __future__ import annotations

import logging
from typing import Any

from celery import Task, current_app
from django.core.cache import cache
from django.core.cache.backends.dummy import DummyCache
from django.core.cache.backends.locmem import LocMemCache
from django.db import transaction

logger = logging.getLogger(__name__)


def _resolve(task: Task[Any, Any] | str) -> Task[Any, Any]:
    if not isinstance(task, str):
        return task
    registry = current_app.tasks
    if task not in registry:
        # A web process imports task modules lazily; load every app's tasks module once, then look again.
        current_app.loader.import_default_modules()
        current_app.autodiscover_tasks(force=True)
    try:
        return registry[task]
    except KeyError:
        raise LookupError(f"No Celery task is registered as {task!r}.") from None


def enqueue_on_commit(task: Task[Any, Any] | str, *ids: int | str, **options: Any) -> None:
    """Send ``task`` (a task or its registered name) with ``ids`` after the current transaction commits; never if
    it rolls back.

    A worker that picked the task up before the commit would not see the rows it is about to load. The task is
    resolved when the message is sent, so a name that no app registers fails loudly there.
    """
    for value in ids:
        if not isinstance(value, int | str) or isinstance(value, bool):
            raise TypeError(f"Tasks take IDs, not {type(value).__name__}: pass the primary key.")
    transaction.on_commit(lambda: _resolve(task).apply_async(args=ids, **options), robust=True)


def _drain_flag_key(flag: str) -> str:
    if not flag or not flag.isascii() or any(character.isspace() for character in flag):
        raise ValueError(f"A drain flag is a non-empty ASCII name without spaces, not {flag!r}.")
    return f"kontor:drain:{flag}"


def _debounces() -> bool:
    """Whether the cache is shared by every process (Redis, the file cache), so a flag set by a web process is seen
    and cleared by the worker. A per-process cache (locmem, dummy) cannot debounce: every writer publishes."""
    return not isinstance(cache, LocMemCache | DummyCache)


def _flag_set(key: str, ttl: int) -> bool:
    """``SET key 1 NX EX ttl``: True when this call set it. Fails open: an unreachable cache answers True
    (``core.cache.FailOpenRedisCache.add``), so the caller publishes rather than lose the drain."""
    try:
        return bool(cache.add(key, 1, timeout=ttl))
    except Exception as exc:  # any other backend's outage: publish (the drain is idempotent)
        logger.warning("drain.flag_unavailable: %s not set (%s: %s)", key, type(exc).__name__, exc)
        return True


def enqueue_drain(task: Task[Any, Any] | str, *, flag: str, ttl: int, **options: Any) -> bool:
    """Publish the drain ``task`` (no arguments) unless one is queued already: only the caller that sets the cache
    flag ``flag`` (``SET NX EX ttl``) publishes. True when this call published.

    The drain calls ``drain_flag_clear(flag)`` before it reads its pending rows; that order is what makes the
    debounce lose nothing. A writer commits its row, then sets the flag (``enqueue_drain_on_commit``). If its SET
    comes after the drain's DELETE, the SET succeeds and the writer publishes a new drain, which reads the row. If
    its SET comes before the DELETE, the flag was set, so nothing is published, but the row was committed before
    the SET, hence before the DELETE, hence before the drain's read (a new snapshot, READ COMMITTED), which sees
    it. So every committed row is read by a drain that starts after the commit, or the flag was set by a writer
    that did not get to publish (it died, the broker refused) or the message was lost: the flag then expires after
    ``ttl`` seconds and the next writer publishes, and the sweepers re-drive rows left over without waiting for
    one. With the cache down every writer publishes (fail open).
    """
    key = _drain_flag_key(flag)
    if ttl < 1:
        raise ValueError(f"A drain flag needs a TTL of at least one second, not {ttl!r}.")
    debounced = _debounces()
    if debounced and not _flag_set(key, ttl):
        return False
    try:
        _resolve(task).apply_async(**options)
    except Exception:
        if debounced:  # no drain is queued after all: let the next writer publish rather than wait for the TTL
            drain_flag_clear(flag)
        raise
    return True


def enqueue_drain_on_commit(task: Task[Any, Any] | str, *, flag: str, ttl: int, **options: Any) -> None:
    """``enqueue_drain`` once the current transaction commits (never if it rolls back): the debounced enqueue of a
    drain task that takes the rows the transaction wrote together with everyone else's.

    Each call costs one cache round trip after the commit (a second call in the same transaction finds the flag
    set and publishes nothing)."""
    _drain_flag_key(flag)  # a bad name fails here, in the writer's transaction, not after its commit

    def publish_drain() -> None:
        enqueue_drain(task, flag=flag, ttl=ttl, **options)

    transaction.on_commit(publish_drain, robust=True)


def drain_flag_clear(flag: str) -> None:
    """Delete the drain's flag: the first thing a drain does, before it reads its pending rows (see
    ``enqueue_drain``). A cache that is down is logged and skipped: the flag then expires on its own."""
    key = _drain_flag_key(flag)
    if not _debounces():
        return
    try:
        cache.delete(key)
    except Exception as exc:
        logger.warning("drain.flag_unavailable: %s not cleared (%s: %s)", key, type(exc).__name__, exc)
