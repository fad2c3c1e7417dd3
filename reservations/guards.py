"""Order guards: checks that higher apps add to every order without reservations importing them.

A guard is ``(order: OrderDescription) -> OrderRefusal | None``. The one rule set of ``reservations.rules`` runs
every registered guard for a booking (``reservation_create``) and for an extension (``reservation_extend``) alike,
under the organization's row lock, so two concurrent orders of one organization cannot both pass a guard that
depends on what the organization already holds. Billing registers the budget hard cap at start-up
(``billing.apps.BillingConfig.ready``).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal

from django.core.exceptions import ValidationError

from catalog.models import Flavor
from tenants.models import Organization


@dataclass(frozen=True)
class OrderRefusal:
    """Why an order is refused: a sentence for the customer and a stable code for the API."""

    message: str
    code: str


@dataclass(frozen=True)
class OrderDescription:
    """What an order (a booking or a change of a reservation) asks for, the same shape for every entry point.

    ``starts_at``/``ends_at`` are the whole window after the order (``ends_at`` is None on demand). The part the order
    adds is ``adds_from``..``adds_until`` (the whole window for a booking, previous end to new end for an extension;
    for on demand the estimated running time from now), costing ``additional_net`` EUR. ``reservation_id`` names the
    reservation being changed (None for a booking): its own GPUs do not count against it.
    """

    organization: Organization
    flavor: Flavor
    gpu_model_id: int
    kind: str
    instance_count: int
    starts_at: datetime
    ends_at: datetime | None
    adds_from: datetime
    adds_until: datetime
    additional_net: Decimal
    now: datetime
    reservation_id: int | None = None

    @property
    def gpus(self) -> int:
        return self.instance_count * self.flavor.gpu_count


OrderGuard = Callable[[OrderDescription], OrderRefusal | None]
ORDER_GUARDS: list[OrderGuard] = []


def register_order_guard(guard: OrderGuard) -> OrderGuard:
    """Add ``guard`` to every order (idempotent: registering the same guard twice keeps one)."""
    if guard not in ORDER_GUARDS:
        ORDER_GUARDS.append(guard)
    return guard


def order_guards_check(order: OrderDescription) -> None:
    """Run every guard in registration order; the first refusal is raised as a ``ValidationError``."""
    for guard in list(ORDER_GUARDS):
        refusal = guard(order)
        if refusal is not None:
            raise ValidationError(refusal.message, code=refusal.code)
