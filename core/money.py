"""Money is Decimal end to end, rounded once, half-up to the cent, at the documented place, and shown one way."""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal

from django.utils import formats
from django.utils.translation import get_language

CENT = Decimal("0.01")
HUNDRED = Decimal(100)


def round_money(amount: Decimal) -> Decimal:
    """The one rounding of money: half-up (commercial rounding) to the cent."""
    return amount.quantize(CENT, rounding=ROUND_HALF_UP)


def format_money(amount: Decimal | int, *, places: int | None = None) -> str:
    """An amount in euros as the active language writes it: ``4.200,80 €`` in German, ``€4,200.80`` in English.

    The one way Kontor shows money, on pages (the ``eur`` template filter) and in e-mails (rendered in the
    recipient's language). Two decimal places, or more when the amount has them (a unit price of ``1.2345`` EUR per
    GPU-hour keeps its four); ``places`` fixes the number. Exact: the Decimal is never turned into a float. A minus
    sign comes first (``-€12.50``, ``-12,50 €``); zero has none.
    """
    value = Decimal(amount)
    if places is None:
        exponent = value.normalize().as_tuple().exponent
        places = max(2, -exponent) if isinstance(exponent, int) else 2
    if value.is_zero():
        value = abs(value)  # no "-0,00 €"
    sign = "-" if value.is_signed() else ""
    number = formats.number_format(abs(value), decimal_pos=places, use_l10n=True, force_grouping=True)
    if (get_language() or "").startswith("de"):
        return f"{sign}{number}\u00a0€"
    return f"{sign}€{number}"


def format_quantity(value: Decimal | int) -> str:
    """A quantity (GPU-hours, a VAT rate) without trailing zeros, grouped as the active language writes it:
    ``1,234.5`` in English, ``1.234,5`` in German."""
    value = Decimal(value)
    exponent = value.normalize().as_tuple().exponent
    places = max(0, -exponent) if isinstance(exponent, int) else 0
    return formats.number_format(value, decimal_pos=places, use_l10n=True, force_grouping=True)
