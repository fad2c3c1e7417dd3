"""The booking's SQL path: the allocations are found and inserted by one statement under the pool lock; a zone
full by then, or a conflict the exclusion constraint reports, leaves nothing of the attempt behind."""

from __future__ import annotations

import threading
import time

import psycopg
import pytest
from django.db import close_old_connections, connection, connections, transaction
from django.test.utils import CaptureQueriesContext

from catalog.models import AvailabilityZone
from reservations import services
from reservations.choices import Pool, ReservationState
from reservations.models import Allocation, CapacityPool, Node, Reservation, ReservationNotice
from reservations.services import NoCapacityError, reservation_create
from reservations.tasks import write_pending_notices_task
from tenants.audit import Actor
from tenants.models import AuditEvent

from .conftest import hour

pytestmark = pytest.mark.django_db

ACTOR = Actor.system("test")
WAITING_FOR_A_LOCK = """
SELECT count(*) FROM pg_stat_activity
WHERE datname = current_database() AND wait_event_type = 'Lock' AND pid <> pg_backend_pid()
"""


def psycopg_connection() -> psycopg.Connection:
    """A session of its own on the test database (what another process would see)."""
    settings = connection.settings_dict
    return psycopg.connect(
        dbname=settings["NAME"],
        user=settings["USER"],
        password=settings["PASSWORD"] or None,
        host=settings["HOST"] or None,
        port=settings["PORT"] or None,
    )


def live_slots():
    return sorted(
        Allocation.objects.unscoped()
        .filter(released_at__isnull=True)
        .values_list("node__hostname", "gpu_first", "gpu_count")
    )


def written():
    """What a booking writes, counted: reservations, allocations, audit rows, e-mails owed (their notices)."""
    return (
        Reservation.objects.unscoped().count(),
        Allocation.objects.unscoped().count(),
        AuditEvent.objects.unscoped().count(),
        ReservationNotice.objects.unscoped().count(),
    )


def reservable_pool(slug: str) -> tuple[AvailabilityZone, int]:
    zone = AvailabilityZone.objects.get(slug=slug)
    return zone, CapacityPool.objects.get(zone=zone, pool=Pool.RESERVABLE).pk


def fill_first_zone(customer, make_quote):
    reservation_create(actor=ACTOR, organization=customer, quote=make_quote(flavor="b200-x8-metal", count=2))
    assert live_slots() == [("de-muc-1a-reservable-0", 0, 8), ("de-muc-1a-reservable-1", 0, 8)]


def test_a_zone_full_under_the_lock_leaves_nothing_and_the_next_zone_books(
    small_inventory, customer, make_quote, monkeypatch
):
    """The lock-free read said both zones fit (it was stale): the first is full under its lock, so that attempt is
    undone — no reservation, audit row or e-mail of it remains — and the second zone books."""
    fill_first_zone(customer, make_quote)
    stale = [reservable_pool("de-muc-1a"), reservable_pool("de-muc-1b")]
    monkeypatch.setattr(services, "booking_candidates", lambda **_: stale)
    quote = make_quote(flavor="b200-x4", count=1)
    before = written()

    booking = reservation_create(actor=ACTOR, organization=customer, quote=quote)

    reservation = booking.reservation
    assert (reservation.zone.slug, reservation.state) == ("de-muc-1b", ReservationState.SCHEDULED)
    assert written() == (before[0] + 1, before[1] + 1, before[2] + 2, before[3] + 1)
    assert list(AuditEvent.objects.unscoped().order_by("-id").values_list("action", "target_id")[:2]) == [
        ("reservation.scheduled", str(reservation.pk)),
        ("reservation.requested", str(reservation.pk)),
    ]
    assert [(a.instance_index, a.node.hostname, a.gpu_first, a.gpu_count) for a in booking.allocations] == [
        (0, "de-muc-1b-reservable-0", 0, 4)
    ]
    assert list(reservation.allocations.values_list("pk", flat=True)) == [booking.allocations[0].pk]


def test_an_attempt_undone_under_the_lock_queues_nothing_after_the_commit(
    small_inventory, customer, make_quote, monkeypatch, django_capture_on_commit_callbacks
):
    """The undone attempt had published its events and scheduled the notice drain before the lock: the savepoint's
    rollback drops those on-commit callbacks too (one drain callback is left, which publishes once), and the undone
    attempt's notice is gone with its savepoint."""
    fill_first_zone(customer, make_quote)
    stale = [reservable_pool("de-muc-1a"), reservable_pool("de-muc-1b")]
    monkeypatch.setattr(services, "booking_candidates", lambda **_: stale)
    queued: list[object] = []
    monkeypatch.setattr(write_pending_notices_task, "apply_async", lambda *args, **options: queued.append(args))
    quote = make_quote(flavor="b200-x4", count=1)

    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        booking = reservation_create(actor=ACTOR, organization=customer, quote=quote)

    drains = [callback for callback in callbacks if callback.__qualname__.endswith("publish_drain")]
    assert (len(drains), queued) == (1, [()])  # one drain scheduled, no arguments
    notice = ReservationNotice.objects.unscoped().get(reservation=booking.reservation)
    assert notice.written_at is None
    assert ReservationNotice.objects.unscoped().filter(reservation__zone__slug="de-muc-1a").count() == 1  # the fill's


def test_a_pool_full_under_the_lock_refuses_and_writes_nothing(small_inventory, customer, make_quote, monkeypatch):
    fill_first_zone(customer, make_quote)
    monkeypatch.setattr(services, "booking_candidates", lambda **_: [reservable_pool("de-muc-1a")])
    quote = make_quote(flavor="b200-x1", count=1)
    before = written()

    with pytest.raises(NoCapacityError) as refusal:
        reservation_create(actor=ACTOR, organization=customer, quote=quote)

    assert refusal.value.code == "no_capacity"
    assert written() == before
    assert live_slots() == [("de-muc-1a-reservable-0", 0, 8), ("de-muc-1a-reservable-1", 0, 8)]


def test_an_order_larger_than_the_free_blocks_inserts_no_allocation_at_all(
    small_inventory, customer, make_quote, monkeypatch
):
    """Three free 4-GPU blocks in a zone, four wanted, past a stale lock-free read: the one statement inserts all
    of them or none."""
    zone = AvailabilityZone.objects.get(slug="de-muc-1a")
    reservation_create(actor=ACTOR, organization=customer, quote=make_quote(flavor="b200-x4", count=1), zone=zone)
    monkeypatch.setattr(services, "booking_candidates", lambda **_: [reservable_pool("de-muc-1a")])
    quote = make_quote(flavor="b200-x4", count=4)
    before = written()

    with pytest.raises(NoCapacityError):
        reservation_create(actor=ACTOR, organization=customer, quote=quote, zone=zone)

    assert written() == before
    assert live_slots() == [("de-muc-1a-reservable-0", 0, 4)]


def test_several_instances_take_the_fullest_node_first_in_slot_order(small_inventory, customer, make_quote):
    zone = AvailabilityZone.objects.get(slug="de-muc-1a")
    reservation_create(actor=ACTOR, organization=customer, quote=make_quote(flavor="b200-x2", count=1), zone=zone)
    Node.objects.filter(hostname="de-muc-1a-reservable-0").update(hostname="de-muc-1a-reservable-9")

    booking = reservation_create(
        actor=ACTOR, organization=customer, quote=make_quote(flavor="b200-x2", count=5), zone=zone
    )

    assert [(a.instance_index, a.node.hostname, a.gpu_first) for a in booking.allocations] == [
        (0, "de-muc-1a-reservable-9", 2),
        (1, "de-muc-1a-reservable-9", 4),
        (2, "de-muc-1a-reservable-9", 6),
        (3, "de-muc-1a-reservable-1", 0),
        (4, "de-muc-1a-reservable-1", 2),
    ]


@pytest.mark.django_db(transaction=True)
def test_a_conflict_reported_by_the_exclusion_constraint_is_retried_on_the_next_free_block(
    small_inventory, customer, make_quote
):
    """A writer that takes no pool lock holds the best block, uncommitted, while the booking inserts: PostgreSQL
    makes the booking wait, then refuses it when that writer commits. The booking undoes the attempt and tries
    again with a fresh look, and gets the next block; nothing of the first attempt remains."""
    zone = AvailabilityZone.objects.get(slug="de-muc-1a")
    holder = reservation_create(
        actor=ACTOR, organization=customer, quote=make_quote(flavor="b200-x4", count=1, start=24 * 40), zone=zone
    ).reservation
    node = Node.objects.get(hostname="de-muc-1a-reservable-0")  # the booking's best block: the first node's first
    quote = make_quote(flavor="b200-x4", count=1)
    before = written()
    inserted = threading.Event()
    failures: list[BaseException] = []

    def writer_without_the_pool_lock() -> None:
        close_old_connections()
        try:
            with transaction.atomic():
                Allocation.objects.create(
                    organization=customer,
                    reservation=holder,
                    instance_index=1,
                    node=node,
                    gpu_model_id=node.pool.node_type.gpu_model_id,
                    gpu_first=0,
                    gpu_count=4,
                    starts_at=hour(0),
                    ends_at=hour(24 * 30),
                )
                inserted.set()
                waiting = connection.cursor()
                for _ in range(600):  # until the booking's insert waits for this transaction (at most a minute)
                    waiting.execute(WAITING_FOR_A_LOCK)
                    if waiting.fetchone()[0]:
                        break
                    time.sleep(0.1)
        except BaseException as error:  # reported to the test below
            failures.append(error)
            inserted.set()
        finally:
            connections.close_all()

    writer = threading.Thread(target=writer_without_the_pool_lock)
    writer.start()
    inserted.wait(timeout=60)
    # The lock-free read already counts the writer's block as free (it is not committed): the booking tries it.
    booking = reservation_create(actor=ACTOR, organization=customer, quote=quote, zone=zone)
    writer.join(timeout=60)

    assert failures == []
    assert [(a.node.hostname, a.gpu_first) for a in booking.allocations] == [("de-muc-1a-reservable-0", 4)]
    assert written() == (before[0] + 1, before[1] + 2, before[2] + 2, before[3] + 1)
    assert live_slots() == [
        ("de-muc-1a-reservable-0", 0, 4),
        ("de-muc-1a-reservable-0", 0, 4),
        ("de-muc-1a-reservable-0", 4, 4),
    ]


def test_with_server_side_binding_the_same_statements_go_one_per_execute(
    small_inventory, customer, make_quote, monkeypatch
):
    """Server-side binding prepares each execute, which then carries one statement: the booking's rows, the lock and
    the insert are sent one after the other, with the same outcome."""
    monkeypatch.setitem(connection.settings_dict["OPTIONS"], "server_side_binding", True)
    quote = make_quote(flavor="b200-x4", count=2)

    with CaptureQueriesContext(connection) as queries:
        booking = reservation_create(actor=ACTOR, organization=customer, quote=quote)

    statements = [query["sql"].strip() for query in queries.captured_queries]
    lock = next(i for i, sql in enumerate(statements) if sql.startswith("SELECT id FROM reservations_capacitypool"))
    assert [sql.split(" (")[0] for sql in statements[lock - 2 : lock]] == [
        'INSERT INTO "reservations_reservation"',
        'INSERT INTO "tenants_auditevent"',
    ]
    assert "INSERT INTO reservations_allocation" in statements[lock + 1]
    assert ";" not in statements[lock + 1].rstrip(";")
    assert statements[lock + 2].startswith("RELEASE SAVEPOINT")  # the test's own: nothing else after the insert
    booking.reservation.refresh_from_db()
    assert booking.reservation.state == ReservationState.SCHEDULED
    assert live_slots() == [("de-muc-1a-reservable-0", 0, 4), ("de-muc-1a-reservable-0", 4, 4)]


@pytest.mark.django_db(transaction=True)  # the booking is its own transaction, as from a worker or a script
def test_a_booking_that_is_its_own_transaction_ends_it_with_the_allocation_insert(
    small_inventory, customer, make_quote, monkeypatch
):
    """No round trip after the insert: the check that it inserted the allocations and the COMMIT travel with it, so
    PostgreSQL releases the pool lock without waiting for this process. Django's commit after it sends nothing and
    runs the on-commit callbacks (the notice drain writes the e-mail)."""
    quote = make_quote(flavor="b200-x4", count=2)
    raw = type(connection.connection)
    status_at_commit: list[object] = []
    commit = raw.commit

    def recording_commit(self):  # type: ignore[no-untyped-def]
        status_at_commit.append(self.info.transaction_status)
        return commit(self)

    monkeypatch.setattr(raw, "commit", recording_commit)
    with CaptureQueriesContext(connection) as queries:
        booking = reservation_create(actor=ACTOR, organization=customer, quote=quote)

    statements = [query["sql"] for query in queries.captured_queries]
    locked = [index for index, sql in enumerate(statements) if "FROM reservations_capacitypool WHERE id" in sql]
    assert len(locked) == 1
    assert statements[locked[0]].rstrip().endswith("COMMIT")
    # Django's commit came next and found the transaction ended: psycopg sent nothing (then the notice drain's own).
    assert status_at_commit[0] == psycopg.pq.TransactionStatus.IDLE
    with psycopg_connection() as other:  # committed: seen from another session
        assert other.execute(
            "SELECT count(*) FROM reservations_allocation WHERE reservation_id = %s", [booking.reservation.pk]
        ).fetchone() == (2,)
    notice = ReservationNotice.objects.unscoped().get(reservation=booking.reservation)
    assert notice.written_at is not None  # the on-commit drain ran


@pytest.mark.django_db(transaction=True)
def test_a_pool_full_under_the_lock_fails_the_commit_round_trip_and_the_next_zone_books(
    small_inventory, customer, make_quote, monkeypatch
):
    """A stale lock-free read names both zones; the first is full under its lock: the round trip fails before its
    COMMIT, the attempt is rolled back to its savepoint (nothing of it remains), and the second zone books."""
    fill_first_zone(customer, make_quote)
    monkeypatch.setattr(
        services, "booking_candidates", lambda **_: [reservable_pool("de-muc-1a"), reservable_pool("de-muc-1b")]
    )
    quote = make_quote(flavor="b200-x4", count=1)
    before = written()

    booking = reservation_create(actor=ACTOR, organization=customer, quote=quote)

    assert (booking.reservation.zone.slug, booking.reservation.state) == ("de-muc-1b", ReservationState.SCHEDULED)
    assert written() == (before[0] + 1, before[1] + 1, before[2] + 2, before[3] + 1)
    assert Reservation.objects.unscoped().filter(zone__slug="de-muc-1a").count() == 1  # the fill's only


@pytest.mark.django_db(transaction=True)
def test_a_pool_full_under_the_lock_in_its_own_transaction_refuses_and_writes_nothing(
    small_inventory, customer, make_quote, monkeypatch
):
    fill_first_zone(customer, make_quote)
    monkeypatch.setattr(services, "booking_candidates", lambda **_: [reservable_pool("de-muc-1a")])
    quote = make_quote(flavor="b200-x1", count=1)
    before = written()

    with pytest.raises(NoCapacityError):
        reservation_create(actor=ACTOR, organization=customer, quote=quote)

    assert written() == before
    assert not connection.in_atomic_block
