"""Loading ``catalog.seed_data``: the hardware, flavors, inventory description, catalog and launch price list.

Idempotent: every step creates what is missing, by its natural key, and never overwrites a row that exists (so a
second run changes nothing, and operators' edits in the console survive a re-seed). Each created row is audited
with the seed as the actor, in the seed's transaction.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.core.exceptions import ValidationError
from django.db import models, transaction

from catalog import seed_data
from catalog.compatibility import flavor_shape_errors
from catalog.models import (
    AvailabilityZone,
    CatalogItem,
    CatalogItemUseCase,
    CatalogItemVersion,
    Flavor,
    GpuModel,
    NodeType,
    PriceList,
    Region,
    ZoneCapacity,
)
from catalog.services import (
    price_list_create_draft,
    price_list_publish,
    price_list_set_compute_price,
    price_list_set_license_price,
)
from tenants.audit import Actor, audit_record


@dataclass(frozen=True)
class SeedStep:
    label: str
    run: Callable[[Actor, Counter[str]], None]


def _created(actor: Actor, counter: Counter[str], obj: models.Model, data: dict[str, Any] | None = None) -> None:
    counter[obj._meta.model_name or ""] += 1
    audit_record(actor=actor, action=f"{obj._meta.model_name}.seeded", target=obj, organization=None, data=data)


def _get_or_create(
    actor: Actor, counter: Counter[str], model: type[models.Model], lookup: dict[str, Any], values: dict[str, Any]
) -> Any:
    obj = model._default_manager.filter(**lookup).first()
    if obj is None:
        obj = model._default_manager.create(**lookup, **values)
        _created(actor, counter, obj, {key: str(value) for key, value in lookup.items()})
    return obj


def _seed_region(actor: Actor, counter: Counter[str]) -> None:
    region_values = {key: value for key, value in seed_data.REGION.items() if key != "slug"}
    region = _get_or_create(actor, counter, Region, {"slug": seed_data.REGION["slug"]}, region_values)
    for zone in seed_data.ZONES:
        _get_or_create(
            actor, counter, AvailabilityZone, {"slug": zone["slug"]}, {"region": region, "name": zone["name"]}
        )


def _seed_gpu_model(values: dict[str, Any]) -> Callable[[Actor, Counter[str]], None]:
    def run(actor: Actor, counter: Counter[str]) -> None:
        _get_or_create(
            actor, counter, GpuModel, {"slug": values["slug"]}, {k: v for k, v in values.items() if k != "slug"}
        )

    return run


def _seed_node_type(values: dict[str, Any]) -> Callable[[Actor, Counter[str]], None]:
    def run(actor: Actor, counter: Counter[str]) -> None:
        rest = {k: v for k, v in values.items() if k not in {"slug", "gpu_model"}}
        rest["gpu_model"] = GpuModel.objects.get(slug=values["gpu_model"])
        _get_or_create(actor, counter, NodeType, {"slug": values["slug"]}, rest)

    return run


def _seed_flavor(seed: seed_data.FlavorSeed) -> Callable[[Actor, Counter[str]], None]:
    def run(actor: Actor, counter: Counter[str]) -> None:
        if Flavor.objects.filter(slug=seed.slug).exists():
            return
        flavor = Flavor(
            slug=seed.slug,
            name=seed.name,
            node_type=NodeType.objects.select_related("gpu_model").get(slug=seed.node_type),
            gpu_count=seed.gpu_count,
            deployment=seed.deployment,
            vcpus=seed.vcpus_per_gpu * seed.gpu_count,
            ram_gb=seed.ram_gb_per_gpu * seed.gpu_count,
            local_disk_gb=seed.disk_gb_per_gpu * seed.gpu_count,
        )
        errors = flavor_shape_errors(flavor)
        if errors:
            raise ValidationError(errors)
        flavor.save()
        _created(actor, counter, flavor, {"slug": flavor.slug})

    return run


def _seed_capacity(actor: Actor, counter: Counter[str]) -> None:
    for zone_slug, node_type_slug, node_count in seed_data.ZONE_CAPACITY:
        zone = AvailabilityZone.objects.get(slug=zone_slug)
        node_type = NodeType.objects.get(slug=node_type_slug)
        _get_or_create(actor, counter, ZoneCapacity, {"zone": zone, "node_type": node_type}, {"node_count": node_count})


def _seed_item(seed: seed_data.ItemSeed) -> Callable[[Actor, Counter[str]], None]:
    def run(actor: Actor, counter: Counter[str]) -> None:
        created_before = counter["catalogitem"]
        item = _get_or_create(
            actor,
            counter,
            CatalogItem,
            {"slug": seed.slug},
            {
                "name": seed.name,
                "kind": seed.kind,
                "publisher": seed.publisher,
                "summary": seed.summary,
                "description": seed.description,
                "repository": seed.repository,
                "license": seed.license,
                "license_terms": seed.license_terms,
                "min_gpu_memory_gb": seed.min_gpu_memory_gb,
                "requires_ray_tracing": seed.requires_ray_tracing,
                "requires_whole_node": seed.requires_whole_node,
                "requires_nvlink": seed.requires_nvlink,
            },
        )
        if counter["catalogitem"] > created_before:  # use cases come with a new item only
            for use_case in seed.use_cases:
                CatalogItemUseCase.objects.create(item=item, use_case=use_case)
        # Oldest first, so that among versions released the same day the later one in the list is the older.
        for tag, released_on in reversed(seed.versions):
            _get_or_create(actor, counter, CatalogItemVersion, {"item": item, "tag": tag}, {"released_on": released_on})

    return run


def _seed_price_list(published_at: datetime | None) -> Callable[[Actor, Counter[str]], None]:
    def run(actor: Actor, counter: Counter[str]) -> None:
        _publish_launch_prices(actor, counter, published_at)

    return run


def _publish_launch_prices(actor: Actor, counter: Counter[str], published_at: datetime | None) -> None:
    if PriceList.objects.filter(name=seed_data.LAUNCH_PRICE_LIST).exists():
        return
    draft = price_list_create_draft(
        actor=actor, name=seed_data.LAUNCH_PRICE_LIST, notes="Launch prices, catalog.md estimates (EUR per GPU-hour)."
    )
    for flavor_seed in seed_data.FLAVORS:
        flavor = Flavor.objects.get(slug=flavor_seed.slug)
        for commitment, unit_price in flavor_seed.prices.items():
            price_list_set_compute_price(
                actor=actor, price_list=draft, flavor=flavor, commitment=commitment, unit_price=unit_price
            )
    for license, prices in seed_data.LICENSE_PRICES.items():
        for commitment, unit_price in prices.items():
            price_list_set_license_price(
                actor=actor, price_list=draft, license=license, commitment=commitment, unit_price=unit_price
            )
    price_list_publish(actor=actor, price_list=draft, now=published_at)
    counter["pricelist"] += 1


def seed_steps(*, price_list_published_at: datetime | None = None) -> list[SeedStep]:
    return [
        SeedStep("region and zones", _seed_region),
        *(SeedStep(f"GPU model {gpu['slug']}", _seed_gpu_model(gpu)) for gpu in seed_data.GPU_MODELS),
        *(SeedStep(f"node type {node['slug']}", _seed_node_type(node)) for node in seed_data.NODE_TYPES),
        *(SeedStep(f"flavor {flavor.slug}", _seed_flavor(flavor)) for flavor in seed_data.FLAVORS),
        SeedStep("inventory", _seed_capacity),
        *(SeedStep(f"item {item.slug}", _seed_item(item)) for item in seed_data.ITEMS),
        SeedStep("price list", _seed_price_list(price_list_published_at)),
    ]


def catalog_seed(
    *,
    actor: Actor,
    on_step: Callable[[SeedStep], None] | None = None,
    price_list_published_at: datetime | None = None,
) -> Counter[str]:
    """Run every seed step in one transaction; returns how many rows of each model were created.

    The launch price list is published now, or at ``price_list_published_at`` (the demo data's history needs
    prices in effect months back)."""
    counter: Counter[str] = Counter()
    with transaction.atomic():
        for step in seed_steps(price_list_published_at=price_list_published_at):
            step.run(actor, counter)
            if on_step is not None:
                on_step(step)
    return counter
