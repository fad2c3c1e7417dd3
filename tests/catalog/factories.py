"""Factories for the catalog. Defaults follow ../shared/reference/catalog.md (a DGX B200 node, a B200 flavor)."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal

import factory

from catalog.choices import Commitment, Deployment, ItemKind, License
from catalog.models import (
    AvailabilityZone,
    CatalogItem,
    CatalogItemUseCase,
    CatalogItemVersion,
    ComputePrice,
    Flavor,
    GpuModel,
    LicensePrice,
    NodeType,
    PriceList,
    Region,
    ZoneCapacity,
)


class RegionFactory(factory.django.DjangoModelFactory[Region]):
    class Meta:
        model = Region
        django_get_or_create = ("slug",)

    slug = "de-muc-1"
    name = "Munich 1"
    city = "Munich"


class ZoneFactory(factory.django.DjangoModelFactory[AvailabilityZone]):
    class Meta:
        model = AvailabilityZone

    region = factory.SubFactory(RegionFactory)
    slug = factory.Sequence(lambda n: f"de-muc-1{chr(ord('a') + n % 26)}{n // 26 or ''}")
    name = factory.LazyAttribute(lambda zone: f"Zone {zone.slug}")


class GpuModelFactory(factory.django.DjangoModelFactory[GpuModel]):
    class Meta:
        model = GpuModel
        django_get_or_create = ("slug",)

    slug = "b200"
    name = "NVIDIA B200"
    architecture = "Blackwell"
    memory_gb = 180
    has_ray_tracing_cores = False


class NodeTypeFactory(factory.django.DjangoModelFactory[NodeType]):
    class Meta:
        model = NodeType
        django_get_or_create = ("slug",)

    slug = "dgx-b200"
    name = "NVIDIA DGX B200"
    gpu_model = factory.SubFactory(GpuModelFactory)
    gpus_per_node = 8
    has_nvlink = True
    has_infiniband = True
    vcpus = 224
    ram_gb = 2048
    local_disk_gb = 30720


class FlavorFactory(factory.django.DjangoModelFactory[Flavor]):
    class Meta:
        model = Flavor

    slug = factory.Sequence(lambda n: f"flavor-{n}")
    name = factory.LazyAttribute(lambda flavor: flavor.slug)
    node_type = factory.SubFactory(NodeTypeFactory)
    gpu_count = 1
    deployment = Deployment.VM
    vcpus = factory.LazyAttribute(lambda flavor: 24 * flavor.gpu_count)
    ram_gb = factory.LazyAttribute(lambda flavor: 220 * flavor.gpu_count)
    local_disk_gb = factory.LazyAttribute(lambda flavor: 3840 * flavor.gpu_count)


class ZoneCapacityFactory(factory.django.DjangoModelFactory[ZoneCapacity]):
    class Meta:
        model = ZoneCapacity

    zone = factory.SubFactory(ZoneFactory)
    node_type = factory.SubFactory(NodeTypeFactory)
    node_count = 10


class CatalogItemFactory(factory.django.DjangoModelFactory[CatalogItem]):
    class Meta:
        model = CatalogItem

    slug = factory.Sequence(lambda n: f"item-{n}")
    name = factory.LazyAttribute(lambda item: item.slug.title())
    kind = ItemKind.CONTAINER
    summary = "NVIDIA software."
    repository = factory.LazyAttribute(lambda item: f"nvcr.io/nvidia/{item.slug}")
    license = License.NGC_FREE


class UseCaseFactory(factory.django.DjangoModelFactory[CatalogItemUseCase]):
    class Meta:
        model = CatalogItemUseCase

    item = factory.SubFactory(CatalogItemFactory)


class VersionFactory(factory.django.DjangoModelFactory[CatalogItemVersion]):
    class Meta:
        model = CatalogItemVersion

    item = factory.SubFactory(CatalogItemFactory)
    tag = factory.Sequence(lambda n: f"25.{n:02d}")
    released_on = date(2025, 10, 1)


def published_price_list(
    *,
    name: str,
    effective_from: datetime,
    compute: dict[tuple[Flavor, Commitment], Decimal],
    license: dict[tuple[License, Commitment], Decimal] | None = None,
) -> PriceList:
    """A price list published at ``effective_from`` (possibly in the past): prices go in while it is a draft, then it
    is published, as the database allows."""
    price_list = PriceList.objects.create(name=name, created_by_label="tests")
    ComputePrice.objects.bulk_create(
        ComputePrice(price_list=price_list, flavor=flavor, commitment=commitment, unit_price=price)
        for (flavor, commitment), price in compute.items()
    )
    LicensePrice.objects.bulk_create(
        LicensePrice(price_list=price_list, license=lic, commitment=commitment, unit_price=price)
        for (lic, commitment), price in (license or {}).items()
    )
    PriceList.objects.filter(pk=price_list.pk).update(effective_from=effective_from, published_at=effective_from)
    price_list.refresh_from_db()
    return price_list
