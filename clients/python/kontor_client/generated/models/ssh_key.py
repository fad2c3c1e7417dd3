from __future__ import annotations

from collections.abc import Mapping
from typing import Any, TypeVar, cast

from attrs import define as _attrs_define
from attrs import field as _attrs_field

T = TypeVar("T", bound="SshKey")


@_attrs_define
class SshKey:
    """
    Attributes:
        id (int):
        name (str):
        fingerprint (str):
        key_type (str):
        bits (int):
        public_key (str):
        shared (bool): Shared by the organization.
        owner (None | str): The member whose own key it is; null when shared.
        created_at (str):
    """

    id: int
    name: str
    fingerprint: str
    key_type: str
    bits: int
    public_key: str
    shared: bool
    owner: None | str
    created_at: str
    additional_properties: dict[str, Any] = _attrs_field(init=False, factory=dict)

    def to_dict(self) -> dict[str, Any]:
        id = self.id

        name = self.name

        fingerprint = self.fingerprint

        key_type = self.key_type

        bits = self.bits

        public_key = self.public_key

        shared = self.shared

        owner: None | str
        owner = self.owner

        created_at = self.created_at

        field_dict: dict[str, Any] = {}
        field_dict.update(self.additional_properties)
        field_dict.update(
            {
                "id": id,
                "name": name,
                "fingerprint": fingerprint,
                "key_type": key_type,
                "bits": bits,
                "public_key": public_key,
                "shared": shared,
                "owner": owner,
                "created_at": created_at,
            }
        )

        return field_dict

    @classmethod
    def from_dict(cls: type[T], src_dict: Mapping[str, Any]) -> T:
        d = dict(src_dict)
        id = d.pop("id")

        name = d.pop("name")

        fingerprint = d.pop("fingerprint")

        key_type = d.pop("key_type")

        bits = d.pop("bits")

        public_key = d.pop("public_key")

        shared = d.pop("shared")

        def _parse_owner(data: object) -> None | str:
            if data is None:
                return data
            return cast(None | str, data)

        owner = _parse_owner(d.pop("owner"))

        created_at = d.pop("created_at")

        ssh_key = cls(
            id=id,
            name=name,
            fingerprint=fingerprint,
            key_type=key_type,
            bits=bits,
            public_key=public_key,
            shared=shared,
            owner=owner,
            created_at=created_at,
        )

        ssh_key.additional_properties = d
        return ssh_key

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
