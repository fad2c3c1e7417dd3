from __future__ import annotations

from collections.abc import Mapping
from typing import Any, TypeVar

from attrs import define as _attrs_define
from attrs import field as _attrs_field

from ..models.role_enum import RoleEnum

T = TypeVar("T", bound="GroupRoleMapping")


@_attrs_define
class GroupRoleMapping:
    """
    Attributes:
        id (int):
        group (str):
        role (RoleEnum): * `owner` - Owner
            * `admin` - Admin
            * `member` - Member
            * `billing` - Billing
            * `viewer` - Viewer
        created_at (str):
    """

    id: int
    group: str
    role: RoleEnum
    created_at: str
    additional_properties: dict[str, Any] = _attrs_field(init=False, factory=dict)

    def to_dict(self) -> dict[str, Any]:
        id = self.id

        group = self.group

        role = self.role.value

        created_at = self.created_at

        field_dict: dict[str, Any] = {}
        field_dict.update(self.additional_properties)
        field_dict.update(
            {
                "id": id,
                "group": group,
                "role": role,
                "created_at": created_at,
            }
        )

        return field_dict

    @classmethod
    def from_dict(cls: type[T], src_dict: Mapping[str, Any]) -> T:
        d = dict(src_dict)
        id = d.pop("id")

        group = d.pop("group")

        role = RoleEnum(d.pop("role"))

        created_at = d.pop("created_at")

        group_role_mapping = cls(
            id=id,
            group=group,
            role=role,
            created_at=created_at,
        )

        group_role_mapping.additional_properties = d
        return group_role_mapping

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
