from __future__ import annotations

import datetime
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, TypeVar, cast

from attrs import define as _attrs_define
from attrs import field as _attrs_field

from ..models.vat_category_enum import VatCategoryEnum

if TYPE_CHECKING:
    from ..models.invoice_line import InvoiceLine


T = TypeVar("T", bound="InvoiceDetail")


@_attrs_define
class InvoiceDetail:
    """A finalized invoice (380) or credit note (381). Amounts are decimal strings in EUR.

    Attributes:
        id (int):
        number (str):
        kind (str): Document type (UNTDID 1001): 380 invoice, 381 credit note.
        issued_at (datetime.datetime | None):
        period_start (datetime.datetime):
        period_end (datetime.datetime):
        currency (str):
        net_amount (str):
        vat_amount (str):
        gross_amount (str):
        vat_category (VatCategoryEnum): * `S` - Standard rate
            * `AE` - Reverse charge
            * `O` - Not subject to VAT
        vat_rate (str):
        vat_note (str):
        credited_invoice (None | str):
        credit_reason (str):
        files (list[str]): The kinds stored and downloadable (``pdf``, ``xml``, ``xrechnung``); empty while being
            rendered.
        lines (list[InvoiceLine]):
    """

    id: int
    number: str
    kind: str
    issued_at: datetime.datetime | None
    period_start: datetime.datetime
    period_end: datetime.datetime
    currency: str
    net_amount: str
    vat_amount: str
    gross_amount: str
    vat_category: VatCategoryEnum
    vat_rate: str
    vat_note: str
    credited_invoice: None | str
    credit_reason: str
    files: list[str]
    lines: list[InvoiceLine]
    additional_properties: dict[str, Any] = _attrs_field(init=False, factory=dict)

    def to_dict(self) -> dict[str, Any]:
        id = self.id

        number = self.number

        kind = self.kind

        issued_at: None | str
        if isinstance(self.issued_at, datetime.datetime):
            issued_at = self.issued_at.isoformat()
        else:
            issued_at = self.issued_at

        period_start = self.period_start.isoformat()

        period_end = self.period_end.isoformat()

        currency = self.currency

        net_amount = self.net_amount

        vat_amount = self.vat_amount

        gross_amount = self.gross_amount

        vat_category = self.vat_category.value

        vat_rate = self.vat_rate

        vat_note = self.vat_note

        credited_invoice: None | str
        credited_invoice = self.credited_invoice

        credit_reason = self.credit_reason

        files = self.files

        lines = []
        for lines_item_data in self.lines:
            lines_item = lines_item_data.to_dict()
            lines.append(lines_item)

        field_dict: dict[str, Any] = {}
        field_dict.update(self.additional_properties)
        field_dict.update(
            {
                "id": id,
                "number": number,
                "kind": kind,
                "issued_at": issued_at,
                "period_start": period_start,
                "period_end": period_end,
                "currency": currency,
                "net_amount": net_amount,
                "vat_amount": vat_amount,
                "gross_amount": gross_amount,
                "vat_category": vat_category,
                "vat_rate": vat_rate,
                "vat_note": vat_note,
                "credited_invoice": credited_invoice,
                "credit_reason": credit_reason,
                "files": files,
                "lines": lines,
            }
        )

        return field_dict

    @classmethod
    def from_dict(cls: type[T], src_dict: Mapping[str, Any]) -> T:
        from ..models.invoice_line import InvoiceLine  # noqa: PLC0415

        d = dict(src_dict)
        id = d.pop("id")

        number = d.pop("number")

        kind = d.pop("kind")

        def _parse_issued_at(data: object) -> datetime.datetime | None:
            if data is None:
                return data
            try:
                if not isinstance(data, str):
                    raise TypeError()
                issued_at_type_0 = datetime.datetime.fromisoformat(data)

                return issued_at_type_0
            except (TypeError, ValueError, AttributeError, KeyError):
                pass
            return cast(datetime.datetime | None, data)

        issued_at = _parse_issued_at(d.pop("issued_at"))

        period_start = datetime.datetime.fromisoformat(d.pop("period_start"))

        period_end = datetime.datetime.fromisoformat(d.pop("period_end"))

        currency = d.pop("currency")

        net_amount = d.pop("net_amount")

        vat_amount = d.pop("vat_amount")

        gross_amount = d.pop("gross_amount")

        vat_category = VatCategoryEnum(d.pop("vat_category"))

        vat_rate = d.pop("vat_rate")

        vat_note = d.pop("vat_note")

        def _parse_credited_invoice(data: object) -> None | str:
            if data is None:
                return data
            return cast(None | str, data)

        credited_invoice = _parse_credited_invoice(d.pop("credited_invoice"))

        credit_reason = d.pop("credit_reason")

        files = cast(list[str], d.pop("files"))

        lines = []
        _lines = d.pop("lines")
        for lines_item_data in _lines:
            lines_item = InvoiceLine.from_dict(lines_item_data)

            lines.append(lines_item)

        invoice_detail = cls(
            id=id,
            number=number,
            kind=kind,
            issued_at=issued_at,
            period_start=period_start,
            period_end=period_end,
            currency=currency,
            net_amount=net_amount,
            vat_amount=vat_amount,
            gross_amount=gross_amount,
            vat_category=vat_category,
            vat_rate=vat_rate,
            vat_note=vat_note,
            credited_invoice=credited_invoice,
            credit_reason=credit_reason,
            files=files,
            lines=lines,
        )

        invoice_detail.additional_properties = d
        return invoice_detail

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
