"""Provisioning follows the domain events and starts tasks after the commit: the reservation lifecycle and the
approval of an organization, whose cloud project provisioning creates. In the transaction itself it writes only
the instance rows of a reservation moving to provisioning (no cloud call)."""

from __future__ import annotations

from core.events import Event, subscribe
from core.tasks import enqueue_on_commit
from provisioning.services import reservation_instances_create, reservations_instances_create
from provisioning.tasks import deprovision_reservation_task, organization_activate_task, provision_reservation_task


def instances_on_provisioning_many(events: list[Event]) -> None:
    """``instances_on_provisioning`` for the events of many reservations at once (``dispatch_due``'s batch): one
    read of their sizes, one INSERT of their rows."""
    reservations_instances_create(
        reservation_ids=[event.subject_id for event in events if event.subject_id is not None]
    )


@subscribe("reservation.provisioning", during_transaction=True, batch=instances_on_provisioning_many)
def instances_on_provisioning(event: Event) -> None:
    """The instance rows in the transaction that moves the reservation to provisioning (its task then writes nothing
    before the first cloud call; ``dispatch_due`` moves up to 200 per transaction)."""
    if event.subject_id is not None:
        reservation_instances_create(reservation_id=event.subject_id)


@subscribe("reservation.")
def provision_on_lifecycle(event: Event) -> None:
    reservation_id = event.subject_id
    if reservation_id is None:
        return
    if event.name == "reservation.provisioning":
        enqueue_on_commit(provision_reservation_task, reservation_id)
    elif event.name in ("reservation.ending", "reservation.failed"):
        enqueue_on_commit(deprovision_reservation_task, reservation_id)


@subscribe("organization.provisioning")
def activate_on_approval(event: Event) -> None:
    enqueue_on_commit(organization_activate_task, event.organization_id)
