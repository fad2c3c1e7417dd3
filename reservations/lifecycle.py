"""Reservations follow their organization's lifecycle: a closed organization keeps no GPUs.

``organization.closed`` is published in the closing transaction; this subscriber runs in it, so the closure and
the end of every reservation commit together, and a refusal rolls both back. A suspension changes nothing here:
the order rules (``reservations.rules``) refuse new bookings and extensions of an organization that is not active,
and what is booked keeps its window.
"""

from __future__ import annotations

from dataclasses import dataclass

from core.events import Event, subscribe
from reservations.choices import ReservationKind, ReservationState
from reservations.models import Reservation
from reservations.services import reservation_cancel
from tenants.audit import Actor
from tenants.models import Organization

R = ReservationState
NOT_STARTED = (R.REQUESTED, R.SCHEDULED)
RUNNING = (R.PROVISIONING, R.ACTIVE)


@dataclass(frozen=True)
class ReservationEffects:
    """What an organization has booked that a suspension or closure concerns."""

    scheduled: int
    running_reserved: int
    running_on_demand: int
    ending: int

    @property
    def running(self) -> int:
        return self.running_reserved + self.running_on_demand


def organization_reservation_effects(*, organization: Organization) -> ReservationEffects:
    """Counts of the organization's reservations that have not started, run (by kind) or are being removed."""
    rows = (
        Reservation.objects.for_organization(organization)
        .filter(state__in=(*NOT_STARTED, *RUNNING, R.ENDING))
        .values_list("state", "kind")
    )
    states = list(rows)
    return ReservationEffects(
        scheduled=sum(1 for state, _kind in states if state in NOT_STARTED),
        running_reserved=sum(1 for state, kind in states if state in RUNNING and kind == ReservationKind.RESERVED),
        running_on_demand=sum(1 for state, kind in states if state in RUNNING and kind == ReservationKind.ON_DEMAND),
        ending=sum(1 for state, _kind in states if state == R.ENDING),
    )


@subscribe("organization.closed", during_transaction=True)
def end_reservations_of_closed_organization(event: Event) -> None:
    """Cancel what has not started (free) and release what runs (the documented early-release policy: servers
    removed, on-demand charged until now, a reserved window in full)."""
    organization = Organization.objects.get(pk=event.organization_id)
    actor = Actor.system("organization-closure")
    reservations = (
        Reservation.objects.for_organization(organization)
        .filter(state__in=(*NOT_STARTED, *RUNNING))
        .order_by("starts_at", "id")
    )
    for reservation in reservations:
        reservation_cancel(actor=actor, reservation=reservation)
