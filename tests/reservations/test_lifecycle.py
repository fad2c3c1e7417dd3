"""The reservation lifecycle, extension, maintenance moves, availability answers and the capacity calendar."""

from __future__ import annotations

from datetime import timedelta

import pytest
import time_machine
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext

from catalog.models import AvailabilityZone, Flavor, GpuModel
from reservations.availability import availability_check, capacity_calendar
from reservations.choices import NodeState, ReservationKind, ReservationState
from reservations.models import Allocation, Node, Reservation
from reservations.services import (
    ExtensionRefusedError,
    node_maintenance_impact,
    node_set_state,
    reservation_cancel,
    reservation_create,
    reservation_extend,
    reservation_release,
    reservation_transition,
)
from tenants.audit import Actor
from tenants.models import AuditEvent
from tenants.services import InvalidTransitionError

from .conftest import hour

pytestmark = pytest.mark.django_db

ACTOR = Actor.system("test")
MONTH = 24 * 30


def book(customer, quote, **kwargs):
    return reservation_create(actor=ACTOR, organization=customer, quote=quote, **kwargs).reservation


def test_cancelling_before_the_start_is_free_and_releases_the_gpus(small_inventory, customer, make_quote):
    reservation = book(customer, make_quote())

    reservation_cancel(actor=ACTOR, reservation=reservation)

    assert reservation.state == ReservationState.CANCELLED
    assert Allocation.objects.for_organization(customer).filter(released_at__isnull=True).count() == 0
    assert list(
        AuditEvent.objects.for_organization(customer)
        .filter(action__startswith="reservation.")
        .order_by("id")
        .values_list("action", flat=True)
    ) == ["reservation.requested", "reservation.scheduled", "reservation.cancelled"]


def test_invalid_transitions_are_refused_and_change_nothing(small_inventory, customer, make_quote):
    reservation = book(customer, make_quote())

    with pytest.raises(InvalidTransitionError, match="cannot go from Scheduled to Ended"):
        reservation_transition(actor=ACTOR, reservation=reservation, to_state=ReservationState.ENDED)

    reservation.refresh_from_db()
    assert reservation.state == ReservationState.SCHEDULED


def test_a_refused_transition_inside_a_callers_transaction_leaves_it_usable_and_takes_no_savepoint(
    small_inventory, customer, make_quote
):
    """A transition in a caller's transaction (an activation's) takes no savepoint: a refusal — a move the lifecycle
    does not allow, a row that is gone — is raised after its block, which wrote nothing, so the caller that catches
    it carries on; an allowed move sends no SAVEPOINT either."""
    reservation = book(customer, make_quote())
    with transaction.atomic():
        with CaptureQueriesContext(connection) as queries, pytest.raises(InvalidTransitionError):
            reservation_transition(actor=ACTOR, reservation=reservation, to_state=ReservationState.ENDED)
        gone = Reservation(pk=reservation.pk + 1_000_000, organization=customer)
        with pytest.raises(Reservation.DoesNotExist):
            reservation_transition(actor=ACTOR, reservation=gone, to_state=ReservationState.CANCELLED)
        assert AuditEvent.objects.for_organization(customer).filter(action="reservation.ended").count() == 0  # usable
        with CaptureQueriesContext(connection) as moved:
            reservation_transition(actor=ACTOR, reservation=reservation, to_state=ReservationState.CANCELLED)
    assert not [query for query in [*queries.captured_queries, *moved.captured_queries] if "SAVEPOINT" in query["sql"]]
    reservation.refresh_from_db()
    assert reservation.state == ReservationState.CANCELLED


def test_early_release_of_on_demand_ends_its_allocations_now(small_inventory, customer, make_quote):
    reservation = book(customer, make_quote(flavor="b200-x1", commitment="on_demand", hours=24))
    reservation_transition(actor=ACTOR, reservation=reservation, to_state=ReservationState.PROVISIONING)
    reservation_transition(actor=ACTOR, reservation=reservation, to_state=ReservationState.ACTIVE)

    with time_machine.travel(reservation.starts_at + timedelta(hours=3), tick=False):
        reservation_release(actor=ACTOR, reservation=reservation)

    reservation.refresh_from_db()
    allocation = Allocation.objects.for_organization(customer).get()
    assert reservation.state == ReservationState.ENDING
    assert reservation.ends_at == allocation.ends_at == reservation.starts_at + timedelta(hours=3)


def test_extension_keeps_the_same_gpus(small_inventory, customer, make_quote):
    reservation = book(customer, make_quote(flavor="b200-x8-metal", count=1))
    slots = list(Allocation.objects.for_organization(customer).values_list("node_id", "gpu_first"))

    reservation_extend(actor=ACTOR, reservation=reservation, ends_at=hour(MONTH + 48))

    assert reservation.ends_at == hour(MONTH + 48)
    assert list(Allocation.objects.for_organization(customer).values_list("node_id", "gpu_first", "ends_at")) == [
        (*slots[0], hour(MONTH + 48))
    ]


def test_extension_says_until_when_it_is_possible(small_inventory, customer, make_quote):
    zone = AvailabilityZone.objects.get(slug="de-muc-1a")
    first = book(customer, make_quote(flavor="b200-x8-metal", count=2), zone=zone)
    book(customer, make_quote(flavor="b200-x8-metal", count=2, start=MONTH + 24), zone=zone)

    with pytest.raises(ExtensionRefusedError) as refusal:
        reservation_extend(actor=ACTOR, reservation=first, ends_at=hour(MONTH + 48))

    assert refusal.value.possible_until == hour(MONTH + 24)
    first.refresh_from_db()
    assert first.ends_at == hour(MONTH)


def test_maintenance_moves_reservations_to_free_gpus(small_inventory, customer, make_quote):
    zone = AvailabilityZone.objects.get(slug="de-muc-1a")
    book(customer, make_quote(flavor="b200-x4", count=1), zone=zone)
    node = Node.objects.get(hostname="de-muc-1a-reservable-0")

    preview = node_maintenance_impact(node=node)
    impacts = node_set_state(actor=ACTOR, node=node, state=NodeState.MAINTENANCE, reason="BMC firmware")

    assert [(i.organization, i.moved_to) for i in preview] == [
        ("Rheinwerk Robotics GmbH", "de-muc-1a-reservable-1 GPU 0-3")
    ]
    assert impacts == []
    node.refresh_from_db()
    assert node.state == NodeState.MAINTENANCE
    assert list(Allocation.objects.for_organization(customer).values_list("node__hostname", "gpu_first")) == [
        ("de-muc-1a-reservable-1", 0)
    ]


def test_maintenance_never_drops_a_reservation_silently(small_inventory, customer, make_quote):
    zone = AvailabilityZone.objects.get(slug="de-muc-1a")
    book(customer, make_quote(flavor="b200-x8-metal", count=2), zone=zone)
    node = Node.objects.get(hostname="de-muc-1a-reservable-0")

    impacts = node_set_state(actor=ACTOR, node=node, state=NodeState.MAINTENANCE, reason="PSU swap")

    assert [(i.organization, i.moved_to) for i in impacts] == [("Rheinwerk Robotics GmbH", None)]
    node.refresh_from_db()
    assert node.state == NodeState.AVAILABLE
    assert sorted(Allocation.objects.for_organization(customer).values_list("node__hostname", flat=True)) == [
        "de-muc-1a-reservable-0",
        "de-muc-1a-reservable-1",
    ]


def test_availability_answers_fits_or_when_and_where(small_inventory, customer, make_quote):
    zone = AvailabilityZone.objects.get(slug="de-muc-1a")
    book(customer, make_quote(flavor="b200-x8-metal", count=2), zone=zone)
    metal = Flavor.objects.get(slug="b200-x8-metal")

    later = availability_check(
        flavor=metal, instances=1, kind=ReservationKind.RESERVED, starts_at=hour(0), ends_at=hour(MONTH), zone=zone
    )
    anywhere = availability_check(
        flavor=metal, instances=1, kind=ReservationKind.RESERVED, starts_at=hour(0), ends_at=hour(MONTH)
    )

    assert (later.fits, later.earliest_start) == (False, hour(MONTH))
    first_alternative = later.alternatives[0]
    assert (first_alternative.zone, first_alternative.flavor, first_alternative.instance_count) == (
        "de-muc-1b",
        "b200-x8-metal",
        1,
    )
    assert (anywhere.fits, anywhere.zone) == (True, "de-muc-1b")


def test_capacity_calendar_counts_free_gpus_per_step(small_inventory, customer, make_quote):
    zone = AvailabilityZone.objects.get(slug="de-muc-1a")
    book(customer, make_quote(flavor="b200-x4", count=1, start=0), zone=zone)
    b200 = GpuModel.objects.get(slug="b200")

    rows = capacity_calendar(zone=zone, gpu_model=b200, starts_at=hour(-2), ends_at=hour(2), step=timedelta(hours=1))

    assert [(row.starts_at, row.total_gpus, row.free_gpus) for row in rows] == [
        (hour(-2), 16, 16),
        (hour(-1), 16, 16),
        (hour(0), 16, 12),
        (hour(1), 16, 12),
    ]


def test_end_reminders_go_out_once_48_hours_and_1_hour_before(
    small_inventory, customer, make_quote, mailoutbox, django_capture_on_commit_callbacks
):
    from reservations.notifications import send_end_reminders

    reservation = book(customer, make_quote())

    with django_capture_on_commit_callbacks(execute=True):
        with time_machine.travel(hour(MONTH - 47), tick=False):
            first = send_end_reminders()
            again = send_end_reminders()
        with time_machine.travel(hour(MONTH) - timedelta(minutes=30), tick=False):
            last = send_end_reminders()

    assert (first, again, last) == (1, 0, 1)
    assert [m.subject for m in mailoutbox] == [
        f"Kontor: reservation {reservation.pk} ends in 48 hours",
        f"Kontor: reservation {reservation.pk} ends in one hour",
    ]


def test_lifecycle_events_are_mailed_to_owners_and_admins(
    small_inventory, customer, make_quote, mailoutbox, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        reservation = book(customer, make_quote())
        reservation_cancel(actor=ACTOR, reservation=reservation)

    assert [m.subject for m in mailoutbox] == [
        f"Kontor: reservation {reservation.pk} is booked",
        f"Kontor: reservation {reservation.pk} was cancelled",
    ]
