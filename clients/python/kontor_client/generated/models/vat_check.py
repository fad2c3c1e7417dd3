from __future__ import annotations

from collections.abc import Mapping
from typing import Any, TypeVar

from attrs import define as _attrs_define
from attrs import field as _attrs_field

from ..models.result_enum import ResultEnum

T = TypeVar("T", bound="VatCheck")


@_attrs_define
class VatCheck:
    """
    Attributes:
        vat_id (str):
        result (ResultEnum): * `valid` - Confirmed valid
            * `invalid` - Reported invalid
            * `unavailable` - Service unavailable
        checked_at (str):
        registered_name (str):
        registered_address (str):
        error (str):
    """

    vat_id: str
    result: ResultEnum
    checked_at: str
    registered_name: str
    registered_address: str
    error: str
    additional_properties: dict[str, Any] = _attrs_field(init=False, factory=dict)

    def to_dict(self) -> dict[str, Any]:
        vat_id = self.vat_id

        result = self.result.value

        checked_at = self.checked_at

        registered_name = self.registered_name

        registered_address = self.registered_address

        error = self.error

        field_dict: dict[str, Any] = {}
        field_dict.update(self.additional_properties)
        field_dict.update(
            {
                "vat_id": vat_id,
                "result": result,
                "checked_at": checked_at,
                "registered_name": registered_name,
                "registered_address": registered_address,
                "error": error,
            }
        )

        return field_dict

    @classmethod
    def from_dict(cls: type[T], src_dict: Mapping[str, Any]) -> T:
        d = dict(src_dict)
        vat_id = d.pop("vat_id")

        result = ResultEnum(d.pop("result"))

        checked_at = d.pop("checked_at")

        registered_name = d.pop("registered_name")

        registered_address = d.pop("registered_address")

        error = d.pop("error")

        vat_check = cls(
            vat_id=vat_id,
            result=result,
            checked_at=checked_at,
            registered_name=registered_name,
            registered_address=registered_address,
            error=error,
        )

        vat_check.additional_properties = d
        return vat_check

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
