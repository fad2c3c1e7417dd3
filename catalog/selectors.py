"""Reads of the catalog, the price book and quotes. Every list is built to run a constant number of queries."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal

from django.core.exceptions import ValidationError
from django.db import connection
from django.db.models import OuterRef, Prefetch, Q, QuerySet, Subquery
from django.utils import timezone
from django.utils.translation import gettext as _

from catalog.choices import Commitment, License, QuoteStatus
from catalog.compatibility import FlavorFit, flavor_fits, is_compatible
from catalog.models import (
    AvailabilityZone,
    CatalogItem,
    CatalogItemVersion,
    ComputePrice,
    Flavor,
    GpuModel,
    LicensePrice,
    PriceList,
    Quote,
    QuoteLine,
    Region,
    ZoneCapacity,
)
from core.datetimes import format_datetime
from core.prepared import PreparedQuery, prefetched_set
from tenants.models import Organization
from tenants.scoping import TenantQuerySet

# --- Catalog -----------------------------------------------------------------------------------------------------


def _newest_version() -> QuerySet[CatalogItemVersion]:
    return CatalogItemVersion.objects.filter(item=OuterRef("pk")).order_by("-released_on", "-id")


def catalog_item_filter(
    items: QuerySet[CatalogItem],
    *,
    search: str = "",
    use_case: str = "",
    license: str = "",
    gpu_model: str = "",
    kind: str = "",
) -> QuerySet[CatalogItem]:
    """Narrow items by a free-text search, a use case, a license, a kind and a GPU model. ``gpu_model`` keeps the
    items that run on at least one offered flavor of that GPU model (``catalog.compatibility`` decides; one query for
    the flavors and one for the items, whatever their number)."""
    if search:
        items = items.filter(
            Q(name__icontains=search)
            | Q(summary__icontains=search)
            | Q(publisher__icontains=search)
            | Q(slug__icontains=search)
        )
    if use_case:
        items = items.filter(use_cases__use_case=use_case)
    if license:
        items = items.filter(license=license)
    if kind:
        items = items.filter(kind=kind)
    if gpu_model:
        items = items.filter(pk__in=_item_ids_running_on(gpu_model, items))
    return items


def catalog_item_list(
    *, search: str = "", use_case: str = "", license: str = "", gpu_model: str = "", kind: str = ""
) -> QuerySet[CatalogItem]:
    """Published items, filtered (``catalog_item_filter``), each annotated with its newest version (``latest_tag``,
    ``latest_released_on``) and with its use cases prefetched."""
    items = catalog_item_filter(
        CatalogItem.objects.filter(is_published=True),
        search=search,
        use_case=use_case,
        license=license,
        gpu_model=gpu_model,
        kind=kind,
    )
    return items.annotate(
        latest_tag=Subquery(_newest_version().values("tag")[:1]),
        latest_released_on=Subquery(_newest_version().values("released_on")[:1]),
    ).prefetch_related("use_cases")


def _item_ids_running_on(gpu_model_slug: str, items: QuerySet[CatalogItem]) -> list[int]:
    flavors = list(flavor_list().filter(node_type__gpu_model__slug=gpu_model_slug))
    return [item.pk for item in items if any(is_compatible(item, flavor) for flavor in flavors)]


def catalog_item_get(*, slug: str) -> CatalogItem | None:
    return CatalogItem.objects.filter(is_published=True, slug=slug).prefetch_related("use_cases").first()


def catalog_item_version_list(*, item: CatalogItem) -> QuerySet[CatalogItemVersion]:
    """The item's versions, newest first."""
    return CatalogItemVersion.objects.filter(item=item).select_related("item").order_by("-released_on", "-id")


def catalog_item_version_get(*, item: CatalogItem, tag: str) -> CatalogItemVersion | None:
    return catalog_item_version_list(item=item).filter(tag=tag).first()


def gpu_model_list() -> QuerySet[GpuModel]:
    return GpuModel.objects.order_by("slug")


def runs_on_by_item(items: list[CatalogItem]) -> dict[int, list[GpuModel]]:
    """For each item, the GPU models it runs on (some offered flavor of the model is compatible). One query."""
    flavors = list(flavor_list())
    result: dict[int, list[GpuModel]] = {}
    for item in items:
        models: dict[int, GpuModel] = {}
        for flavor in flavors:
            if is_compatible(item, flavor):
                models.setdefault(flavor.node_type.gpu_model_id, flavor.node_type.gpu_model)
        result[item.pk] = sorted(models.values(), key=lambda gpu: gpu.slug)
    return result


# --- Hardware ------------------------------------------------------------------------------------------------------


def flavor_list(*, include_inactive: bool = False) -> QuerySet[Flavor]:
    flavors = Flavor.objects.select_related("node_type__gpu_model").order_by("slug")
    return flavors if include_inactive else flavors.filter(is_active=True)


def flavor_get(*, slug: str) -> Flavor | None:
    return flavor_list().filter(slug=slug).first()


def region_list() -> QuerySet[Region]:
    return Region.objects.prefetch_related(Prefetch("zones", AvailabilityZone.objects.order_by("slug"))).order_by(
        "slug"
    )


def zone_list() -> QuerySet[AvailabilityZone]:
    return AvailabilityZone.objects.select_related("region").order_by("slug")


@dataclass(frozen=True)
class CapacityRow:
    zone: str
    node_type: str
    gpu_model: str
    nodes: int
    gpus: int


def inventory_summary() -> list[CapacityRow]:
    """Nodes and GPUs per zone and node type (the operators' capacity view; one query)."""
    rows = ZoneCapacity.objects.select_related("zone", "node_type__gpu_model").order_by("zone__slug", "node_type__slug")
    return [
        CapacityRow(row.zone.slug, row.node_type.slug, row.node_type.gpu_model.slug, row.node_count, row.gpu_count)
        for row in rows
    ]


def inventory_gpu_total() -> int:
    rows = ZoneCapacity.objects.select_related("node_type")
    return sum(row.gpu_count for row in rows)


# --- Price book ----------------------------------------------------------------------------------------------------


def price_list_in_effect(*, at: datetime | None = None) -> PriceList | None:
    """The published price list with the latest ``effective_from`` not after ``at`` (default: now)."""
    return (
        PriceList.objects.filter(published_at__isnull=False, effective_from__lte=at or timezone.now())
        .order_by("-effective_from")
        .first()
    )


def price_list_published_list() -> QuerySet[PriceList]:
    return PriceList.objects.filter(published_at__isnull=False).order_by("-effective_from")


def price_list_next(*, after: datetime | None = None) -> PriceList | None:
    """The next published price list that has not taken effect yet, if one is scheduled."""
    return (
        PriceList.objects.filter(published_at__isnull=False, effective_from__gt=after or timezone.now())
        .order_by("effective_from")
        .first()
    )


def price_list_with_prices(price_list_id: int) -> PriceList | None:
    """A price list with its compute prices (and their flavors) and license prices prefetched: three queries."""
    return (
        PriceList.objects.filter(pk=price_list_id)
        .prefetch_related(
            Prefetch(
                "compute_prices",
                ComputePrice.objects.select_related("flavor__node_type__gpu_model").order_by(
                    "flavor__slug", "commitment"
                ),
            ),
            Prefetch("license_prices", LicensePrice.objects.order_by("license", "commitment")),
        )
        .first()
    )


@dataclass
class PriceTable:
    """A price list's prices by key, for lookups without queries."""

    price_list: PriceList
    compute: dict[tuple[int, str], Decimal]
    license: dict[tuple[str, str], Decimal]

    def compute_price(self, flavor: Flavor, commitment: str) -> Decimal | None:
        return self.compute.get((flavor.pk, commitment))

    def license_price(self, license: str, commitment: str) -> Decimal:
        """The add-on per GPU-hour; free software has none."""
        if license == License.NGC_FREE:
            return Decimal("0")
        price = self.license.get((license, commitment))
        if price is None:
            raise ValidationError(
                _("The price list %(name)s has no price for this license.") % {"name": self.price_list.name}
            )
        return price


def price_table(price_list: PriceList) -> PriceTable:
    compute = {
        (row.flavor_id, row.commitment): row.unit_price for row in ComputePrice.objects.filter(price_list=price_list)
    }
    license = {
        (row.license, row.commitment): row.unit_price for row in LicensePrice.objects.filter(price_list=price_list)
    }
    return PriceTable(price_list, compute, license)


@dataclass(frozen=True)
class FlavorOffer:
    """A flavor as offered for an item: compatible (with prices per commitment) or not (with the reasons)."""

    fit: FlavorFit
    prices: dict[str, Decimal]  # commitment -> EUR per GPU-hour, compute plus license add-on

    @property
    def flavor(self) -> Flavor:
        return self.fit.flavor

    def instance_hour_price(self, commitment: str) -> Decimal | None:
        price = self.prices.get(commitment)
        return None if price is None else price * self.flavor.gpu_count


def flavor_offers(*, item: CatalogItem, at: datetime | None = None) -> tuple[list[FlavorOffer], PriceList | None]:
    """Every offered flavor judged for the item, compatible ones first, with prices from the list in effect.

    The price shown per GPU-hour includes the license add-on of the item's license. A constant number of queries.
    """
    price_list = price_list_in_effect(at=at)
    table = price_table(price_list) if price_list else None
    offers: list[FlavorOffer] = []
    for fit in flavor_fits(item, flavor_list()):
        prices: dict[str, Decimal] = {}
        if table is not None and fit.is_compatible:
            for commitment in Commitment:
                compute = table.compute_price(fit.flavor, commitment)
                license = table.license.get((item.license, commitment), Decimal("0"))
                if compute is not None:
                    prices[commitment] = compute + license
        offers.append(FlavorOffer(fit, prices))
    offers.sort(key=lambda offer: not offer.fit.is_compatible)
    return offers, price_list


# --- Quotes --------------------------------------------------------------------------------------------------------


#: What a quote's serializer reads besides its lines.
_QUOTE_RELATED = ("organization", "item_version__item", "flavor__node_type__gpu_model", "price_list")


def quote_list(*, organization: Organization) -> TenantQuerySet[Quote]:
    """The organization's quotes, newest first, with everything their serializer reads."""
    return (
        Quote.objects.for_organization(organization)
        .select_related(*_QUOTE_RELATED)
        .prefetch_related("lines")  # ordered by position (Meta); the relation scopes the lines
        .order_by("-id")
    )


#: ``quote_list(...).filter(pk=...)`` without its lines, and the lines, each compiled once per process: every API
#: order reads its quote, and compiling the five-table join cost more CPU than running it.
_QUOTE: PreparedQuery[Quote] = PreparedQuery(
    lambda organization, quote: (
        Quote.objects.for_organization(Organization(pk=organization)).select_related(*_QUOTE_RELATED).filter(pk=quote)
    ),
    organization=int,
    quote=int,
)
_QUOTE_LINES: PreparedQuery[QuoteLine] = PreparedQuery(
    lambda organization, quote: (
        QuoteLine.objects.for_organization(Organization(pk=organization))
        .filter(quote_id=quote)
        .order_by("position")  # QuoteLine's Meta ordering
    ),
    organization=int,
    quote=int,
)


def quote_get(*, organization: Organization, quote_id: int) -> Quote | None:
    """The organization's quote with everything ``quote_list`` reads for it (its lines prefetched), or None."""
    low, high = connection.ops.integer_field_range(Quote._meta.pk.get_internal_type())
    if (low is not None and quote_id < low) or (high is not None and quote_id > high):  # no such id, as the ORM
        return None
    quote = _QUOTE.first(organization=organization.pk, quote=quote_id)
    if quote is not None:
        prefetched_set(quote, "lines", _QUOTE_LINES(organization=organization.pk, quote=quote_id))
    return quote


class QuoteNotFoundError(ValidationError):
    """No such quote in this organization (another organization's quote is the same as a missing one)."""


class QuoteExpiredError(ValidationError):
    """The quote's validity has passed; its prices no longer hold."""


def quote_get_bookable(*, organization: Organization, quote_id: int, at: datetime | None = None) -> Quote:
    """An open quote of the organization, to book at its stored prices; refuses a missing or expired one.

    Called by the reservations issue. The quote's prices hold until ``valid_until``, whatever price list is in
    effect by then.
    """
    quote = quote_get(organization=organization, quote_id=quote_id)
    if quote is None:
        raise QuoteNotFoundError({"quote": [_("There is no quote %(id)s.") % {"id": quote_id}]}, code="not_found")
    if quote.status(at) == QuoteStatus.EXPIRED:
        raise QuoteExpiredError(
            {
                "quote": [
                    _("Quote %(id)s expired at %(time)s; request a new quote.")
                    % {"id": quote.pk, "time": format_datetime(quote.valid_until)}
                ]
            },
            code="quote_expired",
        )
    return quote
