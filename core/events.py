"""The one domain-event bus. A lower app publishes what happened; higher apps subscribe (provisioning to the
reservation lifecycle, e-mail and webhooks to everything), so no domain module imports upward.

- ``publish`` is called inside the transaction that made the change. An event carries the organization's ID, the
  ID of the object it is about and a small payload of strings and numbers, never a model instance.
- Subscribers ``during_transaction=True`` run at once, in the publishing transaction: what they write (an e-mail or
  webhook outbox row) commits or rolls back with the change. They must not talk to the outside world.
- The other subscribers run after the commit, each on its own (``robust``): one that fails is logged and never
  stops the others or undoes the change. They should only enqueue tasks.
- ``publish_many`` announces many events of one step at once (a batch of invoices finalized): a subscriber that
  registered a ``batch`` handler gets them in one call (one query for all, instead of one per event; after the
  commit, one task message for several); the others get them one by one, as from ``publish``.
- ``publish_early`` announces the events of a step before its last write (a booking's, before it takes the pool
  lock), so that what the subscribers write is not written while a lock is held. It only does when every
  in-transaction subscriber that wants them may have them early: one that only records that they happened (by ID:
  the e-mail notice row) declares ``early=True``; one that reads the subject as it is (webhook payloads) declares
  ``writes_for``, its answer (at most one query) whether it would write anything for them, and is skipped when it
  would not. Otherwise nothing is published and the caller publishes each event at its moment.
- An ``early`` subscriber may also declare ``early_write``: its write for the events as one statement and what to do
  with the statement's rows (queue a task on commit). A caller that sends statements with its own in one round trip
  (a booking, with its allocation insert) passes ``writes`` to ``publish_early`` and gets those statements instead
  of the subscriber's write; it must run each in the same transaction and hand it its rows.
- A subscriber with ``writes_for`` may also declare ``read_ahead``: the read its answer needs, for the events of one
  organization, as one statement, and the answer from that statement's rows. A caller that sends statements in a
  round trip of its own anyway (a booking, with its organization's lock) sends ``early_reads(organization)``'s and
  hands them to ``publish_early(read=...)``, which then asks no query of that subscriber.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from django.db import transaction

from core.statements import Statement


@dataclass(frozen=True)
class Event:
    """Something that happened, named ``<subject>.<what>`` (``reservation.active``, ``budget.threshold_reached``)."""

    name: str
    organization_id: int
    subject_id: int | None = None
    data: Mapping[str, Any] = field(default_factory=dict)


Handler = Callable[[Event], None]
Rows = list[tuple[Any, ...]]
BatchHandler = Callable[[list[Event]], object]


@dataclass(frozen=True)
class EarlyWrite:
    """An early subscriber's write for some events as one statement, for the caller to run, and what it does with
    the statement's rows once it ran (in the same transaction)."""

    statement: Statement
    after: Callable[[list[tuple[Any, ...]]], None]


@dataclass(frozen=True)
class ReadAhead:
    """A subscriber's ``writes_for`` read for the events of one organization, as a statement for the caller to send
    with its own (``statement(organization_id)``), and its answer from that statement's rows (``writes_for(events,
    rows)``: whether it would write anything for those events)."""

    statement: Callable[[int], Statement]
    writes_for: Callable[[list[Event], Rows], bool]


@dataclass(frozen=True)
class Subscription:
    handler: Handler
    prefixes: tuple[str, ...]
    during_transaction: bool
    batch: BatchHandler | None = None  # handles several events at once, as ``handler`` would one by one
    early: bool = False  # may get events before their change is complete (it records only that they happened)
    writes_for: Callable[[list[Event]], bool] | None = None  # would it write anything for these events?
    early_write: Callable[[list[Event]], EarlyWrite | None] | None = None  # its early write as a statement
    read_ahead: ReadAhead | None = None  # ``writes_for``'s read as a statement, for a caller to send ahead

    def wants(self, event: Event) -> bool:
        return not self.prefixes or event.name.startswith(self.prefixes)


SUBSCRIPTIONS: list[Subscription] = []


def subscribe(
    *prefixes: str,
    during_transaction: bool = False,
    batch: BatchHandler | None = None,
    early: bool = False,
    writes_for: Callable[[list[Event]], bool] | None = None,
    early_write: Callable[[list[Event]], EarlyWrite | None] | None = None,
    read_ahead: ReadAhead | None = None,
) -> Callable[[Handler], Handler]:
    """Register a handler for events whose names start with one of ``prefixes`` (all events when none given);
    ``batch``, if given, does for a list of events what the handler does for each (``publish_many``). ``early`` and
    ``writes_for`` say whether an in-transaction handler may get events from ``publish_early``; ``early_write``
    (with ``early``) is what the handler writes for them as a statement (None: nothing); ``read_ahead`` (with
    ``writes_for``) is that question's read as a statement for a caller to send ahead."""

    def register(handler: Handler) -> Handler:
        SUBSCRIPTIONS.append(
            Subscription(handler, prefixes, during_transaction, batch, early, writes_for, early_write, read_ahead)
        )
        return handler

    return register


def unsubscribe(handler: Handler) -> None:
    SUBSCRIPTIONS[:] = [s for s in SUBSCRIPTIONS if s.handler is not handler]


def _deliver(subscription: Subscription, events: list[Event], *, batched: bool) -> None:
    """Hand ``events`` to one subscription that wants them: in-transaction ones now, the others once the transaction
    commits, each subscription on its own (``robust``); its batch handler once for all when ``batched`` and it has
    one, else the handler per event (after the commit: each event on its own)."""
    if not subscription.during_transaction:
        if batched and subscription.batch is not None:
            batch = subscription.batch
            transaction.on_commit(lambda: batch(events), robust=True)
            return
        for event in events:
            transaction.on_commit(lambda handler=subscription.handler, event=event: handler(event), robust=True)  # type: ignore[misc]
    elif batched and subscription.batch is not None:
        subscription.batch(events)
    else:
        for event in events:
            subscription.handler(event)


def publish(
    name: str, *, organization_id: int, subject_id: int | None = None, data: Mapping[str, Any] | None = None
) -> Event:
    """Announce ``name``. In-transaction subscribers run now; the others once the transaction commits."""
    event = Event(name=name, organization_id=organization_id, subject_id=subject_id, data=dict(data or {}))
    for subscription in list(SUBSCRIPTIONS):
        if subscription.wants(event):
            _deliver(subscription, [event], batched=False)
    return event


def publish_many(name: str, *, subjects: Iterable[tuple[int, int | None]]) -> list[Event]:
    """``publish`` ``name`` once per (organization ID, subject ID), in order: in-transaction subscribers run now,
    the others once the transaction commits; a batch handler once for all (after the commit too: provisioning
    sends one message for several reservations that start together)."""
    events = [Event(name=name, organization_id=organization, subject_id=subject) for organization, subject in subjects]
    if not events:
        return events
    for subscription in list(SUBSCRIPTIONS):
        if subscription.wants(events[0]):
            _deliver(subscription, events, batched=True)
    return events


@dataclass
class EarlyReads:
    """The reads ahead (``ReadAhead``) of ``publish_early``'s questions for the events of one organization: the
    statements to send (``statements``), then their rows, in order, handed back with ``answered``."""

    organization_id: int
    subscriptions: list[Subscription]
    statements: list[Statement]
    rows: dict[Subscription, Rows] = field(default_factory=dict)

    def answered(self, results: list[Rows]) -> EarlyReads:
        """These reads with the rows of their statements (in order), for ``publish_early(read=...)``."""
        self.rows = dict(zip(self.subscriptions, results, strict=True))
        return self


def early_reads(organization_id: int, names: list[str]) -> EarlyReads:
    """The statements that answer, for events of ``organization_id`` named ``names``, the question
    ``publish_early`` asks each in-transaction subscriber of them that declares a read ahead: for a caller to send
    with its own in one round trip, in the transaction that publishes, and to hand back (``EarlyReads.answered``)
    to ``publish_early(read=...)``."""
    reads = EarlyReads(organization_id, [], [])
    for subscription in SUBSCRIPTIONS:
        if (
            subscription.during_transaction
            and not subscription.early
            and subscription.read_ahead is not None
            and any(subscription.wants(Event(name=name, organization_id=organization_id)) for name in names)
        ):
            reads.subscriptions.append(subscription)
            reads.statements.append(subscription.read_ahead.statement(organization_id))
    return reads


def _writes_for(subscription: Subscription, wanted: list[Event], read: EarlyReads | None) -> bool:
    """Whether ``subscription`` would write anything for ``wanted``: from the rows read ahead for it when there are
    some for these events' organization, else its own question."""
    if (
        read is not None
        and subscription.read_ahead is not None
        and subscription in read.rows
        and all(event.organization_id == read.organization_id for event in wanted)
    ):
        return subscription.read_ahead.writes_for(wanted, read.rows[subscription])
    return subscription.writes_for is None or subscription.writes_for(wanted)


def publish_early(
    events: list[Event], *, writes: list[EarlyWrite] | None = None, read: EarlyReads | None = None
) -> bool:
    """Announce ``events`` (in order) before the last write of their change, which the caller makes later in the
    same transaction, or rolls the events back with it: True, and every subscriber got them as from ``publish``
    (a batch handler once for all) but those whose ``writes_for`` said they would write nothing; or False, and
    nothing was published, because an in-transaction subscriber must see the change complete (it is neither
    ``early`` nor sure to write nothing): the caller publishes each event at its moment instead.

    With ``writes`` (a list), a subscriber that declares ``early_write`` is not run: its write is appended there,
    for the caller to run in the same transaction (before anything it may roll back with the events) and to hand
    its rows to; the caller writes nothing before it runs them, so an in-transaction subscriber without
    ``early_write`` makes the answer False as well (nothing published). With ``read`` (``early_reads``, answered),
    a subscriber whose read ahead is there answers from its rows instead of its own query."""
    ready: list[tuple[Subscription, list[Event]]] = []
    for subscription in list(SUBSCRIPTIONS):
        wanted = [event for event in events if subscription.wants(event)]
        if not wanted:
            continue
        if subscription.during_transaction and not subscription.early:
            if _writes_for(subscription, wanted, read):
                return False
            continue  # it would write nothing for them
        if subscription.during_transaction and writes is not None and subscription.early_write is None:
            return False
        ready.append((subscription, wanted))
    for subscription, wanted in ready:
        if writes is not None and subscription.early_write is not None:
            write = subscription.early_write(wanted)
            if write is not None:
                writes.append(write)
            continue
        _deliver(subscription, wanted, batched=True)
    return True
