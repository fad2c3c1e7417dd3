"""The price book: versioned price lists with EUR prices per GPU-hour for each flavor, commitment and license."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal

from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from catalog.choices import CURRENCY, PAID_LICENSES, Commitment, License
from catalog.models.hardware import Flavor
from core.money import format_money


class PriceList(models.Model):
    """One version of the price book.

    A draft (``published_at`` empty) is edited by operators; publishing it fixes ``effective_from`` (now or later)
    and freezes it. The price list in effect at a time *t* is the published one with the latest ``effective_from``
    not after *t*. A published list that has not taken effect yet can be withdrawn back to a draft; one that has
    taken effect never changes again — a price already quoted or booked keeps its price.

    Invariants: names are unique; a published list has an ``effective_from``, and no two published lists take
    effect at the same instant; the currency is EUR. In the database (migration 0002): a published list cannot be
    changed (only withdrawn to a draft) or deleted, and its prices cannot be added, changed or deleted.
    """

    name = models.CharField(_("name"), max_length=100, unique=True)
    currency = models.CharField(_("currency"), max_length=3, default=CURRENCY, editable=False)
    effective_from = models.DateTimeField(
        _("effective from"), null=True, blank=True, help_text=_("Set when the list is published.")
    )
    published_at = models.DateTimeField(_("published"), null=True, blank=True, editable=False)
    notes = models.TextField(_("notes"), blank=True)
    created_at = models.DateTimeField(_("created"), default=timezone.now, editable=False)
    created_by_label = models.CharField(_("created by"), max_length=254, blank=True, editable=False)

    class Meta:
        verbose_name = _("price list")
        verbose_name_plural = _("price lists")
        ordering = ["-effective_from", "-id"]
        constraints = [
            models.CheckConstraint(condition=models.Q(currency=CURRENCY), name="catalog_pricelist_currency_eur"),
            models.CheckConstraint(
                condition=models.Q(published_at__isnull=True) | models.Q(effective_from__isnull=False),
                name="catalog_pricelist_published_has_effective_from",
            ),
            models.UniqueConstraint(
                fields=["effective_from"],
                condition=models.Q(published_at__isnull=False),
                name="catalog_pricelist_unique_effective_from",
            ),
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def is_published(self) -> bool:
        return self.published_at is not None

    def has_taken_effect(self, at: datetime | None = None) -> bool:
        now = at or timezone.now()
        return self.is_published and self.effective_from is not None and self.effective_from <= now


def price_label(subject: str, commitment: str, unit_price: Decimal) -> str:
    """``B200 x4, On demand: €6.90 per GPU-hour`` (``6,90 €`` in German): how a price row reads in the console."""
    return _("%(subject)s, %(commitment)s: %(price)s per GPU-hour") % {
        "subject": subject,
        "commitment": commitment,
        "price": format_money(unit_price),
    }


class ComputePrice(models.Model):
    """The price of one GPU-hour of a flavor under a commitment, in one price list.

    Invariants: one price per (price list, flavor, commitment); the price is positive, in EUR, with at most four
    decimal places (a Decimal, never a float). Frozen with its price list once that is published.
    """

    price_list = models.ForeignKey(PriceList, on_delete=models.CASCADE, related_name="compute_prices")
    flavor = models.ForeignKey(Flavor, on_delete=models.PROTECT, related_name="prices", verbose_name=_("flavor"))
    commitment = models.CharField(_("commitment"), max_length=16, choices=Commitment.choices)
    unit_price = models.DecimalField(_("EUR per GPU-hour"), max_digits=10, decimal_places=4)

    class Meta:
        verbose_name = _("compute price")
        verbose_name_plural = _("compute prices")
        ordering = ["flavor__slug", "commitment"]
        constraints = [
            models.UniqueConstraint(fields=["price_list", "flavor", "commitment"], name="catalog_computeprice_unique"),
            models.CheckConstraint(
                condition=models.Q(commitment__in=Commitment.values), name="catalog_computeprice_commitment_valid"
            ),
            models.CheckConstraint(condition=models.Q(unit_price__gt=0), name="catalog_computeprice_positive"),
        ]

    def __str__(self) -> str:
        return price_label(self.flavor.name, self.get_commitment_display(), self.unit_price)


class LicensePrice(models.Model):
    """The add-on per GPU-hour for a paid software license under a commitment, in one price list.

    Invariants: one price per (price list, license, commitment); only paid licenses are priced (free NGC software
    costs nothing); the price is zero ("included") or positive, in EUR. Frozen with its price list once published.
    """

    price_list = models.ForeignKey(PriceList, on_delete=models.CASCADE, related_name="license_prices")
    license = models.CharField(_("license"), max_length=16, choices=License.choices)
    commitment = models.CharField(_("commitment"), max_length=16, choices=Commitment.choices)
    unit_price = models.DecimalField(_("EUR per GPU-hour"), max_digits=10, decimal_places=4)

    class Meta:
        verbose_name = _("license price")
        verbose_name_plural = _("license prices")
        ordering = ["license", "commitment"]
        constraints = [
            models.UniqueConstraint(fields=["price_list", "license", "commitment"], name="catalog_licenseprice_unique"),
            models.CheckConstraint(
                condition=models.Q(license__in=[str(lic) for lic in PAID_LICENSES]),
                name="catalog_licenseprice_paid_license",
            ),
            models.CheckConstraint(
                condition=models.Q(commitment__in=Commitment.values), name="catalog_licenseprice_commitment_valid"
            ),
            models.CheckConstraint(condition=models.Q(unit_price__gte=0), name="catalog_licenseprice_not_negative"),
        ]

    def __str__(self) -> str:
        return price_label(self.get_license_display(), self.get_commitment_display(), self.unit_price)
