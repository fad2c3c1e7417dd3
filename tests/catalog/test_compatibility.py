"""Every compatibility rule, alone and together, and the refusal of an incompatible pair."""

from __future__ import annotations

import pytest

from catalog.choices import Deployment
from catalog.compatibility import (
    IncompatibleFlavorError,
    Rule,
    check_compatible,
    flavor_fits,
    flavor_shape_errors,
    incompatibilities,
)
from catalog.models import Flavor
from tests.catalog.factories import NodeTypeFactory

pytestmark = pytest.mark.django_db

ALL_FLAVORS = [
    "b200-x1",
    "b200-x2",
    "b200-x4",
    "b200-x8-metal",
    "rtx-pro-x1",
    "rtx-pro-x2",
    "rtx-pro-x4",
    "rtx-pro-x8",
]


def rules(item, flavor):
    return [(problem.rule, problem.reason) for problem in incompatibilities(item, flavor)]


def test_software_without_requirements_runs_on_every_flavor(items, flavors):
    assert [fit.flavor.slug for fit in flavor_fits(items.pytorch, flavors.values()) if fit.is_compatible] == ALL_FLAVORS


def test_gpu_memory_too_little_memory_per_gpu(items, flavors):
    assert rules(items.cosmos_transfer, flavors["rtx-pro-x1"]) == [
        (
            Rule.GPU_MEMORY,
            "Too little GPU memory: it needs 180 GB per GPU; the NVIDIA RTX PRO 6000 Blackwell Server Edition has "
            "96 GB.",
        )
    ]
    # Memory is per GPU: eight RTX PRO GPUs (768 GB together) still have 96 GB each.
    assert [rule for rule, _ in rules(items.cosmos_transfer, flavors["rtx-pro-x8"])] == [Rule.GPU_MEMORY]
    assert rules(items.cosmos_transfer, flavors["b200-x1"]) == []


def test_gpu_memory_exactly_enough_is_enough(items, flavors):
    items.nim_llama.min_gpu_memory_gb = 96

    assert rules(items.nim_llama, flavors["rtx-pro-x1"]) == []


def test_ray_tracing_the_b200_has_no_ray_tracing_cores(items, flavors):
    assert rules(items.isaac_sim, flavors["b200-x4"]) == [
        (Rule.RAY_TRACING, "It needs GPUs with ray-tracing cores; the NVIDIA B200 has none.")
    ]
    assert rules(items.isaac_sim, flavors["rtx-pro-x1"]) == []


def test_whole_node_a_share_of_a_node_is_not_enough(items, flavors):
    assert rules(items.nemo, flavors["b200-x4"]) == [
        (Rule.WHOLE_NODE, "It needs a whole node; this flavor has 4 of the node's 8 GPUs.")
    ]


def test_nvlink_a_whole_node_without_nvlink_is_not_enough(items, flavors):
    assert rules(items.nemo, flavors["rtx-pro-x8"]) == [
        (Rule.NVLINK, "It needs GPUs connected by NVLink; the RTX PRO server (8 GPUs) has no NVLink.")
    ]


def test_every_broken_rule_is_reported(items, flavors):
    items.nemo.min_gpu_memory_gb = 120
    items.isaac_sim.requires_whole_node = True

    assert [rule for rule, _ in rules(items.nemo, flavors["rtx-pro-x1"])] == [
        Rule.GPU_MEMORY,
        Rule.WHOLE_NODE,
        Rule.NVLINK,
    ]
    assert [rule for rule, _ in rules(items.isaac_sim, flavors["b200-x2"])] == [Rule.RAY_TRACING, Rule.WHOLE_NODE]


@pytest.mark.parametrize(
    ("item", "compatible"),
    [
        ("pytorch", ALL_FLAVORS),
        ("nemo", ["b200-x8-metal"]),
        ("isaac_sim", ["rtx-pro-x1", "rtx-pro-x2", "rtx-pro-x4", "rtx-pro-x8"]),
        ("cosmos_transfer", ["b200-x1", "b200-x2", "b200-x4", "b200-x8-metal"]),
        ("nim_llama", ALL_FLAVORS),
    ],
)
def test_the_compatibility_matrix(items, flavors, item, compatible):
    fits = flavor_fits(getattr(items, item), flavors.values())

    assert [fit.flavor.slug for fit in fits if fit.is_compatible] == compatible


def test_check_compatible_refuses_with_every_reason(items, flavors):
    with pytest.raises(IncompatibleFlavorError) as refused:
        check_compatible(items.version(items.nemo), flavors["rtx-pro-x2"])

    assert refused.value.message_dict == {
        "flavor": [
            "NeMo Framework 25.09 cannot run on RTX PRO 6000 ×2. "
            "It needs a whole node; this flavor has 2 of the node's 8 GPUs. "
            "It needs GPUs connected by NVLink; the RTX PRO server (8 GPUs) has no NVLink."
        ]
    }


def test_check_compatible_accepts_a_compatible_pair(items, flavors):
    check_compatible(items.version(items.nemo), flavors["b200-x8-metal"])


def test_flavor_shape_bare_metal_is_a_whole_node(flavors):
    node = flavors["b200-x4"].node_type

    assert flavor_shape_errors(Flavor(node_type=node, gpu_count=4, deployment=Deployment.BARE_METAL)) == {
        "deployment": ["Bare metal is a whole node: 8 GPUs."]
    }
    assert flavor_shape_errors(Flavor(node_type=node, gpu_count=8, deployment=Deployment.BARE_METAL)) == {}
    assert flavor_shape_errors(Flavor(node_type=node, gpu_count=2, deployment=Deployment.VM)) == {}


def test_flavor_shape_never_more_gpus_than_the_node(flavors):
    small = NodeTypeFactory.create(slug="four-gpu-server", name="Four-GPU server", gpus_per_node=4)

    assert flavor_shape_errors(Flavor(node_type=small, gpu_count=8, deployment=Deployment.VM)) == {
        "gpu_count": ["A Four-GPU server has only 4 GPUs."]
    }
    assert flavor_shape_errors(Flavor(node_type=small, gpu_count=3, deployment=Deployment.VM)) == {
        "gpu_count": ["A flavor has 1, 2, 4 or 8 GPUs."]
    }
