from __future__ import annotations

import datetime
from collections.abc import Mapping
from typing import Any, TypeVar

from attrs import define as _attrs_define
from attrs import field as _attrs_field

T = TypeVar("T", bound="CalendarRow")


@_attrs_define
class CalendarRow:
    """
    Attributes:
        starts_at (datetime.datetime):
        total_gpus (int):
        free_gpus (int):
    """

    starts_at: datetime.datetime
    total_gpus: int
    free_gpus: int
    additional_properties: dict[str, Any] = _attrs_field(init=False, factory=dict)

    def to_dict(self) -> dict[str, Any]:
        starts_at = self.starts_at.isoformat()

        total_gpus = self.total_gpus

        free_gpus = self.free_gpus

        field_dict: dict[str, Any] = {}
        field_dict.update(self.additional_properties)
        field_dict.update(
            {
                "starts_at": starts_at,
                "total_gpus": total_gpus,
                "free_gpus": free_gpus,
            }
        )

        return field_dict

    @classmethod
    def from_dict(cls: type[T], src_dict: Mapping[str, Any]) -> T:
        d = dict(src_dict)
        starts_at = datetime.datetime.fromisoformat(d.pop("starts_at"))

        total_gpus = d.pop("total_gpus")

        free_gpus = d.pop("free_gpus")

        calendar_row = cls(
            starts_at=starts_at,
            total_gpus=total_gpus,
            free_gpus=free_gpus,
        )

        calendar_row.additional_properties = d
        return calendar_row

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
