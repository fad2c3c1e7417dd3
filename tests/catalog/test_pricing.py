"""Quote arithmetic: exact Decimals, each amount rounded once, half-up to the cent. Pure, no database."""

from __future__ import annotations

import decimal
from datetime import UTC, datetime
from decimal import Decimal

import pytest

from catalog.choices import Commitment, QuoteLineKind
from catalog.pricing import gpu_hours, line_net, price_quote
from core.vat import vat_treatment
from tenants.models import Organization

HOUR = 3600
WEEK = 7 * 24 * HOUR
GERMAN = vat_treatment(Organization(country="DE", vat_id=""))
DUTCH_CONFIRMED = vat_treatment(
    Organization(country="NL", vat_id="NL123456789B01", vat_id_verified_at=datetime(2026, 11, 1, tzinfo=UTC))
)


def test_gpu_hours_are_gpus_times_instances_times_hours():
    assert gpu_hours(gpus_per_instance=8, instance_count=1, window_seconds=WEEK) == Decimal(1344)
    assert gpu_hours(gpus_per_instance=2, instance_count=3, window_seconds=5 * HOUR) == Decimal(30)
    assert gpu_hours(gpus_per_instance=1, instance_count=1, window_seconds=HOUR // 2) == Decimal("0.5")


def test_gpu_hours_refuse_to_be_inexact():
    with pytest.raises(decimal.Inexact):
        gpu_hours(gpus_per_instance=1, instance_count=1, window_seconds=1)


@pytest.mark.parametrize(
    ("quantity", "unit_price", "net"),
    [
        (Decimal(1344), Decimal("6.50"), Decimal("8736.00")),
        (Decimal(10), Decimal("1.2345"), Decimal("12.35")),  # 12.345: half-up (half-even would give 12.34)
        (Decimal(3), Decimal("1.2345"), Decimal("3.70")),  # 3.7035
        (Decimal(1), Decimal("0.0049"), Decimal("0.00")),
        (Decimal(1), Decimal("0.0050"), Decimal("0.01")),
    ],
)
def test_a_line_net_is_rounded_once_half_up(quantity, unit_price, net):
    assert line_net(quantity, unit_price) == net


def test_a_week_of_nemo_on_a_whole_dgx_b200_on_demand_for_a_german_customer():
    pricing = price_quote(
        flavor_name="B200 ×8 bare metal",
        gpus_per_instance=8,
        instance_count=1,
        window_seconds=WEEK,
        commitment=Commitment.ON_DEMAND,
        compute_unit_price=Decimal("6.50"),
        license_name="NVIDIA AI Enterprise",
        license_unit_price=Decimal("0.88"),
        vat=GERMAN,
    )

    assert [
        (line.kind, line.description, line.quantity, line.unit_price, line.net_amount) for line in pricing.lines
    ] == [
        (
            QuoteLineKind.COMPUTE,
            "B200 ×8 bare metal, On demand: 1 × 8 GPUs × 168 h",
            Decimal(1344),
            Decimal("6.50"),
            Decimal("8736.00"),
        ),
        (
            QuoteLineKind.LICENSE,
            "NVIDIA AI Enterprise license, per GPU-hour",
            Decimal(1344),
            Decimal("0.88"),
            Decimal("1182.72"),
        ),
    ]
    assert (pricing.net_amount, pricing.vat_amount, pricing.gross_amount) == (
        Decimal("9918.72"),
        Decimal("1884.56"),  # 1884.5568
        Decimal("11803.28"),
    )
    assert [str(value) for value in (pricing.net_amount, pricing.vat_amount, pricing.gross_amount)] == [
        "9918.72",
        "1884.56",
        "11803.28",
    ]


def test_a_reserved_license_is_included_and_shown_at_zero():
    pricing = price_quote(
        flavor_name="B200 ×8 bare metal",
        gpus_per_instance=8,
        instance_count=2,
        window_seconds=30 * 24 * HOUR,
        commitment=Commitment.RESERVED_1M,
        compute_unit_price=Decimal("5.50"),
        license_name="NVIDIA AI Enterprise",
        license_unit_price=Decimal("0.00"),
        vat=GERMAN,
    )

    assert [(line.description, line.quantity, line.net_amount) for line in pricing.lines] == [
        ("B200 ×8 bare metal, Reserved, 1 month: 2 × 8 GPUs × 720 h", Decimal(11520), Decimal("63360.00")),
        ("NVIDIA AI Enterprise license, included in the reserved price", Decimal(11520), Decimal("0.00")),
    ]
    assert (pricing.net_amount, pricing.vat_amount, pricing.gross_amount) == (
        Decimal("63360.00"),
        Decimal("12038.40"),
        Decimal("75398.40"),
    )


def test_free_software_has_one_line():
    pricing = price_quote(
        flavor_name="RTX PRO 6000 ×1",
        gpus_per_instance=1,
        instance_count=3,
        window_seconds=5 * HOUR,
        commitment=Commitment.ON_DEMAND,
        compute_unit_price=Decimal("1.80"),
        license_name=None,
        license_unit_price=Decimal("0"),
        vat=GERMAN,
    )

    assert [(line.kind, line.net_amount) for line in pricing.lines] == [(QuoteLineKind.COMPUTE, Decimal("27.00"))]
    assert (pricing.net_amount, pricing.vat_amount, pricing.gross_amount) == (
        Decimal("27.00"),
        Decimal("5.13"),
        Decimal("32.13"),
    )


def test_vat_is_computed_on_the_sum_of_the_line_nets():
    pricing = price_quote(
        flavor_name="Tiny",
        gpus_per_instance=1,
        instance_count=1,
        window_seconds=HOUR,
        commitment=Commitment.ON_DEMAND,
        compute_unit_price=Decimal("0.03"),
        license_name="NVIDIA AI Enterprise",
        license_unit_price=Decimal("0.03"),
        vat=GERMAN,
    )

    # Per line 0.0057 -> 0.01 twice (0.02); on the sum 0.06 -> 0.0114 -> 0.01.
    assert (pricing.net_amount, pricing.vat_amount, pricing.gross_amount) == (
        Decimal("0.06"),
        Decimal("0.01"),
        Decimal("0.07"),
    )


def test_lines_round_before_they_are_summed():
    pricing = price_quote(
        flavor_name="Odd price",
        gpus_per_instance=1,
        instance_count=1,
        window_seconds=3 * HOUR,
        commitment=Commitment.ON_DEMAND,
        compute_unit_price=Decimal("1.2345"),
        license_name="NVIDIA AI Enterprise",
        license_unit_price=Decimal("1.2345"),
        vat=GERMAN,
    )

    # 3.7035 -> 3.70 twice: 7.40 (rounding the unrounded sum 7.407 would give 7.41).
    assert [line.net_amount for line in pricing.lines] == [Decimal("3.70"), Decimal("3.70")]
    assert (pricing.net_amount, pricing.vat_amount, pricing.gross_amount) == (
        Decimal("7.40"),
        Decimal("1.41"),  # 1.406
        Decimal("8.81"),
    )


def test_reverse_charge_adds_no_vat():
    pricing = price_quote(
        flavor_name="B200 ×8 bare metal",
        gpus_per_instance=8,
        instance_count=1,
        window_seconds=WEEK,
        commitment=Commitment.ON_DEMAND,
        compute_unit_price=Decimal("6.50"),
        license_name=None,
        license_unit_price=Decimal("0"),
        vat=DUTCH_CONFIRMED,
    )

    assert (pricing.net_amount, pricing.vat_amount, pricing.gross_amount) == (
        Decimal("8736.00"),
        Decimal("0.00"),
        Decimal("8736.00"),
    )
