"""Catalog API: public reads of the catalog, hardware and prices; organization-scoped quotes.

Every list is cursor-paginated and runs a constant number of queries (pinned in tests/catalog/test_api_queries.py).
"""

from __future__ import annotations

import math
from typing import Any

from django.core.exceptions import ValidationError as DjangoValidationError
from django.db.models import QuerySet
from django.http import Http404
from django.utils import timezone
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_view
from rest_framework import mixins, status
from rest_framework.exceptions import ValidationError
from rest_framework.request import Request
from rest_framework.response import Response

from catalog.api import examples
from catalog.api.caching import CACHE_SECONDS_ATTRIBUTE, cached_public_read
from catalog.api.filters import CatalogItemFilter, FlavorFilter, ZoneFilter
from catalog.api.serializers import (
    CatalogItemDetailSerializer,
    CatalogItemSerializer,
    FlavorSerializer,
    PriceListDetailSerializer,
    PriceListSummarySerializer,
    QuoteCreateSerializer,
    QuoteSerializer,
    RegionSerializer,
    VersionDetailSerializer,
    VersionSerializer,
    ZoneSerializer,
)
from catalog.choices import Commitment
from catalog.models import CatalogItem, CatalogItemVersion, PriceList, Quote
from catalog.selectors import (
    catalog_item_get,
    catalog_item_list,
    catalog_item_version_get,
    catalog_item_version_list,
    flavor_list,
    flavor_offers,
    price_list_in_effect,
    price_list_next,
    price_list_published_list,
    price_list_with_prices,
    quote_get,
    quote_list,
    region_list,
    runs_on_by_item,
    zone_list,
)
from catalog.services import quote_create
from core.datetimes import parse_datetime_in_range
from portal.api.access import OrganizationScopedViewSet, PublicViewSet
from portal.api.idempotency import idempotent
from portal.api.pagination import CursorPagination
from tenants.audit import Actor
from tenants.permissions import Action


class SlugCursorPagination(CursorPagination):
    ordering = "slug"


class NewestReleaseCursorPagination(CursorPagination):
    ordering = ("-released_on", "-id")  # type: ignore[assignment]  # the base declares one field


class NewestEffectiveCursorPagination(CursorPagination):
    ordering = "-effective_from"


CATALOG_TAG = ["catalog"]
PRICES_TAG = ["prices"]
QUOTES_TAG = ["quotes"]


def _item_or_404(slug: str) -> CatalogItem:
    item = catalog_item_get(slug=slug)
    if item is None:
        raise Http404
    return item


@extend_schema_view(
    list=extend_schema(
        tags=CATALOG_TAG,
        summary="List catalog items",
        description="Published NVIDIA software, filtered by words, use case, license, kind and GPU model. Public.",
        examples=[examples.ITEM_EXAMPLE],
    ),
    retrieve=extend_schema(
        tags=CATALOG_TAG,
        summary="Retrieve a catalog item with its versions",
        responses=CatalogItemDetailSerializer,
        examples=[examples.ITEM_DETAIL_EXAMPLE],
    ),
)
class CatalogItemViewSet(mixins.ListModelMixin, PublicViewSet):
    serializer_class = CatalogItemSerializer
    filterset_class = CatalogItemFilter
    pagination_class = SlugCursorPagination
    lookup_field = "slug"
    lookup_url_kwarg = "item_slug"

    def get_queryset(self) -> QuerySet[CatalogItem]:
        return catalog_item_list()

    def get_serializer_context(self) -> dict[str, Any]:
        return {**super().get_serializer_context(), **getattr(self, "extra_context", {})}

    @cached_public_read
    def list(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        queryset = self.filter_queryset(self.get_queryset())
        page = self.paginate_queryset(queryset)
        items = list(page if page is not None else queryset)
        self.extra_context: dict[str, Any] = {"runs_on": runs_on_by_item(items)}
        serializer = self.get_serializer(items, many=True)
        return self.get_paginated_response(serializer.data)

    @cached_public_read
    def retrieve(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        item = _item_or_404(self.kwargs["item_slug"])
        latest = catalog_item_version_list(item=item).first()
        item.latest_tag = latest.tag if latest else None  # type: ignore[attr-defined]
        item.latest_released_on = latest.released_on if latest else None  # type: ignore[attr-defined]
        self.extra_context = {
            "runs_on": runs_on_by_item([item]),
            "versions": list(catalog_item_version_list(item=item)),
        }
        return Response(CatalogItemDetailSerializer(item, context=self.get_serializer_context()).data)


@extend_schema_view(
    list=extend_schema(
        tags=CATALOG_TAG, summary="List the versions of an item, newest first", examples=[examples.VERSION_EXAMPLE]
    ),
    retrieve=extend_schema(
        tags=CATALOG_TAG,
        summary="Retrieve a version with the flavors that can run it, and why the others cannot",
        description=(
            "Compatible flavors come with their prices per GPU-hour and per instance-hour (compute plus the "
            "item's license add-on, EUR before VAT, from the price list in effect); incompatible ones with every "
            "reason. Only compatible flavors can be quoted."
        ),
        responses=VersionDetailSerializer,
        examples=[examples.VERSION_DETAIL_EXAMPLE],
    ),
)
class CatalogItemVersionViewSet(mixins.ListModelMixin, PublicViewSet):
    serializer_class = VersionSerializer
    pagination_class = NewestReleaseCursorPagination

    list = cached_public_read(mixins.ListModelMixin.list)

    def get_queryset(self) -> QuerySet[CatalogItemVersion]:
        if getattr(self, "swagger_fake_view", False):
            return CatalogItemVersion.objects.none()
        return catalog_item_version_list(item=_item_or_404(self.kwargs["item_slug"]))

    @cached_public_read
    def retrieve(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        item = _item_or_404(self.kwargs["item_slug"])
        version = catalog_item_version_get(item=item, tag=self.kwargs["tag"])
        if version is None:
            raise Http404
        offers, price_list = flavor_offers(item=item)
        compatible = [offer for offer in offers if offer.fit.is_compatible]
        incompatible = [offer for offer in offers if not offer.fit.is_compatible]
        data = {
            "item": item.slug,
            "tag": version.tag,
            "released_on": version.released_on,
            "reference": version.reference,
            "notes": version.notes,
            "price_list": price_list,
            "compatible_flavors": [
                {
                    "flavor": offer.flavor,
                    "price_per_gpu_hour": {c.value: offer.prices.get(c) for c in Commitment},
                    "price_per_instance_hour": {c.value: offer.instance_hour_price(c) for c in Commitment},
                }
                for offer in compatible
            ],
            "incompatible_flavors": [
                {
                    "flavor": offer.flavor,
                    "reasons": [{"rule": p.rule.value, "reason": p.reason} for p in offer.fit.incompatibilities],
                }
                for offer in incompatible
            ],
        }
        return Response(VersionDetailSerializer(data).data)


@extend_schema_view(
    list=extend_schema(tags=CATALOG_TAG, summary="List the flavors on offer", examples=[examples.FLAVOR_EXAMPLE]),
    retrieve=extend_schema(tags=CATALOG_TAG, summary="Retrieve a flavor", examples=[examples.FLAVOR_EXAMPLE]),
)
class FlavorViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, PublicViewSet):
    serializer_class = FlavorSerializer
    filterset_class = FlavorFilter
    pagination_class = SlugCursorPagination
    lookup_field = "slug"
    lookup_url_kwarg = "flavor_slug"

    list = cached_public_read(mixins.ListModelMixin.list)
    retrieve = cached_public_read(mixins.RetrieveModelMixin.retrieve)

    def get_queryset(self) -> QuerySet[Any]:
        return flavor_list()


@extend_schema_view(
    list=extend_schema(tags=CATALOG_TAG, summary="List regions and their zones", examples=[examples.REGION_EXAMPLE]),
    retrieve=extend_schema(tags=CATALOG_TAG, summary="Retrieve a region", examples=[examples.REGION_EXAMPLE]),
)
class RegionViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, PublicViewSet):
    serializer_class = RegionSerializer
    pagination_class = SlugCursorPagination
    lookup_field = "slug"
    lookup_url_kwarg = "region_slug"

    list = cached_public_read(mixins.ListModelMixin.list)
    retrieve = cached_public_read(mixins.RetrieveModelMixin.retrieve)

    def get_queryset(self) -> QuerySet[Any]:
        return region_list()


@extend_schema_view(
    list=extend_schema(tags=CATALOG_TAG, summary="List availability zones", examples=[examples.ZONE_EXAMPLE]),
    retrieve=extend_schema(tags=CATALOG_TAG, summary="Retrieve an availability zone", examples=[examples.ZONE_EXAMPLE]),
)
class ZoneViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, PublicViewSet):
    serializer_class = ZoneSerializer
    filterset_class = ZoneFilter
    pagination_class = SlugCursorPagination
    lookup_field = "slug"
    lookup_url_kwarg = "zone_slug"

    list = cached_public_read(mixins.ListModelMixin.list)
    retrieve = cached_public_read(mixins.RetrieveModelMixin.retrieve)

    def get_queryset(self) -> QuerySet[Any]:
        return zone_list()


@extend_schema_view(
    list=extend_schema(
        tags=PRICES_TAG,
        summary="List published price lists, latest first",
        description="Every published version of the price book; each takes effect at ``effective_from``.",
        examples=[examples.PRICE_LIST_EXAMPLE],
    ),
    retrieve=extend_schema(
        tags=PRICES_TAG,
        summary="Retrieve a published price list with its prices",
        responses=PriceListDetailSerializer,
        examples=[examples.PRICE_LIST_DETAIL_EXAMPLE],
    ),
)
class PriceListViewSet(mixins.ListModelMixin, PublicViewSet):
    serializer_class = PriceListSummarySerializer
    pagination_class = NewestEffectiveCursorPagination
    error_codes = {"current": {404: ["not_found"]}}  # no price list was in effect at that time

    list = cached_public_read(mixins.ListModelMixin.list)

    def get_queryset(self) -> QuerySet[PriceList]:
        return price_list_published_list()

    @cached_public_read
    def retrieve(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        price_list = price_list_with_prices(self.kwargs["price_list_id"])
        if price_list is None or not price_list.is_published:
            raise Http404
        return Response(PriceListDetailSerializer(price_list).data)

    @extend_schema(
        tags=PRICES_TAG,
        summary="The prices in effect (now, or at a given time)",
        description="EUR per GPU-hour before VAT, per flavor and commitment, and the license add-ons.",
        parameters=[
            OpenApiParameter("at", OpenApiTypes.DATETIME, description="When (ISO 8601); default now.", required=False)
        ],
        responses=PriceListDetailSerializer,
        examples=[examples.PRICE_LIST_DETAIL_EXAMPLE],
    )
    @cached_public_read
    def current(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        raw_at = request.query_params.get("at")
        try:
            at = parse_datetime_in_range(raw_at) if raw_at else None
        except DjangoValidationError as exc:
            raise ValidationError({"at": exc.messages}) from None
        in_effect = price_list_in_effect(at=at)
        if in_effect is None:
            raise Http404
        price_list = price_list_with_prices(in_effect.pk)
        response = Response(PriceListDetailSerializer(price_list).data)
        # "Now" changes meaning when the next list takes effect: the answer is cached no longer than that.
        upcoming = price_list_next() if at is None else None
        if upcoming is not None and upcoming.effective_from is not None:
            until = (upcoming.effective_from - timezone.now()).total_seconds()
            setattr(response, CACHE_SECONDS_ATTRIBUTE, max(0, math.floor(until)))
        return response


@extend_schema_view(
    list=extend_schema(tags=QUOTES_TAG, summary="List the organization's quotes, newest first"),
    retrieve=extend_schema(tags=QUOTES_TAG, summary="Retrieve a quote", examples=[examples.QUOTE_EXAMPLE]),
)
class QuoteViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, OrganizationScopedViewSet):
    """Quotes of one organization. A signed-in member, or an API key with the ``catalog:read`` scope."""

    serializer_class = QuoteSerializer
    required_actions = {
        "list": Action.CATALOG_QUOTE,
        "retrieve": Action.CATALOG_QUOTE,
        "create": Action.CATALOG_QUOTE,
    }
    error_codes = {"create": {400: ["datetime_out_of_range", "no_price_list"]}}
    lookup_url_kwarg = "quote_id"

    def get_scoped_queryset(self) -> QuerySet[Quote]:
        return quote_list(organization=self.organization)

    @extend_schema(
        tags=QUOTES_TAG,
        summary="Quote an item version on a flavor for a window",
        description=(
            "Prices the window at the price list in effect now, with the organization's VAT treatment (19 % in "
            "Germany; reverse charge for other EU countries with a confirmed VAT ID; not taxable outside the EU). "
            "The quote holds its prices for 7 days. Windows are whole hours, start no earlier than now and at most "
            "365 days ahead, last at most 372 days; reserved commitments need 30 days (1 month) or 365 days (12 "
            "months) at least. Refusals answer 400 and store nothing."
        ),
        request=QuoteCreateSerializer,
        responses={201: QuoteSerializer},
        examples=[examples.QUOTE_REQUEST_EXAMPLE, examples.QUOTE_EXAMPLE, examples.QUOTE_INVALID_EXAMPLE],
    )
    @idempotent
    def create(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        serializer = QuoteCreateSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        quote = quote_create(
            actor=Actor.from_request(request),
            organization=self.organization,
            version=data["version"],
            flavor=data["flavor"],
            instance_count=data["instance_count"],
            commitment=data["commitment"],
            starts_at=data["starts_at"],
            ends_at=data["ends_at"],
            currency=data["currency"],
        )
        created = quote_get(organization=self.organization, quote_id=quote.pk)
        return Response(QuoteSerializer(created).data, status=status.HTTP_201_CREATED)
