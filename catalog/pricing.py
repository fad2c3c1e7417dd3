"""Quote arithmetic: exact Decimal, rounded once per amount, at the places documented here.

1. Quantity of a line = GPU-hours = GPUs per instance * instances * window seconds / 3600, an exact Decimal.
   Windows are a whole number of hours (``catalog.services``), so the division is exact; the context traps
   ``Inexact`` to prove it.
2. Net of a line = quantity * unit price (EUR per GPU-hour, up to four decimals), rounded once, half-up to the cent.
3. Net total = sum of the line nets (no further rounding: they are already cents).
4. VAT = per VAT category, the category's rate on the sum of its line nets, rounded once, half-up to the cent
   (``core.vat.vat_breakdown``, EN 16931 style). A quote has one category: the organization's treatment.
5. Gross = net total + VAT.

Pure functions on values: no database, no clock. ``catalog.services.quote_create`` stores the result.
"""

from __future__ import annotations

import decimal
from dataclasses import dataclass
from decimal import Decimal

from django.utils.translation import gettext as _

from catalog.choices import Commitment, QuoteLineKind
from core.money import round_money
from core.vat import VatTreatment, vat_breakdown

SECONDS_PER_HOUR = 3600


def gpu_hours(*, gpus_per_instance: int, instance_count: int, window_seconds: int) -> Decimal:
    """GPU-hours of a window, exactly; raises ``decimal.Inexact`` if the window is not whole hours' worth."""
    with decimal.localcontext() as context:
        context.traps[decimal.Inexact] = True
        return Decimal(gpus_per_instance * instance_count * window_seconds) / Decimal(SECONDS_PER_HOUR)


def line_net(quantity: Decimal, unit_price: Decimal) -> Decimal:
    """The net amount of a line: quantity * unit price, rounded once, half-up to the cent."""
    with decimal.localcontext() as context:
        context.traps[decimal.Inexact] = True  # the product of two Decimals is exact below 28 digits
        product = quantity * unit_price
    return round_money(product)


@dataclass(frozen=True)
class PricedLine:
    kind: QuoteLineKind
    description: str
    quantity: Decimal
    unit_price: Decimal
    net_amount: Decimal


@dataclass(frozen=True)
class QuotePricing:
    lines: tuple[PricedLine, ...]
    net_amount: Decimal
    vat: VatTreatment
    vat_amount: Decimal
    gross_amount: Decimal


def price_quote(
    *,
    flavor_name: str,
    gpus_per_instance: int,
    instance_count: int,
    window_seconds: int,
    commitment: Commitment,
    compute_unit_price: Decimal,
    license_name: str | None,
    license_unit_price: Decimal,
    vat: VatTreatment,
) -> QuotePricing:
    """The lines, net, VAT and gross of a quote. ``license_name`` is None for free software (no license line)."""
    quantity = gpu_hours(
        gpus_per_instance=gpus_per_instance, instance_count=instance_count, window_seconds=window_seconds
    )
    hours = window_seconds // SECONDS_PER_HOUR
    lines = [
        PricedLine(
            QuoteLineKind.COMPUTE,
            _("%(flavor)s, %(commitment)s: %(instances)d × %(gpus)d GPUs × %(hours)d h")
            % {
                "flavor": flavor_name,
                "commitment": Commitment(commitment).label,
                "instances": instance_count,
                "gpus": gpus_per_instance,
                "hours": hours,
            },
            quantity,
            compute_unit_price,
            line_net(quantity, compute_unit_price),
        )
    ]
    if license_name is not None:
        description = (
            _("%(license)s license, per GPU-hour") % {"license": license_name}
            if license_unit_price
            else _("%(license)s license, included in the reserved price") % {"license": license_name}
        )
        lines.append(
            PricedLine(
                QuoteLineKind.LICENSE,
                description,
                quantity,
                license_unit_price,
                line_net(quantity, license_unit_price),
            )
        )
    net_amount = sum((line.net_amount for line in lines), Decimal("0.00"))
    vat_amount = sum(
        (group.tax_amount for group in vat_breakdown((vat, line.net_amount) for line in lines)), Decimal("0.00")
    )
    return QuotePricing(tuple(lines), net_amount, vat, vat_amount, net_amount + vat_amount)
