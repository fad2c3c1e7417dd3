"""A workaround for a kombu bug that stops Celery workers when the Redis broker restarts (kombu 5.7.0, the newest).

What happens: the broker goes away while the worker holds unacknowledged messages (prefetched, or waiting for
their countdown). Celery's consumer first calls ``connection.collect()``, which detaches the transport from its
connection (``transport.client = None``), then ``connection.close()``. Closing the Redis channel disconnects its
pools and then restores the unacknowledged messages (``QoS.restore_unacked``), which needs a new pool, which reads
the connection's host from ``transport.client`` — ``None`` — and raises ``AttributeError: 'NoneType' object has no
attribute 'hostname'``. That is not a connection error, so Celery treats it as unrecoverable and the worker exits
(reproduced by ``tests/faults/test_broker_outage.py``).

The fix: when the channel's transport has no connection any more, ``restore_unacked`` skips the restore (logged)
instead of raising, and the consumer reconnects as designed. Nothing is lost by skipping: the messages stay in
Redis' unacked index when Redis kept its data, and ``restore_visible`` puts them back after the visibility timeout;
when Redis restarted empty they are gone either way, and the sweepers re-drive the work from the database.

Remove this module when kombu fixes ``restore_unacked`` after ``collect()`` (``tests/portal/test_kombu_fixes.py``
shows whether the bug is still there).
"""

from __future__ import annotations

import functools
from typing import Any

import structlog
from kombu.transport import redis as redis_transport

logger = structlog.get_logger(__name__)

_PATCHED = "_kontor_restore_after_collect"


def restore_unacked_after_collect(original: Any) -> Any:
    @functools.wraps(original)  # ``__wrapped__`` is kombu's own, for the test that shows the bug is still there
    def restore_unacked(self: Any, client: Any = None) -> Any:
        transport = getattr(self.channel, "connection", None)
        if client is None and (transport is None or transport.client is None):
            held = len(self._delivered)
            self._delivered.clear()
            logger.warning(
                "broker.restore_unacked_skipped",
                messages=held,
                reason="the connection was collected after a broker failure; visibility timeout and sweepers apply",
            )
            return None
        return original(self, client)

    setattr(restore_unacked, _PATCHED, True)
    return restore_unacked


def apply() -> None:
    """Patch kombu's Redis QoS once (idempotent)."""
    qos = redis_transport.QoS
    if getattr(qos.restore_unacked, _PATCHED, False):
        return
    qos.restore_unacked = restore_unacked_after_collect(qos.restore_unacked)  # type: ignore[method-assign]
