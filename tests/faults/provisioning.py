"""Booking and watching many reservations for the fault tests and the manual fault run."""

from __future__ import annotations

from django.db.models import Count

from catalog.models import AvailabilityZone
from provisioning.models import Instance, SimulatedServer
from provisioning.tasks import sweep_task
from reservations.choices import ReservationState
from reservations.models import Reservation
from reservations.services import reservation_create, reservation_transition
from tenants.audit import Actor

ACTOR = Actor.system("faults")


def book_and_start(*, organization, make_quote, count: int) -> list[int]:
    """``count`` reservations of one b200-x2 each, moved to provisioning: their messages go to the broker."""
    zone = AvailabilityZone.objects.get(slug="de-muc-1a")
    ids = []
    for _ in range(count):
        booking = reservation_create(
            actor=ACTOR, organization=organization, quote=make_quote(flavor="b200-x2"), zone=zone
        )
        reservation_transition(actor=ACTOR, reservation=booking.reservation, to_state=ReservationState.PROVISIONING)
        ids.append(booking.reservation.pk)
    return ids


def states(ids: list[int]) -> dict[str, int]:
    rows = Reservation.objects.unscoped().filter(pk__in=ids).values("state").annotate(n=Count("pk"))
    return {row["state"]: row["n"] for row in rows}


def active(ids: list[int]) -> int:
    return Reservation.objects.unscoped().filter(pk__in=ids, state=ReservationState.ACTIVE).count()


def servers_per_instance(ids: list[int]) -> dict[int, int]:
    """Live simulated servers per instance of these reservations (the invariant: exactly one each)."""
    tags = {instance.tag: instance.pk for instance in Instance.objects.unscoped().filter(reservation_id__in=ids)}
    counts = dict.fromkeys(tags.values(), 0)
    for tag in SimulatedServer.objects.filter(deleted_at__isnull=True, tag__in=tags).values_list("tag", flat=True):
        counts[tags[tag]] += 1
    return counts


def sweep() -> dict[str, int]:
    """What beat runs every minute: the provisioning sweeper, here on demand (its messages go to the broker)."""
    return sweep_task.apply().get()
