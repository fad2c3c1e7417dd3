from __future__ import annotations

from collections.abc import Mapping
from typing import Any, TypeVar

from attrs import define as _attrs_define
from attrs import field as _attrs_field

T = TypeVar("T", bound="AllowedCidr")


@_attrs_define
class AllowedCidr:
    """
    Attributes:
        id (int):
        cidr (str):
        description (str):
        broad_confirmed (bool):
        created_at (str):
    """

    id: int
    cidr: str
    description: str
    broad_confirmed: bool
    created_at: str
    additional_properties: dict[str, Any] = _attrs_field(init=False, factory=dict)

    def to_dict(self) -> dict[str, Any]:
        id = self.id

        cidr = self.cidr

        description = self.description

        broad_confirmed = self.broad_confirmed

        created_at = self.created_at

        field_dict: dict[str, Any] = {}
        field_dict.update(self.additional_properties)
        field_dict.update(
            {
                "id": id,
                "cidr": cidr,
                "description": description,
                "broad_confirmed": broad_confirmed,
                "created_at": created_at,
            }
        )

        return field_dict

    @classmethod
    def from_dict(cls: type[T], src_dict: Mapping[str, Any]) -> T:
        d = dict(src_dict)
        id = d.pop("id")

        cidr = d.pop("cidr")

        description = d.pop("description")

        broad_confirmed = d.pop("broad_confirmed")

        created_at = d.pop("created_at")

        allowed_cidr = cls(
            id=id,
            cidr=cidr,
            description=description,
            broad_confirmed=broad_confirmed,
            created_at=created_at,
        )

        allowed_cidr.additional_properties = d
        return allowed_cidr

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
