"""Helpers for billing tests: one booked reservation and usage records written straight into its hours."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal

import pytest

from metering.choices import Meter
from metering.models import UsageRecord
from reservations.models import Reservation
from reservations.services import reservation_create
from tenants.audit import Actor

ACTOR = Actor.system("test")


@pytest.fixture
def reservation(small_inventory, customer, make_quote) -> Reservation:
    """An on-demand reservation of the German customer, booked now (the catalog's price list is seeded now).

    Billing reads only its usage records, whose hours the tests choose; every billing call travels in time.
    """
    quote = make_quote(flavor="b200-x4", commitment="on_demand", hours=24)
    return reservation_create(actor=ACTOR, organization=customer, quote=quote).reservation


def usage(
    reservation: Reservation,
    hour: datetime,
    seconds: int,
    price: str,
    meter: str = Meter.COMMITTED_GPU_SECONDS,
) -> UsageRecord:
    """A window record (no instance) of the reservation: metering's unique (reservation, meter, hour) applies."""
    return UsageRecord.objects.create(
        organization_id=reservation.organization_id,
        reservation=reservation,
        instance=None,
        meter=meter,
        hour=hour,
        quantity=seconds,
        flavor_id=reservation.flavor_id,
        item_version_id=reservation.item_version_id,
        unit_price=Decimal(price),
    )
