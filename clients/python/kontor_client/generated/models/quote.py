from __future__ import annotations

import datetime
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, TypeVar

from attrs import define as _attrs_define
from attrs import field as _attrs_field

from ..models.commitment_enum import CommitmentEnum
from ..models.quote_status_enum import QuoteStatusEnum

if TYPE_CHECKING:
    from ..models.price_list_summary import PriceListSummary
    from ..models.quote_line import QuoteLine
    from ..models.quote_vat import QuoteVat


T = TypeVar("T", bound="Quote")


@_attrs_define
class Quote:
    """
    Attributes:
        id (int):
        organization (str):
        item (str):
        version (str):
        reference (str):
        flavor (str):
        instance_count (int):
        commitment (CommitmentEnum): * `on_demand` - On demand
            * `reserved_1m` - Reserved, 1 month
            * `reserved_12m` - Reserved, 12 months
        starts_at (datetime.datetime):
        ends_at (datetime.datetime):
        hours (int):
        currency (str):
        price_list (PriceListSummary):
        compute_unit_price (str):
        license_unit_price (str):
        lines (list[QuoteLine]):
        net_amount (str):
        vat (QuoteVat):
        gross_amount (str):
        created_at (datetime.datetime):
        valid_until (datetime.datetime):
        status (QuoteStatusEnum):
        created_by_label (str):
    """

    id: int
    organization: str
    item: str
    version: str
    reference: str
    flavor: str
    instance_count: int
    commitment: CommitmentEnum
    starts_at: datetime.datetime
    ends_at: datetime.datetime
    hours: int
    currency: str
    price_list: PriceListSummary
    compute_unit_price: str
    license_unit_price: str
    lines: list[QuoteLine]
    net_amount: str
    vat: QuoteVat
    gross_amount: str
    created_at: datetime.datetime
    valid_until: datetime.datetime
    status: QuoteStatusEnum
    created_by_label: str
    additional_properties: dict[str, Any] = _attrs_field(init=False, factory=dict)

    def to_dict(self) -> dict[str, Any]:
        id = self.id

        organization = self.organization

        item = self.item

        version = self.version

        reference = self.reference

        flavor = self.flavor

        instance_count = self.instance_count

        commitment = self.commitment.value

        starts_at = self.starts_at.isoformat()

        ends_at = self.ends_at.isoformat()

        hours = self.hours

        currency = self.currency

        price_list = self.price_list.to_dict()

        compute_unit_price = self.compute_unit_price

        license_unit_price = self.license_unit_price

        lines = []
        for lines_item_data in self.lines:
            lines_item = lines_item_data.to_dict()
            lines.append(lines_item)

        net_amount = self.net_amount

        vat = self.vat.to_dict()

        gross_amount = self.gross_amount

        created_at = self.created_at.isoformat()

        valid_until = self.valid_until.isoformat()

        status = self.status.value

        created_by_label = self.created_by_label

        field_dict: dict[str, Any] = {}
        field_dict.update(self.additional_properties)
        field_dict.update(
            {
                "id": id,
                "organization": organization,
                "item": item,
                "version": version,
                "reference": reference,
                "flavor": flavor,
                "instance_count": instance_count,
                "commitment": commitment,
                "starts_at": starts_at,
                "ends_at": ends_at,
                "hours": hours,
                "currency": currency,
                "price_list": price_list,
                "compute_unit_price": compute_unit_price,
                "license_unit_price": license_unit_price,
                "lines": lines,
                "net_amount": net_amount,
                "vat": vat,
                "gross_amount": gross_amount,
                "created_at": created_at,
                "valid_until": valid_until,
                "status": status,
                "created_by_label": created_by_label,
            }
        )

        return field_dict

    @classmethod
    def from_dict(cls: type[T], src_dict: Mapping[str, Any]) -> T:
        from ..models.price_list_summary import PriceListSummary  # noqa: PLC0415
        from ..models.quote_line import QuoteLine  # noqa: PLC0415
        from ..models.quote_vat import QuoteVat  # noqa: PLC0415

        d = dict(src_dict)
        id = d.pop("id")

        organization = d.pop("organization")

        item = d.pop("item")

        version = d.pop("version")

        reference = d.pop("reference")

        flavor = d.pop("flavor")

        instance_count = d.pop("instance_count")

        commitment = CommitmentEnum(d.pop("commitment"))

        starts_at = datetime.datetime.fromisoformat(d.pop("starts_at"))

        ends_at = datetime.datetime.fromisoformat(d.pop("ends_at"))

        hours = d.pop("hours")

        currency = d.pop("currency")

        price_list = PriceListSummary.from_dict(d.pop("price_list"))

        compute_unit_price = d.pop("compute_unit_price")

        license_unit_price = d.pop("license_unit_price")

        lines = []
        _lines = d.pop("lines")
        for lines_item_data in _lines:
            lines_item = QuoteLine.from_dict(lines_item_data)

            lines.append(lines_item)

        net_amount = d.pop("net_amount")

        vat = QuoteVat.from_dict(d.pop("vat"))

        gross_amount = d.pop("gross_amount")

        created_at = datetime.datetime.fromisoformat(d.pop("created_at"))

        valid_until = datetime.datetime.fromisoformat(d.pop("valid_until"))

        status = QuoteStatusEnum(d.pop("status"))

        created_by_label = d.pop("created_by_label")

        quote = cls(
            id=id,
            organization=organization,
            item=item,
            version=version,
            reference=reference,
            flavor=flavor,
            instance_count=instance_count,
            commitment=commitment,
            starts_at=starts_at,
            ends_at=ends_at,
            hours=hours,
            currency=currency,
            price_list=price_list,
            compute_unit_price=compute_unit_price,
            license_unit_price=license_unit_price,
            lines=lines,
            net_amount=net_amount,
            vat=vat,
            gross_amount=gross_amount,
            created_at=created_at,
            valid_until=valid_until,
            status=status,
            created_by_label=created_by_label,
        )

        quote.additional_properties = d
        return quote

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
