from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, TypeVar

from attrs import define as _attrs_define
from attrs import field as _attrs_field

from ..models.deployment_enum import DeploymentEnum

if TYPE_CHECKING:
    from ..models.gpu_model import GpuModel
    from ..models.node_type_summary import NodeTypeSummary


T = TypeVar("T", bound="Flavor")


@_attrs_define
class Flavor:
    """
    Attributes:
        slug (str):
        name (str):
        gpu_count (int):
        deployment (DeploymentEnum): * `vm` - Virtual machine
            * `bare_metal` - Bare metal
        vcpus (int):
        ram_gb (int):
        local_disk_gb (int):
        gpu_memory_gb (int): GPU memory of one instance, all GPUs.
        is_whole_node (bool):
        gpu_model (GpuModel):
        node_type (NodeTypeSummary):
    """

    slug: str
    name: str
    gpu_count: int
    deployment: DeploymentEnum
    vcpus: int
    ram_gb: int
    local_disk_gb: int
    gpu_memory_gb: int
    is_whole_node: bool
    gpu_model: GpuModel
    node_type: NodeTypeSummary
    additional_properties: dict[str, Any] = _attrs_field(init=False, factory=dict)

    def to_dict(self) -> dict[str, Any]:
        slug = self.slug

        name = self.name

        gpu_count = self.gpu_count

        deployment = self.deployment.value

        vcpus = self.vcpus

        ram_gb = self.ram_gb

        local_disk_gb = self.local_disk_gb

        gpu_memory_gb = self.gpu_memory_gb

        is_whole_node = self.is_whole_node

        gpu_model = self.gpu_model.to_dict()

        node_type = self.node_type.to_dict()

        field_dict: dict[str, Any] = {}
        field_dict.update(self.additional_properties)
        field_dict.update(
            {
                "slug": slug,
                "name": name,
                "gpu_count": gpu_count,
                "deployment": deployment,
                "vcpus": vcpus,
                "ram_gb": ram_gb,
                "local_disk_gb": local_disk_gb,
                "gpu_memory_gb": gpu_memory_gb,
                "is_whole_node": is_whole_node,
                "gpu_model": gpu_model,
                "node_type": node_type,
            }
        )

        return field_dict

    @classmethod
    def from_dict(cls: type[T], src_dict: Mapping[str, Any]) -> T:
        from ..models.gpu_model import GpuModel  # noqa: PLC0415
        from ..models.node_type_summary import NodeTypeSummary  # noqa: PLC0415

        d = dict(src_dict)
        slug = d.pop("slug")

        name = d.pop("name")

        gpu_count = d.pop("gpu_count")

        deployment = DeploymentEnum(d.pop("deployment"))

        vcpus = d.pop("vcpus")

        ram_gb = d.pop("ram_gb")

        local_disk_gb = d.pop("local_disk_gb")

        gpu_memory_gb = d.pop("gpu_memory_gb")

        is_whole_node = d.pop("is_whole_node")

        gpu_model = GpuModel.from_dict(d.pop("gpu_model"))

        node_type = NodeTypeSummary.from_dict(d.pop("node_type"))

        flavor = cls(
            slug=slug,
            name=name,
            gpu_count=gpu_count,
            deployment=deployment,
            vcpus=vcpus,
            ram_gb=ram_gb,
            local_disk_gb=local_disk_gb,
            gpu_memory_gb=gpu_memory_gb,
            is_whole_node=is_whole_node,
            gpu_model=gpu_model,
            node_type=node_type,
        )

        flavor.additional_properties = d
        return flavor

    @property
    def additional_keys(self) -> list[str]:
        return list(self.additional_properties.keys())

    def __getitem__(self, key: str) -> Any:
        return self.additional_properties[key]

    def __setitem__(self, key: str, value: Any) -> None:
        self.additional_properties[key] = value

    def __delitem__(self, key: str) -> None:
        del self.additional_properties[key]

    def __contains__(self, key: str) -> bool:
        return key in self.additional_properties
