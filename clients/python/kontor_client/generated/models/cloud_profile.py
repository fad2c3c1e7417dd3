from __future__ import annotations

from collections.abc import Mapping
from typing import Any, TypeVar

from attrs import define as _attrs_define
from attrs import field as _attrs_field

T = TypeVar("T", bound="CloudProfile")


@_attrs_define
class CloudProfile:
    """
    Attributes:
        has_ngc_api_key (bool): The key itself is never returned.
        ngc_api_key_last4 (str): The key's last four characters, or empty.
    """

    has_ngc_api_key: bool
    ngc_api_key_last4: str
    additional_properties: dict[str, Any] = _attrs_field(init=False, factory=dict)

    def to_dict(self) -> dict[str, Any]:
        has_ngc_api_key = self.has_ngc_api_key

        ngc_api_key_last4 = self.ngc_api_key_last4

        field_dict: dict[str, Any] = {}
        field_dict.update(self.additional_properties)
        field_dict.update(
            {
                "has_ngc_api_key": has_ngc_api_key,
                "ngc_api_key_last4": ngc_api_key_last4,
            }
        )

        return field_dict

    @classmethod
    def from_dict(cls: type[T], src_dict: Mapping[str, Any]) -> T:
        d = dict(src_dict)
        has_ngc_api_key = d.pop("has_ngc_api_key")

        ngc_api_key_last4 = d.pop("ngc_api_key_last4")

        cloud_profile = cls(
            has_ngc_api_key=has_ngc_api_key,
            ngc_api_key_last4=ngc_api_key_last4,
        )

        cloud_profile.additional_properties = d
        return cloud_profile

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
