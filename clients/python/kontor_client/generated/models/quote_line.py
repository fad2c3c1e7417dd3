from __future__ import annotations

from collections.abc import Mapping
from typing import Any, TypeVar

from attrs import define as _attrs_define
from attrs import field as _attrs_field

from ..models.quote_line_kind_enum import QuoteLineKindEnum

T = TypeVar("T", bound="QuoteLine")


@_attrs_define
class QuoteLine:
    """
    Attributes:
        position (int):
        kind (QuoteLineKindEnum):
        description (str):
        quantity (str): GPU-hours.
        unit_price (str): EUR per GPU-hour.
        net_amount (str):
    """

    position: int
    kind: QuoteLineKindEnum
    description: str
    quantity: str
    unit_price: str
    net_amount: str
    additional_properties: dict[str, Any] = _attrs_field(init=False, factory=dict)

    def to_dict(self) -> dict[str, Any]:
        position = self.position

        kind = self.kind.value

        description = self.description

        quantity = self.quantity

        unit_price = self.unit_price

        net_amount = self.net_amount

        field_dict: dict[str, Any] = {}
        field_dict.update(self.additional_properties)
        field_dict.update(
            {
                "position": position,
                "kind": kind,
                "description": description,
                "quantity": quantity,
                "unit_price": unit_price,
                "net_amount": net_amount,
            }
        )

        return field_dict

    @classmethod
    def from_dict(cls: type[T], src_dict: Mapping[str, Any]) -> T:
        d = dict(src_dict)
        position = d.pop("position")

        kind = QuoteLineKindEnum(d.pop("kind"))

        description = d.pop("description")

        quantity = d.pop("quantity")

        unit_price = d.pop("unit_price")

        net_amount = d.pop("net_amount")

        quote_line = cls(
            position=position,
            kind=kind,
            description=description,
            quantity=quantity,
            unit_price=unit_price,
            net_amount=net_amount,
        )

        quote_line.additional_properties = d
        return quote_line

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
