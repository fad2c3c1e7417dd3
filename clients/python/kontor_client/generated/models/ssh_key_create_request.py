from __future__ import annotations

from collections.abc import Mapping
from typing import Any, TypeVar

from attrs import define as _attrs_define
from attrs import field as _attrs_field

from ..types import UNSET, Unset

T = TypeVar("T", bound="SshKeyCreateRequest")


@_attrs_define
class SshKeyCreateRequest:
    """
    Attributes:
        name (str):
        public_key (str):
        personal (bool | Unset): Your own key (people only); otherwise shared by the organization. Default: False.
    """

    name: str
    public_key: str
    personal: bool | Unset = False
    additional_properties: dict[str, Any] = _attrs_field(init=False, factory=dict)

    def to_dict(self) -> dict[str, Any]:
        name = self.name

        public_key = self.public_key

        personal = self.personal

        field_dict: dict[str, Any] = {}
        field_dict.update(self.additional_properties)
        field_dict.update(
            {
                "name": name,
                "public_key": public_key,
            }
        )
        if personal is not UNSET:
            field_dict["personal"] = personal

        return field_dict

    @classmethod
    def from_dict(cls: type[T], src_dict: Mapping[str, Any]) -> T:
        d = dict(src_dict)
        name = d.pop("name")

        public_key = d.pop("public_key")

        personal = d.pop("personal", UNSET)

        ssh_key_create_request = cls(
            name=name,
            public_key=public_key,
            personal=personal,
        )

        ssh_key_create_request.additional_properties = d
        return ssh_key_create_request

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
