from __future__ import annotations

import datetime
from collections.abc import Mapping
from typing import Any, TypeVar

from attrs import define as _attrs_define
from attrs import field as _attrs_field

from ..models.commitment_enum import CommitmentEnum
from ..types import UNSET, Unset

T = TypeVar("T", bound="QuoteCreateRequest")


@_attrs_define
class QuoteCreateRequest:
    """What to quote. Windows are whole hours; the service checks every rule and the compatibility.

    Attributes:
        item (str): Catalog item slug, e.g. nemo.
        version (str): Version tag of the item, e.g. 25.09.
        flavor (str): Flavor slug, e.g. b200-x8-metal.
        instance_count (int): Instances of the flavor, 1 to 64.
        commitment (CommitmentEnum): * `on_demand` - On demand
            * `reserved_1m` - Reserved, 1 month
            * `reserved_12m` - Reserved, 12 months
        starts_at (datetime.datetime): Not in the past (a minute of grace), at most 365 days ahead.
        ends_at (datetime.datetime): A whole number of hours after the start, at most 372 days.
        currency (str | Unset): EUR, the only currency. Default: 'EUR'.
    """

    item: str
    version: str
    flavor: str
    instance_count: int
    commitment: CommitmentEnum
    starts_at: datetime.datetime
    ends_at: datetime.datetime
    currency: str | Unset = "EUR"
    additional_properties: dict[str, Any] = _attrs_field(init=False, factory=dict)

    def to_dict(self) -> dict[str, Any]:
        item = self.item

        version = self.version

        flavor = self.flavor

        instance_count = self.instance_count

        commitment = self.commitment.value

        starts_at = self.starts_at.isoformat()

        ends_at = self.ends_at.isoformat()

        currency = self.currency

        field_dict: dict[str, Any] = {}
        field_dict.update(self.additional_properties)
        field_dict.update(
            {
                "item": item,
                "version": version,
                "flavor": flavor,
                "instance_count": instance_count,
                "commitment": commitment,
                "starts_at": starts_at,
                "ends_at": ends_at,
            }
        )
        if currency is not UNSET:
            field_dict["currency"] = currency

        return field_dict

    @classmethod
    def from_dict(cls: type[T], src_dict: Mapping[str, Any]) -> T:
        d = dict(src_dict)
        item = d.pop("item")

        version = d.pop("version")

        flavor = d.pop("flavor")

        instance_count = d.pop("instance_count")

        commitment = CommitmentEnum(d.pop("commitment"))

        starts_at = datetime.datetime.fromisoformat(d.pop("starts_at"))

        ends_at = datetime.datetime.fromisoformat(d.pop("ends_at"))

        currency = d.pop("currency", UNSET)

        quote_create_request = cls(
            item=item,
            version=version,
            flavor=flavor,
            instance_count=instance_count,
            commitment=commitment,
            starts_at=starts_at,
            ends_at=ends_at,
            currency=currency,
        )

        quote_create_request.additional_properties = d
        return quote_create_request

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
