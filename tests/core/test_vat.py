"""The VAT treatment of an organization and the rounding of VAT: pure functions, no database."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal

import pytest

from core.money import round_money
from core.vat import VatCategory, VatTreatment, vat_breakdown, vat_treatment
from tenants.models import Organization

CONFIRMED = datetime(2026, 11, 1, tzinfo=UTC)


def organization(country: str, vat_id: str = "", verified_at: datetime | None = None) -> Organization:
    return Organization(
        legal_name="Kunde", slug="kunde", country=country, vat_id=vat_id, vat_id_verified_at=verified_at
    )


def test_germany_pays_19_percent_german_vat_with_or_without_a_vat_id():
    assert vat_treatment(organization("DE")) == VatTreatment(VatCategory.STANDARD, Decimal("19.00"), "")
    assert vat_treatment(organization("DE", "DE123456789", CONFIRMED)) == VatTreatment(
        VatCategory.STANDARD, Decimal("19.00"), ""
    )


def test_another_eu_country_with_a_confirmed_vat_id_is_reverse_charged():
    treatment = vat_treatment(organization("NL", "NL123456789B01", CONFIRMED))

    assert treatment == VatTreatment(
        VatCategory.REVERSE_CHARGE,
        Decimal("0.00"),
        "Reverse charge (Steuerschuldnerschaft des Leistungsempfängers): the customer accounts for the VAT, "
        "Art. 196 Council Directive 2006/112/EC. Customer VAT ID: NL123456789B01.",
        "VATEX-EU-AE",
    )


@pytest.mark.parametrize(
    ("vat_id", "verified_at"),
    [("", None), ("FR12345678901", None)],
    ids=["no VAT ID", "VAT ID not confirmed"],
)
def test_another_eu_country_without_a_confirmed_vat_id_pays_german_vat(vat_id, verified_at):
    treatment = vat_treatment(organization("FR", vat_id, verified_at))

    assert treatment == VatTreatment(
        VatCategory.STANDARD,
        Decimal("19.00"),
        "German VAT applies: no confirmed VAT ID of the customer is on file.",
    )


@pytest.mark.parametrize("country", ["CH", "NO", "IS", "LI", "US", "GB"])
def test_outside_the_eu_is_not_subject_to_german_vat(country):
    treatment = vat_treatment(organization(country, f"{country}123", CONFIRMED))

    assert treatment == VatTreatment(
        VatCategory.NOT_SUBJECT,
        Decimal("0.00"),
        "Not subject to German VAT: the place of supply is the customer's country (§ 3a (2) UStG).",
        "VATEX-EU-O",
    )


def test_the_country_code_is_read_in_any_case():
    assert vat_treatment(organization("at", "ATU12345678", CONFIRMED)).category == VatCategory.REVERSE_CHARGE


def test_the_treatment_is_frozen():
    treatment = vat_treatment(organization("DE"))

    with pytest.raises(AttributeError):
        treatment.rate = Decimal("7.00")  # type: ignore[misc]


@pytest.mark.parametrize(
    ("net", "vat"),
    [
        (Decimal("100.00"), Decimal("19.00")),
        (Decimal("1.50"), Decimal("0.29")),  # 0.285: half-up, where half-even would give 0.28
        (Decimal("0.02"), Decimal("0.00")),  # 0.0038
        (Decimal("9918.72"), Decimal("1884.56")),  # 1884.5568
        (Decimal("0.00"), Decimal("0.00")),
    ],
)
def test_vat_is_rounded_once_half_up_to_the_cent(net, vat):
    assert vat_treatment(organization("DE")).tax_on(net) == vat


def test_vat_is_zero_for_reverse_charge_and_not_subject():
    assert vat_treatment(organization("NL", "NL123456789B01", CONFIRMED)).tax_on(Decimal("9918.72")) == Decimal("0.00")
    assert vat_treatment(organization("CH")).tax_on(Decimal("9918.72")) == Decimal("0.00")


def test_round_money_rounds_half_up_and_keeps_two_places():
    assert round_money(Decimal("12.345")) == Decimal("12.35")
    assert round_money(Decimal("12.344999")) == Decimal("12.34")
    assert str(round_money(Decimal("7"))) == "7.00"


def test_breakdown_taxes_the_sum_of_the_lines_of_a_category_not_each_line():
    german = vat_treatment(organization("DE"))

    breakdown = vat_breakdown([(german, Decimal("0.03")), (german, Decimal("0.03"))])

    # Each line alone: 0.0057 -> 0.01, together 0.02. On the sum: 0.06 * 19 % = 0.0114 -> 0.01.
    assert [(b.category, b.rate, b.taxable_amount, b.tax_amount) for b in breakdown] == [
        (VatCategory.STANDARD, Decimal("19.00"), Decimal("0.06"), Decimal("0.01"))
    ]


def test_breakdown_keeps_categories_apart():
    german = vat_treatment(organization("DE"))
    swiss = vat_treatment(organization("CH"))

    breakdown = vat_breakdown([(german, Decimal("10.00")), (swiss, Decimal("5.00")), (german, Decimal("1.50"))])

    assert [(b.category, b.taxable_amount, b.tax_amount) for b in breakdown] == [
        (VatCategory.STANDARD, Decimal("11.50"), Decimal("2.19")),  # 2.185 -> 2.19
        (VatCategory.NOT_SUBJECT, Decimal("5.00"), Decimal("0.00")),
    ]
