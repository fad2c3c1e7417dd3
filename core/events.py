"""The one domain-event bus. A lower app publishes what happened; higher apps subscribe (provisioning to the
reservation lifecycle, e-mail and webhooks to everything), so no domain module imports upward.

- ``publish`` is called inside the transaction that made the change. An event carries the organization's ID, the
  ID of the object it is about and a small payload of strings and numbers, never a model instance.
- Subscribers ``during_transaction=True`` run at once, in the publishing transaction: what they write (an e-mail or
  webhook outbox row) commits or rolls back with the change. They must not talk to the outside world.
- The other subscribers run after the commit, each on its own (``robust``): one that fails is logged and never
  stops the others or undoes the change. They should only enqueue tasks.
- ``publish_many`` announces many events of one step at once (a batch of invoices finalized): a subscriber that
  registered a ``batch`` handler gets them in one call (one query for all, instead of one per event); the others
  get them one by one, as from ``publish``.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from django.db import transaction


@dataclass(frozen=True)
class Event:
    """Something that happened, named ``<subject>.<what>`` (``reservation.active``, ``budget.threshold_reached``)."""

    name: str
    organization_id: int
    subject_id: int | None = None
    data: Mapping[str, Any] = field(default_factory=dict)


Handler = Callable[[Event], None]
BatchHandler = Callable[[list[Event]], object]


@dataclass(frozen=True)
class Subscription:
    handler: Handler
    prefixes: tuple[str, ...]
    during_transaction: bool
    batch: BatchHandler | None = None  # handles several events at once, as ``handler`` would one by one

    def wants(self, event: Event) -> bool:
        return not self.prefixes or event.name.startswith(self.prefixes)


SUBSCRIPTIONS: list[Subscription] = []


def subscribe(
    *prefixes: str, during_transaction: bool = False, batch: BatchHandler | None = None
) -> Callable[[Handler], Handler]:
    """Register a handler for events whose names start with one of ``prefixes`` (all events when none given);
    ``batch``, if given, does for a list of events what the handler does for each (``publish_many``)."""

    def register(handler: Handler) -> Handler:
        SUBSCRIPTIONS.append(Subscription(handler, prefixes, during_transaction, batch))
        return handler

    return register


def unsubscribe(handler: Handler) -> None:
    SUBSCRIPTIONS[:] = [s for s in SUBSCRIPTIONS if s.handler is not handler]


def publish(
    name: str, *, organization_id: int, subject_id: int | None = None, data: Mapping[str, Any] | None = None
) -> Event:
    """Announce ``name``. In-transaction subscribers run now; the others once the transaction commits."""
    event = Event(name=name, organization_id=organization_id, subject_id=subject_id, data=dict(data or {}))
    for subscription in list(SUBSCRIPTIONS):
        if not subscription.wants(event):
            continue
        if subscription.during_transaction:
            subscription.handler(event)
        else:
            transaction.on_commit(lambda handler=subscription.handler: handler(event), robust=True)  # type: ignore[misc]
    return event


def publish_many(name: str, *, subjects: Iterable[tuple[int, int | None]]) -> list[Event]:
    """``publish`` ``name`` once per (organization ID, subject ID), in order: in-transaction subscribers run now
    (a batch handler once for all), the others once the transaction commits."""
    events = [Event(name=name, organization_id=organization, subject_id=subject) for organization, subject in subjects]
    if not events:
        return events
    for subscription in list(SUBSCRIPTIONS):
        if not subscription.wants(events[0]):
            continue
        if subscription.during_transaction:
            if subscription.batch is not None:
                subscription.batch(events)
            else:
                for event in events:
                    subscription.handler(event)
        else:
            for event in events:
                transaction.on_commit(lambda handler=subscription.handler, event=event: handler(event), robust=True)  # type: ignore[misc]
    return events
