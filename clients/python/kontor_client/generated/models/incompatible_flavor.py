from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, TypeVar

from attrs import define as _attrs_define
from attrs import field as _attrs_field

if TYPE_CHECKING:
    from ..models.flavor import Flavor
    from ..models.incompatibility import Incompatibility


T = TypeVar("T", bound="IncompatibleFlavor")


@_attrs_define
class IncompatibleFlavor:
    """
    Attributes:
        flavor (Flavor):
        reasons (list[Incompatibility]):
    """

    flavor: Flavor
    reasons: list[Incompatibility]
    additional_properties: dict[str, Any] = _attrs_field(init=False, factory=dict)

    def to_dict(self) -> dict[str, Any]:
        flavor = self.flavor.to_dict()

        reasons = []
        for reasons_item_data in self.reasons:
            reasons_item = reasons_item_data.to_dict()
            reasons.append(reasons_item)

        field_dict: dict[str, Any] = {}
        field_dict.update(self.additional_properties)
        field_dict.update(
            {
                "flavor": flavor,
                "reasons": reasons,
            }
        )

        return field_dict

    @classmethod
    def from_dict(cls: type[T], src_dict: Mapping[str, Any]) -> T:
        from ..models.flavor import Flavor  # noqa: PLC0415
        from ..models.incompatibility import Incompatibility  # noqa: PLC0415

        d = dict(src_dict)
        flavor = Flavor.from_dict(d.pop("flavor"))

        reasons = []
        _reasons = d.pop("reasons")
        for reasons_item_data in _reasons:
            reasons_item = Incompatibility.from_dict(reasons_item_data)

            reasons.append(reasons_item)

        incompatible_flavor = cls(
            flavor=flavor,
            reasons=reasons,
        )

        incompatible_flavor.additional_properties = d
        return incompatible_flavor

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
