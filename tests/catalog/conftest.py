"""The catalog's test world: the two node types and eight flavors of ../shared/reference/catalog.md, five catalog
items covering every hardware requirement, the launch price list, and a frozen clock."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from typing import Any

import pytest
import time_machine

from catalog.choices import Commitment, Deployment, ItemKind, License, UseCase
from catalog.models import CatalogItem, CatalogItemVersion, Flavor, PriceList, Quote
from catalog.selectors import flavor_list
from catalog.services import quote_create
from tenants.audit import Actor
from tenants.models import Organization, User
from tests.catalog.factories import (
    CatalogItemFactory,
    FlavorFactory,
    GpuModelFactory,
    NodeTypeFactory,
    UseCaseFactory,
    VersionFactory,
    published_price_list,
)

# Wednesday 25 November 2026, 11:00 in Munich.
NOW = datetime(2026, 11, 25, 10, 0, tzinfo=UTC)
LAUNCH = datetime(2026, 1, 1, tzinfo=UTC)

C = Commitment
LAUNCH_PRICES = {
    "b200": {C.ON_DEMAND: Decimal("6.90"), C.RESERVED_1M: Decimal("5.90"), C.RESERVED_12M: Decimal("4.50")},
    "b200-metal": {C.ON_DEMAND: Decimal("6.50"), C.RESERVED_1M: Decimal("5.50"), C.RESERVED_12M: Decimal("4.20")},
    "rtx-pro": {C.ON_DEMAND: Decimal("1.80"), C.RESERVED_1M: Decimal("1.55"), C.RESERVED_12M: Decimal("1.25")},
}
NVAIE_PRICES = {C.ON_DEMAND: Decimal("0.88"), C.RESERVED_1M: Decimal("0.00"), C.RESERVED_12M: Decimal("0.00")}


@pytest.fixture
def now() -> Iterator[datetime]:
    with time_machine.travel(NOW, tick=False):
        yield NOW


@pytest.fixture
def flavors(db: None) -> dict[str, Flavor]:
    """b200-x1/x2/x4, b200-x8-metal, rtx-pro-x1/x2/x4/x8, loaded with their node type and GPU model."""
    b200 = GpuModelFactory.create()
    rtx = GpuModelFactory.create(
        slug="rtx-pro-6000",
        name="NVIDIA RTX PRO 6000 Blackwell Server Edition",
        memory_gb=96,
        has_ray_tracing_cores=True,
    )
    dgx = NodeTypeFactory.create(gpu_model=b200)
    rtx_server = NodeTypeFactory.create(
        slug="rtx-pro-server",
        name="RTX PRO server (8 GPUs)",
        gpu_model=rtx,
        has_nvlink=False,
        has_infiniband=False,
        vcpus=192,
        ram_gb=1536,
        local_disk_gb=15360,
    )
    for n in (1, 2, 4):
        FlavorFactory.create(slug=f"b200-x{n}", name=f"B200 ×{n}", node_type=dgx, gpu_count=n)
    FlavorFactory.create(
        slug="b200-x8-metal",
        name="B200 ×8 bare metal",
        node_type=dgx,
        gpu_count=8,
        deployment=Deployment.BARE_METAL,
        vcpus=224,
        ram_gb=2048,
    )
    for n in (1, 2, 4, 8):
        FlavorFactory.create(
            slug=f"rtx-pro-x{n}",
            name=f"RTX PRO 6000 ×{n}",
            node_type=rtx_server,
            gpu_count=n,
            vcpus=16 * n,
            ram_gb=128 * n,
            local_disk_gb=1920 * n,
        )
    return {flavor.slug: flavor for flavor in flavor_list()}


@dataclass
class Items:
    pytorch: CatalogItem
    nemo: CatalogItem
    isaac_sim: CatalogItem
    cosmos_transfer: CatalogItem
    nim_llama: CatalogItem

    def version(self, item: CatalogItem) -> CatalogItemVersion:
        """The newest version."""
        return item.versions.order_by("-released_on", "-id").first()  # type: ignore[return-value]


@pytest.fixture
def items(db: None) -> Items:
    pytorch = CatalogItemFactory.create(
        slug="pytorch", name="PyTorch", summary="GPU-optimized PyTorch.", repository="nvcr.io/nvidia/pytorch"
    )
    VersionFactory.create(item=pytorch, tag="24.10-py3", released_on=date(2024, 10, 25))
    VersionFactory.create(item=pytorch, tag="24.12-py3", released_on=date(2024, 12, 18))
    VersionFactory.create(item=pytorch, tag="24.11-py3", released_on=date(2024, 11, 22))
    UseCaseFactory.create(item=pytorch, use_case=UseCase.GENERATIVE_AI)
    UseCaseFactory.create(item=pytorch, use_case=UseCase.DATA_SCIENCE)
    nemo = CatalogItemFactory.create(
        slug="nemo",
        name="NeMo Framework",
        summary="Train large language models.",
        repository="nvcr.io/nvidia/nemo",
        license=License.NVIDIA_AI_ENTERPRISE,
        min_gpu_memory_gb=80,
        requires_whole_node=True,
        requires_nvlink=True,
    )
    VersionFactory.create(item=nemo, tag="25.09", released_on=date(2025, 10, 1))
    UseCaseFactory.create(item=nemo, use_case=UseCase.GENERATIVE_AI)
    isaac_sim = CatalogItemFactory.create(
        slug="isaac-sim",
        name="Isaac Sim",
        summary="Simulate robots in ray-traced worlds.",
        repository="nvcr.io/nvidia/isaac-sim",
        min_gpu_memory_gb=48,
        requires_ray_tracing=True,
    )
    VersionFactory.create(item=isaac_sim, tag="5.1.0", released_on=date(2025, 10, 21))
    UseCaseFactory.create(item=isaac_sim, use_case=UseCase.ROBOTICS)
    UseCaseFactory.create(item=isaac_sim, use_case=UseCase.DIGITAL_TWINS)
    cosmos_transfer = CatalogItemFactory.create(
        slug="cosmos-transfer2-5-2b",
        name="Cosmos Transfer2.5 2B",
        kind=ItemKind.NIM,
        summary="Synthetic training data.",
        repository="nvcr.io/nim/nvidia/cosmos-transfer2.5-2b",
        license=License.NVIDIA_AI_ENTERPRISE,
        min_gpu_memory_gb=180,
    )
    VersionFactory.create(item=cosmos_transfer, tag="1.1", released_on=date(2025, 12, 15))
    UseCaseFactory.create(item=cosmos_transfer, use_case=UseCase.ROBOTICS)
    nim_llama = CatalogItemFactory.create(
        slug="nim-llama-3-1-8b-instruct",
        name="NIM Llama 3.1 8B Instruct",
        kind=ItemKind.NIM,
        summary="Chatbots on Llama 3.1 8B.",
        repository="nvcr.io/nim/meta/llama-3.1-8b-instruct",
        license=License.NVIDIA_AI_ENTERPRISE,
        min_gpu_memory_gb=24,
    )
    VersionFactory.create(item=nim_llama, tag="1.8.6", released_on=date(2025, 11, 20))
    UseCaseFactory.create(item=nim_llama, use_case=UseCase.GENERATIVE_AI)
    return Items(pytorch, nemo, isaac_sim, cosmos_transfer, nim_llama)


def launch_prices_for(flavors: dict[str, Flavor], scale: Decimal = Decimal(1)) -> dict[Any, Decimal]:
    prices: dict[Any, Decimal] = {}
    for flavor in flavors.values():
        group = "rtx-pro" if flavor.slug.startswith("rtx") else ("b200-metal" if "metal" in flavor.slug else "b200")
        for commitment, price in LAUNCH_PRICES[group].items():
            prices[(flavor, commitment)] = price * scale
    return prices


@pytest.fixture
def launch_prices(flavors: dict[str, Flavor]) -> PriceList:
    """The launch price list, in effect since 1 January 2026."""
    return published_price_list(
        name="2026 launch prices",
        effective_from=LAUNCH,
        compute=launch_prices_for(flavors),
        license={(License.NVIDIA_AI_ENTERPRISE, commitment): price for commitment, price in NVAIE_PRICES.items()},
    )


@pytest.fixture
def make_quote(
    now: datetime, flavors: dict[str, Flavor], items: Items, launch_prices: PriceList, organization: Organization
) -> Callable[..., Quote]:
    """``quote_create`` with a valid default: NeMo on one whole DGX B200, on demand, for a week from the next hour."""

    def make(**overrides: Any) -> Quote:
        arguments: dict[str, Any] = {
            "actor": Actor.system("tests"),
            "organization": organization,
            "version": items.version(items.nemo),
            "flavor": flavors["b200-x8-metal"],
            "instance_count": 1,
            "commitment": Commitment.ON_DEMAND,
            "starts_at": NOW + timedelta(hours=1),
            "ends_at": NOW + timedelta(hours=1, days=7),
        }
        arguments.update(overrides)
        return quote_create(**arguments)

    return make


@pytest.fixture
def member(organization: Organization, member_of: Callable[..., User]) -> User:
    from tenants.choices import Role

    return member_of(organization, Role.MEMBER)
