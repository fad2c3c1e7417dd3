from __future__ import annotations

import datetime
from collections.abc import Mapping
from typing import Any, TypeVar, cast

from attrs import define as _attrs_define
from attrs import field as _attrs_field

from ..models.meter_enum import MeterEnum

T = TypeVar("T", bound="UsageRecord")


@_attrs_define
class UsageRecord:
    """GPU-seconds of one meter in one UTC hour; the unit price is EUR per GPU-hour as a decimal string.

    Attributes:
        id (int):
        reservation (int):
        instance (int | None):
        meter (MeterEnum): * `gpu_seconds` - GPU time used
            * `license_gpu_seconds` - NVIDIA AI Enterprise license
            * `committed_gpu_seconds` - Committed GPU time
        hour (datetime.datetime): Start of the UTC hour.
        quantity (int):
        flavor (str):
        unit_price (str):
        invoiced (bool):
    """

    id: int
    reservation: int
    instance: int | None
    meter: MeterEnum
    hour: datetime.datetime
    quantity: int
    flavor: str
    unit_price: str
    invoiced: bool
    additional_properties: dict[str, Any] = _attrs_field(init=False, factory=dict)

    def to_dict(self) -> dict[str, Any]:
        id = self.id

        reservation = self.reservation

        instance: int | None
        instance = self.instance

        meter = self.meter.value

        hour = self.hour.isoformat()

        quantity = self.quantity

        flavor = self.flavor

        unit_price = self.unit_price

        invoiced = self.invoiced

        field_dict: dict[str, Any] = {}
        field_dict.update(self.additional_properties)
        field_dict.update(
            {
                "id": id,
                "reservation": reservation,
                "instance": instance,
                "meter": meter,
                "hour": hour,
                "quantity": quantity,
                "flavor": flavor,
                "unit_price": unit_price,
                "invoiced": invoiced,
            }
        )

        return field_dict

    @classmethod
    def from_dict(cls: type[T], src_dict: Mapping[str, Any]) -> T:
        d = dict(src_dict)
        id = d.pop("id")

        reservation = d.pop("reservation")

        def _parse_instance(data: object) -> int | None:
            if data is None:
                return data
            return cast(int | None, data)

        instance = _parse_instance(d.pop("instance"))

        meter = MeterEnum(d.pop("meter"))

        hour = datetime.datetime.fromisoformat(d.pop("hour"))

        quantity = d.pop("quantity")

        flavor = d.pop("flavor")

        unit_price = d.pop("unit_price")

        invoiced = d.pop("invoiced")

        usage_record = cls(
            id=id,
            reservation=reservation,
            instance=instance,
            meter=meter,
            hour=hour,
            quantity=quantity,
            flavor=flavor,
            unit_price=unit_price,
            invoiced=invoiced,
        )

        usage_record.additional_properties = d
        return usage_record

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
