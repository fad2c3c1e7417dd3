from __future__ import annotations

from collections.abc import Mapping
from typing import Any, TypeVar

from attrs import define as _attrs_define
from attrs import field as _attrs_field

from ..models.e_invoice_format_enum import EInvoiceFormatEnum
from ..types import UNSET, Unset

T = TypeVar("T", bound="BillingProfileInputRequest")


@_attrs_define
class BillingProfileInputRequest:
    """
    Attributes:
        e_invoice_format (EInvoiceFormatEnum): * `facturx` - Factur-X PDF (EN 16931)
            * `xrechnung` - XRechnung 3.0 (CII XML)
            * `both` - Factur-X PDF and XRechnung
        buyer_reference (str | Unset): Your reference for our invoices (BT-10), e.g. a purchase order; at most 200
            characters. Default: ''.
        leitweg_id (str | Unset): For public buyers: the Leitweg-ID (format and check digits are checked); it becomes
            BT-10. Default: ''.
        billing_email (str | Unset): Where invoices are e-mailed; empty: to the owners; omitted: unchanged.
    """

    e_invoice_format: EInvoiceFormatEnum
    buyer_reference: str | Unset = ""
    leitweg_id: str | Unset = ""
    billing_email: str | Unset = UNSET
    additional_properties: dict[str, Any] = _attrs_field(init=False, factory=dict)

    def to_dict(self) -> dict[str, Any]:
        e_invoice_format = self.e_invoice_format.value

        buyer_reference = self.buyer_reference

        leitweg_id = self.leitweg_id

        billing_email = self.billing_email

        field_dict: dict[str, Any] = {}
        field_dict.update(self.additional_properties)
        field_dict.update(
            {
                "e_invoice_format": e_invoice_format,
            }
        )
        if buyer_reference is not UNSET:
            field_dict["buyer_reference"] = buyer_reference
        if leitweg_id is not UNSET:
            field_dict["leitweg_id"] = leitweg_id
        if billing_email is not UNSET:
            field_dict["billing_email"] = billing_email

        return field_dict

    @classmethod
    def from_dict(cls: type[T], src_dict: Mapping[str, Any]) -> T:
        d = dict(src_dict)
        e_invoice_format = EInvoiceFormatEnum(d.pop("e_invoice_format"))

        buyer_reference = d.pop("buyer_reference", UNSET)

        leitweg_id = d.pop("leitweg_id", UNSET)

        billing_email = d.pop("billing_email", UNSET)

        billing_profile_input_request = cls(
            e_invoice_format=e_invoice_format,
            buyer_reference=buyer_reference,
            leitweg_id=leitweg_id,
            billing_email=billing_email,
        )

        billing_profile_input_request.additional_properties = d
        return billing_profile_input_request

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
