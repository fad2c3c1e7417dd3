from __future__ import annotations

import datetime
from collections.abc import Mapping
from typing import Any, TypeVar, cast

from attrs import define as _attrs_define
from attrs import field as _attrs_field

from ..models.meter_enum import MeterEnum
from ..models.vat_category_enum import VatCategoryEnum

T = TypeVar("T", bound="InvoiceLine")


@_attrs_define
class InvoiceLine:
    """
    Attributes:
        position (int):
        description (str):
        meter (MeterEnum): * `gpu_seconds` - GPU time used
            * `license_gpu_seconds` - NVIDIA AI Enterprise license
            * `committed_gpu_seconds` - Committed GPU time
        flavor_slug (str):
        quantity (str):
        unit_price (str):
        net_amount (str):
        service_start (datetime.date | None):
        service_end (datetime.date | None):
        vat_category (VatCategoryEnum): * `S` - Standard rate
            * `AE` - Reverse charge
            * `O` - Not subject to VAT
        vat_rate (str):
    """

    position: int
    description: str
    meter: MeterEnum
    flavor_slug: str
    quantity: str
    unit_price: str
    net_amount: str
    service_start: datetime.date | None
    service_end: datetime.date | None
    vat_category: VatCategoryEnum
    vat_rate: str
    additional_properties: dict[str, Any] = _attrs_field(init=False, factory=dict)

    def to_dict(self) -> dict[str, Any]:
        position = self.position

        description = self.description

        meter = self.meter.value

        flavor_slug = self.flavor_slug

        quantity = self.quantity

        unit_price = self.unit_price

        net_amount = self.net_amount

        service_start: None | str
        if isinstance(self.service_start, datetime.date):
            service_start = self.service_start.isoformat()
        else:
            service_start = self.service_start

        service_end: None | str
        if isinstance(self.service_end, datetime.date):
            service_end = self.service_end.isoformat()
        else:
            service_end = self.service_end

        vat_category = self.vat_category.value

        vat_rate = self.vat_rate

        field_dict: dict[str, Any] = {}
        field_dict.update(self.additional_properties)
        field_dict.update(
            {
                "position": position,
                "description": description,
                "meter": meter,
                "flavor_slug": flavor_slug,
                "quantity": quantity,
                "unit_price": unit_price,
                "net_amount": net_amount,
                "service_start": service_start,
                "service_end": service_end,
                "vat_category": vat_category,
                "vat_rate": vat_rate,
            }
        )

        return field_dict

    @classmethod
    def from_dict(cls: type[T], src_dict: Mapping[str, Any]) -> T:
        d = dict(src_dict)
        position = d.pop("position")

        description = d.pop("description")

        meter = MeterEnum(d.pop("meter"))

        flavor_slug = d.pop("flavor_slug")

        quantity = d.pop("quantity")

        unit_price = d.pop("unit_price")

        net_amount = d.pop("net_amount")

        def _parse_service_start(data: object) -> datetime.date | None:
            if data is None:
                return data
            try:
                if not isinstance(data, str):
                    raise TypeError()
                service_start_type_0 = datetime.date.fromisoformat(data)

                return service_start_type_0
            except (TypeError, ValueError, AttributeError, KeyError):
                pass
            return cast(datetime.date | None, data)

        service_start = _parse_service_start(d.pop("service_start"))

        def _parse_service_end(data: object) -> datetime.date | None:
            if data is None:
                return data
            try:
                if not isinstance(data, str):
                    raise TypeError()
                service_end_type_0 = datetime.date.fromisoformat(data)

                return service_end_type_0
            except (TypeError, ValueError, AttributeError, KeyError):
                pass
            return cast(datetime.date | None, data)

        service_end = _parse_service_end(d.pop("service_end"))

        vat_category = VatCategoryEnum(d.pop("vat_category"))

        vat_rate = d.pop("vat_rate")

        invoice_line = cls(
            position=position,
            description=description,
            meter=meter,
            flavor_slug=flavor_slug,
            quantity=quantity,
            unit_price=unit_price,
            net_amount=net_amount,
            service_start=service_start,
            service_end=service_end,
            vat_category=vat_category,
            vat_rate=vat_rate,
        )

        invoice_line.additional_properties = d
        return invoice_line

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
