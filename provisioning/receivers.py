"""Provisioning follows the domain events and starts tasks after the commit: the reservation lifecycle and the
approval of an organization, whose cloud project provisioning creates. In the transaction itself it writes only
the instance rows of a reservation moving to provisioning (no cloud call)."""

from __future__ import annotations

from core.events import Event, subscribe
from core.tasks import enqueue_on_commit
from provisioning.services import reservation_instances_create
from provisioning.tasks import deprovision_reservation_task, organization_activate_task, provision_reservation_task


@subscribe("reservation.provisioning", during_transaction=True)
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
