from __future__ import annotations

from collections.abc import Mapping
from typing import Any, TypeVar

from attrs import define as _attrs_define
from attrs import field as _attrs_field

T = TypeVar("T", bound="GpuModel")


@_attrs_define
class GpuModel:
    """
    Attributes:
        slug (str):
        name (str):
        architecture (str):
        memory_gb (int):
        has_ray_tracing_cores (bool):
    """

    slug: str
    name: str
    architecture: str
    memory_gb: int
    has_ray_tracing_cores: bool
    additional_properties: dict[str, Any] = _attrs_field(init=False, factory=dict)

    def to_dict(self) -> dict[str, Any]:
        slug = self.slug

        name = self.name

        architecture = self.architecture

        memory_gb = self.memory_gb

        has_ray_tracing_cores = self.has_ray_tracing_cores

        field_dict: dict[str, Any] = {}
        field_dict.update(self.additional_properties)
        field_dict.update(
            {
                "slug": slug,
                "name": name,
                "architecture": architecture,
                "memory_gb": memory_gb,
                "has_ray_tracing_cores": has_ray_tracing_cores,
            }
        )

        return field_dict

    @classmethod
    def from_dict(cls: type[T], src_dict: Mapping[str, Any]) -> T:
        d = dict(src_dict)
        slug = d.pop("slug")

        name = d.pop("name")

        architecture = d.pop("architecture")

        memory_gb = d.pop("memory_gb")

        has_ray_tracing_cores = d.pop("has_ray_tracing_cores")

        gpu_model = cls(
            slug=slug,
            name=name,
            architecture=architecture,
            memory_gb=memory_gb,
            has_ray_tracing_cores=has_ray_tracing_cores,
        )

        gpu_model.additional_properties = d
        return gpu_model

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
