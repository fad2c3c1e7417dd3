from __future__ import annotations

import datetime
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, TypeVar, cast

from attrs import define as _attrs_define
from attrs import field as _attrs_field

if TYPE_CHECKING:
    from ..models.compute_price import ComputePrice
    from ..models.license_price import LicensePrice


T = TypeVar("T", bound="PriceListDetail")


@_attrs_define
class PriceListDetail:
    """
    Attributes:
        id (int):
        name (str):
        currency (str):
        effective_from (datetime.datetime | None): Set when the list is published.
        compute_prices (list[ComputePrice]):
        license_prices (list[LicensePrice]):
    """

    id: int
    name: str
    currency: str
    effective_from: datetime.datetime | None
    compute_prices: list[ComputePrice]
    license_prices: list[LicensePrice]
    additional_properties: dict[str, Any] = _attrs_field(init=False, factory=dict)

    def to_dict(self) -> dict[str, Any]:
        id = self.id

        name = self.name

        currency = self.currency

        effective_from: None | str
        if isinstance(self.effective_from, datetime.datetime):
            effective_from = self.effective_from.isoformat()
        else:
            effective_from = self.effective_from

        compute_prices = []
        for compute_prices_item_data in self.compute_prices:
            compute_prices_item = compute_prices_item_data.to_dict()
            compute_prices.append(compute_prices_item)

        license_prices = []
        for license_prices_item_data in self.license_prices:
            license_prices_item = license_prices_item_data.to_dict()
            license_prices.append(license_prices_item)

        field_dict: dict[str, Any] = {}
        field_dict.update(self.additional_properties)
        field_dict.update(
            {
                "id": id,
                "name": name,
                "currency": currency,
                "effective_from": effective_from,
                "compute_prices": compute_prices,
                "license_prices": license_prices,
            }
        )

        return field_dict

    @classmethod
    def from_dict(cls: type[T], src_dict: Mapping[str, Any]) -> T:
        from ..models.compute_price import ComputePrice  # noqa: PLC0415
        from ..models.license_price import LicensePrice  # noqa: PLC0415

        d = dict(src_dict)
        id = d.pop("id")

        name = d.pop("name")

        currency = d.pop("currency")

        def _parse_effective_from(data: object) -> datetime.datetime | None:
            if data is None:
                return data
            try:
                if not isinstance(data, str):
                    raise TypeError()
                effective_from_type_0 = datetime.datetime.fromisoformat(data)

                return effective_from_type_0
            except (TypeError, ValueError, AttributeError, KeyError):
                pass
            return cast(datetime.datetime | None, data)

        effective_from = _parse_effective_from(d.pop("effective_from"))

        compute_prices = []
        _compute_prices = d.pop("compute_prices")
        for compute_prices_item_data in _compute_prices:
            compute_prices_item = ComputePrice.from_dict(compute_prices_item_data)

            compute_prices.append(compute_prices_item)

        license_prices = []
        _license_prices = d.pop("license_prices")
        for license_prices_item_data in _license_prices:
            license_prices_item = LicensePrice.from_dict(license_prices_item_data)

            license_prices.append(license_prices_item)

        price_list_detail = cls(
            id=id,
            name=name,
            currency=currency,
            effective_from=effective_from,
            compute_prices=compute_prices,
            license_prices=license_prices,
        )

        price_list_detail.additional_properties = d
        return price_list_detail

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
