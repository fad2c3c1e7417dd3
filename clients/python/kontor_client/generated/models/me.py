from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, TypeVar

from attrs import define as _attrs_define
from attrs import field as _attrs_field

if TYPE_CHECKING:
    from ..models.account_membership import AccountMembership


T = TypeVar("T", bound="Me")


@_attrs_define
class Me:
    """
    Attributes:
        email (str):
        full_name (str):
        preferred_language (str):
        is_staff (bool): Cloud operators may sign in to the operator console.
        memberships (list[AccountMembership]):
    """

    email: str
    full_name: str
    preferred_language: str
    is_staff: bool
    memberships: list[AccountMembership]
    additional_properties: dict[str, Any] = _attrs_field(init=False, factory=dict)

    def to_dict(self) -> dict[str, Any]:
        email = self.email

        full_name = self.full_name

        preferred_language = self.preferred_language

        is_staff = self.is_staff

        memberships = []
        for memberships_item_data in self.memberships:
            memberships_item = memberships_item_data.to_dict()
            memberships.append(memberships_item)

        field_dict: dict[str, Any] = {}
        field_dict.update(self.additional_properties)
        field_dict.update(
            {
                "email": email,
                "full_name": full_name,
                "preferred_language": preferred_language,
                "is_staff": is_staff,
                "memberships": memberships,
            }
        )

        return field_dict

    @classmethod
    def from_dict(cls: type[T], src_dict: Mapping[str, Any]) -> T:
        from ..models.account_membership import AccountMembership  # noqa: PLC0415

        d = dict(src_dict)
        email = d.pop("email")

        full_name = d.pop("full_name")

        preferred_language = d.pop("preferred_language")

        is_staff = d.pop("is_staff")

        memberships = []
        _memberships = d.pop("memberships")
        for memberships_item_data in _memberships:
            memberships_item = AccountMembership.from_dict(memberships_item_data)

            memberships.append(memberships_item)

        me = cls(
            email=email,
            full_name=full_name,
            preferred_language=preferred_language,
            is_staff=is_staff,
            memberships=memberships,
        )

        me.additional_properties = d
        return me

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
