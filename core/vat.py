"""VAT treatment of Kontor's supplies (cloud services sold from Germany to businesses), and money rounding.

One pure function decides the treatment for an organization; quotes use it now and invoices will reuse it. The
categories are those of EN 16931 (UNTDID 5305):

- ``S`` standard rate, 19 % German VAT: organizations in Germany, and organizations in another EU country that
  have no *confirmed* VAT ID on file (``vat_id`` set and ``vat_id_verified_at`` set).
- ``AE`` reverse charge, 0 %: organizations in another EU country with a confirmed VAT ID. The customer accounts
  for the VAT (Art. 196 Council Directive 2006/112/EC, § 13b UStG); the document must say so.
- ``O`` not subject to German VAT: organizations outside the EU (Switzerland, Norway, Iceland, Liechtenstein and
  anywhere else). The place of supply of a B2B service is where the customer is established (§ 3a (2) UStG).

Rounding happens once per amount, half-up to the cent (``round_money``): quote and invoice lines are rounded on
their own, and VAT is computed per category on the sum of the rounded line nets (EN 16931: BT-116 * BT-119).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Protocol

from django.db import models
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from core.countries import EU_COUNTRIES
from core.money import HUNDRED, round_money

SELLER_COUNTRY = "DE"
GERMAN_STANDARD_RATE = Decimal("19.00")
ZERO_RATE = Decimal("0.00")


class VatCategory(models.TextChoices):
    """EN 16931 VAT category codes (UNTDID 5305) that Kontor uses."""

    STANDARD = "S", gettext_lazy("Standard rate")
    REVERSE_CHARGE = "AE", gettext_lazy("Reverse charge")
    NOT_SUBJECT = "O", gettext_lazy("Not subject to VAT")


# EN 16931 BT-121: the exemption reason code a document must carry for these categories.
EXEMPTION_REASON_CODES = {
    VatCategory.REVERSE_CHARGE: "VATEX-EU-AE",
    VatCategory.NOT_SUBJECT: "VATEX-EU-O",
}


class VatSubject(Protocol):
    """What the VAT decision reads from an organization (``tenants.models.Organization`` has these fields)."""

    country: str
    vat_id: str
    vat_id_verified_at: datetime | None


@dataclass(frozen=True)
class VatTreatment:
    """How one supply to one customer is taxed: the category, its rate in percent and the note for the document."""

    category: VatCategory
    rate: Decimal
    note: str
    exemption_reason_code: str = ""

    def tax_on(self, net: Decimal) -> Decimal:
        """The VAT on a net amount of this category, rounded once (half-up to the cent)."""
        return round_money(net * self.rate / HUNDRED)


def has_confirmed_vat_id(subject: VatSubject) -> bool:
    return bool(subject.vat_id) and subject.vat_id_verified_at is not None


def vat_treatment(subject: VatSubject) -> VatTreatment:
    """The VAT treatment of services Kontor (established in Germany) supplies to this organization.

    Pure: reads only the three fields, so it can be called for a quote, an invoice or a preview alike. The note is
    translated into the active language; documents store it as they show it.
    """
    country = (subject.country or "").upper()
    if country == SELLER_COUNTRY:
        return VatTreatment(VatCategory.STANDARD, GERMAN_STANDARD_RATE, "")
    if country in EU_COUNTRIES:
        if has_confirmed_vat_id(subject):
            return VatTreatment(
                VatCategory.REVERSE_CHARGE,
                ZERO_RATE,
                _(
                    "Reverse charge (Steuerschuldnerschaft des Leistungsempfängers): the customer accounts for the "
                    "VAT, Art. 196 Council Directive 2006/112/EC. Customer VAT ID: %(vat_id)s."
                )
                % {"vat_id": subject.vat_id},
                EXEMPTION_REASON_CODES[VatCategory.REVERSE_CHARGE],
            )
        return VatTreatment(
            VatCategory.STANDARD,
            GERMAN_STANDARD_RATE,
            _("German VAT applies: no confirmed VAT ID of the customer is on file."),
        )
    return VatTreatment(
        VatCategory.NOT_SUBJECT,
        ZERO_RATE,
        _("Not subject to German VAT: the place of supply is the customer's country (§ 3a (2) UStG)."),
        EXEMPTION_REASON_CODES[VatCategory.NOT_SUBJECT],
    )


@dataclass(frozen=True)
class VatBreakdownLine:
    """One line of a document's VAT breakdown (EN 16931 BG-23): the taxable sum of a category and its VAT."""

    category: VatCategory
    rate: Decimal
    taxable_amount: Decimal
    tax_amount: Decimal


def vat_breakdown(lines: Iterable[tuple[VatTreatment, Decimal]]) -> list[VatBreakdownLine]:
    """Group already-rounded line nets by (category, rate) and compute each group's VAT once, on the sum."""
    sums: dict[tuple[VatCategory, Decimal], Decimal] = {}
    treatments: dict[tuple[VatCategory, Decimal], VatTreatment] = {}
    for treatment, net in lines:
        key = (treatment.category, treatment.rate)
        sums[key] = sums.get(key, Decimal("0.00")) + net
        treatments.setdefault(key, treatment)
    return [
        VatBreakdownLine(category, rate, taxable, treatments[(category, rate)].tax_on(taxable))
        for (category, rate), taxable in sums.items()
    ]
