from __future__ import annotations

import datetime
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, TypeVar, cast

from attrs import define as _attrs_define
from attrs import field as _attrs_field

if TYPE_CHECKING:
    from ..models.compatible_flavor import CompatibleFlavor
    from ..models.incompatible_flavor import IncompatibleFlavor
    from ..models.price_list_summary import PriceListSummary


T = TypeVar("T", bound="VersionDetail")


@_attrs_define
class VersionDetail:
    """
    Attributes:
        item (str):
        tag (str):
        released_on (datetime.date):
        reference (str):
        notes (str):
        price_list (None | PriceListSummary):
        compatible_flavors (list[CompatibleFlavor]):
        incompatible_flavors (list[IncompatibleFlavor]):
    """

    item: str
    tag: str
    released_on: datetime.date
    reference: str
    notes: str
    price_list: None | PriceListSummary
    compatible_flavors: list[CompatibleFlavor]
    incompatible_flavors: list[IncompatibleFlavor]
    additional_properties: dict[str, Any] = _attrs_field(init=False, factory=dict)

    def to_dict(self) -> dict[str, Any]:
        from ..models.price_list_summary import PriceListSummary  # noqa: PLC0415

        item = self.item

        tag = self.tag

        released_on = self.released_on.isoformat()

        reference = self.reference

        notes = self.notes

        price_list: dict[str, Any] | None
        if isinstance(self.price_list, PriceListSummary):
            price_list = self.price_list.to_dict()
        else:
            price_list = self.price_list

        compatible_flavors = []
        for compatible_flavors_item_data in self.compatible_flavors:
            compatible_flavors_item = compatible_flavors_item_data.to_dict()
            compatible_flavors.append(compatible_flavors_item)

        incompatible_flavors = []
        for incompatible_flavors_item_data in self.incompatible_flavors:
            incompatible_flavors_item = incompatible_flavors_item_data.to_dict()
            incompatible_flavors.append(incompatible_flavors_item)

        field_dict: dict[str, Any] = {}
        field_dict.update(self.additional_properties)
        field_dict.update(
            {
                "item": item,
                "tag": tag,
                "released_on": released_on,
                "reference": reference,
                "notes": notes,
                "price_list": price_list,
                "compatible_flavors": compatible_flavors,
                "incompatible_flavors": incompatible_flavors,
            }
        )

        return field_dict

    @classmethod
    def from_dict(cls: type[T], src_dict: Mapping[str, Any]) -> T:
        from ..models.compatible_flavor import CompatibleFlavor  # noqa: PLC0415
        from ..models.incompatible_flavor import IncompatibleFlavor  # noqa: PLC0415
        from ..models.price_list_summary import PriceListSummary  # noqa: PLC0415

        d = dict(src_dict)
        item = d.pop("item")

        tag = d.pop("tag")

        released_on = datetime.date.fromisoformat(d.pop("released_on"))

        reference = d.pop("reference")

        notes = d.pop("notes")

        def _parse_price_list(data: object) -> None | PriceListSummary:
            if data is None:
                return data
            try:
                if not isinstance(data, dict):
                    raise TypeError()
                price_list_type_0 = PriceListSummary.from_dict(data)

                return price_list_type_0
            except (TypeError, ValueError, AttributeError, KeyError):
                pass
            return cast(None | PriceListSummary, data)

        price_list = _parse_price_list(d.pop("price_list"))

        compatible_flavors = []
        _compatible_flavors = d.pop("compatible_flavors")
        for compatible_flavors_item_data in _compatible_flavors:
            compatible_flavors_item = CompatibleFlavor.from_dict(compatible_flavors_item_data)

            compatible_flavors.append(compatible_flavors_item)

        incompatible_flavors = []
        _incompatible_flavors = d.pop("incompatible_flavors")
        for incompatible_flavors_item_data in _incompatible_flavors:
            incompatible_flavors_item = IncompatibleFlavor.from_dict(incompatible_flavors_item_data)

            incompatible_flavors.append(incompatible_flavors_item)

        version_detail = cls(
            item=item,
            tag=tag,
            released_on=released_on,
            reference=reference,
            notes=notes,
            price_list=price_list,
            compatible_flavors=compatible_flavors,
            incompatible_flavors=incompatible_flavors,
        )

        version_detail.additional_properties = d
        return version_detail

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
