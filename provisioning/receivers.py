"""Provisioning follows the reservation lifecycle: it consumes the domain events (after commit) and starts tasks."""

from __future__ import annotations

from reservations.events import subscribe


@subscribe
def provision_on_lifecycle(event: str, reservation_id: int) -> None:
    from provisioning.tasks import deprovision_reservation_task, provision_reservation_task

    if event == "reservation.provisioning":
        provision_reservation_task.delay(reservation_id)
    elif event in ("reservation.ending", "reservation.failed"):
        deprovision_reservation_task.delay(reservation_id)
