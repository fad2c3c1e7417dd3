from __future__ import annotations

from collections.abc import Mapping
from typing import Any, TypeVar

from attrs import define as _attrs_define
from attrs import field as _attrs_field

T = TypeVar("T", bound="Requirements")


@_attrs_define
class Requirements:
    """
    Attributes:
        min_gpu_memory_gb (int): Memory each GPU must have.
        requires_ray_tracing (bool):
        requires_whole_node (bool):
        requires_nvlink (bool):
    """

    min_gpu_memory_gb: int
    requires_ray_tracing: bool
    requires_whole_node: bool
    requires_nvlink: bool
    additional_properties: dict[str, Any] = _attrs_field(init=False, factory=dict)

    def to_dict(self) -> dict[str, Any]:
        min_gpu_memory_gb = self.min_gpu_memory_gb

        requires_ray_tracing = self.requires_ray_tracing

        requires_whole_node = self.requires_whole_node

        requires_nvlink = self.requires_nvlink

        field_dict: dict[str, Any] = {}
        field_dict.update(self.additional_properties)
        field_dict.update(
            {
                "min_gpu_memory_gb": min_gpu_memory_gb,
                "requires_ray_tracing": requires_ray_tracing,
                "requires_whole_node": requires_whole_node,
                "requires_nvlink": requires_nvlink,
            }
        )

        return field_dict

    @classmethod
    def from_dict(cls: type[T], src_dict: Mapping[str, Any]) -> T:
        d = dict(src_dict)
        min_gpu_memory_gb = d.pop("min_gpu_memory_gb")

        requires_ray_tracing = d.pop("requires_ray_tracing")

        requires_whole_node = d.pop("requires_whole_node")

        requires_nvlink = d.pop("requires_nvlink")

        requirements = cls(
            min_gpu_memory_gb=min_gpu_memory_gb,
            requires_ray_tracing=requires_ray_tracing,
            requires_whole_node=requires_whole_node,
            requires_nvlink=requires_nvlink,
        )

        requirements.additional_properties = d
        return requirements

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
