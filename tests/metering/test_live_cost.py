"""The live cost of a reservation: metered hours at the quote's prices plus the part metering has not reached yet
(an estimate), and a reserved window's committed total."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest
from rest_framework.test import APIClient

from metering.selectors import reservation_cost
from metering.services import meter_instance
from provisioning.cloud_access import reservation_order
from provisioning.models import Instance
from tenants.audit import Actor
from tests.provisioning.test_network_access import order, orderer, provision

__all__ = ["orderer"]
pytestmark = pytest.mark.django_db


def test_on_demand_cost_is_metered_hours_plus_the_partial_hour(small_inventory, customer, orderer, make_quote):
    reservation = order(customer, orderer, make_quote, ssh_key_ids=[])
    provision(reservation)
    instances = list(Instance.objects.for_organization(customer).filter(reservation=reservation))
    started = max(instance.started_at for instance in instances)
    price = reservation.quote.compute_unit_price + reservation.quote.license_unit_price  # a NIM: NVIDIA AI Enterprise
    for instance in instances:
        meter_instance(instance_id=instance.pk, until=instance.started_at + timedelta(minutes=30))

    cost = reservation_cost(reservation=reservation, at=started + timedelta(minutes=90))

    seconds = sum(
        int((started + timedelta(minutes=90) - i.started_at.replace(microsecond=0)).total_seconds()) for i in instances
    )
    assert cost.metered == (Decimal(2 * 1800) * price / 3600).quantize(Decimal("0.01"))
    assert cost.so_far == (Decimal(seconds) * price / 3600).quantize(Decimal("0.01"))
    assert cost.so_far > cost.metered
    assert cost.committed is None


def test_a_reserved_window_shows_its_committed_total(small_inventory, customer, orderer, make_quote):
    quote = make_quote(flavor="b200-x1", count=1, commitment="reserved_1m")
    reservation = reservation_order(actor=Actor.for_user(orderer), organization=customer, quote=quote).reservation
    client = APIClient()
    client.force_authenticate(orderer)

    cost = client.get(f"/api/v1/organizations/rheinwerk/reservations/{reservation.pk}/").json()["cost"]

    assert {key: cost[key] for key in ("metered", "so_far", "committed", "currency", "estimate")} == {
        "metered": "0.00",
        "so_far": "0.00",  # the window has not started
        "committed": str(quote.net_amount),
        "currency": "EUR",
        "estimate": True,
    }
