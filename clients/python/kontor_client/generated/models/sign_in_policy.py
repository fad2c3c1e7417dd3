from __future__ import annotations

from collections.abc import Mapping
from typing import Any, TypeVar, cast

from attrs import define as _attrs_define
from attrs import field as _attrs_field

from ..types import UNSET, Unset

T = TypeVar("T", bound="SignInPolicy")


@_attrs_define
class SignInPolicy:
    """
    Attributes:
        sso_required (bool):
        mfa_required (bool):
        updated_at (str):
        break_glass_owner (None | str | Unset):
    """

    sso_required: bool
    mfa_required: bool
    updated_at: str
    break_glass_owner: None | str | Unset = UNSET
    additional_properties: dict[str, Any] = _attrs_field(init=False, factory=dict)

    def to_dict(self) -> dict[str, Any]:
        sso_required = self.sso_required

        mfa_required = self.mfa_required

        updated_at = self.updated_at

        break_glass_owner: None | str | Unset
        if isinstance(self.break_glass_owner, Unset):
            break_glass_owner = UNSET
        else:
            break_glass_owner = self.break_glass_owner

        field_dict: dict[str, Any] = {}
        field_dict.update(self.additional_properties)
        field_dict.update(
            {
                "sso_required": sso_required,
                "mfa_required": mfa_required,
                "updated_at": updated_at,
            }
        )
        if break_glass_owner is not UNSET:
            field_dict["break_glass_owner"] = break_glass_owner

        return field_dict

    @classmethod
    def from_dict(cls: type[T], src_dict: Mapping[str, Any]) -> T:
        d = dict(src_dict)
        sso_required = d.pop("sso_required")

        mfa_required = d.pop("mfa_required")

        updated_at = d.pop("updated_at")

        def _parse_break_glass_owner(data: object) -> None | str | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            return cast(None | str | Unset, data)

        break_glass_owner = _parse_break_glass_owner(d.pop("break_glass_owner", UNSET))

        sign_in_policy = cls(
            sso_required=sso_required,
            mfa_required=mfa_required,
            updated_at=updated_at,
            break_glass_owner=break_glass_owner,
        )

        sign_in_policy.additional_properties = d
        return sign_in_policy

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
