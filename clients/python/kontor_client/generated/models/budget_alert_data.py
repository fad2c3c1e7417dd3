from __future__ import annotations

from collections.abc import Mapping
from typing import Any, TypeVar

from attrs import define as _attrs_define
from attrs import field as _attrs_field

T = TypeVar("T", bound="BudgetAlertData")


@_attrs_define
class BudgetAlertData:
    """
    Attributes:
        month (str): YYYY-MM
        threshold (str): 50, 80 or 100 (per cent).
        spent (str):
        limit (str):
    """

    month: str
    threshold: str
    spent: str
    limit: str
    additional_properties: dict[str, Any] = _attrs_field(init=False, factory=dict)

    def to_dict(self) -> dict[str, Any]:
        month = self.month

        threshold = self.threshold

        spent = self.spent

        limit = self.limit

        field_dict: dict[str, Any] = {}
        field_dict.update(self.additional_properties)
        field_dict.update(
            {
                "month": month,
                "threshold": threshold,
                "spent": spent,
                "limit": limit,
            }
        )

        return field_dict

    @classmethod
    def from_dict(cls: type[T], src_dict: Mapping[str, Any]) -> T:
        d = dict(src_dict)
        month = d.pop("month")

        threshold = d.pop("threshold")

        spent = d.pop("spent")

        limit = d.pop("limit")

        budget_alert_data = cls(
            month=month,
            threshold=threshold,
            spent=spent,
            limit=limit,
        )

        budget_alert_data.additional_properties = d
        return budget_alert_data

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
