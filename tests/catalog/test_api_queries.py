"""Every list of the catalog API runs the same number of queries for 1 row as for 20."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, timedelta
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from catalog.choices import Commitment, UseCase
from catalog.models import ComputePrice, Flavor
from catalog.services import quote_create
from tenants.audit import Actor
from tests.catalog.conftest import LAUNCH, NOW
from tests.catalog.factories import (
    CatalogItemFactory,
    FlavorFactory,
    RegionFactory,
    UseCaseFactory,
    VersionFactory,
    ZoneFactory,
    published_price_list,
)

pytestmark = pytest.mark.django_db


def add_items(count: int, _world) -> None:
    for _ in range(count):
        item = CatalogItemFactory.create(min_gpu_memory_gb=100)
        VersionFactory.create(item=item, released_on=date(2025, 1, 1))
        VersionFactory.create(item=item, released_on=date(2025, 2, 1))
        UseCaseFactory.create(item=item, use_case=UseCase.ROBOTICS)
        UseCaseFactory.create(item=item, use_case=UseCase.SPEECH)


def add_versions(count: int, world) -> None:
    for _ in range(count):
        VersionFactory.create(item=world["item"])


def add_flavors(count: int, world) -> None:
    for _ in range(count):
        FlavorFactory.create(node_type=world["node_type"], gpu_count=2)


def add_regions(count: int, _world) -> None:
    for _ in range(count):
        region = RegionFactory.create(slug=f"de-{RegionFactory._meta.model.objects.count()}")
        ZoneFactory.create(region=region)
        ZoneFactory.create(region=region)


def add_zones(count: int, world) -> None:
    for _ in range(count):
        ZoneFactory.create(region=world["region"])


def add_price_lists(count: int, world) -> None:
    for _ in range(count):
        n = world["lists"] = world.get("lists", 0) + 1
        published_price_list(name=f"List {n}", effective_from=LAUNCH - timedelta(days=n), compute={})


def add_quotes(count: int, world) -> None:
    for _ in range(count):
        quote_create(
            actor=Actor.system("tests"),
            organization=world["organization"],
            version=world["version"],
            flavor=world["flavor"],
            instance_count=1,
            commitment=Commitment.ON_DEMAND,
            starts_at=NOW + timedelta(hours=1),
            ends_at=NOW + timedelta(hours=2),
        )


LISTS = [
    ("/api/v1/catalog/items/", add_items),
    ("/api/v1/catalog/items/?gpu_model=b200&use_case=robotics", add_items),
    ("/api/v1/catalog/items/pytorch/versions/", add_versions),
    ("/api/v1/catalog/flavors/", add_flavors),
    ("/api/v1/catalog/regions/", add_regions),
    ("/api/v1/catalog/zones/", add_zones),
    ("/api/v1/catalog/price-lists/", add_price_lists),
    ("/api/v1/catalog/items/nemo/versions/25.09/", add_flavors),
    ("/api/v1/organizations/rheinwerk/quotes/", add_quotes),
]


def rows(body) -> int:
    if "results" in body:
        return len(body["results"])
    return len(body["compatible_flavors"]) + len(body["incompatible_flavors"])


@pytest.mark.parametrize(("url", "add"), LISTS, ids=[url for url, _ in LISTS])
def test_a_list_runs_a_constant_number_of_queries(
    url: str, add: Callable, now, flavors, items, launch_prices, organization, owner, client_for
):
    client = client_for(owner)
    pytorch = items.pytorch
    world = {
        "item": pytorch,
        "node_type": flavors["b200-x1"].node_type,
        "region": RegionFactory.create(),
        "organization": organization,
        "version": items.version(pytorch),
        "flavor": flavors["b200-x1"],
    }

    def measure() -> tuple[int, int]:
        with CaptureQueriesContext(connection) as queries:
            response = client.get(url)
        assert response.status_code == 200, response.content
        return len(queries), rows(response.json())

    add(1, world)
    one, rows_before = measure()
    add(19, world)
    twenty, rows_after = measure()

    assert rows_after - rows_before == 19
    assert twenty == one


def test_the_prices_in_effect_run_a_constant_number_of_queries(now, flavors, launch_prices, api_client):
    def measure() -> int:
        with CaptureQueriesContext(connection) as queries:
            response = api_client.get("/api/v1/catalog/prices/")
        assert response.status_code == 200
        return len(queries)

    few = measure()
    node_type = flavors["b200-x1"].node_type
    extra = [FlavorFactory.create(node_type=node_type, gpu_count=2) for _ in range(10)]
    published_price_list(
        name="More flavors",
        effective_from=NOW - timedelta(hours=1),
        compute={
            (flavor, commitment): Decimal("2.00")
            for flavor in [*Flavor.objects.all(), *extra]
            for commitment in Commitment
        },
    )
    many = measure()

    assert ComputePrice.objects.filter(price_list__name="More flavors").count() == 54
    assert many == few
