"""Which flavors can run a catalog item version, and for the others why not.

The one place the rules live. The portal, the API, the GPU-model filter and the quote service all ask here, so an
incompatible pair is never offered and ordering one is refused with the same reasons. The rules, each with a stable
code:

- ``gpu_memory``: every GPU of the flavor has at least the item's ``min_gpu_memory_gb``.
- ``ray_tracing``: an item that needs ray-tracing cores (Omniverse, Isaac Sim) runs only on GPUs that have them —
  the B200 has none.
- ``whole_node``: an item that needs a whole node (large-model training) runs only on a flavor with every GPU of
  its node.
- ``nvlink``: an item that needs NVLink runs only on a node whose GPUs are connected by NVLink.

All rules are checked; a flavor can fail several. The functions are pure: they read the item and the flavor with its
node type and GPU model, which callers load with ``select_related`` (``catalog.selectors.flavor_list``).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from enum import StrEnum

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

from catalog.choices import FLAVOR_GPU_COUNTS, Deployment
from catalog.models import CatalogItem, CatalogItemVersion, Flavor


class Rule(StrEnum):
    GPU_MEMORY = "gpu_memory"
    RAY_TRACING = "ray_tracing"
    WHOLE_NODE = "whole_node"
    NVLINK = "nvlink"


@dataclass(frozen=True)
class Incompatibility:
    """One rule a flavor breaks for an item, and the reason in words."""

    rule: Rule
    reason: str


@dataclass(frozen=True)
class FlavorFit:
    """A flavor judged for one item: compatible when it breaks no rule."""

    flavor: Flavor
    incompatibilities: tuple[Incompatibility, ...]

    @property
    def is_compatible(self) -> bool:
        return not self.incompatibilities

    @property
    def reasons(self) -> list[str]:
        return [problem.reason for problem in self.incompatibilities]


def incompatibilities(item: CatalogItem, flavor: Flavor) -> tuple[Incompatibility, ...]:
    """Every rule ``flavor`` breaks for ``item`` (empty when it can run it)."""
    gpu = flavor.node_type.gpu_model
    node = flavor.node_type
    problems: list[Incompatibility] = []
    if gpu.memory_gb < item.min_gpu_memory_gb:
        problems.append(
            Incompatibility(
                Rule.GPU_MEMORY,
                _("Too little GPU memory: it needs %(needed)d GB per GPU; the %(gpu)s has %(has)d GB.")
                % {"needed": item.min_gpu_memory_gb, "gpu": gpu.name, "has": gpu.memory_gb},
            )
        )
    if item.requires_ray_tracing and not gpu.has_ray_tracing_cores:
        problems.append(
            Incompatibility(
                Rule.RAY_TRACING,
                _("It needs GPUs with ray-tracing cores; the %(gpu)s has none.") % {"gpu": gpu.name},
            )
        )
    if item.requires_whole_node and flavor.gpu_count != node.gpus_per_node:
        problems.append(
            Incompatibility(
                Rule.WHOLE_NODE,
                _("It needs a whole node; this flavor has %(count)d of the node's %(total)d GPUs.")
                % {"count": flavor.gpu_count, "total": node.gpus_per_node},
            )
        )
    if item.requires_nvlink and not node.has_nvlink:
        problems.append(
            Incompatibility(
                Rule.NVLINK,
                _("It needs GPUs connected by NVLink; the %(node)s has no NVLink.") % {"node": node.name},
            )
        )
    return tuple(problems)


def flavor_fits(item: CatalogItem, flavors: Iterable[Flavor]) -> list[FlavorFit]:
    """Each flavor judged for the item, in the order given."""
    return [FlavorFit(flavor, incompatibilities(item, flavor)) for flavor in flavors]


def is_compatible(item: CatalogItem, flavor: Flavor) -> bool:
    return not incompatibilities(item, flavor)


class IncompatibleFlavorError(ValidationError):
    """An order for an item version on a flavor that cannot run it."""


def check_compatible(version: CatalogItemVersion, flavor: Flavor) -> None:
    """Refuse an incompatible pair with every reason, as an error on the ``flavor`` field."""
    problems = incompatibilities(version.item, flavor)
    if problems:
        message = _("%(item)s %(tag)s cannot run on %(flavor)s.") % {
            "item": version.item.name,
            "tag": version.tag,
            "flavor": flavor.name,
        }
        raise IncompatibleFlavorError(
            {"flavor": [" ".join([message, *(problem.reason for problem in problems)])]}, code="incompatible"
        )


def flavor_shape_errors(flavor: Flavor) -> dict[str, list[str]]:
    """What is wrong with a flavor's shape for its node type (rules the database cannot check across tables)."""
    errors: dict[str, list[str]] = {}
    node = flavor.node_type
    if flavor.gpu_count not in FLAVOR_GPU_COUNTS:
        errors["gpu_count"] = [_("A flavor has 1, 2, 4 or 8 GPUs.")]
    elif flavor.gpu_count > node.gpus_per_node:
        errors["gpu_count"] = [
            _("A %(node)s has only %(total)d GPUs.") % {"node": node.name, "total": node.gpus_per_node}
        ]
    elif flavor.deployment == Deployment.BARE_METAL and flavor.gpu_count != node.gpus_per_node:
        errors["deployment"] = [
            _("Bare metal is a whole node: %(total)d GPUs.") % {"total": node.gpus_per_node},
        ]
    return errors
