from __future__ import annotations

from collections.abc import Mapping
from typing import Any, TypeVar, cast

from attrs import define as _attrs_define
from attrs import field as _attrs_field

T = TypeVar("T", bound="CommitmentPrices")


@_attrs_define
class CommitmentPrices:
    """
    Attributes:
        on_demand (None | str):
        reserved_1m (None | str):
        reserved_12m (None | str):
    """

    on_demand: None | str
    reserved_1m: None | str
    reserved_12m: None | str
    additional_properties: dict[str, Any] = _attrs_field(init=False, factory=dict)

    def to_dict(self) -> dict[str, Any]:
        on_demand: None | str
        on_demand = self.on_demand

        reserved_1m: None | str
        reserved_1m = self.reserved_1m

        reserved_12m: None | str
        reserved_12m = self.reserved_12m

        field_dict: dict[str, Any] = {}
        field_dict.update(self.additional_properties)
        field_dict.update(
            {
                "on_demand": on_demand,
                "reserved_1m": reserved_1m,
                "reserved_12m": reserved_12m,
            }
        )

        return field_dict

    @classmethod
    def from_dict(cls: type[T], src_dict: Mapping[str, Any]) -> T:
        d = dict(src_dict)

        def _parse_on_demand(data: object) -> None | str:
            if data is None:
                return data
            return cast(None | str, data)

        on_demand = _parse_on_demand(d.pop("on_demand"))

        def _parse_reserved_1m(data: object) -> None | str:
            if data is None:
                return data
            return cast(None | str, data)

        reserved_1m = _parse_reserved_1m(d.pop("reserved_1m"))

        def _parse_reserved_12m(data: object) -> None | str:
            if data is None:
                return data
            return cast(None | str, data)

        reserved_12m = _parse_reserved_12m(d.pop("reserved_12m"))

        commitment_prices = cls(
            on_demand=on_demand,
            reserved_1m=reserved_1m,
            reserved_12m=reserved_12m,
        )

        commitment_prices.additional_properties = d
        return commitment_prices

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
