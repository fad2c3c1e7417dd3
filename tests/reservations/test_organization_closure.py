"""A closed organization keeps no GPUs: ``organization.closed`` ends its reservations in the closing transaction;
a suspension leaves them as they are."""

from __future__ import annotations

from datetime import timedelta

import pytest
import time_machine

from reservations.choices import ReservationState
from reservations.lifecycle import ReservationEffects, organization_reservation_effects
from reservations.models import Allocation, Reservation
from reservations.services import reservation_create, reservation_transition
from tenants.audit import Actor
from tenants.choices import OrganizationStatus
from tenants.models import AuditEvent
from tenants.services import organization_close, organization_suspend

pytestmark = pytest.mark.django_db

ACTOR = Actor.system("test")
R = ReservationState


@pytest.fixture
def booked(small_inventory, customer, make_quote):
    """A reserved window starting in two hours and an on-demand reservation running since then."""
    scheduled = reservation_create(actor=ACTOR, organization=customer, quote=make_quote()).reservation
    running = reservation_create(
        actor=ACTOR, organization=customer, quote=make_quote(flavor="b200-x1", commitment="on_demand", hours=24)
    ).reservation
    reservation_transition(actor=ACTOR, reservation=running, to_state=R.PROVISIONING)
    reservation_transition(actor=ACTOR, reservation=running, to_state=R.ACTIVE)
    return scheduled, running


def test_the_effects_count_what_is_booked(booked, customer):
    scheduled, running = booked
    assert (scheduled.state, running.state) == (R.SCHEDULED, R.ACTIVE)
    assert organization_reservation_effects(organization=customer) == ReservationEffects(
        scheduled=1, running_reserved=0, running_on_demand=1, ending=0
    )


def test_suspending_leaves_the_reservations_as_they_are(booked, customer):
    organization_suspend(actor=ACTOR, organization=customer, reason="Invoices unpaid.")

    assert sorted(Reservation.objects.for_organization(customer).values_list("state", flat=True)) == [
        R.ACTIVE,
        R.SCHEDULED,
    ]


def test_closing_cancels_what_has_not_started_and_releases_what_runs(booked, customer):
    scheduled, running = booked

    with time_machine.travel(running.starts_at + timedelta(hours=3), tick=False):
        organization_close(actor=Actor.system("operator-test"), organization=customer, reason="Dissolved.")

    scheduled.refresh_from_db()
    running.refresh_from_db()
    customer.refresh_from_db()
    assert customer.status == OrganizationStatus.CLOSED
    assert (scheduled.state, running.state) == (R.CANCELLED, R.ENDING)
    assert running.ends_at == running.starts_at + timedelta(hours=3)
    assert Allocation.objects.for_organization(customer).filter(reservation=scheduled, released_at=None).count() == 0
    assert sorted(
        AuditEvent.objects.for_organization(customer)
        .filter(action__in=["organization.closed", "reservation.cancelled", "reservation.ending"])
        .values_list("action", "actor_label")
    ) == [
        ("organization.closed", "operator-test"),
        ("reservation.cancelled", "organization-closure"),
        ("reservation.ending", "organization-closure"),
    ]


def test_the_console_shows_the_effects_before_suspending_and_closing(booked, customer, console_client):
    suspend = console_client.get(f"/ops/tenants/organization/{customer.pk}/review/suspend/").content.decode()
    close = console_client.get(f"/ops/tenants/organization/{customer.pk}/review/close/").content.decode()

    assert "1 running reservation keeps running until its booked end" in suspend
    assert "1 scheduled reservation still starts as booked." in suspend
    assert "0 open (draft) invoices, 0.00 EUR gross so far, are finalized as usual." in suspend
    assert "1 reservation that has not started is cancelled, free of charge." in close
    assert "1 running reservation is released now and its servers are removed." in close
    assert "On demand (1): charged until now. Reserved windows (0): charged in full, as booked." in close
    customer.refresh_from_db()
    assert customer.status == OrganizationStatus.ACTIVE  # looking changes nothing
