from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.reservations.conftest import catalog, customer, make_quote, small_inventory  # noqa: F401
from tests.webhooks.receiver import Receiver


@pytest.fixture
def receiver(settings) -> Iterator[Receiver]:
    settings.KONTOR_WEBHOOKS_ALLOW_LOOPBACK = True
    # The receiver is a thread of the test's own process: on a loaded 2-core host it answered after the 2 s this
    # once was, the delivery counted as failed and was sent again (a second request with the same webhook-id, which
    # is at-least-once delivery working, not a bug). Tests about a slow receiver set their own timeout.
    settings.KONTOR_WEBHOOKS_TIMEOUT_SECONDS = 15.0
    running = Receiver().start()
    yield running
    running.stop()


@pytest.fixture
def scheduled(monkeypatch: pytest.MonkeyPatch) -> list[tuple[int, float]]:
    """Delivery tasks run in the test's process when enqueued after a commit; retries (sent with a countdown)
    are collected here instead, as (delivery ID, countdown), for the test to run when it travels in time."""
    from webhooks.tasks import deliver_task

    later: list[tuple[int, float]] = []

    def apply_here(args=None, kwargs=None, countdown=None, **options):
        if countdown is not None:
            later.append((args[0], countdown))
            return None
        return deliver_task.apply(args=args, kwargs=kwargs)

    monkeypatch.setattr(deliver_task, "apply_async", apply_here)
    return later


@pytest.fixture
def no_worker(monkeypatch: pytest.MonkeyPatch) -> list[list[int]]:
    """Delivery messages are lost: their arguments are collected here and nothing runs."""
    from webhooks.tasks import deliver_task

    lost: list[list[int]] = []
    monkeypatch.setattr(deliver_task, "apply_async", lambda args=None, **options: lost.append(list(args)))
    return lost
