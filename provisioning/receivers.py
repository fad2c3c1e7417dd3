"""Provisioning follows the domain events and starts tasks after the commit: the reservation lifecycle and the
approval of an organization, whose cloud project provisioning creates. In the transaction itself it writes only
the instance rows of a reservation moving to provisioning (no cloud call)."""

from __future__ import annotations

from core.events import Event, subscribe
from core.tasks import enqueue_on_commit
from provisioning.services import reservation_instances_create, reservations_instances_create
from provisioning.tasks import (
    deprovision_reservation_task,
    organization_activate_task,
    provision_reservation_task,
    provision_reservations_task,
)


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


#: Reservations that start together (``dispatch_due`` moves up to 200 in one transaction) are sent to the workers
#: in messages of at most this many: publishing and taking a message cost about half as much CPU as a reservation's
#: first step with the simulator (~2.5 ms against ~6 ms), and chunks this small still keep every worker busy. A
#: chunk's steps run one after the other (a driver step is a few cloud requests; polls are messages of their own),
#: well within the queue's time limit.
PROVISION_BATCH = 10


def provision_on_lifecycle_many(events: list[Event]) -> None:
    """``provision_on_lifecycle`` for the events of one step (``publish_many``: ``dispatch_due``'s claim): the
    reservations that start go in balanced chunks of at most ``PROVISION_BATCH`` per message (a chunk of one as
    ``provision_reservation_task``), the others one by one."""
    starting = [
        event.subject_id
        for event in events
        if event.name == "reservation.provisioning" and event.subject_id is not None
    ]
    chunks = -(-len(starting) // PROVISION_BATCH)
    for number in range(chunks):
        chunk = starting[number::chunks]
        if len(chunk) == 1:
            enqueue_on_commit(provision_reservation_task, chunk[0])
        else:
            enqueue_on_commit(provision_reservations_task, *chunk)
    for event in events:
        if event.name != "reservation.provisioning":
            provision_on_lifecycle(event)


@subscribe("reservation.", batch=provision_on_lifecycle_many)
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
