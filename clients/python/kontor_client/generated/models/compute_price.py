from __future__ import annotations

from collections.abc import Mapping
from typing import Any, TypeVar

from attrs import define as _attrs_define
from attrs import field as _attrs_field

from ..models.commitment_enum import CommitmentEnum

T = TypeVar("T", bound="ComputePrice")


@_attrs_define
class ComputePrice:
    """
    Attributes:
        flavor (str):
        commitment (CommitmentEnum): * `on_demand` - On demand
            * `reserved_1m` - Reserved, 1 month
            * `reserved_12m` - Reserved, 12 months
        unit_price (str): EUR per GPU-hour, before VAT.
    """

    flavor: str
    commitment: CommitmentEnum
    unit_price: str
    additional_properties: dict[str, Any] = _attrs_field(init=False, factory=dict)

    def to_dict(self) -> dict[str, Any]:
        flavor = self.flavor

        commitment = self.commitment.value

        unit_price = self.unit_price

        field_dict: dict[str, Any] = {}
        field_dict.update(self.additional_properties)
        field_dict.update(
            {
                "flavor": flavor,
                "commitment": commitment,
                "unit_price": unit_price,
            }
        )

        return field_dict

    @classmethod
    def from_dict(cls: type[T], src_dict: Mapping[str, Any]) -> T:
        d = dict(src_dict)
        flavor = d.pop("flavor")

        commitment = CommitmentEnum(d.pop("commitment"))

        unit_price = d.pop("unit_price")

        compute_price = cls(
            flavor=flavor,
            commitment=commitment,
            unit_price=unit_price,
        )

        compute_price.additional_properties = d
        return compute_price

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
