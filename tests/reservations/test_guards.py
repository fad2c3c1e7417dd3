"""Order guards registered by higher apps: each runs under the organization's lock, and a guard that declares its
read gets that read's rows from the lock's round trip instead of reading for itself."""

from __future__ import annotations

from typing import Any

import pytest
from django.core.exceptions import ValidationError
from django.db import connection
from django.test.utils import CaptureQueriesContext

from core.statements import statement_text
from reservations import guards
from reservations.guards import GuardRows, OrderDescription, OrderRefusal, register_order_guard
from reservations.models import Reservation
from reservations.services import reservation_create
from tenants.audit import Actor

pytestmark = pytest.mark.django_db

MARK = "kontor_guard_test"


@pytest.fixture
def registry(monkeypatch):
    """The guards registered at start-up, restored after the test."""
    monkeypatch.setattr(guards, "ORDER_GUARDS", list(guards.ORDER_GUARDS))
    monkeypatch.setattr(guards, "ORDER_GUARD_READS", dict(guards.ORDER_GUARD_READS))


def test_a_guard_with_a_read_gets_its_rows_from_the_locks_round_trip(registry, small_inventory, customer, make_quote):
    seen: list[tuple[int, GuardRows]] = []

    def legal_name_read(order: OrderDescription) -> tuple[str, dict[str, Any]]:
        return (
            f"SELECT legal_name AS {MARK} FROM tenants_organization WHERE id = %(guard_test_org)s",
            {"guard_test_org": order.organization.pk},
        )

    def named(order: OrderDescription, rows: GuardRows) -> OrderRefusal | None:
        seen.append((order.organization.pk, rows))
        return None

    def without_read(order: OrderDescription, rows: GuardRows) -> OrderRefusal | None:
        seen.append((-1, rows))
        return None

    register_order_guard(named, read=legal_name_read)
    register_order_guard(without_read)
    with CaptureQueriesContext(connection) as queries:
        reservation_create(actor=Actor.system("test"), organization=customer, quote=make_quote())

    assert seen == [(customer.pk, [(customer.legal_name,)]), (-1, None)]
    carrying = [statement_text(query["sql"]) for query in queries.captured_queries if MARK in query["sql"]]
    assert len(carrying) == 1
    assert "FOR NO KEY UPDATE" in carrying[0]  # with the organization's lock, after it
    assert carrying[0].index("FOR NO KEY UPDATE") < carrying[0].index(MARK)


def test_a_guards_refusal_leaves_nothing_booked(registry, small_inventory, customer, make_quote):
    def refuse(order: OrderDescription, rows: GuardRows) -> OrderRefusal | None:
        return OrderRefusal("Closed for inventory.", code="closed")

    register_order_guard(refuse, read=lambda order: ("SELECT 1", {}))
    with pytest.raises(ValidationError) as refusal:
        reservation_create(actor=Actor.system("test"), organization=customer, quote=make_quote())

    assert (refusal.value.code, refusal.value.messages) == ("closed", ["Closed for inventory."])
    assert Reservation.objects.for_organization(customer).count() == 0


def test_registering_again_without_a_read_drops_the_read(registry):
    def guard(order: OrderDescription, rows: GuardRows) -> OrderRefusal | None:
        return None

    register_order_guard(guard, read=lambda order: ("SELECT 1", {}))
    register_order_guard(guard)
    assert guards.ORDER_GUARDS.count(guard) == 1
    assert guard not in guards.ORDER_GUARD_READS
