from __future__ import annotations

from collections.abc import Mapping
from typing import Any, TypeVar

from attrs import define as _attrs_define
from attrs import field as _attrs_field

T = TypeVar("T", bound="QuoteVat")


@_attrs_define
class QuoteVat:
    """
    Attributes:
        category (str): EN 16931 VAT category: S, AE or O.
        rate (str): Percent.
        amount (str):
        note (str):
    """

    category: str
    rate: str
    amount: str
    note: str
    additional_properties: dict[str, Any] = _attrs_field(init=False, factory=dict)

    def to_dict(self) -> dict[str, Any]:
        category = self.category

        rate = self.rate

        amount = self.amount

        note = self.note

        field_dict: dict[str, Any] = {}
        field_dict.update(self.additional_properties)
        field_dict.update(
            {
                "category": category,
                "rate": rate,
                "amount": amount,
                "note": note,
            }
        )

        return field_dict

    @classmethod
    def from_dict(cls: type[T], src_dict: Mapping[str, Any]) -> T:
        d = dict(src_dict)
        category = d.pop("category")

        rate = d.pop("rate")

        amount = d.pop("amount")

        note = d.pop("note")

        quote_vat = cls(
            category=category,
            rate=rate,
            amount=amount,
            note=note,
        )

        quote_vat.additional_properties = d
        return quote_vat

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
