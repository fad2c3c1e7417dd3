"""Booking GPUs: concrete slots, never twice for overlapping time — enforced by PostgreSQL — and the refusals."""

from __future__ import annotations

import threading
from datetime import timedelta

import pytest
import time_machine
from django.core.exceptions import ValidationError
from django.db import IntegrityError, close_old_connections, connection, transaction
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from catalog.models import AvailabilityZone, NodeType
from core.statements import prepared_name, statement_text
from reservations.allocation import INSERT_ALLOCATIONS
from reservations.availability import availability_check
from reservations.choices import Pool, ReservationKind, ReservationState
from reservations.models import Allocation, CapacityPool, IdempotencyKey, Node, QuotaLimit, Reservation
from reservations.services import NoCapacityError, booking_keys_expire, request_fingerprint, reservation_create
from reservations.tasks import expire_booking_keys_task
from reservations.timeline import BUSY_CACHE
from tenants.audit import Actor
from tenants.choices import OrganizationStatus
from tenants.models import LegalDocument

from .conftest import hour

pytestmark = pytest.mark.django_db

ACTOR = Actor.system("test")
#: Statements (round trips) of one booking: the zones with the lock-free fit of their pools, the savepoint of the
#: test's transaction (a real booking's BEGIN), the organization lock with the rules' consent, quota and budget reads,
#: the webhook endpoints its events ask about, the new reservation's id and the attempt's savepoint, then the notice
#: row, the reservation, its audit rows, the pool lock and the allocation insert in one round trip, and the end of the
#: transaction. Was 36 before the allocations were found and inserted in SQL, 24 before the rule set's quota and
#: consent reads were folded, both audit rows went into one INSERT and the e-mail became one notice row rendered
#: after the commit, 19 before the events were published before the pool lock (one webhook look-up for both) and the
#: lock, the insert and the state update went in one round trip with no savepoint release after it, 15 before the
#: reservation and its audit rows went in that round trip too (inserted as scheduled) and the consent and quota
#: reads in the lock's, 11 before the attempt's savepoint and the e-mail notice row did as well, 9 before the zones
#: and pools were read in one round trip and the budget guard's read went with the lock, 7 before the free blocks
#: were counted in the zones' round trip, 6 before the organization's webhook endpoints were read with its lock.
STATEMENTS_PER_BOOKING = 5


def live_slots():
    return sorted(
        Allocation.objects.unscoped()
        .filter(released_at__isnull=True)
        .values_list("node__hostname", "gpu_first", "gpu_count")
    )


def book(customer, quote, **kwargs):
    return reservation_create(actor=ACTOR, organization=customer, quote=quote, **kwargs).reservation


def test_a_reserved_window_gets_aligned_slots_on_the_fullest_node(small_inventory, customer, make_quote):
    first = book(customer, make_quote(flavor="b200-x4", count=1))
    second = book(customer, make_quote(flavor="b200-x2", count=2))

    assert (first.state, first.kind, first.zone.slug) == (
        ReservationState.SCHEDULED,
        ReservationKind.RESERVED,
        "de-muc-1a",
    )
    assert (first.starts_at, first.ends_at) == (hour(0), hour(24 * 30))
    assert live_slots() == [
        ("de-muc-1a-reservable-0", 0, 4),
        ("de-muc-1a-reservable-0", 4, 2),
        ("de-muc-1a-reservable-0", 6, 2),
    ]
    assert second.allocations.count() == 2


def test_on_demand_starts_now_without_an_end_in_its_own_pool(small_inventory, customer, make_quote):
    reservation = book(customer, make_quote(flavor="b200-x8-metal", commitment="on_demand", hours=24))

    assert (reservation.kind, reservation.ends_at) == (ReservationKind.ON_DEMAND, None)
    assert live_slots() == [("de-muc-1a-on_demand-0", 0, 8)]


def test_when_a_zone_is_full_any_zone_means_the_next_one(small_inventory, customer, make_quote):
    book(customer, make_quote(flavor="b200-x8-metal", count=2))

    third = book(customer, make_quote(flavor="b200-x8-metal", count=1))

    assert third.zone.slug == "de-muc-1b"


def test_a_full_zone_refuses_with_the_earliest_start_and_alternatives(small_inventory, customer, make_quote):
    zone_a = AvailabilityZone.objects.get(slug="de-muc-1a")
    book(customer, make_quote(flavor="b200-x8-metal", count=2, hours=24 * 30))
    before = live_slots()

    with pytest.raises(NoCapacityError) as refusal:
        book(customer, make_quote(flavor="b200-x4", count=1, start=24, hours=24 * 30), zone=zone_a)

    assert refusal.value.code == "no_capacity"
    assert refusal.value.messages == ["These GPUs are no longer available for this window."]
    assert refusal.value.earliest_start == hour(24 * 30)
    assert [(a.zone, a.flavor, a.instance_count) for a in refusal.value.alternatives] == [
        ("de-muc-1b", "b200-x4", 1),
        ("de-muc-1b", "b200-x2", 2),
        ("de-muc-1b", "b200-x1", 4),
    ]
    assert live_slots() == before
    assert Reservation.objects.for_organization(customer).count() == 1


def test_the_database_itself_refuses_a_double_booking(small_inventory, customer, make_quote):
    reservation = book(customer, make_quote(flavor="b200-x4", count=1))
    taken = Allocation.objects.for_organization(customer).get()

    with pytest.raises(IntegrityError, match="reservations_alloc_no_double_booking"), transaction.atomic():
        Allocation.objects.create(
            organization=customer,
            reservation=reservation,
            instance_index=1,
            node=taken.node,
            gpu_model_id=taken.gpu_model_id,
            gpu_first=2,
            gpu_count=4,
            starts_at=hour(10),
            ends_at=hour(11),
        )

    assert live_slots() == [(taken.node.hostname, 0, 4)]


def test_released_slots_can_be_booked_again(small_inventory, customer, make_quote):
    from reservations.services import reservation_cancel

    first = book(customer, make_quote(flavor="b200-x8-metal", count=2))
    reservation_cancel(actor=ACTOR, reservation=first)

    again = book(customer, make_quote(flavor="b200-x8-metal", count=2))

    assert again.zone.slug == "de-muc-1a"
    assert len(live_slots()) == 2


def test_idempotent_creation_returns_the_same_reservation(small_inventory, customer, make_quote):
    quote = make_quote()
    fingerprint = request_fingerprint({"quote": quote.pk})

    first = reservation_create(
        actor=ACTOR, organization=customer, quote=quote, idempotency_key="k-1", request_hash=fingerprint
    )
    retry = reservation_create(
        actor=ACTOR, organization=customer, quote=quote, idempotency_key="k-1", request_hash=fingerprint
    )

    assert (first.created, retry.created) == (True, False)
    assert retry.reservation.pk == first.reservation.pk
    assert Reservation.objects.for_organization(customer).count() == 1


def test_the_same_key_with_another_body_is_refused(small_inventory, customer, make_quote):
    quote = make_quote()
    reservation_create(
        actor=ACTOR,
        organization=customer,
        quote=quote,
        idempotency_key="k-1",
        request_hash=request_fingerprint({"quote": quote.pk}),
    )
    other = make_quote(flavor="b200-x2")

    with pytest.raises(Exception, match="different request") as refusal:
        reservation_create(
            actor=ACTOR,
            organization=customer,
            quote=other,
            idempotency_key="k-1",
            request_hash=request_fingerprint({"quote": other.pk}),
        )

    assert refusal.value.code == "idempotency_key_reused"
    assert Reservation.objects.for_organization(customer).count() == 1
    assert IdempotencyKey.objects.for_organization(customer).count() == 1


def test_the_quota_is_enforced(small_inventory, customer, make_quote):
    QuotaLimit.objects.create(
        organization=customer, gpu_model_id=Node.objects.first().pool.node_type.gpu_model_id, max_gpus=8
    )
    book(customer, make_quote(flavor="b200-x4", count=1))

    with pytest.raises(Exception, match="quota allows 8 at a time and 4 are booked") as refusal:
        book(customer, make_quote(flavor="b200-x4", count=2))

    assert refusal.value.code == "quota_exceeded"
    assert len(live_slots()) == 1


def test_each_allocation_names_its_nodes_gpu_model_and_the_quota_counts_per_model(
    small_inventory, customer, make_quote
):
    """The quota counts the GPUs of one model from the model each allocation names: written by the booking from the
    pool's node type, so GPUs of another model held in the same window do not count against it."""
    rtx = NodeType.objects.get(slug="rtx-pro-server")
    zone = AvailabilityZone.objects.get(slug="de-muc-1a")
    pool = CapacityPool.objects.create(zone=zone, node_type=rtx, pool=Pool.RESERVABLE)
    Node.objects.create(hostname="de-muc-1a-rtx-0", pool=pool)
    b200 = NodeType.objects.get(slug="dgx-b200").gpu_model_id
    QuotaLimit.objects.create(organization=customer, gpu_model_id=b200, max_gpus=8)
    QuotaLimit.objects.create(organization=customer, gpu_model_id=rtx.gpu_model_id, max_gpus=8)

    book(customer, make_quote(flavor="rtx-pro-x4", count=2))
    book(customer, make_quote(flavor="b200-x4", count=2))  # the RTX PRO GPUs held do not count against B200's

    allocations = Allocation.objects.for_organization(customer).select_related("node__pool__node_type")
    assert sorted((a.node.pool.node_type.slug, a.gpu_model_id) for a in allocations) == [
        ("dgx-b200", b200),
        ("dgx-b200", b200),
        ("rtx-pro-server", rtx.gpu_model_id),
        ("rtx-pro-server", rtx.gpu_model_id),
    ]
    with pytest.raises(ValidationError, match="quota allows 8 at a time and 8 are booked"):
        book(customer, make_quote(flavor="rtx-pro-x1", count=1))


def test_an_inactive_organization_cannot_order(small_inventory, customer, make_quote):
    quote = make_quote()
    customer.status = OrganizationStatus.SUSPENDED
    customer.save()

    with pytest.raises(Exception, match="cannot order yet") as refusal:
        book(customer, quote)

    assert refusal.value.code == "organization_not_active"
    assert live_slots() == []


def test_a_new_legal_version_must_be_accepted_before_the_next_order(small_inventory, customer, make_quote):
    from django.utils import timezone

    LegalDocument.objects.create(kind="terms", version="2026-11", title="Terms", body="…", effective_at=timezone.now())

    with pytest.raises(Exception, match="Accept the new version of Terms of Service 2026-11") as refusal:
        book(customer, make_quote())

    assert refusal.value.code == "consent_required"
    assert live_slots() == []


@pytest.mark.django_db(transaction=True)
def test_concurrent_bookings_of_the_last_gpus_never_overbook(small_inventory, customer, make_quote):
    """Eight threads race for two whole nodes of one zone: exactly two win, the rest hear "no longer available"."""
    zone = AvailabilityZone.objects.get(slug="de-muc-1a")
    quotes = [make_quote(flavor="b200-x8-metal", count=1) for _ in range(8)]
    barrier = threading.Barrier(len(quotes))
    outcomes: list[str] = []

    def race(quote):
        close_old_connections()
        barrier.wait()
        try:
            reservation_create(actor=ACTOR, organization=customer, quote=quote, zone=zone)
            outcomes.append("booked")
        except NoCapacityError:
            outcomes.append("no_capacity")
        finally:
            connection.close()

    threads = [threading.Thread(target=race, args=(quote,)) for quote in quotes]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)

    assert sorted(outcomes) == ["booked", "booked"] + ["no_capacity"] * 6
    assert live_slots() == [("de-muc-1a-reservable-0", 0, 8), ("de-muc-1a-reservable-1", 0, 8)]


@pytest.mark.django_db(transaction=True)
def test_concurrent_orders_of_one_organization_never_exceed_its_quota(small_inventory, customer, make_quote):
    QuotaLimit.objects.create(
        organization=customer, gpu_model_id=Node.objects.first().pool.node_type.gpu_model_id, max_gpus=16
    )
    quotes = [make_quote(flavor="b200-x8-metal", count=1) for _ in range(4)]
    barrier = threading.Barrier(len(quotes))
    outcomes: list[str] = []

    def order(quote):
        barrier.wait()
        try:
            reservation_create(actor=ACTOR, organization=customer, quote=quote)
            outcomes.append("booked")
        except ValidationError as refusal:
            outcomes.append(refusal.code)
        finally:
            connection.close()

    threads = [threading.Thread(target=order, args=(quote,)) for quote in quotes]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)

    assert sorted(outcomes) == ["booked", "booked", "quota_exceeded", "quota_exceeded"]
    assert len(live_slots()) == 2


@pytest.mark.django_db(transaction=True)
def test_concurrent_retries_with_one_key_all_get_the_one_reservation(small_inventory, customer, make_quote):
    """Eight copies of one request (one Idempotency-Key) race for the zone's last whole node: one books it and every
    other copy is answered with that reservation — none hears "no capacity" for GPUs its twin holds."""
    zone = AvailabilityZone.objects.get(slug="de-muc-1a")
    # Another order takes the zone's first node.
    reservation_create(actor=ACTOR, organization=customer, quote=make_quote(flavor="b200-x8-metal", count=1), zone=zone)
    quote = make_quote(flavor="b200-x8-metal", count=1)
    barrier = threading.Barrier(8)
    outcomes: list[tuple[int, bool]] = []

    def retry():
        close_old_connections()
        barrier.wait()
        try:
            booking = reservation_create(
                actor=ACTOR,
                organization=customer,
                quote=quote,
                zone=zone,
                idempotency_key="order-7f3a",
                request_hash="same-body",
            )
            outcomes.append((booking.reservation.pk, booking.created))
        finally:
            connection.close()

    threads = [threading.Thread(target=retry) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)

    reservation = Reservation.objects.for_organization(customer).get(quote=quote)
    assert (
        sorted(outcomes, key=lambda outcome: not outcome[1]) == [(reservation.pk, True)] + [(reservation.pk, False)] * 7
    )
    assert len(live_slots()) == 2


@pytest.mark.parametrize(
    ("key", "message"),
    [
        ("k" * 256, "The Idempotency-Key may have at most 255 characters."),
        ("order\n1", "The Idempotency-Key must not contain control characters."),
    ],
)
def test_bad_idempotency_keys_are_refused_not_cut(small_inventory, customer, make_quote, key, message):
    quote = make_quote()

    with pytest.raises(ValidationError) as refusal:
        reservation_create(actor=ACTOR, organization=customer, quote=quote, idempotency_key=key, request_hash="x")

    assert (refusal.value.code, refusal.value.messages) == ("invalid_idempotency_key", [message])
    assert Reservation.objects.for_organization(customer).count() == 0


def test_a_booking_costs_a_pinned_number_of_statements(small_inventory, customer, make_quote):
    """The statements of one booking, pinned: a change that adds a query per node, allocation or zone shows here."""
    quote = make_quote(flavor="b200-x4", count=2)
    with CaptureQueriesContext(connection) as queries:
        reservation_create(actor=Actor.system("test"), organization=customer, quote=quote)
    statements = [query["sql"] for query in queries.captured_queries]
    assert len(statements) <= STATEMENTS_PER_BOOKING, "\n".join(sql[:120] for sql in statements)


@pytest.mark.django_db(transaction=True)  # a read is kept only outside a transaction that wrote the pool's rows
def test_a_process_that_keeps_pool_reads_still_counts_the_free_blocks_with_the_zones(
    small_inventory, customer, make_quote
):
    """Where the process keeps its pools' reads (it answered availability), a booking still reads the zones and the
    free blocks of their pools in one round trip: bringing the kept reads up to date would cost one or two more."""
    quote = make_quote(flavor="b200-x4", count=2)
    availability_check(
        flavor=quote.flavor,
        instances=2,
        kind=ReservationKind.RESERVED,
        starts_at=quote.starts_at,
        ends_at=quote.ends_at,
        zone=None,
        item_version_id=quote.item_version_id,
    )
    assert BUSY_CACHE._reads  # kept
    with CaptureQueriesContext(connection) as queries:
        reservation_create(actor=Actor.system("test"), organization=customer, quote=quote)
    captured = [statement_text(query["sql"]) for query in queries.captured_queries]
    statements = captured[: captured.index("COMMIT") + 1]  # then the e-mail's drain, run here after the commit
    assert len(statements) == STATEMENTS_PER_BOOKING, "\n".join(sql[:120] for sql in statements)
    assert "catalog_availabilityzone" in statements[0]
    assert "WITH pools AS" in statements[0]  # the free blocks, counted in SQL (allocation.FREE_BLOCKS)


def test_the_pool_lock_is_held_for_one_round_trip_before_the_commit(small_inventory, customer, make_quote):
    """The booking's rows, the pool lock and the allocation insert travel together (the e-mail notice row, the
    reservation inserted as scheduled and its audit rows before the lock); after them only the end of the
    transaction (here the test's own savepoint release), as in PostgreSQL's floor for a booking."""
    quote = make_quote(flavor="b200-x4", count=2)
    with CaptureQueriesContext(connection) as queries:
        booking = reservation_create(actor=Actor.system("test"), organization=customer, quote=quote)
    statements = [statement_text(query["sql"]) for query in queries.captured_queries]
    locked = [
        index for index, sql in enumerate(statements) if "reservations_capacitypool" in sql and "FOR UPDATE" in sql
    ]
    assert len(locked) == 1
    under_lock = statements[locked[0] :]
    assert len(under_lock) == 2
    batch = under_lock[0]
    lock = batch.index("FROM reservations_capacitypool")
    audit = batch.index('INSERT INTO "tenants_auditevent"')
    assert "SAVEPOINT" not in batch  # the attempt's travelled with the organization's lock
    assert batch.index('INSERT INTO "reservations_reservationnotice"') < audit < lock
    assert batch.index('INSERT INTO "reservations_reservation"') < audit
    assert lock < batch.index(f"EXECUTE {prepared_name(INSERT_ALLOCATIONS)} ")  # the allocation insert, prepared
    assert "UPDATE reservations_reservation" not in batch
    assert under_lock[1].startswith("RELEASE SAVEPOINT")
    booking.reservation.refresh_from_db()
    assert booking.reservation.state == ReservationState.SCHEDULED
    assert [a.gpu_count for a in booking.reservation.allocations.all()] == [4, 4]


def _fill_both_zones(customer, make_quote) -> None:
    for _ in range(2):  # both zones' reservable pools (2 nodes each, 8 GPUs per node)
        reservation_create(
            actor=Actor.system("test"), organization=customer, quote=make_quote(flavor="b200-x8-metal", count=2)
        )


def test_a_refusal_locks_nothing_and_reads_its_advice_only_when_asked(small_inventory, customer, make_quote):
    """A zone already full on the lock-free read is never locked, nor is the organization: refusals queue behind no
    booking, and the alternatives are read after the booking's transaction, by the caller that shows them."""
    _fill_both_zones(customer, make_quote)
    quote = make_quote(flavor="b200-x1")
    with CaptureQueriesContext(connection) as queries, pytest.raises(NoCapacityError) as refusal:
        reservation_create(actor=Actor.system("test"), organization=customer, quote=quote)
    statements = [statement_text(query["sql"]) for query in queries.captured_queries]
    assert not [sql for sql in statements if "FOR UPDATE" in sql or "FOR NO KEY" in sql]
    assert not [sql for sql in statements if "catalog_flavor" in sql]  # the alternatives' flavors: not yet

    with CaptureQueriesContext(connection) as advice:
        alternatives, earliest = refusal.value.alternatives, refusal.value.earliest_start
    assert [
        sql for sql in (statement_text(query["sql"]) for query in advice.captured_queries) if "catalog_flavor" in sql
    ]
    assert alternatives == []  # every pool of the inventory is full in the window
    assert earliest is not None
    assert earliest > timezone.now()
    with CaptureQueriesContext(connection) as again:
        assert refusal.value.alternatives is alternatives
    assert not again.captured_queries  # read once


def test_a_full_inventory_still_answers_a_rule_refusal_first(small_inventory, customer, make_quote):
    """Without the lock the rules still come before capacity: the same answer as when a zone had room."""
    _fill_both_zones(customer, make_quote)
    QuotaLimit.objects.create(
        organization=customer, gpu_model_id=Node.objects.first().pool.node_type.gpu_model_id, max_gpus=8
    )
    with pytest.raises(ValidationError) as refusal:
        reservation_create(actor=Actor.system("test"), organization=customer, quote=make_quote(flavor="b200-x1"))
    assert refusal.value.code == "quota_exceeded"
    assert not isinstance(refusal.value, NoCapacityError)


def test_a_retry_of_a_booking_that_took_the_last_gpus_gets_its_reservation(small_inventory, customer, make_quote):
    quote = make_quote(flavor="b200-x8-metal", count=2)
    first = reservation_create(
        actor=Actor.system("test"), organization=customer, quote=quote, idempotency_key="k-last", request_hash="h"
    )
    reservation_create(
        actor=Actor.system("test"), organization=customer, quote=make_quote(flavor="b200-x8-metal", count=2)
    )  # the other zone full too
    again = reservation_create(
        actor=Actor.system("test"), organization=customer, quote=quote, idempotency_key="k-last", request_hash="h"
    )
    assert (again.created, again.reservation.pk) == (False, first.reservation.pk)


def test_the_booking_forms_keys_expire_after_the_idempotency_window(small_inventory, customer, make_quote):
    quote = make_quote()
    booked_at = timezone.now()
    with time_machine.travel(booked_at, tick=False):
        old = reservation_create(
            actor=ACTOR,
            organization=customer,
            quote=quote,
            idempotency_key="k-old",
            request_hash=request_fingerprint({"quote": quote.pk}),
        )

    kept = booking_keys_expire(now=booked_at + timedelta(hours=23, minutes=59))
    expired = booking_keys_expire(now=booked_at + timedelta(hours=24))
    again = expire_booking_keys_task.apply().get()

    assert (kept, expired, again) == (0, 1, 0)
    assert IdempotencyKey.objects.for_organization(customer).count() == 0
    assert Reservation.objects.for_organization(customer).get() == old.reservation  # the reservation stays
