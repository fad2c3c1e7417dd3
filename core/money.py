"""Money is Decimal end to end and rounded once, half-up to the cent, at the documented place."""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal

CENT = Decimal("0.01")
HUNDRED = Decimal(100)


def round_money(amount: Decimal) -> Decimal:
    """The one rounding of money: half-up (commercial rounding) to the cent."""
    return amount.quantize(CENT, rounding=ROUND_HALF_UP)
