from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, TypeVar

from attrs import define as _attrs_define
from attrs import field as _attrs_field

if TYPE_CHECKING:
    from ..models.commitment_prices import CommitmentPrices
    from ..models.flavor import Flavor


T = TypeVar("T", bound="CompatibleFlavor")


@_attrs_define
class CompatibleFlavor:
    """
    Attributes:
        flavor (Flavor):
        price_per_gpu_hour (CommitmentPrices):
        price_per_instance_hour (CommitmentPrices):
    """

    flavor: Flavor
    price_per_gpu_hour: CommitmentPrices
    price_per_instance_hour: CommitmentPrices
    additional_properties: dict[str, Any] = _attrs_field(init=False, factory=dict)

    def to_dict(self) -> dict[str, Any]:
        flavor = self.flavor.to_dict()

        price_per_gpu_hour = self.price_per_gpu_hour.to_dict()

        price_per_instance_hour = self.price_per_instance_hour.to_dict()

        field_dict: dict[str, Any] = {}
        field_dict.update(self.additional_properties)
        field_dict.update(
            {
                "flavor": flavor,
                "price_per_gpu_hour": price_per_gpu_hour,
                "price_per_instance_hour": price_per_instance_hour,
            }
        )

        return field_dict

    @classmethod
    def from_dict(cls: type[T], src_dict: Mapping[str, Any]) -> T:
        from ..models.commitment_prices import CommitmentPrices  # noqa: PLC0415
        from ..models.flavor import Flavor  # noqa: PLC0415

        d = dict(src_dict)
        flavor = Flavor.from_dict(d.pop("flavor"))

        price_per_gpu_hour = CommitmentPrices.from_dict(d.pop("price_per_gpu_hour"))

        price_per_instance_hour = CommitmentPrices.from_dict(d.pop("price_per_instance_hour"))

        compatible_flavor = cls(
            flavor=flavor,
            price_per_gpu_hour=price_per_gpu_hour,
            price_per_instance_hour=price_per_instance_hour,
        )

        compatible_flavor.additional_properties = d
        return compatible_flavor

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
