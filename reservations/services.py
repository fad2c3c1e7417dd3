"""Every write of reservations: booking (never overbooked), the lifecycle, extension, quotas and maintenance."""

from __future__ import annotations

import functools
import hashlib
import json
import threading
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import DataError, IntegrityError, connection, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from catalog.models import AvailabilityZone, Quote
from core.datetimes import format_datetime
from core.events import EarlyReads, EarlyWrite, Event, early_reads, publish, publish_early, publish_many
from core.prepared import PreparedQuery
from core.statements import PreparedSQL, Statement, insert_statement, statements_execute
from reservations.allocation import (
    allocation_rows,
    allocations_insert,
    allocations_insert_statements,
    place,
    pool_lock,
    pool_lock_by_id,
)
from reservations.availability import Alternative, booking_candidates, refusal_advice
from reservations.choices import (
    HOLDING_STATES,
    NodeState,
    QuotaRequestStatus,
    ReservationKind,
    ReservationState,
)
from reservations.guards import OrderDescription
from reservations.models import Allocation, IdempotencyKey, Node, QuotaLimit, QuotaRequest, Reservation
from reservations.orders import purchase_order_reference_clean
from reservations.rules import (
    OrderReads,
    booking_order,
    extension_order,
    order_reads,
    order_reads_statements,
    order_rules_check,
    quota_limit,
)
from tenants.audit import Actor, AuditEntry, audit_record, audit_record_many, audit_statement
from tenants.idempotency import idempotency_key_validate
from tenants.models import Organization
from tenants.services import InvalidTransitionError

R = ReservationState

TRANSITIONS: dict[str, frozenset[str]] = {
    R.REQUESTED: frozenset({R.SCHEDULED, R.FAILED, R.CANCELLED}),
    R.SCHEDULED: frozenset({R.PROVISIONING, R.CANCELLED, R.FAILED, R.EXPIRED}),
    R.PROVISIONING: frozenset({R.ACTIVE, R.FAILED, R.CANCELLED, R.ENDING}),
    R.ACTIVE: frozenset({R.ENDING, R.FAILED}),
    R.ENDING: frozenset({R.ENDED, R.FAILED}),
    R.ENDED: frozenset(),
    R.CANCELLED: frozenset(),
    R.FAILED: frozenset(),
    R.EXPIRED: frozenset(),
}
RELEASING_STATES = frozenset({R.ENDED, R.CANCELLED, R.FAILED, R.EXPIRED})


class NoCapacityError(ValidationError):
    """The order does not fit (any more): carries the alternatives the caller can offer.

    ``advice`` reads them (``availability.refusal_advice``) when the caller first asks, which is after the booking's
    transaction or savepoint has ended: not while it holds the organization's row lock, which every racing order
    of the organization waits for, and not at all for a caller that never shows them."""

    def __init__(self, message: str, *, advice: Callable[[], tuple[list[Alternative], datetime | None]]) -> None:
        super().__init__(message, code="no_capacity")
        self._advice = advice
        self._advised: tuple[list[Alternative], datetime | None] | None = None

    def _advise(self) -> tuple[list[Alternative], datetime | None]:
        if self._advised is None:
            self._advised = self._advice()
        return self._advised

    @property
    def alternatives(self) -> list[Alternative]:
        return self._advise()[0]

    @property
    def earliest_start(self) -> datetime | None:
        return self._advise()[1]


@dataclass
class Booking:
    reservation: Reservation
    created: bool = True
    allocations: list[Allocation] = field(default_factory=list)


def request_fingerprint(payload: dict[str, Any]) -> str:
    return hashlib.sha256(json.dumps(payload, sort_keys=True, default=str).encode()).hexdigest()


def _locked_order(
    order: OrderDescription, *, reserve_id: bool = False, savepoint: str = "", also: Sequence[Statement] = ()
) -> tuple[OrderDescription, int | None, OrderReads | None, list[list[tuple[Any, ...]]]]:
    """Take the organization's row lock and describe the order with the row as it is now (its status may have
    changed since the caller read it). The lock makes the rule checks and the booking one step: two concurrent
    orders of one organization cannot both pass a quota or budget check and together exceed it.

    On PostgreSQL the reads of the order's rules (``order_reads_statements``: consents, quota) follow the lock in
    its round trip, each statement with its own snapshot, so they see what the lock's previous holder committed;
    ``reserve_id`` also draws the id of the reservation a booking will insert, so that its rows can be written in
    the round trip of the allocation insert (None elsewhere); ``also`` are more reads sent after the rules' (a
    booking's events' webhook endpoints, ``core.events.early_reads``), whose rows come last in the answer (empty
    elsewhere); and ``savepoint`` (an id from ``_savepoint_id``) is created last in that round trip, for the
    booking's first attempt (``_Attempt(created=...)``)."""
    # FOR NO KEY UPDATE: excludes concurrent orders like FOR UPDATE, yet lets other requests of the organization
    # insert rows that reference it (an Idempotency-Key claim) without waiting for this booking.
    if not connection.features.has_select_for_no_key_update:
        locked = Organization.objects.select_for_update(no_key=True).get(pk=order.organization.pk)
        return replace(order, organization=locked), None, None, []
    reads = order_reads_statements(order) or []
    lock: Statement = (_organization_lock(reserve_id=reserve_id), {"lock_organization": order.organization.pk})
    after: list[Statement] = [(connection.ops.savepoint_create_sql(savepoint), {})] if savepoint else []
    rows, *results = statements_execute([lock, *reads, *also, *after])
    if not rows:
        raise Organization.DoesNotExist("Organization matching query does not exist.")
    columns = len(_ORGANIZATION_FIELDS)
    locked = Organization.from_db(connection.alias, _ORGANIZATION_FIELDS, rows[0][:columns])
    return (
        replace(order, organization=locked),
        rows[0][columns] if reserve_id else None,
        order_reads(results[: len(reads)]) if reads else None,
        results[len(reads) : len(reads) + len(also)],
    )


def _savepoint_id() -> str:
    """A new savepoint id of the connection, drawn as ``BaseDatabaseWrapper.savepoint`` draws them, for a savepoint
    the caller creates itself in one of its round trips (``_locked_order``)."""
    connection.savepoint_state += 1
    return f"s{str(threading.get_ident()).replace('-', '')}_x{connection.savepoint_state}"


#: The organization's columns, in order, for the lock's row. Compiling
#: ``Organization.objects.select_for_update(no_key=True).get(pk=...)`` on every booking cost more CPU than the
#: statement (cProfile).
_ORGANIZATION_FIELDS = [field.attname for field in Organization._meta.concrete_fields]


@functools.cache
def _organization_lock(*, reserve_id: bool) -> PreparedSQL:
    """The organization's row lock; with ``reserve_id`` the row comes with the next id of the reservations'
    sequence (a gap if the booking is refused, as for any rolled-back insert). Parsed and planned once per session
    (a lookup by key; every order runs it)."""
    columns = ", ".join(connection.ops.quote_name(str(field.column)) for field in Organization._meta.concrete_fields)
    next_id = ", nextval(pg_get_serial_sequence('reservations_reservation', 'id'))" if reserve_id else ""
    return PreparedSQL(
        f"SELECT {columns}{next_id} FROM tenants_organization"  # noqa: S608 (names from _meta)
        " WHERE id = %(lock_organization)s FOR NO KEY UPDATE",
        types=None,
    )


def _idempotent_replay(*, organization: Organization, key: str, request_hash: str) -> Booking | None:
    if not key:
        return None
    existing = IdempotencyKey.objects.for_organization(organization).filter(key=key).first()
    if existing is None:
        return None
    if existing.request_hash != request_hash:
        raise ValidationError(
            _("This Idempotency-Key was used with a different request."), code="idempotency_key_reused"
        )
    return Booking(reservation=existing.reservation, created=False)


def booking_keys_expire(*, now: datetime) -> int:
    """Delete the booking form's keys older than ``KONTOR_IDEMPOTENCY_KEY_HOURS`` (the API's keys count as long).

    A form is answered in seconds, so a key that old protects nothing. Safe to run twice or concurrently."""
    cutoff = now - timedelta(hours=settings.KONTOR_IDEMPOTENCY_KEY_HOURS)
    deleted, _by_model = IdempotencyKey.objects.unscoped().filter(created_at__lte=cutoff).delete()
    return deleted


def reservation_create(
    *,
    actor: Actor,
    organization: Organization,
    quote: Quote,
    zone: AvailabilityZone | None = None,
    idempotency_key: str = "",
    request_hash: str = "",
    purchase_order_reference: str = "",
    now: datetime | None = None,
) -> Booking:
    """Book the quote's GPUs: allocate concrete slots under the pool lock and insert them; the database refuses any
    double booking. A retried request with the same ``idempotency_key`` gets the same reservation, also when both
    copies run at the same time (the key is looked up again under the organization's lock).

    ``purchase_order_reference`` is the customer's PO number for this order (``reservations.orders``): invoices
    that bill the reservation's usage carry it. ``now`` is the moment of booking (default: the clock; the demo data
    books its history back then): an on-demand reservation starts at it."""
    idempotency_key_validate(idempotency_key)
    try:
        purchase_order_reference = purchase_order_reference_clean(purchase_order_reference)
    except ValidationError as error:
        raise ValidationError({"purchase_order_reference": error.error_list}) from error
    if quote.organization_id != organization.pk:
        raise ValidationError({"quote": [_("There is no quote %(id)s.") % {"id": quote.pk}]}, code="not_found")
    replay = _idempotent_replay(organization=organization, key=idempotency_key, request_hash=request_hash)
    if replay is not None:
        return replay
    now = now or timezone.now()
    order = booking_order(organization=organization, quote=quote, now=now)
    # Only zones that fit on a read without any lock are tried: a refusal waits for no pool lock, and this read
    # waits for no organization lock either (it is advice; the allocation insert under the pool lock decides), so
    # concurrent orders of one organization queue on its row only for the rule checks and the booking itself.
    candidates = booking_candidates(
        zone=zone,
        flavor=quote.flavor,
        instances=quote.instance_count,
        kind=order.kind,
        starts_at=order.starts_at,
        ends_at=order.ends_at,
    )
    if not candidates:
        # Full everywhere on the read: the refusal needs no lock. A twin with the same key that took the last GPUs
        # committed before that read began, so its key is seen now; the rules still come first (the same answer as
        # with candidates: a quota or a budget refusal before "no capacity"), checked on the row as read.
        replay = _idempotent_replay(organization=organization, key=idempotency_key, request_hash=request_hash)
        if replay is not None:
            return replay
        order_rules_check(order)
        raise _no_capacity(quote=quote, kind=order.kind, zone=zone, starts_at=order.starts_at, ends_at=order.ends_at)
    # A booking that is its own transaction (no caller's around it) ends it in the round trip of its allocation
    # insert, so that the pool lock is released without waiting for this process again (``_book_in_one_round_trip``).
    commits = connection.vendor == "postgresql" and connection.get_autocommit() and not connection.in_atomic_block
    try:
        with transaction.atomic():
            # The first attempt's savepoint travels with the lock (later attempts, rare, create their own).
            first_attempt = _savepoint_id() if connection.features.has_select_for_no_key_update else ""
            # The webhook endpoints the booking's early events ask about travel with the lock too (read once for
            # every attempt of this transaction).
            ahead = early_reads(organization.pk, BOOKING_EVENTS) if first_attempt else None
            locked_order, reservation_id, reads, ahead_rows = _locked_order(
                order, reserve_id=True, savepoint=first_attempt, also=ahead.statements if ahead is not None else ()
            )
            if ahead is not None:
                ahead.answered(ahead_rows)
            # A concurrent retry with the same key may have booked while this one waited for the lock: look again
            # under it, so the duplicate gets its twin's reservation instead of a "no capacity" for GPUs it holds.
            replay = _idempotent_replay(organization=organization, key=idempotency_key, request_hash=request_hash)
            if replay is not None:
                return replay
            order_rules_check(locked_order, reads)  # every rule but capacity, which the allocation insert checks last
            for candidate, pool_id in candidates:
                for _attempt in range(2):  # a second try only after the exclusion constraint refused the first
                    booking = _book_in_pool(
                        actor=actor,
                        order=order,
                        quote=quote,
                        zone=candidate,
                        pool_id=pool_id,
                        idempotency_key=idempotency_key,
                        request_hash=request_hash,
                        purchase_order_reference=purchase_order_reference,
                        reservation_id=reservation_id,
                        savepoint=first_attempt,
                        read_ahead=ahead,
                        commit=commits,
                    )
                    first_attempt = ""
                    if booking is not _CONFLICT:
                        break
                if isinstance(booking, Booking):
                    return booking
    except IntegrityError as exc:
        if "reservations_idem_unique" not in str(exc):
            raise
        # A concurrent retry with the same key won the race: this copy answers with its reservation.
        return reservation_create(
            actor=actor,
            organization=organization,
            quote=quote,
            zone=zone,
            idempotency_key=idempotency_key,
            request_hash=request_hash,
            purchase_order_reference=purchase_order_reference,
            now=now,
        )
    raise _no_capacity(quote=quote, kind=order.kind, zone=zone, starts_at=order.starts_at, ends_at=order.ends_at)


def _no_capacity(
    *, quote: Quote, kind: str, zone: AvailabilityZone | None, starts_at: datetime, ends_at: datetime | None
) -> NoCapacityError:
    return NoCapacityError(
        _("These GPUs are no longer available for this window."),
        advice=lambda: refusal_advice(quote=quote, kind=kind, zone=zone, starts_at=starts_at, ends_at=ends_at),
    )


#: ``_book_in_pool``'s answer when the exclusion constraint refused the allocations (a writer without the pool lock).
_CONFLICT = object()

#: The move to scheduled of a booking's reservation saved before its allocations (SQLite), in the round trip of
#: the allocation insert: only if that inserted its allocations (the statement sees them) and it is still requested.
_SCHEDULE_SQL = """
UPDATE reservations_reservation SET state = 'scheduled', updated_at = %(schedule_at)s
WHERE id = %(schedule_id)s AND state = 'requested'
  AND EXISTS (SELECT 1 FROM reservations_allocation WHERE reservation_id = %(schedule_id)s)
"""


#: The names of a booking's domain events (``_booking_events``).
BOOKING_EVENTS = ["reservation.created", "reservation.scheduled"]


#: A booking that ends its transaction in the round trip of its allocation insert fails it when the insert found no
#: room (it inserts all of the reservation's allocations or none), so that the ``COMMIT`` after it is not run: a
#: division by zero, which nothing else in that round trip can raise (``_DIVISION_BY_ZERO``).
_BOOKED_OR_ABORT_SQL = """
SELECT 1 / count(*) FROM reservations_allocation WHERE reservation_id = %(booked_reservation)s AND released_at IS NULL
"""
_DIVISION_BY_ZERO = "22012"


def _booking_events(organization_id: int, reservation_id: int, scheduled: str) -> list[Event]:
    """The domain events of a booking, in order: ``reservation.created``, then its move to scheduled."""
    return [
        Event(name="reservation.created", organization_id=organization_id, subject_id=reservation_id),
        Event(name=scheduled, organization_id=organization_id, subject_id=reservation_id),
    ]


class _Attempt:
    """A savepoint for one booking attempt that is never released: the transaction's end releases it, so a booking
    spends no round trip on it after the pool lock. ``rollback`` undoes the attempt (and gives the pool lock back),
    with the on-commit callbacks registered since, as ``transaction.atomic`` does for its own savepoints: while the
    block runs, the savepoint's id is on the connection's stack of them (and off it again after, whatever happens,
    so an enclosing ``atomic`` finds its own there).

    ``created``: the id of a savepoint the caller created already (``_locked_order``: nothing was written since);
    else one is created here."""

    def __init__(self, *, created: str = "") -> None:
        self.created = created

    def __enter__(self) -> _Attempt:
        self.connection = transaction.get_connection()
        self.sid = self.created or transaction.savepoint()
        self.connection.savepoint_ids.append(self.sid)
        return self

    def __exit__(self, *exc_info: object) -> None:
        popped = self.connection.savepoint_ids.pop()
        assert popped == self.sid, "savepoints nested out of order"

    def rollback(self) -> None:
        transaction.savepoint_rollback(self.sid)


def _book_in_pool(
    *,
    actor: Actor,
    order: OrderDescription,
    quote: Quote,
    zone: AvailabilityZone,
    pool_id: int,
    idempotency_key: str,
    request_hash: str,
    purchase_order_reference: str,
    reservation_id: int | None,
    savepoint: str = "",
    read_ahead: EarlyReads | None = None,
    commit: bool = False,
) -> Booking | object | None:
    """One attempt to book ``order`` in one pool, under a savepoint: a full pool (None) or a conflict (``_CONFLICT``)
    leaves nothing written and gives the pool lock back.

    First, for an organization without a webhook endpoint for them (most), the domain events
    ``reservation.created`` and ``reservation.scheduled`` are published (``publish_early``: the organization's
    webhook endpoints were read with its lock, ``read_ahead``, or else are looked up once for both; the e-mail
    notice row). Then one round trip writes what does not depend on the slots — the reservation
    (already scheduled when the events went early: the attempt is undone if no allocation follows), its key and
    both audit rows (requested, scheduled; one INSERT) — and then locks the pool row, finds the best free blocks and
    inserts the allocations (``allocations_insert``); the commit follows. The reservation's id was drawn with the
    organization's lock (``reservation_id``), so nothing waits for its insert. Where an endpoint wants the events,
    they are published after the allocation insert instead, one by one, so each payload shows the allocations and
    the state it announces (``created`` while still requested, then the move to scheduled). Without an id drawn in
    advance (SQLite) the rows are saved one by one before the events. Nothing is rendered under the lock (the
    e-mail is rendered by a task)."""
    organization, flavor = order.organization, quote.flavor
    kind = ReservationKind(order.kind)
    with _Attempt(created=savepoint) as attempt:
        reservation = Reservation(
            pk=reservation_id,
            organization=organization,
            kind=kind,
            quote=quote,
            item_version_id=quote.item_version_id,
            flavor=flavor,
            instance_count=quote.instance_count,
            zone=zone,
            starts_at=order.starts_at,
            ends_at=order.ends_at,
            created_by_label=actor.label,
            purchase_order_reference=purchase_order_reference,
            created_at=order.now,
        )
        key = (
            IdempotencyKey(
                organization=organization, key=idempotency_key, request_hash=request_hash, reservation=reservation
            )
            if idempotency_key
            else None
        )
        # Both audit rows of the booking (requested, then scheduled) in one INSERT, before the pool lock: a full pool
        # rolls them back with the rest of the attempt.
        requested = AuditEntry(
            action="reservation.requested",
            target=reservation,
            organization=organization,
            data={
                "quote": quote.pk,
                "zone": zone.slug,
                "gpus": order.gpus,
                "kind": kind,
                "purchase_order_reference": purchase_order_reference,
            },
        )
        scheduled = _transition_entry(reservation, to_state=R.SCHEDULED)
        events = _booking_events(organization.pk, reservation.pk, scheduled.action)
        allocations_wanted: dict[str, Any] = {
            "pool_id": pool_id,
            "reservation_id": reservation.pk,
            "organization_id": organization.pk,
            "per_node": flavor.node_type.gpus_per_node,
            "size": flavor.gpu_count,
            "instances": quote.instance_count,
            "starts_at": order.starts_at,
            "ends_at": order.ends_at,
        }
        then: Statement | None = None
        try:
            if reservation_id is None:  # no id drawn in advance (SQLite): the rows are written now, one by one
                reservation.save(force_insert=True)
                if key is not None:
                    key.save(force_insert=True)
                audit_record_many(actor=actor, entries=[requested, scheduled])
                # The events and the allocations name the id the insert gave.
                events = _booking_events(organization.pk, reservation.pk, scheduled.action)
                allocations_wanted["reservation_id"] = reservation.pk
                early = publish_early(events)
                if early:
                    then = (_SCHEDULE_SQL, {"schedule_id": reservation.pk, "schedule_at": timezone.now()})
                rows = allocations_insert(**allocations_wanted, lock=True, then=then)
            else:
                rows, early = _book_in_one_round_trip(
                    actor, reservation, key, [requested, scheduled], events, allocations_wanted, read_ahead, commit
                )
        except IntegrityError as exc:
            if "reservations_alloc_no_double_booking" not in str(exc):
                raise
            attempt.rollback()
            return _CONFLICT
        if rows is None:
            attempt.rollback()  # also releases the pool's row lock (PostgreSQL)
            return None
        if then is not None:  # the row moved in the insert's round trip; the object follows
            reservation.state, reservation.updated_at = R.SCHEDULED, then[1]["schedule_at"]
        elif not early:
            publish("reservation.created", organization_id=organization.pk, subject_id=reservation.pk)
            # The new row is visible to no other transaction: it needs no lock to move on (its audit row is written).
            moved = _transition_apply(locked=reservation, to_state=R.SCHEDULED)
            publish(moved.action, organization_id=organization.pk, subject_id=reservation.pk)
        allocations = [
            Allocation(
                pk=pk,
                organization=organization,
                reservation=reservation,
                instance_index=index,
                node_id=node_id,
                gpu_first=gpu_first,
                gpu_count=flavor.gpu_count,
                starts_at=order.starts_at,
                ends_at=order.ends_at,
            )
            for pk, index, node_id, gpu_first in rows
        ]
        return Booking(reservation=reservation, allocations=allocations)


def _book_in_one_round_trip(
    actor: Actor,
    reservation: Reservation,
    key: IdempotencyKey | None,
    entries: list[AuditEntry],
    events: list[Event],
    allocations_wanted: dict[str, Any],
    read_ahead: EarlyReads | None = None,
    commit: bool = False,
) -> tuple[list[tuple[int, int, int, int]] | None, bool]:
    """The booking's writes in one round trip (PostgreSQL, the reservation's id drawn already): the early events'
    writes (the e-mail notice row), the reservation (scheduled when the events went early), its key and audit rows,
    the pool lock and the allocation insert (the same text every time, so psycopg converts it once). The
    allocations' rows (None: nothing fit) and whether the events went early (else the caller publishes them after
    the insert).

    With ``commit`` (the booking is its own transaction) and the events gone early — nothing is left to write
    after the insert — the round trip also ends the transaction: ``_BOOKED_OR_ABORT_SQL`` fails it when no
    allocation was inserted (the rest of the round trip is not run, and the caller rolls the attempt back to its
    savepoint, as for a full pool), then ``COMMIT``. The pool lock is then released by PostgreSQL as soon as the
    insert is done, not one more round trip of this process later. Django's own commit at the end of the block
    finds the transaction ended (psycopg sends nothing) and runs the on-commit callbacks."""
    early_writes: list[EarlyWrite] = []
    early = publish_early(events, writes=early_writes, read=read_ahead)
    if early:  # inserted as scheduled: the insert is undone with the attempt if no allocation follows it
        reservation.state = R.SCHEDULED
    statements: list[Statement] = [write.statement for write in early_writes]
    statements.append(insert_statement([reservation], prefix="r"))
    if key is not None:
        statements.append(insert_statement([key], prefix="k"))
    statements.append(audit_statement(actor=actor, entries=entries))
    statements.extend(allocations_insert_statements(**allocations_wanted, lock=True))
    inserted = len(statements) - 1
    ends = commit and early
    if ends:
        statements.append((_BOOKED_OR_ABORT_SQL, {"booked_reservation": reservation.pk}))
        statements.append(("COMMIT", {}))
    try:
        results = statements_execute(statements)
    except DataError as exc:
        if ends and getattr(exc.__cause__, "sqlstate", None) == _DIVISION_BY_ZERO:
            return None, early  # nothing fit: the transaction failed before its COMMIT
        raise
    for write, rows in zip(early_writes, results, strict=False):
        write.after(rows)
    return allocation_rows(results[inserted]), early


def _transition_entry(reservation: Reservation, *, to_state: ReservationState, reason: str = "") -> AuditEntry:
    """The audit entry of moving ``reservation`` from its state to ``to_state`` (its action is also the domain event
    to publish). Refuses what ``TRANSITIONS`` does not allow."""
    from_state = reservation.state
    if to_state not in TRANSITIONS[from_state]:
        raise InvalidTransitionError(
            _("A reservation cannot go from %(from)s to %(to)s.")
            % {"from": R(from_state).label, "to": R(to_state).label},
            code="invalid_transition",
        )
    return AuditEntry(
        action=f"reservation.{to_state}",
        target=reservation,
        organization=reservation.organization,
        data={"from": from_state, "to": str(to_state), "reason": reason},
    )


def _transition_apply(*, locked: Reservation, to_state: ReservationState, reason: str = "") -> AuditEntry:
    """Move a reservation whose row the caller holds (locked, or created in this transaction); returns its audit
    entry (``_transition_entry``), which the caller writes. Refuses what ``TRANSITIONS`` does not allow."""
    entry = _transition_entry(locked, to_state=to_state, reason=reason)
    locked.state = to_state
    locked.state_reason = reason
    locked.save(update_fields=["state", "state_reason", "updated_at"])
    if to_state in RELEASING_STATES:
        Allocation.objects.for_organization(locked.organization).filter(
            reservation=locked, released_at__isnull=True
        ).update(released_at=timezone.now())
    return entry


def _transition_locked(*, actor: Actor, locked: Reservation, to_state: ReservationState, reason: str = "") -> str:
    """``_transition_apply`` and its audit row; returns the domain event to publish.

    On PostgreSQL a move that releases nothing sends its UPDATE and its audit INSERT in one round trip
    (``core.statements``), without the ORM's compilation of the save; the embedded SQLite, which cannot insert the
    audit log's database default by keyword, and a releasing move go through ``_transition_apply``."""
    if to_state in RELEASING_STATES or connection.vendor != "postgresql":
        entry = _transition_apply(locked=locked, to_state=to_state, reason=reason)
        audit_record(actor=actor, action=entry.action, target=locked, organization=entry.organization, data=entry.data)
        return entry.action
    entry = _transition_entry(locked, to_state=to_state, reason=reason)
    locked.state, locked.state_reason, locked.updated_at = to_state, reason, timezone.now()
    statements_execute([_state_update_statement(locked), audit_statement(actor=actor, entries=[entry], prefix="audit")])
    return entry.action


@functools.cache
def _state_update_sql() -> str:
    meta = Reservation._meta
    quote = connection.ops.quote_name
    fields = {field.name: field for field in meta.concrete_fields}
    columns = {name: quote(str(fields[name].column)) for name in ("state", "state_reason", "updated_at")}
    return (
        f"UPDATE {quote(meta.db_table)} SET {columns['state']} = %(move_state)s, "  # noqa: S608 (names from _meta)
        f"{columns['state_reason']} = %(move_reason)s, {columns['updated_at']} = %(move_updated_at)s "
        f"WHERE {quote(str(meta.pk.column))} = %(move_id)s"
    )


def _state_update_statement(locked: Reservation) -> Statement:
    """The UPDATE of a locked reservation's state, reason and ``updated_at`` as ``save(update_fields=...)`` writes
    them, as a statement to send with others."""
    field = next(field for field in Reservation._meta.concrete_fields if field.name == "updated_at")
    updated_at = field.get_db_prep_save(locked.updated_at, connection)
    return _state_update_sql(), {
        "move_state": str(locked.state),
        "move_reason": locked.state_reason,
        "move_updated_at": updated_at,
        "move_id": locked.pk,
    }


#: A reservation's row lock for a transition, compiled once per process (the ORM's compilation of it was ~0.5 ms of
#: every activation).
_RESERVATION_LOCK: PreparedQuery[Reservation] = PreparedQuery(
    lambda organization, reservation: (
        Reservation.objects.unscoped().filter(organization_id=organization, pk=reservation).select_for_update()
    ),
    organization=int,
    reservation=int,
)


def reservation_transition(
    *, actor: Actor, reservation: Reservation, to_state: ReservationState, reason: str = ""
) -> Reservation:
    """Move a reservation along its lifecycle; releases its GPUs when it stops holding them. Audited, published.

    ``reservation`` comes back as the locked row was left by the move (its organization, which the lock's filter
    named, is not read again for the audit row, nor the row after the move)."""
    organization = reservation.organization
    # No savepoint inside a caller's transaction (it cost two round trips of every activation): a refusal (the row
    # gone, a move the lifecycle does not allow) is found before anything is written and raised after the block, so
    # a caller that catches it carries on in its transaction as before.
    refused: Exception | None = None
    with transaction.atomic(savepoint=False):
        found = _RESERVATION_LOCK(organization=organization.pk, reservation=reservation.pk)
        if not found:
            refused = Reservation.DoesNotExist("Reservation matching query does not exist.")
        else:
            (locked,) = found
            Reservation.organization.field.set_cached_value(locked, organization)
            try:
                event = _transition_locked(actor=actor, locked=locked, to_state=to_state, reason=reason)
            except InvalidTransitionError as error:
                refused = error
            else:
                publish(event, organization_id=locked.organization_id, subject_id=locked.pk)
    if refused is not None:
        raise refused
    for column in Reservation._meta.concrete_fields:
        setattr(reservation, column.attname, getattr(locked, column.attname))
    return reservation


def reservations_transition_locked(
    *, actor: Actor, locked: list[Reservation], to_state: ReservationState, reason: str = ""
) -> None:
    """``reservation_transition`` for many reservations whose rows the caller holds (its ``SELECT ... FOR UPDATE``
    in the current transaction, their organizations read with them): one UPDATE for all, one INSERT of their audit
    rows, the allocations of those that stop holding GPUs released in one UPDATE, and the events published together
    (``publish_many``: in-transaction subscribers with a batch handler get them in one call, the others one by one,
    as from ``publish``). Beat's ``dispatch_due`` moves up to 200 at once this way.

    Refuses the whole batch, before writing anything, if one move is not allowed (``InvalidTransitionError``). The
    rows are left as the move left them, as ``reservation_transition`` leaves its reservation."""
    if not locked:
        return
    if not transaction.get_connection().in_atomic_block:
        raise transaction.TransactionManagementError("reservations_transition_locked() needs the caller's lock.")
    entries = [_transition_entry(reservation, to_state=to_state, reason=reason) for reservation in locked]
    now = timezone.now()
    ids = [reservation.pk for reservation in locked]
    Reservation.objects.unscoped().filter(pk__in=ids).update(state=to_state, state_reason=reason, updated_at=now)
    for reservation in locked:
        reservation.state, reservation.state_reason, reservation.updated_at = to_state, reason, now
    if to_state in RELEASING_STATES:
        Allocation.objects.unscoped().filter(reservation_id__in=ids, released_at__isnull=True).update(released_at=now)
    audit_record_many(actor=actor, entries=entries)
    publish_many(
        f"reservation.{to_state}",
        subjects=[(reservation.organization_id, reservation.pk) for reservation in locked],
    )


def reservation_cancel(*, actor: Actor, reservation: Reservation) -> Reservation:
    """Cancel. Before the start it is free and the GPUs are released at once. After the start, cancelling is an
    early release: the servers are removed, an on-demand reservation stops being charged, and a reserved window
    is charged in full (the committed price) — the documented policy."""
    now = timezone.now()
    if reservation.state in (R.REQUESTED, R.SCHEDULED) or reservation.starts_at > now:
        return reservation_transition(
            actor=actor, reservation=reservation, to_state=R.CANCELLED, reason=_("cancelled before the start")
        )
    return reservation_release(actor=actor, reservation=reservation)


def reservation_release(*, actor: Actor, reservation: Reservation, now: datetime | None = None) -> Reservation:
    """End a running reservation now (or at ``now``, the demo data's history): its allocations end then, and the
    provisioning workers remove its servers."""
    if reservation.state not in (R.PROVISIONING, R.ACTIVE):
        raise InvalidTransitionError(
            _("Only a running reservation can be released (state: %(state)s).") % {"state": R(reservation.state).label},
            code="invalid_transition",
        )
    now = (now or timezone.now()).replace(microsecond=0)
    with transaction.atomic():
        live = Allocation.objects.for_organization(reservation.organization).filter(
            reservation=reservation, released_at__isnull=True
        )
        if now > reservation.starts_at:
            live.update(ends_at=now)
        else:  # released before its window began: nothing was held yet
            live.update(released_at=now)
        if reservation.kind == ReservationKind.ON_DEMAND:
            Reservation.objects.for_organization(reservation.organization).filter(pk=reservation.pk).update(
                ends_at=max(now, reservation.starts_at + timedelta(seconds=1))
            )
        return reservation_transition(
            actor=actor, reservation=reservation, to_state=R.ENDING, reason=_("released early")
        )


class ExtensionRefusedError(ValidationError):
    """The same GPUs are not free for the longer window: says until when they are."""

    def __init__(self, message: str, *, possible_until: datetime | None) -> None:
        super().__init__(message, code="extension_refused")
        self.possible_until = possible_until


def reservation_extend(*, actor: Actor, reservation: Reservation, ends_at: datetime) -> Reservation:
    """Move the end of a reserved window later: the order's rules (``reservations.rules``: organization, window,
    quota, the guards such as the budget hard cap) as for a booking, then capacity: only if the very same GPUs stay
    free until then."""
    if reservation.kind != ReservationKind.RESERVED or reservation.state not in (R.SCHEDULED, R.PROVISIONING, R.ACTIVE):
        raise InvalidTransitionError(
            _("Only a scheduled or running reserved window can be extended."), code="invalid_transition"
        )
    assert reservation.ends_at is not None
    if ends_at <= reservation.ends_at:
        raise ValidationError({"ends_at": [_("The new end must be after the current end.")]})
    organization = reservation.organization
    with transaction.atomic():
        extension, _none, reads, _also = _locked_order(
            extension_order(reservation=reservation, ends_at=ends_at, now=timezone.now())
        )
        order_rules_check(extension, reads)
        pool_lock(zone=reservation.zone, flavor=reservation.flavor, kind=reservation.kind)
        allocations = list(
            Allocation.objects.for_organization(organization)
            .select_related("node")
            .filter(reservation=reservation, released_at__isnull=True)
        )
        own = [allocation.pk for allocation in allocations]
        conflicts = (
            Allocation.objects.unscoped()
            .filter(
                node__in=[allocation.node_id for allocation in allocations],
                released_at__isnull=True,
                starts_at__lt=ends_at,
                starts_at__gte=reservation.ends_at,
            )
            .exclude(pk__in=own)
            .values_list("node_id", "gpu_first", "gpu_count", "starts_at")
        )
        blocking = [
            start
            for node_id, first, count, start in conflicts
            for allocation in allocations
            if allocation.node_id == node_id
            and set(range(first, first + count))
            & set(range(allocation.gpu_first, allocation.gpu_first + allocation.gpu_count))
        ]
        if blocking:
            until = min(blocking)
            raise ExtensionRefusedError(
                _("The same GPUs are booked from %(time)s; the reservation can be extended until then.")
                % {"time": format_datetime(until)},
                possible_until=until,
            )
        previous = reservation.ends_at
        Allocation.objects.for_organization(organization).filter(pk__in=own).update(ends_at=ends_at)
        Reservation.objects.for_organization(organization).filter(pk=reservation.pk).update(ends_at=ends_at)
        audit_record(
            actor=actor,
            action="reservation.extended",
            target=reservation,
            organization=organization,
            data={"from": previous.isoformat(), "to": ends_at.isoformat()},
        )
        publish("reservation.extended", organization_id=reservation.organization_id, subject_id=reservation.pk)
    reservation.refresh_from_db()
    return reservation


# --- Quotas ---------------------------------------------------------------------------------------------------------


def quota_request_create(
    *, actor: Actor, organization: Organization, gpu_model_id: int, requested_gpus: int, reason: str
) -> QuotaRequest:
    current = quota_limit(organization=organization, gpu_model_id=gpu_model_id)
    if requested_gpus <= current:
        raise ValidationError(
            {"requested_gpus": [_("Your quota is already %(limit)d GPUs; ask for more.") % {"limit": current}]}
        )
    with transaction.atomic():
        request = QuotaRequest.objects.create(
            organization=organization,
            gpu_model_id=gpu_model_id,
            requested_gpus=requested_gpus,
            reason=reason,
            created_by_label=actor.label,
        )
        audit_record(
            actor=actor,
            action="quota_request.created",
            target=request,
            organization=organization,
            data={"gpu_model_id": gpu_model_id, "requested_gpus": requested_gpus},
        )
    return request


QR = QuotaRequestStatus

# A quota request is decided once.
QUOTA_REQUEST_TRANSITIONS: dict[str, frozenset[str]] = {
    QR.PENDING: frozenset({QR.APPROVED, QR.REJECTED}),
    QR.APPROVED: frozenset(),
    QR.REJECTED: frozenset(),
}


def quota_request_transition(
    *,
    actor: Actor,
    request: QuotaRequest,
    from_status: QuotaRequestStatus,
    to_status: QuotaRequestStatus,
    values: Mapping[str, Any] | None = None,
    data: dict[str, Any] | None = None,
) -> bool:
    """Compare-and-set ``from_status`` → ``to_status`` (and ``values``) in one UPDATE, audited in the same transaction.

    Refuses a move the table does not allow (``InvalidTransitionError``); returns False and changes nothing when the
    request is no longer in ``from_status`` (decided concurrently). The only place that writes ``QuotaRequest.status``.
    """
    if to_status not in QUOTA_REQUEST_TRANSITIONS[from_status]:
        raise InvalidTransitionError(
            _("A quota request cannot go from %(from)s to %(to)s.")
            % {"from": QR(from_status).label, "to": QR(to_status).label},
            code="invalid_transition",
        )
    organization = request.organization
    with transaction.atomic():
        moved = (
            QuotaRequest.objects.for_organization(organization)
            .filter(pk=request.pk, status=from_status)
            .update(status=to_status, **(values or {}))
        )
        if not moved:
            return False
        audit_record(
            actor=actor, action=f"quota_request.{to_status}", target=request, organization=organization, data=data
        )
    return True


def quota_request_decide(*, actor: Actor, request: QuotaRequest, approve: bool, note: str = "") -> QuotaRequest:
    organization = request.organization
    to_status = QR.APPROVED if approve else QR.REJECTED
    with transaction.atomic():
        decided = quota_request_transition(
            actor=actor,
            request=request,
            from_status=QR.PENDING,
            to_status=to_status,
            values={"decision_note": note, "decided_at": timezone.now()},
            data={"requested_gpus": request.requested_gpus, "note": note},
        )
        if not decided:
            raise InvalidTransitionError(_("This quota request was decided already."), code="invalid_transition")
        if approve:
            QuotaLimit.objects.for_organization(organization).update_or_create(
                organization=organization,
                gpu_model_id=request.gpu_model_id,
                defaults={"max_gpus": request.requested_gpus},
            )
        publish("quota_request.decided", organization_id=organization.pk, subject_id=request.pk)
    return QuotaRequest.objects.for_organization(organization).get(pk=request.pk)


# --- Maintenance ----------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class MaintenanceImpact:
    reservation_id: int
    organization: str
    starts_at: datetime
    ends_at: datetime | None
    moved_to: str | None  # "hostname GPU n-m", or None when no free GPUs can take it


class _Undo(Exception):
    pass


def _move_off(node: Node, actor: Actor | None) -> list[MaintenanceImpact]:
    """Move every live, unfinished allocation off ``node`` to free GPUs of its pool, one after the other (each move
    is visible to the next). Must run inside the pool lock and a transaction the caller may undo."""
    now = timezone.now()
    allocations = list(
        Allocation.objects.unscoped()
        .select_related("reservation__flavor__node_type", "reservation__organization")
        .filter(node=node, released_at__isnull=True)
        .exclude(ends_at__lte=now)
        .order_by("starts_at", "id")
    )
    impacts = []
    for allocation in allocations:
        reservation = allocation.reservation
        target = place(
            pool=node.pool,
            flavor=reservation.flavor,
            instances=1,
            starts_at=allocation.starts_at,
            ends_at=allocation.ends_at,
            avoid_nodes=[node.pk],
            ignore=[allocation.pk],
        )
        moved_to = None
        if target:
            placement = target[0]
            Allocation.objects.unscoped().filter(pk=allocation.pk).update(
                node=placement.node, gpu_first=placement.gpu_first
            )
            moved_to = (
                f"{placement.node.hostname} GPU {placement.gpu_first}-{placement.gpu_first + allocation.gpu_count - 1}"
            )
            if actor is not None:
                audit_record(
                    actor=actor,
                    action="reservation.moved",
                    target=reservation,
                    organization=reservation.organization,
                    data={"from": node.hostname, "to": moved_to},
                )
        impacts.append(
            MaintenanceImpact(
                reservation_id=reservation.pk,
                organization=reservation.organization.legal_name,
                starts_at=allocation.starts_at,
                ends_at=allocation.ends_at,
                moved_to=moved_to,
            )
        )
    return impacts


def node_maintenance_impact(*, node: Node) -> list[MaintenanceImpact]:
    """What taking ``node`` out of service would affect, and where each reservation would move. Changes nothing."""
    impacts: list[MaintenanceImpact] = []
    try:
        with transaction.atomic():
            pool_lock_by_id(node.pool_id)
            impacts = _move_off(node, actor=None)
            raise _Undo
    except _Undo:
        pass
    return impacts


N = NodeState

# A node leaves service for maintenance (and comes back) or for good; a retired node never returns.
NODE_TRANSITIONS: dict[str, frozenset[str]] = {
    N.AVAILABLE: frozenset({N.MAINTENANCE, N.RETIRED}),
    N.MAINTENANCE: frozenset({N.AVAILABLE, N.RETIRED}),
    N.RETIRED: frozenset(),
}


def _check_node_move(from_state: str, to_state: str) -> None:
    if to_state not in NODE_TRANSITIONS[from_state]:
        raise InvalidTransitionError(
            _("A node cannot go from %(from)s to %(to)s.") % {"from": N(from_state).label, "to": N(to_state).label},
            code="invalid_transition",
        )


def node_transition(
    *, actor: Actor, node: Node, from_state: NodeState, to_state: NodeState, reason: str, data: dict[str, Any]
) -> bool:
    """Compare-and-set ``from_state`` → ``to_state`` in one UPDATE, audited in the same transaction.

    Refuses a move the table does not allow (``InvalidTransitionError``); returns False and changes nothing when the
    node is no longer in ``from_state``. The only place that writes ``Node.state``; operators use ``node_set_state``.
    """
    _check_node_move(from_state, to_state)
    with transaction.atomic():
        moved = Node.objects.filter(pk=node.pk, state=from_state).update(state=to_state, state_reason=reason)
        if not moved:
            return False
        audit_record(actor=actor, action=f"node.{to_state}", target=node, organization=None, data=data)
    return True


def node_set_state(*, actor: Actor, node: Node, state: NodeState, reason: str) -> list[MaintenanceImpact]:
    """Take a node out of service (maintenance or retired) or back in. Every affected reservation is moved to free
    GPUs first; if any cannot move, nothing changes and the impact is returned so the operator decides (cancel or
    fail those reservations, then try again). No reservation is ever dropped silently."""
    if not reason.strip():
        raise ValidationError({"reason": [_("Say why, for the audit log and the customers affected.")]})
    impacts: list[MaintenanceImpact] = []
    try:
        with transaction.atomic():
            pool_lock_by_id(node.pool_id)
            locked = Node.objects.select_for_update().select_related("pool").get(pk=node.pk)
            _check_node_move(locked.state, state)
            if state != NodeState.AVAILABLE:
                impacts = _move_off(locked, actor=actor)
                if any(impact.moved_to is None for impact in impacts):
                    raise _Undo
            node_transition(  # the row is locked: the compare-and-set cannot lose
                actor=actor,
                node=locked,
                from_state=N(locked.state),
                to_state=state,
                reason=reason,
                data={"reason": reason, "moved": [i.reservation_id for i in impacts]},
            )
            return []
    except _Undo:
        return impacts


__all__ = [
    "HOLDING_STATES",
    "Alternative",
    "Booking",
    "ExtensionRefusedError",
    "MaintenanceImpact",
    "NoCapacityError",
    "node_maintenance_impact",
    "node_set_state",
    "node_transition",
    "quota_request_create",
    "quota_request_decide",
    "quota_request_transition",
    "request_fingerprint",
    "reservation_cancel",
    "reservation_create",
    "reservation_extend",
    "reservation_release",
    "reservation_transition",
    "reservations_transition_locked",
]
