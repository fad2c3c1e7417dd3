"""Order guards: checks that higher apps add to every order without reservations importing them.

A guard is ``(organization, quote, now) -> OrderRefusal | None``. ``reservation_create`` runs every registered guard
under the organization's row lock, so two concurrent orders of one organization cannot both pass a guard that
depends on what the organization already holds. Billing registers the budget hard cap at start-up
(``billing.apps.BillingConfig.ready``).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from django.core.exceptions import ValidationError

from catalog.models import Quote
from tenants.models import Organization


@dataclass(frozen=True)
class OrderRefusal:
    """Why an order is refused: a sentence for the customer and a stable code for the API."""

    message: str
    code: str


OrderGuard = Callable[[Organization, Quote, datetime], OrderRefusal | None]
ORDER_GUARDS: list[OrderGuard] = []


def register_order_guard(guard: OrderGuard) -> OrderGuard:
    """Add ``guard`` to every order (idempotent: registering the same guard twice keeps one)."""
    if guard not in ORDER_GUARDS:
        ORDER_GUARDS.append(guard)
    return guard


def order_guards_check(*, organization: Organization, quote: Quote, now: datetime) -> None:
    """Run every guard in registration order; the first refusal is raised as a ``ValidationError``."""
    for guard in list(ORDER_GUARDS):
        refusal = guard(organization, quote, now)
        if refusal is not None:
            raise ValidationError(refusal.message, code=refusal.code)
