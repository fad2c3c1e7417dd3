"""Showing money: exact Decimals, two decimal places (more only when a unit price has them), in the page's language."""

from __future__ import annotations

from decimal import Decimal

from django import template
from django.utils import formats
from django.utils.translation import get_language

register = template.Library()


@register.filter
def eur(value: Decimal | None) -> str:
    """``€6.90`` in English, ``6,90 €`` in German; an em dash for no price."""
    if value is None or value == "":
        return "—"
    exponent = value.normalize().as_tuple().exponent
    places = max(2, -exponent) if isinstance(exponent, int) else 2
    number = formats.number_format(value, decimal_pos=places, use_l10n=True, force_grouping=True)
    return f"{number}\u00a0€" if (get_language() or "").startswith("de") else f"€{number}"


@register.filter
def quantity(value: Decimal) -> str:
    """A GPU-hour quantity without trailing zeros."""
    exponent = value.normalize().as_tuple().exponent
    places = max(0, -exponent) if isinstance(exponent, int) else 0
    return formats.number_format(value, decimal_pos=places, use_l10n=True, force_grouping=True)


@register.filter
def percent(value: Decimal) -> str:
    """A VAT rate without trailing zeros: ``19``, ``7.5``, ``0``."""
    return quantity(value)
