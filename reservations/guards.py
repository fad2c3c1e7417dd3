"""Order guards: checks that higher apps add to every order without reservations importing them.

A guard is ``(order: OrderDescription, rows) -> OrderRefusal | None``. The one rule set of ``reservations.rules``
runs every registered guard for a booking (``reservation_create``) and for an extension (``reservation_extend``)
alike, under the organization's row lock, so two concurrent orders of one organization cannot both pass a guard
that depends on what the organization already holds. Billing registers the budget hard cap at start-up
(``billing.apps.BillingConfig.ready``).

A guard may declare its read as one statement (``read``): on PostgreSQL the organization's lock carries it in its
round trip, after the lock (``reservations.rules.order_reads_statements``), and the guard gets the statement's
rows; ``rows`` is None where nothing was read for it (elsewhere, or a guard without a read), and the guard reads
for itself.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Any

from django.core.exceptions import ValidationError

from catalog.models import Flavor
from core.statements import Statement
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


#: The rows of a guard's read, or None where the guard was not given them (it then reads for itself).
GuardRows = list[tuple[Any, ...]] | None
OrderGuard = Callable[[OrderDescription, GuardRows], OrderRefusal | None]
#: A guard's read for an order, as one statement (parameter names prefixed by the guard's app, as they travel with
#: others).
GuardRead = Callable[[OrderDescription], Statement]
ORDER_GUARDS: list[OrderGuard] = []
ORDER_GUARD_READS: dict[OrderGuard, GuardRead] = {}


def register_order_guard(guard: OrderGuard, *, read: GuardRead | None = None) -> OrderGuard:
    """Add ``guard`` to every order (idempotent: registering the same guard twice keeps one), with its ``read``."""
    if guard not in ORDER_GUARDS:
        ORDER_GUARDS.append(guard)
    if read is not None:
        ORDER_GUARD_READS[guard] = read
    else:
        ORDER_GUARD_READS.pop(guard, None)
    return guard


def order_guards_reading() -> list[OrderGuard]:
    """The registered guards that declare a read, in registration order."""
    return [guard for guard in ORDER_GUARDS if guard in ORDER_GUARD_READS]


def order_guard_reads(order: OrderDescription) -> list[tuple[OrderGuard, Statement]]:
    """Each registered guard that declares a read, with its statement for ``order``, in registration order."""
    return [(guard, ORDER_GUARD_READS[guard](order)) for guard in order_guards_reading()]


def order_guards_check(order: OrderDescription, rows: dict[OrderGuard, list[tuple[Any, ...]]] | None = None) -> None:
    """Run every guard in registration order, each with the rows of its read if ``rows`` has them; the first refusal
    is raised as a ``ValidationError``."""
    for guard in list(ORDER_GUARDS):
        refusal = guard(order, rows.get(guard) if rows is not None else None)
        if refusal is not None:
            raise ValidationError(refusal.message, code=refusal.code)
