"""Showing money and quantities in templates: ``{% load money %}``, then ``{{ amount|eur }}``.

Every portal and e-mail template uses these filters, so money looks the same everywhere (``core.money.format_money``:
``4.200,80 €`` in German, ``€4,200.80`` in English). Dates use Django's ``date`` filter with the named formats of
``portal/formats``.
"""

from __future__ import annotations

from decimal import Decimal

from django import template

from core.money import format_money, format_quantity

register = template.Library()


@register.filter
def eur(value: Decimal | int | None) -> str:
    """``€6.90`` in English, ``6,90 €`` in German; an em dash for no amount."""
    if value is None or value == "":
        return "—"
    return format_money(value)


@register.filter
def quantity(value: Decimal | int) -> str:
    """A quantity (GPU-hours) without trailing zeros, grouped: ``1,234.5`` / ``1.234,5``."""
    return format_quantity(value)


@register.filter
def percent(value: Decimal | int) -> str:
    """A rate without trailing zeros: ``19``, ``7.5``, ``0``."""
    return quantity(value)
