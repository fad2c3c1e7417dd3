from __future__ import annotations

from collections.abc import Mapping
from typing import Any, TypeVar

from attrs import define as _attrs_define
from attrs import field as _attrs_field

from ..types import UNSET, Unset

T = TypeVar("T", bound="AllowedCidrCreateRequest")


@_attrs_define
class AllowedCidrCreateRequest:
    """
    Attributes:
        cidr (str):
        description (str | Unset):  Default: ''.
        confirm_broad (bool | Unset): Needed for networks broader than /16, such as 0.0.0.0/0 (the whole internet).
            Default: False.
    """

    cidr: str
    description: str | Unset = ""
    confirm_broad: bool | Unset = False
    additional_properties: dict[str, Any] = _attrs_field(init=False, factory=dict)

    def to_dict(self) -> dict[str, Any]:
        cidr = self.cidr

        description = self.description

        confirm_broad = self.confirm_broad

        field_dict: dict[str, Any] = {}
        field_dict.update(self.additional_properties)
        field_dict.update(
            {
                "cidr": cidr,
            }
        )
        if description is not UNSET:
            field_dict["description"] = description
        if confirm_broad is not UNSET:
            field_dict["confirm_broad"] = confirm_broad

        return field_dict

    @classmethod
    def from_dict(cls: type[T], src_dict: Mapping[str, Any]) -> T:
        d = dict(src_dict)
        cidr = d.pop("cidr")

        description = d.pop("description", UNSET)

        confirm_broad = d.pop("confirm_broad", UNSET)

        allowed_cidr_create_request = cls(
            cidr=cidr,
            description=description,
            confirm_broad=confirm_broad,
        )

        allowed_cidr_create_request.additional_properties = d
        return allowed_cidr_create_request

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
