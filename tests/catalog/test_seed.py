"""seed_catalog: the real catalog, flavors, launch prices and a 10,000-GPU inventory; a second run changes nothing."""

from __future__ import annotations

import dataclasses
from datetime import date, timedelta
from decimal import Decimal
from io import StringIO

import pytest
from django.apps import apps
from django.core.management import call_command

from catalog import seed_data
from catalog.compatibility import flavor_fits
from catalog.models import CatalogItem, CatalogItemVersion, ComputePrice, PriceList
from catalog.selectors import flavor_list, inventory_summary, price_list_in_effect
from catalog.services import quote_create
from tenants.audit import Actor
from tenants.models import AuditEvent
from tests.catalog.conftest import NOW

pytestmark = pytest.mark.django_db


def seed(*args: str) -> tuple[str, str]:
    out, err = StringIO(), StringIO()
    call_command("seed_catalog", *args, stdout=out, stderr=err)
    return out.getvalue(), err.getvalue()


def snapshot() -> dict[str, object]:
    catalog = {
        model._meta.label: sorted(map(str, model._base_manager.values_list()))
        for model in apps.get_app_config("catalog").get_models()
    }
    return {**catalog, "audit": AuditEvent.objects.unscoped().count()}


def test_the_seed_loads_the_catalog_and_a_second_run_changes_nothing(now):
    out, _err = seed()
    first = snapshot()
    again, _err = seed()

    assert snapshot() == first
    assert out.splitlines() == [
        "Catalog ready (2 availabilityzone, 15 catalogitem, 36 catalogitemversion, 8 flavor, 2 gpumodel, "
        "2 nodetype, 1 pricelist, 1 region, 4 zonecapacity).",
        "  inventory: 1250 nodes, 10000 GPUs in 2 zones",
    ]
    assert again.splitlines()[0] == "Catalog ready (nothing new)."


def test_the_inventory_describes_10000_gpus_in_two_zones(now):
    seed()

    assert [(row.zone, row.node_type, row.nodes, row.gpus) for row in inventory_summary()] == [
        ("de-muc-1a", "dgx-b200", 500, 4000),
        ("de-muc-1a", "rtx-pro-server", 125, 1000),
        ("de-muc-1b", "dgx-b200", 500, 4000),
        ("de-muc-1b", "rtx-pro-server", 125, 1000),
    ]


def test_flavors_have_the_reference_shapes(now):
    seed()

    assert [
        (f.slug, f.gpu_count, f.deployment, f.vcpus, f.ram_gb, f.local_disk_gb, f.node_type.slug) for f in flavor_list()
    ] == [
        ("b200-x1", 1, "vm", 24, 220, 3840, "dgx-b200"),
        ("b200-x2", 2, "vm", 48, 440, 7680, "dgx-b200"),
        ("b200-x4", 4, "vm", 96, 880, 15360, "dgx-b200"),
        ("b200-x8-metal", 8, "bare_metal", 224, 2048, 30720, "dgx-b200"),
        ("rtx-pro-x1", 1, "vm", 16, 128, 1920, "rtx-pro-server"),
        ("rtx-pro-x2", 2, "vm", 32, 256, 3840, "rtx-pro-server"),
        ("rtx-pro-x4", 4, "vm", 64, 512, 7680, "rtx-pro-server"),
        ("rtx-pro-x8", 8, "vm", 128, 1024, 15360, "rtx-pro-server"),
    ]


B200 = ["b200-x1", "b200-x2", "b200-x4", "b200-x8-metal"]
RTX = ["rtx-pro-x1", "rtx-pro-x2", "rtx-pro-x4", "rtx-pro-x8"]


@pytest.mark.parametrize(
    ("item", "compatible"),
    [
        ("pytorch", B200 + RTX),
        ("cuda", B200 + RTX),
        ("nemo", ["b200-x8-metal"]),
        ("bionemo-framework", ["b200-x8-metal"]),
        ("nim-llama-3-1-8b-instruct", B200 + RTX),
        ("tensorrt-llm", B200),
        ("cosmos-transfer2-5-2b", B200),
        ("isaac-sim", RTX),
        ("usd-viewer", RTX),
        ("gpu-operator", B200 + RTX),
    ],
)
def test_the_seeded_catalog_follows_the_reference_hardware_rules(now, item, compatible):
    seed()

    fits = flavor_fits(CatalogItem.objects.get(slug=item), flavor_list())

    assert [fit.flavor.slug for fit in fits if fit.is_compatible] == compatible


def test_the_launch_prices_are_in_effect_and_a_week_of_a_dgx_costs_about_8700_euros(now, organization):
    seed()
    price_list = price_list_in_effect()
    start = NOW + timedelta(hours=1)

    quote = quote_create(
        actor=Actor.system("tests"),
        organization=organization,
        version=CatalogItemVersion.objects.get(item__slug="pytorch", tag="24.12-py3"),
        flavor=flavor_list().get(slug="b200-x8-metal"),
        instance_count=1,
        commitment="on_demand",
        starts_at=start,
        ends_at=start + timedelta(days=7),
    )

    assert (price_list.name, price_list.effective_from, ComputePrice.objects.filter(price_list=price_list).count()) == (
        "2026 launch prices",
        NOW,
        24,
    )
    assert quote.net_amount == Decimal("8736.00")


def test_a_re_seed_adds_a_new_tag_and_keeps_operator_edits(now, monkeypatch):
    seed()
    CatalogItem.objects.filter(slug="nemo").update(summary="Edited by an operator.")
    nemo = next(item for item in seed_data.ITEMS if item.slug == "nemo")
    newer = dataclasses.replace(nemo, versions=(("26.01", date(2026, 1, 28)), *nemo.versions))
    monkeypatch.setattr(seed_data, "ITEMS", [newer if item is nemo else item for item in seed_data.ITEMS])

    out, _err = seed()

    assert out.splitlines()[0] == "Catalog ready (1 catalogitemversion)."
    assert list(CatalogItemVersion.objects.filter(item__slug="nemo").values_list("tag", flat=True)) == [
        "26.01",
        "25.09",
        "25.07",
        "25.04",
    ]
    assert CatalogItem.objects.get(slug="nemo").summary == "Edited by an operator."
    assert PriceList.objects.count() == 1


def test_the_seed_shows_a_progress_bar_when_asked(now):
    _out, err = seed("--progress", "always")

    assert "Seeding the catalog" in err
    assert "30/30" in err
    assert seed("--progress", "never")[1] == ""
