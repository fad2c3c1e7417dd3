"""Reads of provisioning."""

from __future__ import annotations

from provisioning.models import Instance
from reservations.models import Reservation


def reservation_instances(*, reservation: Reservation) -> list[Instance]:
    """The reservation's servers in the cloud, in order, with their addresses and state histories."""
    return list(
        Instance.objects.for_organization(reservation.organization)
        .filter(reservation=reservation)
        .select_related("network")
        .prefetch_related("transitions")
    )
