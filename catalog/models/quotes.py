"""Quotes: the price of running a catalog item version on a flavor for a window, held for a week."""

from __future__ import annotations

from datetime import datetime

from django.db import models
from django.db.models import F, Q
from django.db.models.functions import Round
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from catalog.choices import CURRENCY, MAX_INSTANCES_PER_ORDER, Commitment, QuoteLineKind, QuoteStatus
from catalog.models.hardware import Flavor
from catalog.models.items import CatalogItemVersion
from catalog.models.prices import PriceList
from core.money import format_money
from core.vat import VatCategory
from tenants.models import Organization
from tenants.scoping import TenantOwnedModel


class Quote(TenantOwnedModel):
    """What an organization would pay to run one item version on ``instance_count`` instances of a flavor for a
    window under a commitment — with everything needed to book it later at exactly this price.

    Created only by ``catalog.services.quote_create``, never changed afterwards. The reservations issue books from
    an open quote (``catalog.selectors.quote_get_bookable``) at its stored prices, whatever price list is in effect
    by then.

    Invariants (database): 1 to ``MAX_INSTANCES_PER_ORDER`` instances; the window ends after it starts; EUR only;
    amounts are not negative and ``gross = net + VAT``; a quote not taxed at the standard rate carries no VAT; it is
    valid for a while after it was made. The service guarantees the rest: the item version can run on the flavor,
    the window is a whole number of hours, the lines sum to the net amount.
    """

    organization = models.ForeignKey(
        Organization, on_delete=models.PROTECT, related_name="quotes", verbose_name=_("organization")
    )
    item_version = models.ForeignKey(
        CatalogItemVersion, on_delete=models.PROTECT, related_name="quotes", verbose_name=_("version")
    )
    flavor = models.ForeignKey(Flavor, on_delete=models.PROTECT, related_name="quotes", verbose_name=_("flavor"))
    instance_count = models.PositiveIntegerField(_("instances"))
    commitment = models.CharField(_("commitment"), max_length=16, choices=Commitment.choices)
    starts_at = models.DateTimeField(_("window start"))
    ends_at = models.DateTimeField(_("window end"))
    currency = models.CharField(_("currency"), max_length=3, default=CURRENCY)
    price_list = models.ForeignKey(
        PriceList, on_delete=models.PROTECT, related_name="quotes", verbose_name=_("price list")
    )
    compute_unit_price = models.DecimalField(_("compute, EUR per GPU-hour"), max_digits=10, decimal_places=4)
    license_unit_price = models.DecimalField(_("license, EUR per GPU-hour"), max_digits=10, decimal_places=4)
    net_amount = models.DecimalField(_("net"), max_digits=14, decimal_places=2)
    vat_category = models.CharField(_("VAT category"), max_length=2, choices=VatCategory.choices)
    vat_rate = models.DecimalField(_("VAT rate (%)"), max_digits=5, decimal_places=2)
    vat_amount = models.DecimalField(_("VAT"), max_digits=14, decimal_places=2)
    vat_note = models.CharField(_("VAT note"), max_length=300, blank=True)
    gross_amount = models.DecimalField(_("gross"), max_digits=14, decimal_places=2)
    created_at = models.DateTimeField(_("created"), default=timezone.now)
    valid_until = models.DateTimeField(_("valid until"))
    created_by_label = models.CharField(_("created by"), max_length=254)

    class Meta(TenantOwnedModel.Meta):
        verbose_name = _("quote")
        verbose_name_plural = _("quotes")
        ordering = ["-id"]
        indexes = [models.Index(fields=["organization", "-id"], name="catalog_quote_org_newest")]
        constraints = [
            models.CheckConstraint(
                condition=Q(instance_count__gte=1, instance_count__lte=MAX_INSTANCES_PER_ORDER),
                name="catalog_quote_instance_count_range",
            ),
            models.CheckConstraint(condition=Q(ends_at__gt=F("starts_at")), name="catalog_quote_window_ordered"),
            models.CheckConstraint(condition=Q(currency=CURRENCY), name="catalog_quote_currency_eur"),
            models.CheckConstraint(
                condition=Q(commitment__in=Commitment.values), name="catalog_quote_commitment_valid"
            ),
            models.CheckConstraint(
                condition=Q(vat_category__in=VatCategory.values), name="catalog_quote_vat_category_valid"
            ),
            models.CheckConstraint(
                condition=Q(net_amount__gte=0, vat_amount__gte=0, vat_rate__gte=0),
                name="catalog_quote_amounts_not_negative",
            ),
            # Rounded to the cent so that SQLite (the embedded default), which adds decimals as binary floats,
            # compares what PostgreSQL compares exactly.
            models.CheckConstraint(
                condition=Q(gross_amount=Round(F("net_amount") + F("vat_amount"), 2)),
                name="catalog_quote_gross_is_net_plus_vat",
            ),
            models.CheckConstraint(
                condition=Q(vat_category=VatCategory.STANDARD) | Q(vat_rate=0, vat_amount=0),
                name="catalog_quote_no_vat_outside_standard",
            ),
            models.CheckConstraint(condition=Q(valid_until__gt=F("created_at")), name="catalog_quote_validity"),
        ]

    def __str__(self) -> str:
        return f"Quote {self.pk}"

    def status(self, at: datetime | None = None) -> QuoteStatus:
        return QuoteStatus.OPEN if (at or timezone.now()) < self.valid_until else QuoteStatus.EXPIRED

    @property
    def hours(self) -> int:
        return int((self.ends_at - self.starts_at).total_seconds()) // 3600


class QuoteLine(TenantOwnedModel):
    """One line of a quote: compute, or the license add-on of a paid license.

    Invariants: at most one line of each kind per quote, numbered from 1; ``quantity`` (GPU-hours) is positive;
    ``net_amount`` is ``quantity * unit_price`` rounded once, half-up to the cent (``catalog.pricing``); a line
    belongs to its quote's organization (set by the service that writes both).
    """

    organization = models.ForeignKey(Organization, on_delete=models.PROTECT, related_name="+")
    quote = models.ForeignKey(Quote, on_delete=models.CASCADE, related_name="lines")
    position = models.PositiveSmallIntegerField(_("position"))
    kind = models.CharField(_("kind"), max_length=16, choices=QuoteLineKind.choices)
    description = models.CharField(_("description"), max_length=240)
    quantity = models.DecimalField(_("GPU-hours"), max_digits=14, decimal_places=4)
    unit_price = models.DecimalField(_("EUR per GPU-hour"), max_digits=10, decimal_places=4)
    net_amount = models.DecimalField(_("net"), max_digits=14, decimal_places=2)

    class Meta(TenantOwnedModel.Meta):
        verbose_name = _("quote line")
        verbose_name_plural = _("quote lines")
        ordering = ["position"]
        constraints = [
            models.UniqueConstraint(fields=["quote", "position"], name="catalog_quoteline_unique_position"),
            models.UniqueConstraint(fields=["quote", "kind"], name="catalog_quoteline_unique_kind"),
            models.CheckConstraint(condition=Q(kind__in=QuoteLineKind.values), name="catalog_quoteline_kind_valid"),
            models.CheckConstraint(
                condition=Q(position__gte=1, quantity__gt=0, unit_price__gte=0, net_amount__gte=0),
                name="catalog_quoteline_values_valid",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.description}: {format_money(self.net_amount)}"
